//! ERP sync by external id: `PUT /api-<entity>/sync` upserts one record (with its nested
//! children), `POST /api-<entity>/bulk-sync {"items": [...]}` up to 1,000, for cells, jobs
//! (with nested parts and operations), parts and operations.
//!
//! Two round trips whatever the size: the first reads every existing record the items may
//! name (by external id, by natural key, by id); the items are then matched and compared in
//! Rust, and one atomic batch inserts the new records and updates the changed ones, set-based
//! (`json_each`), with their events. A record whose values are what the database holds is
//! not written and emits nothing, so a nightly resync of unchanged data is silent.
//!
//! Matching, per level: the record with the same `(external_source, external_id)`; else a
//! record with the same natural key in the same parent (job number; part number in the job;
//! sequence in the part; cell name) that has no external id yet, which is adopted; a natural
//! key held by a record with another external id is a clash. An item with any error (its own
//! or a child's) is answered with its errors and writes nothing; the others are written.

mod matching;
pub mod parse;
pub mod specs;

pub use matching::{classify, Outcome};
pub use parse::{parse, Root, SyncRequest};

#[cfg(test)]
use crate::protocol::error::Constraint;
use crate::protocol::error::{ApiError, ErrorCode};
use crate::protocol::sql::{Scope, Stmt};
use serde_json::{json, Value};
use specs::{Level, Spec};

pub const MAX_ITEMS: usize = 1000;
/// The length limits of an item's `external_id` (and of a parent's) and `external_source`.
pub const EXTERNAL_ID: (usize, usize) = (1, 255);
pub const EXTERNAL_SOURCE: (usize, usize) = (1, 64);
pub const DEFAULT_SOURCE: &str = "default";

/// The reads of the authentication round trip: existing cells, jobs, parts and operations.
pub fn reads(scope: Scope<'_>, req: &SyncRequest) -> Vec<Stmt> {
    let keys = |level: Level| json!(req.keys(level)).to_string();
    let list = |v: Vec<String>| json!(v).to_string();
    let by_key = |table: &str, n: usize| {
        // `external_id IS NOT NULL` lets SQLite use the partial unique index.
        format!(
            "SELECT id FROM {table} WHERE tenant_id = {{tenant}} AND external_id IS NOT NULL AND \
             (external_source, external_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?{n}))"
        )
    };
    let involved_jobs = format!(
        "{} UNION SELECT id FROM jobs WHERE tenant_id = {{tenant}} AND job_number IN (SELECT value FROM json_each(?3)) \
         UNION SELECT id FROM jobs WHERE tenant_id = {{tenant}} AND id IN (SELECT value FROM json_each(?4))",
        by_key("jobs", 2)
    );
    let involved_parts = format!(
        "{} UNION SELECT id FROM parts WHERE tenant_id = {{tenant}} AND id IN (SELECT value FROM json_each(?6)) \
         UNION SELECT p.id FROM parts p WHERE p.tenant_id = {{tenant}} AND p.job_id IN ({involved_jobs})",
        by_key("parts", 5)
    );
    let columns = |spec: &Spec| {
        let mut c = vec!["id".to_string(), "external_source".into(), "external_id".into()];
        c.extend(spec.written_columns().iter().map(|s| s.to_string()));
        c.join(", ")
    };
    let params = vec![
        keys(Level::Job).into(),
        list(req.naturals(Level::Job)).into(),
        list(req.ids(Level::Job)).into(),
        keys(Level::Part).into(),
        list(req.ids(Level::Part)).into(),
        keys(Level::Operation).into(),
        keys(Level::Cell).into(),
        list(req.naturals(Level::Cell)).into(),
        list(req.ids(Level::Cell)).into(),
    ];
    // D1 wants exactly as many bindings as the highest parameter a statement names.
    let stmt = |sql: String, last: usize| Stmt::scoped(scope, &sql, params[..last - 1].to_vec());
    vec![
        stmt(
            format!(
                "SELECT {} FROM cells WHERE tenant_id = {{tenant}} AND id IN ({} UNION SELECT id FROM cells WHERE tenant_id = {{tenant}} AND name IN \
             (SELECT value FROM json_each(?9)) UNION SELECT id FROM cells WHERE tenant_id = {{tenant}} AND id IN (SELECT value FROM json_each(?10)))",
                columns(&specs::CELL),
                by_key("cells", 8)
            ),
            10,
        ),
        stmt(format!("SELECT {} FROM jobs WHERE tenant_id = {{tenant}} AND id IN ({involved_jobs})", columns(&specs::JOB)), 4),
        stmt(format!("SELECT {} FROM parts WHERE tenant_id = {{tenant}} AND id IN ({involved_parts})", columns(&specs::PART)), 6),
        stmt(
            format!(
                "SELECT {} FROM operations WHERE tenant_id = {{tenant}} AND id IN ({} UNION SELECT o.id FROM operations o \
             WHERE o.tenant_id = {{tenant}} AND o.part_id IN ({involved_parts}))",
                columns(&specs::OPERATION),
                by_key("operations", 7)
            ),
            7,
        ),
    ]
}

