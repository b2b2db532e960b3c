//! Reading jobs: one job with its parts and operations, and filtered pages of jobs with
//! their parts. Every read is planned to run inside the authentication round trip.

use super::{job_columns, status::STATUSES, JSON_COLUMNS};
use crate::error::{ApiError, FieldError};
use crate::fields::{self, Reader};
use crate::http::Query;
use crate::sql::{like_contains, Param, Scope, Stmt};
use serde_json::{Map, Value};

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;
const SORTABLE: &[&str] = &["created_at", "updated_at", "job_number", "customer", "due_date", "status", "priority"];

const PART_COLUMNS: &str = "p.id, p.job_id, p.parent_part_id, p.part_number, p.material, p.quantity, p.status, \
    p.current_cell_id, p.description, p.notes, p.drawing_url, p.step_file_url, p.file_paths, p.metadata, \
    p.started_at, p.completed_at, p.created_at, p.updated_at";
const OPERATION_COLUMNS: &str = "o.id, o.part_id, o.cell_id, c.name AS cell_name, o.operation_name, o.sequence, o.status, \
    o.estimated_time, o.setup_time_minutes, o.actual_time, o.completion_percentage, o.instructions, o.notes, \
    o.started_at, o.paused_at, o.resumed_at, o.completed_at, o.created_at, o.updated_at";

/// The three reads behind `GET ?id=`: the job, its parts, their operations.
pub fn get(scope: Scope<'_>, id: &str) -> Vec<Stmt> {
    vec![
        Stmt::scoped(scope, &format!("SELECT {} FROM jobs j WHERE j.tenant_id = {{tenant}} AND j.id = ?2", job_columns("j")), vec![id.into()]),
        Stmt::scoped(
            scope,
            &format!("SELECT {PART_COLUMNS} FROM parts p WHERE p.tenant_id = {{tenant}} AND p.job_id = ?2 ORDER BY p.part_number, p.id"),
            vec![id.into()],
        ),
        Stmt::scoped(
            scope,
            &format!(
                "SELECT {OPERATION_COLUMNS} FROM operations o JOIN parts p ON p.id = o.part_id LEFT JOIN cells c ON c.id = o.cell_id \
                 WHERE p.tenant_id = {{tenant}} AND p.job_id = ?2 ORDER BY o.part_id, o.sequence, o.id"
            ),
            vec![id.into()],
        ),
    ]
}

/// Assembles the job of [`get`] from its three result sets; `None` when there is no such job.
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

/// A validated list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListParams {
    pub status: Option<String>,
    pub customer: Option<String>,
    pub job_number: Option<String>,
    pub sort_by: &'static str,
    pub descending: bool,
    pub limit: u32,
    pub offset: u32,
}

/// Reads the list's query parameters; a bad value of a known one is 400 with details.
/// Unknown parameters are ignored. A limit over the maximum is capped to it.
pub fn list_params(q: &Query) -> Result<ListParams, ApiError> {
    let mut errs: Vec<FieldError> = vec![];
    let mut map = Map::new();
    for name in ["status", "customer", "job_number", "sort_by", "sort_order", "limit", "offset"] {
        if let Some(v) = q.get(name) {
            map.insert(name.into(), Value::String(v.into()));
        }
    }
    let r = Reader::root(&map, "query");
    let status = r.optional(&mut errs, &["status"], fields::one_of(STATUSES, &[]));
    let customer = r.optional(&mut errs, &["customer"], fields::text(0, 255));
    let job_number = r.optional(&mut errs, &["job_number"], fields::text(0, 255));
    let sort_by = r.optional(&mut errs, &["sort_by"], fields::one_of(SORTABLE, &[]));
    let order = r.optional(&mut errs, &["sort_order"], fields::one_of(&["asc", "desc"], &[]));
    let limit = r.optional(&mut errs, &["limit"], numeric(1, i64::MAX));
    let offset = r.optional(&mut errs, &["offset"], numeric(0, u32::MAX as i64));
    if !errs.is_empty() {
        return Err(ApiError::bad_query(errs));
    }
    Ok(ListParams {
        status,
        customer: customer.filter(|s| !s.is_empty()),
        job_number: job_number.filter(|s| !s.is_empty()),
        sort_by: SORTABLE.iter().copied().find(|s| Some(*s) == sort_by.as_deref()).unwrap_or("created_at"),
        descending: order.as_deref() != Some("asc"),
        limit: limit.map_or(DEFAULT_LIMIT, |l| l.min(MAX_LIMIT as i64) as u32),
        offset: offset.unwrap_or(0) as u32,
    })
}

