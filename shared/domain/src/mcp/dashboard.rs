//! The dashboard tool, the one the MCP worker reads itself (in its authentication round trip).

use super::tool_result;
use crate::ApiError;
use serde_json::{json, Value};

crate::read_set!(
    /// The dashboard's reads: jobs by status, and the other counts.
    pub struct DashboardReads { jobs, counts }
);

/// The reads of [`DashboardReads`], for the authentication round trip.
pub fn dashboard(scope: crate::protocol::sql::Scope<'_>) -> Vec<crate::protocol::sql::Stmt> {
    DashboardReads {
        jobs: crate::protocol::sql::Stmt::scoped(scope, "SELECT status, COUNT(*) AS n FROM jobs WHERE tenant_id = {tenant} GROUP BY status", vec![]),
        counts: crate::protocol::sql::Stmt::scoped(
            scope,
            "SELECT (SELECT COUNT(*) FROM operations WHERE tenant_id = {tenant} AND status = 'in_progress') AS operations_in_progress, \
             (SELECT COUNT(*) FROM issues WHERE tenant_id = {tenant} AND issue_type = 'general' AND status IN ('open', 'in_progress')) AS open_issues, \
             (SELECT COUNT(*) FROM issues WHERE tenant_id = {tenant} AND issue_type = 'ncr' AND status IN ('open', 'in_progress')) AS open_ncrs, \
             (SELECT COUNT(*) FROM batches WHERE tenant_id = {tenant} AND status = 'in_progress') AS batches_in_progress",
            vec![],
        ),
    }
    .stmts()
}

/// The dashboard's data from its two reads.
pub fn dashboard_data(jobs: &[Value], counts: &[Value]) -> Value {
    let mut by_status = json!({ "not_started": 0, "in_progress": 0, "on_hold": 0, "completed": 0 });
    for row in jobs {
        if let Some(s) = row["status"].as_str() {
            by_status[s] = row["n"].clone();
        }
    }
    let c = counts.first().cloned().unwrap_or_default();
    json!({
        "jobs": by_status, "operations_in_progress": c["operations_in_progress"], "open_issues": c["open_issues"],
        "open_ncrs": c["open_ncrs"], "batches_in_progress": c["batches_in_progress"],
    })
}

/// A REST failure of the dashboard's own round trip, as a tool result.
pub fn api_error_result(e: &ApiError) -> Value {
    tool_result(e.status(), &crate::protocol::envelope::error(e))
}
