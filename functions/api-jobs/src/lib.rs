//! `api-jobs`: list, read, nested create, update and delete of jobs.
//! (`PUT /sync` and `POST /bulk-sync` on this path are served by `api-sync`.)

use eryxon_domain::entities::jobs::{self, create, read, update};
use eryxon_domain::protocol::http::id_param;
use eryxon_domain::{resource, ApiError};
use eryxon_edge::{catalog, new_id, rows, Answer, Call, Reply};
use serde_json::json;

eryxon_edge::function!("api-jobs", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("", Get) if call.query.get("id").is_some() => catalog::get_shown(call, &read::SHOWN).await,
        ("", Get) => list(call).await,
        ("", Post) => create(call).await,
        ("", Patch) => patch(call).await,
        ("", Delete) => delete(call).await,
    })
}

/// One round trip: the key check, the page, its total and the page's parts.
async fn list(call: &Call) -> Answer {
    let query = resource::parse_list(&read::LIST, &call.query);
    let (_, found) = call.authenticate(|scope| query.as_ref().map(|q| read::list(scope, q)).unwrap_or_default()).await?;
    let query = query?;
    let found = read::JobPage::rows(&found);
    let page = read::assemble_page(found.page, found.parts);
    let (data, meta) = query.page("jobs", page, found.total);
    Ok(Reply::ok(data).with_meta(meta))
}

/// Two round trips: the key check with the references the body makes (and the quota), then
/// one atomic batch.
async fn create(call: &Call) -> Answer {
    let parsed = call.json_body().map(|body| create::parse(&body));
    let (caller, found) = call.authenticate(|scope| parsed.as_ref().map(|p| p.preloads(scope)).unwrap_or_default()).await?;
    let parsed = parsed?;
    let ignored = parsed.ignored.clone();
    let checked = parsed.check(&found)?;
    checked.within(&caller.quota)?;
    let plan = checked.plan(&caller.tenant_id, &caller.quota, &call.now().rfc3339(), new_id);
    let written = call.write(&plan.stmts).await?;
    plan.confirm(&written)?;
    Ok(Reply::created(plan.response).ignoring(ignored))
}

/// Two round trips: the key check with the current row (and, under `If-Match`, the job as a
/// GET shows it), then the compare-and-set update.
async fn patch(call: &Call) -> Answer {
    let id = id_param(&call.query);
    let changes = call.json_body().and_then(|body| update::parse(&body));
    let (caller, [current, shown]) = call
        .authenticate_each(|scope| match id.as_ref() {
            Ok(id) => [vec![update::preload(scope, id)], catalog::if_match_reads(call, &read::SHOWN, scope, id)],
            Err(_) => [vec![], vec![]],
        })
        .await?;
    let (id, changes) = (id?, changes?);
    catalog::check_if_match(call, &read::SHOWN, &shown, &id)?;
    let condition = catalog::if_match_condition(call, read::SHOWN.table, rows(&shown, 0).first(), &caller.tenant_id, &id);
    let current = rows(&current, 0).first().ok_or_else(|| ApiError::not_found("Job", &id))?;
    let (stmts, _) = update::plan(&changes, current, &caller.tenant_id, &call.now().rfc3339(), new_id())?;
    let written = call.write_when(condition, &stmts).await?;
    let job = rows(&written, 0).first().ok_or_else(|| ApiError::conflict("The job changed while this request ran; read it again and retry"))?;
    Ok(Reply::ok(json!({ "job": read::decode(job) })).ignoring(changes.ignored))
}

/// Two round trips: the key check, then the delete with everything under the job.
async fn delete(call: &Call) -> Answer {
    catalog::delete_by(call, "Job", jobs::delete).await
}