/// Query-string numbers arrive as text.
fn numeric(min: i64, max: i64) -> impl Fn(&Value) -> Result<i64, fields::Problem> {
    move |v| {
        let parsed = v.as_str().and_then(|s| s.trim().parse::<i64>().ok()).map(Value::from).unwrap_or_else(|| v.clone());
        fields::integer(min, max)(&parsed)
    }
}

/// The page, the total and the parts of the page's jobs: three reads, one round trip.
pub fn list(scope: Scope<'_>, p: &ListParams) -> Vec<Stmt> {
    let mut filter = String::from("j.tenant_id = {tenant}");
    let mut params: Vec<Param> = vec![];
    let mut add = |clause: &str, value: Param, params: &mut Vec<Param>| {
        params.push(value);
        filter.push_str(&clause.replace('#', &format!("?{}", params.len() + 1)));
    };
    if let Some(s) = &p.status {
        add(" AND j.status = #", s.into(), &mut params);
    }
    if let Some(c) = &p.customer {
        add(" AND j.customer LIKE # ESCAPE '\\'", like_contains(c).into(), &mut params);
    }
    if let Some(n) = &p.job_number {
        add(" AND j.job_number LIKE # ESCAPE '\\'", like_contains(n).into(), &mut params);
    }
    let filtered = params.len();
    let dir = if p.descending { "DESC" } else { "ASC" };
    let page = format!(
        "FROM jobs j WHERE {filter} ORDER BY j.{sort} {dir}, j.id {dir} LIMIT ?{l} OFFSET ?{o}",
        sort = p.sort_by,
        l = filtered + 2,
        o = filtered + 3
    );
    let mut paged = params.clone();
    paged.push(Param::Int(p.limit as i64));
    paged.push(Param::Int(p.offset as i64));
    vec![
        Stmt::scoped(scope, &format!("SELECT {} {page}", job_columns("j")), paged.clone()),
        Stmt::scoped(scope, &format!("SELECT COUNT(*) AS total FROM jobs j WHERE {filter}"), params),
        Stmt::scoped(
            scope,
            &format!(
                "SELECT p.job_id, p.id, p.part_number, p.material, p.quantity, p.status FROM parts p \
                 WHERE p.job_id IN (SELECT j.id {page}) ORDER BY p.part_number, p.id"
            ),
            paged,
        ),
    ]
}

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

/// The total of a COUNT(*) result set.
pub fn total(rows: &[Value]) -> u64 {
    rows.first().and_then(|r| r.get("total")).and_then(Value::as_f64).unwrap_or(0.0) as u64
}

/// A database row as returned by the API: JSON text columns become JSON.
pub fn decode(row: &Value) -> Value {
    let mut row = row.clone();
    if let Some(obj) = row.as_object_mut() {
        for col in JSON_COLUMNS {
            if let Some(Value::String(text)) = obj.get(*col) {
                let parsed = serde_json::from_str(text).unwrap_or(Value::Null);
                obj.insert((*col).to_string(), parsed);
            }
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> Query {
        Query::from_url(&format!("http://x/api-jobs?{s}"))
    }

    #[test]
    fn defaults_and_cap() {
        let p = list_params(&q("")).unwrap();
        assert_eq!((p.limit, p.offset, p.sort_by, p.descending), (100, 0, "created_at", true));
        assert_eq!(list_params(&q("limit=5000")).unwrap().limit, 1000);
    }

    #[test]
    fn bad_values_are_400_with_every_field() {
        let e = list_params(&q("status=done&limit=abc&offset=-1&sort_by=id")).unwrap_err();
        assert_eq!(e.status(), 400);
        let fields: Vec<String> = e.details.unwrap().as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, vec!["status", "sort_by", "limit", "offset"]);
    }

    #[test]
    fn list_numbers_parameters_after_the_filters() {
        let p = list_params(&q("status=in_progress&customer=AC%25ME")).unwrap();
        let s = list(Scope::Tenant("t"), &p);
        assert!(s[0].sql.contains("j.status = ?2 AND j.customer LIKE ?3 ESCAPE '\\' ORDER BY j.created_at DESC, j.id DESC LIMIT ?4 OFFSET ?5"), "{}", s[0].sql);
        assert_eq!(s[0].params.len(), 5);
        assert_eq!(s[0].params[2], Param::Text("%AC\\%ME%".into()));
        assert_eq!(s[1].params.len(), 3, "the count takes no limit/offset");
        assert_eq!(s[2].params, s[0].params);
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
