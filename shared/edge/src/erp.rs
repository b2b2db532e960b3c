//! The ERP sync requests of the synced entities: `PUT /api-<entity>/sync` (one record) and
//! `POST /api-<entity>/bulk-sync` (up to 1,000), served by the `api-sync` worker ([`serve`]):
//! two round trips, the reads, then one atomic write of what changed (see
//! `eryxon_domain::erp_sync`).

use crate::Answer;
use crate::{new_id, Call, Reply};
use eryxon_domain::erp_sync::{self, Root};

/// Runs a `sync` or a `bulk-sync` of `root`.
pub async fn serve(call: &Call, root: Root) -> Answer {
    crate::routes!(call, {
        ("sync", Put) => sync(call, root, true).await,
        ("bulk-sync", Post) => sync(call, root, false).await,
    })
}

async fn sync(call: &Call, root: Root, single: bool) -> Answer {
    let req = call.json_body().and_then(|b| erp_sync::parse(root, single, &b));
    let (caller, found) = call.authenticate(|scope| req.as_ref().map(|r| erp_sync::reads(scope, r)).unwrap_or_default()).await?;
    let req = req?;
    let now = call.now().rfc3339();
    let outcome = erp_sync::classify(&req, &found, &caller.tenant_id, &now, &mut new_id);
    outcome.within(&caller.quota)?;
    if outcome.writes() {
        let stmts = erp_sync::plan(&outcome, &caller.tenant_id, &now);
        call.write_when(outcome.quota_held(&caller.quota, &caller.tenant_id), &stmts).await?;
    }
    let answer = erp_sync::answer(root, single, &outcome)?;
    let reply = if answer.created { Reply::created(answer.data) } else { Reply::ok(answer.data) };
    Ok(reply.ignoring(req.ignored))
}
