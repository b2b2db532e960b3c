//! `api-job-lifecycle`: POST `/start`, `/stop`, `/resume`, `/complete` with `?id=`.

use eryxon_domain::lifecycle::{self, jobs::Action};
use eryxon_domain::protocol::http::id_param;
use eryxon_domain::ApiError;
use eryxon_edge::{new_id, rows, Answer, Call, Reply};

eryxon_edge::function!("api-job-lifecycle", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("start", Post) => transition(call, Action::Start).await,
        ("stop", Post) => transition(call, Action::Stop).await,
        ("resume", Post) => transition(call, Action::Resume).await,
        ("complete", Post) => transition(call, Action::Complete).await,
    })
}

/// Two round trips: the key check with the job, then the compare-and-set with its event.
async fn transition(call: &Call, action: Action) -> Answer {
    let id = id_param(&call.query);
    let (caller, found) = call.authenticate(|scope| id.as_ref().map(|id| vec![lifecycle::jobs::preload(scope, id)]).unwrap_or_default()).await?;
    let id = id?;
    let job = rows(&found, 0).first().ok_or_else(|| ApiError::not_found("Job", &id))?;
    let previous = job["status"].as_str().unwrap_or_default().to_string();
    let stmts = lifecycle::jobs::plan(action, job, &caller.tenant_id, &call.now().rfc3339(), new_id())?;
    let written = call.write(&stmts).await?;
    let row = rows(&written, 0).first().ok_or_else(|| ApiError::conflict(format!("The job changed while this request ran: it is no longer {previous}")))?;
    Ok(Reply::ok(lifecycle::jobs::answer(action, row, &previous)))
}