/// One level's set-based writes: its new records, then its changed ones.
fn writes(spec: &Spec, tenant_id: &str, now: &str, inserts: &[Value], updates: &[Value]) -> Vec<Stmt> {
    let cols = spec.written_columns();
    let value = |c: &str, at: &str| match c {
        // A new cell named by an operation is written in the same batch; find it by name.
        "cell_id" => format!("COALESCE({at} ->> '$.cell_id', (SELECT c.id FROM cells c WHERE c.tenant_id = ?1 AND c.name = {at} ->> '$.cell_name'))"),
        _ => format!("{at} ->> '$.{c}'"),
    };
    let mut stmts = vec![];
    if !inserts.is_empty() {
        let (dcols, dvals): (Vec<&str>, Vec<String>) = spec.defaults().into_iter().unzip();
        let names = [&["id", "tenant_id", "external_source", "external_id"][..], &cols, &dcols, &["created_at", "updated_at"]].concat();
        let mut values = vec!["value ->> '$.id'".to_string(), "?1".into(), "value ->> '$.external_source'".into(), "value ->> '$.external_id'".into()];
        values.extend(cols.iter().map(|c| match spec.fallback(c) {
            Some(fallback) => format!("COALESCE({}, {fallback})", value(c, "value")),
            None => value(c, "value"),
        }));
        values.extend(dvals);
        values.extend(["?2".to_string(), "?2".into()]);
        stmts.push(Stmt::new(
            format!("INSERT INTO {} ({}) SELECT {} FROM json_each(?3)", spec.table, names.join(", "), values.join(", ")),
            vec![tenant_id.into(), now.into(), json!(inserts).to_string().into()],
        ));
    }
    if !updates.is_empty() {
        // A column the row leaves out keeps its value; one it names (even as null) is written.
        let sets =
            cols.iter().map(|c| format!("{c} = CASE WHEN json_type(u.value, '$.{c}') IS NULL THEN {t}.{c} ELSE {} END", value(c, "u.value"), t = spec.table));
        let mut sets: Vec<String> = ["external_source", "external_id"].iter().map(|c| format!("{c} = {}", value(c, "u.value"))).chain(sets).collect();
        sets.push("updated_at = ?2".into());
        stmts.push(Stmt::new(
            format!("UPDATE {t} SET {} FROM json_each(?3) AS u WHERE {t}.tenant_id = ?1 AND {t}.id = u.value ->> '$.id'", sets.join(", "), t = spec.table),
            vec![tenant_id.into(), now.into(), json!(updates).to_string().into()],
        ));
    }
    stmts
}

