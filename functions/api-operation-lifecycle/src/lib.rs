//! `api-operation-lifecycle`: POST `/start`, `/pause`, `/resume`, `/complete` with `?id=` (and
//! `user_id` for start and resume), with time entries and the status roll-up.

use eryxon_domain::lifecycle::{self, operations::Action};
use eryxon_domain::protocol::http::id_param;
use eryxon_domain::resource;
use eryxon_edge::{new_id, rows, Answer, Call, Reply};

eryxon_edge::function!("api-operation-lifecycle", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("start", Post) => transition(call, Action::Start).await,
        ("pause", Post) => transition(call, Action::Pause).await,
        ("resume", Post) => transition(call, Action::Resume).await,
        ("complete", Post) => transition(call, Action::Complete).await,
    })
}

/// Two round trips: the key check with the operation, its open entries and the operator; then
/// one atomic batch for the whole transition.
async fn transition(call: &Call, action: Action) -> Answer {
    let id = id_param(&call.query);
    // Only a transition that opens time names its operator.
    let user_id = if action.opens_time() { resource::action_param(&call.query, lifecycle::operations::QUERY) } else { Ok(None) };
    let named = user_id.as_ref().ok().copied().flatten();
    let (caller, found) = call.authenticate(|scope| id.as_ref().map(|id| lifecycle::operations::preloads(scope, id, named)).unwrap_or_default()).await?;
    let (id, user_id) = (id?, user_id?);
    let planned = lifecycle::operations::plan(action, &found, &id, user_id, &caller.tenant_id, &call.now().rfc3339(), new_id)?;
    let written = call.write(&planned.stmts).await?;
    let answer = planned.answer(rows(&written, 0))?;
    Ok(Reply::ok(answer))
}
