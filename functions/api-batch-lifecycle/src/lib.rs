//! `api-batch-lifecycle`: POST `/start?id=&operator_id=` (or `user_id`), `/stop?id=`, and
//! `/add-operations?id=` with `{"operation_ids": [...]}`.

use eryxon_domain::entities::batches;
use eryxon_domain::lifecycle::{self, batches::Action};
use eryxon_domain::protocol::http::id_param;
use eryxon_domain::resource;
use eryxon_edge::catalog::{self, Writing};
use eryxon_edge::{new_id, Answer, Call, Reply};

eryxon_edge::function!("api-batch-lifecycle", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("start", Post) => transition(call, Action::Start).await,
        ("stop", Post) => transition(call, Action::Stop).await,
        ("add-operations", Post) => {
            catalog::write(call, Writing::Update(&batches::SHOWN), batches::parse_additions, |d, found, caller, now, id| {
                d.plan_additions(found, &caller.tenant_id, now, id.unwrap_or_default())
            })
            .await
        },
    })
}

/// Two round trips: the key check with the batch, its operations and the operator; then one
/// atomic batch of nine statements, whatever the number of operations.
async fn transition(call: &Call, action: Action) -> Answer {
    let id = id_param(&call.query);
    // Only a start names its operator.
    let operator = if action == Action::Start { resource::action_param(&call.query, lifecycle::batches::QUERY) } else { Ok(None) };
    let named = operator.as_ref().ok().copied().flatten();
    let (caller, found) = call.authenticate(|scope| id.as_ref().map(|id| lifecycle::batches::preloads(scope, id, named)).unwrap_or_default()).await?;
    let (id, operator) = (id?, operator?);
    let planned = lifecycle::batches::plan(action, &found, &id, operator, &caller.tenant_id, &call.now().rfc3339(), new_id)?;
    let written = call.write(&planned.stmts).await?;
    let answer = planned.answer(&written)?;
    Ok(Reply::ok(answer))
}