/// The condition of the whole write: every record it updates still exists, and each field it
/// changes (and its ERP identity) still holds the value it was read with. A PATCH of the same field that landed in
/// between fails the sync (409, retry: a sync is idempotent, and the retry plans from what is
/// stored then) instead of being overwritten; changes to other fields (a PATCH of the notes, a
/// lifecycle roll-up) do not. First in the batch, before any of its own updates.
fn unchanged_since_read(outcome: &Outcome, tenant_id: &str) -> Vec<Stmt> {
    [Level::Cell, Level::Job, Level::Part, Level::Operation]
        .into_iter()
        .filter_map(|level| {
            let (_, updates) = outcome.rows(level);
            let was: Vec<Value> = updates.iter().map(|u| json!({ "id": u["id"], "was": u["was"] })).collect();
            (!was.is_empty()).then(|| {
                let spec = Spec::of(level);
                let t = spec.table;
                let moved: Vec<String> = ["external_source", "external_id"]
                    .into_iter()
                    .chain(spec.written_columns())
                    .map(|c| format!("(json_type(u.value, '$.was.{c}') IS NOT NULL AND {t}.{c} IS NOT u.value ->> '$.was.{c}')"))
                    .collect();
                let holds = format!(
                    "NOT EXISTS (SELECT 1 FROM json_each(?2) AS u LEFT JOIN {t} ON {t}.id = u.value ->> '$.id' AND {t}.tenant_id = ?1 \
                     WHERE {t}.id IS NULL OR {})",
                    moved.join(" OR ")
                );
                crate::protocol::sql::Condition::Unchanged.unless(&holds, vec![tenant_id.into(), json!(was).to_string().into()])
            })
        })
        .collect()
}

/// What a sync answers, and whether it created its record (201).
#[derive(Debug, PartialEq)]
pub struct Answer {
    pub data: Value,
    pub created: bool,
}

/// A bulk sync answers every item's result and the summary. A single sync answers its one
/// result, or its errors as the request's: 409 CONFLICT when every one is a clash with
/// another record's natural key (as a create would), 422 otherwise.
pub fn answer(root: Root, single: bool, outcome: &Outcome) -> Result<Answer, ApiError> {
    if !single {
        return Ok(Answer { data: json!({ "results": outcome.results, "summary": outcome.summary() }), created: false });
    }
    let result = outcome.results.first().cloned().unwrap_or_default();
    let singular = Spec::of(root.level()).singular;
    if result["status"] != "error" {
        return Ok(Answer { created: result["status"] == "created", data: json!({ singular: result }) });
    }
    let errors = result["errors"].as_array().map_or(&[][..], Vec::as_slice);
    let clash = !errors.is_empty() && errors.iter().all(|e| e["constraint"] == "UNIQUE_CONSTRAINT");
    let (code, what) = if clash { (ErrorCode::Conflict, "conflict") } else { (ErrorCode::ValidationError, "validation error") };
    Err(ApiError::new(code, format!("✗ {} {what}(s) in {singular}", errors.len())).with_details(&result["errors"]))
}

/// The atomic write of everything the classification decided.
pub fn plan(outcome: &Outcome, tenant_id: &str, now: &str) -> Vec<Stmt> {
    let mut stmts = unchanged_since_read(outcome, tenant_id);
    if !outcome.new_cells.is_empty() {
        let cells: Vec<&Value> = outcome.new_cells.values().collect();
        stmts.push(Stmt::new(
            "INSERT INTO cells (id, tenant_id, name, created_at, updated_at) SELECT value ->> '$.id', ?1, value ->> '$.name', ?2, ?2 \
             FROM json_each(?3) WHERE true ON CONFLICT DO NOTHING",
            vec![tenant_id.into(), now.into(), json!(cells).to_string().into()],
        ));
    }
    for level in [Level::Cell, Level::Job, Level::Part, Level::Operation] {
        let (inserts, updates) = outcome.rows(level);
        stmts.extend(writes(Spec::of(level), tenant_id, now, inserts, updates));
    }
    if !outcome.events.is_empty() {
        stmts.push(
            Stmt::new(
                "INSERT INTO events (id, tenant_id, event_type, payload, created_at) \
             SELECT value ->> '$.id', ?1, value ->> '$.event_type', value ->> '$.payload', ?2 FROM json_each(?3)",
                vec![tenant_id.into(), now.into(), json!(outcome.events).to_string().into()],
            )
            .for_delivery(),
        );
    }
    stmts
}

#[cfg(test)]
mod tests;
