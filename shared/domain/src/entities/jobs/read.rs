//! Reading jobs: one job with its parts and operations, and filtered pages of jobs with
//! their parts. Every read is planned to run inside the authentication round trip.

use super::{status::STATUSES, JOB_COLUMNS, JSON_COLUMNS};
use crate::protocol::error::ApiError;
use crate::protocol::sql::{Scope, Stmt};
use crate::resource::{Filter, FilterKind, ListQuery, ListReads, ListSpec, Shown};
use serde_json::{json, Value};

const PART_COLUMNS: &str = "p.id, p.job_id, p.parent_part_id, p.part_number, p.material, p.quantity, p.status, \
    p.current_cell_id, p.description, p.notes, p.drawing_url, p.step_file_url, p.file_paths, p.metadata, \
    p.started_at, p.completed_at, p.created_at, p.updated_at, p.external_source, p.external_id";
const OPERATION_COLUMNS: &str = "o.id, o.part_id, o.cell_id, c.name AS cell_name, o.operation_name, o.sequence, o.status, \
    o.estimated_time, o.setup_time_minutes, o.actual_time, o.completion_percentage, o.instructions, o.notes, \
    o.started_at, o.paused_at, o.resumed_at, o.completed_at, o.created_at, o.updated_at, o.external_source, o.external_id";

crate::read_set!(
    /// One job as GET answers it: the job, its parts, and their operations.
    struct JobReads { job, parts, operations }
);

/// The reads of `JobReads`, behind `GET ?id=`.
pub fn get(scope: Scope<'_>, id: &str) -> Vec<Stmt> {
    JobReads {
        job: Stmt::scoped(scope, &format!("SELECT {JOB_COLUMNS} FROM jobs j WHERE j.tenant_id = {{tenant}} AND j.id = ?2"), vec![id.into()]),
        parts: Stmt::scoped(
            scope,
            &format!("SELECT {PART_COLUMNS} FROM parts p WHERE p.tenant_id = {{tenant}} AND p.job_id = ?2 ORDER BY p.part_number, p.id"),
            vec![id.into()],
        ),
        operations: Stmt::scoped(
            scope,
            &format!(
                "SELECT {OPERATION_COLUMNS} FROM operations o JOIN parts p ON p.id = o.part_id LEFT JOIN cells c ON c.id = o.cell_id \
                 WHERE p.tenant_id = {{tenant}} AND p.job_id = ?2 ORDER BY o.part_id, o.sequence, o.id"
            ),
            vec![id.into()],
        ),
    }
    .stmts()
}

/// Assembles the job of [`get`] from its three result sets; `None` when there is no such job.
/// `data.job` as GET answers it, for the GET and for If-Match.
pub const SHOWN: Shown = Shown {
    table: "jobs",
    list: &LIST,
    reads: get,
    data: |found, id| {
        let found = JobReads::rows(found);
        let job = assemble(found.job, found.parts, found.operations).ok_or_else(|| ApiError::not_found("Job", id))?;
        Ok(json!({ "job": job }))
    },
};

pub fn assemble(job: &[Value], parts: &[Value], operations: &[Value]) -> Option<Value> {
    let mut job = decode(job.first()?);
    let parts: Vec<Value> = parts
        .iter()
        .map(|p| {
            let mut part = decode(p);
            let id = p.get("id").cloned().unwrap_or(Value::Null);
            let ops: Vec<Value> = operations.iter().filter(|o| o.get("part_id") == Some(&id)).map(decode).collect();
            part["operations"] = Value::Array(ops);
            part
        })
        .collect();
    job["parts"] = Value::Array(parts);
    Some(job)
}

