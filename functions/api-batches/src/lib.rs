//! `api-batches`: list, read with operations, create with operations, PATCH, DELETE before start.

use eryxon_domain::entities::batches;
use eryxon_domain::protocol::http::id_param;
use eryxon_edge::catalog::{self, Writing};
use eryxon_edge::{new_id, Answer, Call, Reply};
use serde_json::Value;

eryxon_edge::function!("api-batches", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("", Get) if call.query.get("id").is_some() => catalog::get_shown(call, &batches::SHOWN).await,
        ("", Get) => catalog::list_of(call, &batches::LIST, "batches", Value::clone).await,
        ("", Post) => {
            catalog::write(
                call,
                Writing::Create,
                |b| batches::parse(b, false),
                |d, found, caller, now, _| d.plan_create(found, &caller.tenant_id, now, new_id()),
            )
            .await
        },
        ("", Patch) => {
            catalog::write(
                call,
                Writing::Update(&batches::SHOWN),
                |b| batches::parse(b, true),
                |d, found, caller, now, id| d.plan_update(found, &caller.tenant_id, now, id.unwrap_or_default()),
            )
            .await
        },
        ("", Delete) => delete(call).await,
    })
}

async fn delete(call: &Call) -> Answer {
    let id = id_param(&call.query);
    let (caller, found) = call.authenticate(|scope| id.as_ref().map(|id| batches::delete_reads(scope, id)).unwrap_or_default()).await?;
    let id = id?;
    let stmts = batches::plan_delete(&batches::DeleteReads::rows(&found), &caller.tenant_id, &id)?;
    batches::deleted(&call.write(&stmts).await?, &id)?;
    Ok(Reply::ok(serde_json::json!({ "id": id, "deleted": true })))
}
