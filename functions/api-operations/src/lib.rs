//! `api-operations`: list with the reference's filters and sorts, read with part and job
//! numbers, create (cell by id or name), PATCH, DELETE. Status moves through the lifecycle.
//! (`PUT /sync` and `POST /bulk-sync` on this path are served by `api-sync`.)

use eryxon_domain::entities::operations;
use eryxon_edge::catalog::{self, Writing};
use eryxon_edge::{new_id, Answer, Call};
use serde_json::Value;

eryxon_edge::function!("api-operations", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("", Get) if call.query.get("id").is_some() => catalog::get_shown(call, &operations::SHOWN).await,
        ("", Get) => catalog::list_of(call, &operations::LIST, "operations", Value::clone).await,
        ("", Post) => {
            catalog::write(
                call,
                Writing::Create,
                |b| operations::parse(b, false),
                |d, found, caller, now, id| d.plan(found, &caller.tenant_id, now, id, new_id),
            )
            .await
        },
        ("", Patch) => {
            catalog::write(
                call,
                Writing::Update(&operations::SHOWN),
                |b| operations::parse(b, true),
                |d, found, caller, now, id| d.plan(found, &caller.tenant_id, now, id, new_id),
            )
            .await
        },
        ("", Delete) => catalog::delete_by(call, "Operation", operations::delete).await,
    })
}