/// How jobs are listed: `status`, `customer` and `job_number` (both partial) filters.
pub const LIST: ListSpec = ListSpec {
    from: "jobs j",
    tenant: "j.tenant_id",
    id: "j.id",
    columns: JOB_COLUMNS,
    filters: &[
        Filter { param: "status", clause: "j.status = #", kind: FilterKind::OneOf(STATUSES, &[]) },
        Filter { param: "customer", clause: "instr(lower(j.customer), #) > 0", kind: FilterKind::Contains },
        Filter { param: "job_number", clause: "instr(lower(j.job_number), #) > 0", kind: FilterKind::Contains },
    ],
    sorts: &[
        ("created_at", "j.created_at"),
        ("updated_at", "j.updated_at"),
        ("job_number", "j.job_number"),
        ("customer", "j.customer"),
        ("due_date", "j.due_date"),
        ("status", "j.status"),
        ("priority", "j.priority"),
    ],
    default_desc: true,
};

/// The page, its total and the page's parts: three reads, one round trip.
pub fn list(scope: Scope<'_>, q: &ListQuery) -> Vec<Stmt> {
    let ListReads { page, total } = q.reads(&LIST, scope);
    let parts = q.children(
        &LIST,
        scope,
        "SELECT p.job_id, p.id, p.part_number, p.material, p.quantity, p.status FROM parts p \
         WHERE p.job_id IN ({page}) ORDER BY p.part_number, p.id",
    );
    JobPage { page, total, parts }.stmts()
}

crate::read_set!(
    /// A page of jobs: the page, its total, and the page's parts.
    pub struct JobPage { page, total, parts }
);

/// Puts each page row's parts under it.
pub fn assemble_page(jobs: &[Value], parts: &[Value]) -> Vec<Value> {
    jobs.iter()
        .map(|j| {
            let mut job = decode(j);
            let id = j.get("id");
            let mine: Vec<Value> = parts
                .iter()
                .filter(|p| p.get("job_id") == id)
                .map(|p| {
                    let mut p = p.clone();
                    if let Some(o) = p.as_object_mut() {
                        o.remove("job_id");
                    }
                    p
                })
                .collect();
            job["parts"] = Value::Array(mine);
            job
        })
        .collect()
}

/// A database row as returned by the API: JSON text columns become JSON.
pub fn decode(row: &Value) -> Value {
    crate::resource::decode(row, JSON_COLUMNS, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::protocol::http::Query;
    use crate::protocol::sql::Param;
    use crate::resource::parse_list;

    fn q(s: &str) -> ListQuery {
        parse_list(&LIST, &Query::from_url(&format!("http://x/api-jobs?{s}"))).unwrap()
    }

    #[test]
    fn list_reads_the_page_total_and_parts_with_the_same_filters() {
        let s = list(Scope::Tenant("t"), &q("status=in_progress&customer=AC%25ME"));
        assert!(
            s[0].sql.contains("j.status = ?2 AND instr(lower(j.customer), ?3) > 0 ORDER BY j.created_at DESC, j.id DESC LIMIT ?4 OFFSET ?5"),
            "{}",
            s[0].sql
        );
        assert_eq!(s[0].params[2], Param::Text("ac%me".into()));
        assert_eq!(s[1].params.len(), 3, "the count takes no limit/offset");
        assert_eq!(s[2].params, s[0].params);
        assert_eq!((q("").limit, q("limit=5000").limit), (100, 1000));
    }

    #[test]
    fn page_rows_get_their_own_parts() {
        let jobs = vec![json!({"id": "a", "metadata": "{\"po\":1}"}), json!({"id": "b", "metadata": null})];
        let parts = vec![json!({"job_id": "b", "id": "p1"}), json!({"job_id": "a", "id": "p2"})];
        let page = assemble_page(&jobs, &parts);
        assert_eq!(page[0]["parts"], json!([{"id": "p2"}]));
        assert_eq!(page[0]["metadata"], json!({"po": 1}));
        assert_eq!(page[1]["parts"], json!([{"id": "p1"}]));
    }

    #[test]
    fn assemble_nests_operations_under_parts() {
        let job = assemble(&[json!({"id": "j"})], &[json!({"id": "p", "file_paths": "[\"a\"]"})], &[json!({"id": "o", "part_id": "p"})]).unwrap();
        assert_eq!(job["parts"][0]["operations"][0]["id"], "o");
        assert_eq!(job["parts"][0]["file_paths"], json!(["a"]));
        assert!(assemble(&[], &[], &[]).is_none());
    }
}
