//! Nested create: a job with its parts and their operations, all of it or nothing.
//!
//! The body is parsed once, collecting every error; the references it makes (an existing job
//! number, cells by id) are read inside the authentication round trip; then the whole job is
//! written by one atomic batch of a handful of statements, whatever its size: each table gets
//! one `INSERT ... SELECT ... FROM json_each(?)` over a JSON array of its rows, which also keeps
//! every statement far below D1's 100-parameter limit.

use super::{status, FIELDS};
use crate::account::plans::Quota;
use crate::delivery::events::{Event, EventType};
use crate::entities::nested::{json_each_columns, objects, parse_operations, row_of, shown, NestedOperations, OperationDraft};
use crate::entities::parts;
use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::fields::{self, Reader};
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::resource::{self, Ref, Use, Values};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Each level holds what its body set, read by the entity's declaration ([`FIELDS`],
/// [`parts::FIELDS`], [`operations::FIELDS`]) with the defaults a new record gets.
#[derive(Debug, Default)]
struct JobDraft {
    values: Values,
    parts: Vec<PartDraft>,
}

#[derive(Debug, Default)]
struct PartDraft {
    values: Values,
    operations: Vec<OperationDraft>,
}

impl PartDraft {
    fn number(&self) -> &str {
        self.values.text("part_number").unwrap_or_default()
    }
    fn parent_number(&self) -> Option<&str> {
        self.values.unstored_text("parent_part_number")
    }
}

/// A parsed body: the draft, what was wrong with it so far, and the fields it ignored.
#[derive(Debug)]
pub struct Parsed {
    draft: JobDraft,
    errors: Vec<FieldError>,
    refs: Vec<Ref>,
    /// Body fields we do not know, reported back in `meta.ignored_fields`.
    pub ignored: Vec<String>,
}

crate::read_set!(
    /// Round trip one of a nested create: a job holding the number, and which of the
    /// references the body makes exist.
    struct CreateReads { existing, refs }
);

/// A job that passed every check and may be written.
#[derive(Debug)]
pub struct Checked(JobDraft);

/// The write of a checked job: its statements, the answer, and the event it emits.
#[derive(Debug)]
pub struct Plan {
    pub stmts: Vec<Stmt>,
    pub response: Value,
    pub event: Event,
    job_number: String,
    quota: Quota,
    parts: i64,
}

pub fn parse(body: &Map<String, Value>) -> Parsed {
    let mut errs = vec![];
    let r = Reader::root(body, "job");
    let mut ignored = resource::ignored(&r, FIELDS, Use::Create, &["parts"]);
    let mut values = resource::parse_create(&r, FIELDS, Use::Create, "job", 0, &mut errs);
    let mut refs = std::mem::take(&mut values.refs);
    let mut draft = JobDraft { values, parts: vec![] };
    for (i, part) in objects(&r, &mut errs, body.get("parts"), "parts", "part", true).into_iter().enumerate() {
        let pr = r.child(part, "parts", i, "part");
        ignored.extend(resource::ignored(&pr, parts::FIELDS, Use::Nested, &["parent_part_id", "operations"]));
        draft.parts.push(parse_part(&pr, part, &mut errs, &mut refs, &mut ignored));
    }
    check_part_numbers(&r, body, &draft.parts, &mut errs);
    Parsed { draft, errors: errs, refs, ignored }
}

fn parse_part(r: &Reader<'_>, part: &Map<String, Value>, errs: &mut Vec<FieldError>, refs: &mut Vec<Ref>, ignored: &mut Vec<String>) -> PartDraft {
    if let Some(id) = r.optional(errs, &["parent_part_id"], fields::reference) {
        // The parts of a new job have no ids yet; a parent is named by its part number.
        errs.push(r.error(
            "parent_part_id",
            Constraint::FkConstraint,
            format!("Foreign key parent_part_id references non-existent record: {id}; in a new job name the parent by parent_part_number"),
            json!(id),
        ));
    }
    let mut values = resource::parse_create(r, parts::FIELDS, Use::Nested, "part", r.entity().1, errs);
    refs.append(&mut values.refs);
    let operations = parse_operations(r, part, errs, refs, ignored);
    PartDraft { values, operations }
}

/// Part numbers are unique within the job; a parent must be another part of it, and the
/// parent chain may not loop.
fn check_part_numbers(r: &Reader<'_>, body: &Map<String, Value>, parts: &[PartDraft], errs: &mut Vec<FieldError>) {
    let empty = Map::new();
    let part_obj = |i: usize| body.get("parts").and_then(|p| p.get(i)).and_then(Value::as_object).unwrap_or(&empty);
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (i, p) in parts.iter().enumerate() {
        if p.number().is_empty() {
            continue;
        }
        if first_index.insert(p.number(), i).is_some() {
            let pr = r.child(part_obj(i), "parts", i, "part");
            errs.push(pr.error("part_number", Constraint::UniqueConstraint, format!("Duplicate part numbers found: {}", p.number()), json!(p.number())));
        }
    }
    let cyclic = on_cycles(parts, &first_index);
    for (i, p) in parts.iter().enumerate() {
        let Some(parent) = p.parent_number() else { continue };
        let pr = r.child(part_obj(i), "parts", i, "part");
        if parent == p.number() {
            errs.push(pr.error("parent_part_number", Constraint::CircularReference, "Part cannot be its own parent", json!(parent)));
        } else if !first_index.contains_key(parent) {
            errs.push(pr.error(
                "parent_part_number",
                Constraint::FkConstraint,
                format!("Foreign key parent_part_number references non-existent record: {parent}"),
                json!(parent),
            ));
        } else if cyclic[i] {
            errs.push(pr.error("parent_part_number", Constraint::CircularReference, "Parent chain forms a cycle", json!(parent)));
        }
    }
}

/// For each part, whether its chain of parents never ends (it lies on a cycle, or leads into
/// one). Linear: each part is walked once, and a walk that meets a settled part takes its
/// answer, so a request of thousands of parts costs no more than reading them.
fn on_cycles(parts: &[PartDraft], index: &HashMap<&str, usize>) -> Vec<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum Seen {
        No,
        OnPath,
        Done,
    }
    let parent = |i: usize| parts[i].parent_number().and_then(|p| index.get(p)).copied();
    let mut seen = vec![Seen::No; parts.len()];
    let mut endless = vec![false; parts.len()];
    for start in 0..parts.len() {
        let mut path = vec![];
        let mut at = Some(start);
        while let Some(i) = at.filter(|&i| seen[i] == Seen::No) {
            seen[i] = Seen::OnPath;
            path.push(i);
            at = parent(i);
        }
        // Back into this walk's own path: a cycle. Into a settled part: its answer. A root: ends.
        let loops = match at {
            Some(i) if seen[i] == Seen::OnPath => true,
            Some(i) => endless[i],
            None => false,
        };
        for p in path {
            seen[p] = Seen::Done;
            endless[p] = loops;
        }
    }
    endless
}

impl Parsed {
    /// Reads that ride in the authentication round trip: a job with this number, and which
    /// of the referenced ids (cells, materials, operators) exist in the tenant.
    pub fn preloads(&self, scope: Scope<'_>) -> Vec<Stmt> {
        CreateReads {
            existing: Stmt::scoped(scope, "SELECT id FROM jobs WHERE tenant_id = {tenant} AND job_number = ?2", vec![self.draft.number().into()]),
            refs: resource::check_refs(scope, &self.refs),
        }
        .stmts()
    }

    /// Adds the reference errors found by the preloads: 422 with every error, else 409 for a
    /// job number already taken.
    pub fn check(mut self, found: &[Vec<Value>]) -> Result<Checked, ApiError> {
        let CreateReads { existing, refs } = CreateReads::rows(found);
        self.errors.extend(resource::missing_refs(&self.refs, refs));
        if !self.errors.is_empty() {
            self.errors.sort_by_key(|e| field_order(&e.field));
            return Err(ApiError::validation("job", self.errors));
        }
        if !existing.is_empty() {
            return Err(duplicate(self.draft.number()));
        }
        Ok(Checked(self.draft))
    }
}

/// Errors in body order: the job's own fields first, then part by part.
fn field_order(field: &str) -> (usize, usize, usize) {
    let index_after = |key: &str| field.find(key).and_then(|at| field[at + key.len()..].split(']').next()?.parse::<usize>().ok());
    match (index_after("parts["), index_after("operations[")) {
        (None, _) => (0, 0, 0),
        (Some(p), None) => (1 + p, 0, 0),
        (Some(p), Some(o)) => (1 + p, 1 + o, 0),
    }
}

fn duplicate(job_number: &str) -> ApiError {
    ApiError::conflict(format!("Job number {job_number} already exists"))
}

impl Checked {
    /// 402 when the job and its parts do not fit the tenant's quota.
    pub fn within(&self, quota: &Quota) -> Result<(), ApiError> {
        quota.check(1, self.0.parts.len() as i64)
    }

    /// The atomic write: the job (unless its number was taken or the quota filled meanwhile),
    /// then cells, parts, operations and the `job.created` event, each guarded by the job row
    /// this batch wrote; last, a read of the tenant's usage that explains a job not written.
    pub fn plan(self, tenant_id: &str, quota: &Quota, now: &str, mut mint: impl FnMut() -> String) -> Plan {
        let d = self.0;
        let job_id = mint();
        let guard = "EXISTS (SELECT 1 FROM jobs WHERE id = ?";
        let parts = d.parts.len() as i64;
        let mut stmts = vec![insert_job(&d, &job_id, tenant_id, now, quota, parts)];

        let ids: Vec<String> = d.parts.iter().map(|_| mint()).collect();
        let id_of: HashMap<&str, &str> = d.parts.iter().zip(&ids).map(|(p, id)| (p.number(), id.as_str())).collect();
        let mut part_rows = vec![];
        let mut nested = NestedOperations::default();
        let mut response_parts = vec![];
        let mut event_parts = vec![];
        for (p, part_id) in d.parts.iter().zip(&ids) {
            let mut row = row_of(&p.values, parts::FIELDS);
            row.insert("id".into(), json!(part_id));
            row.insert("parent_part_id".into(), json!(p.parent_number().and_then(|n| id_of.get(n))));
            part_rows.push(Value::Object(row));
            let (answer, event) = nested.add(part_id, &p.operations, &mut mint);
            response_parts.push(json!({ "part_id": part_id, "part_number": p.number(), "operations": answer }));
            event_parts.push(json!({ "part_id": part_id, "part_number": p.number(), "quantity": shown(&p.values, "quantity"), "operations": event }));
        }
        if !part_rows.is_empty() {
            stmts.push(insert_parts(tenant_id, &job_id, now, &part_rows, &format!("{guard}5)"), job_id.clone().into()));
        }
        stmts.extend(nested.stmts(tenant_id, now, &format!("{guard}4)"), job_id.clone().into()));
        let v = &d.values;
        let event = Event {
            id: mint(),
            event_type: EventType::JobCreated,
            tenant_id: tenant_id.to_string(),
            timestamp: now.to_string(),
            data: json!({
                "job_id": job_id, "job_number": d.number(), "customer": shown(v, "customer"), "status": shown(v, "status"),
                "due_date": shown(v, "due_date"), "priority": shown(v, "priority"), "parts": event_parts,
            }),
        };
        stmts.push(event.insert_when(&format!("{guard}6)"), vec![job_id.clone().into()]));
        stmts.push(Quota::probe(tenant_id));
        let response = json!({ "job_id": job_id, "job_number": d.number(), "parts": response_parts });
        Plan { stmts, response, event, job_number: d.number().to_string(), quota: *quota, parts }
    }
}

impl JobDraft {
    fn number(&self) -> &str {
        self.values.text("job_number").unwrap_or_default()
    }
}

fn insert_job(d: &JobDraft, job_id: &str, tenant_id: &str, now: &str, quota: &Quota, parts: i64) -> Stmt {
    let mut cols: Vec<(&'static str, Param)> = vec![("id", job_id.into()), ("tenant_id", tenant_id.into())];
    // Every column a create may set, given or null: one statement shape whatever the body.
    cols.extend(resource::accepted(FIELDS, Use::Create).filter(|c| c.stored).map(|c| (c.name, d.values.get(c.name).cloned().unwrap_or(Param::Null))));
    cols.push(("created_at", now.into()));
    cols.push(("updated_at", now.into()));
    cols.extend(status::initial_stamps(d.values.text("status").unwrap_or_default(), now));
    // tenant_id is ?2; the quota's parameters follow the columns'.
    let guard = quota.guard(2, cols.len() + 1, 1, parts);
    resource::insert_when("jobs", &cols, guard, "id")
}

/// Inserts part rows (JSON objects) of one job in one statement, guarded by `guard` (`?5`).
pub(crate) fn insert_parts(tenant_id: &str, job_id: &str, now: &str, rows: &[Value], guard: &str, guard_param: Param) -> Stmt {
    let (cols, values) = json_each_columns(parts::FIELDS, &[]);
    Stmt::new(
        format!(
            "INSERT INTO parts (id, tenant_id, job_id, parent_part_id, {cols}, created_at, updated_at) \
             SELECT value ->> '$.id', ?1, ?2, value ->> '$.parent_part_id', {values}, ?3, ?3 FROM json_each(?4) WHERE {guard}"
        ),
        vec![tenant_id.into(), job_id.into(), now.into(), json!(rows).to_string().into(), guard_param],
    )
}

impl Plan {
    /// Reads the batch's answer: no job row means the quota filled (402) or the number was
    /// taken (409) meanwhile; the usage read at the end of the batch tells which.
    pub fn confirm(&self, written: &[Vec<Value>]) -> Result<(), ApiError> {
        if written.first().is_some_and(|rows| !rows.is_empty()) {
            return Ok(());
        }
        let probe = written.last().map(Vec::as_slice).unwrap_or(&[]);
        Err(self.quota.explain(probe, 1, self.parts).unwrap_or_else(|| duplicate(&self.job_number)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ids;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn reference_example() -> Map<String, Value> {
        body(json!({
            "job_number": "JOB-2026-001", "customer": "ACME Corp", "due_date": "2026-12-31", "notes": "Rush order",
            "metadata": {"po_number": "PO-12345"},
            "parts": [{"part_number": "PART-001", "material": "Aluminum 6061", "quantity": 10,
                "file_paths": ["s3://drawings/part-001.pdf"],
                "operations": [{"operation_name": "CNC Milling", "cell_name": "Mill-01", "estimated_time": 120, "sequence": 1, "notes": "Use 0.5\" end mill"}]}]
        }))
    }

    #[test]
    fn reference_example_plans_five_statements_and_the_documented_response() {
        let parsed = parse(&reference_example());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert!(parsed.ignored.is_empty());
        let plan = parsed.check(&[]).unwrap().plan("t1", &Quota::default(), "2026-01-15T10:00:00.000Z", ids());
        assert_eq!(plan.stmts.len(), 6, "job, parts, cells, operations, event, usage probe");
        assert_eq!(plan.response["job_number"], "JOB-2026-001");
        assert_eq!(plan.response["parts"][0]["part_number"], "PART-001");
        assert_eq!(plan.response["parts"][0]["operations"][0]["operation_name"], "CNC Milling");
        assert_eq!(plan.event.event_type, EventType::JobCreated);
        assert!(plan.stmts.iter().all(|s| s.params.len() <= 100));
    }

    #[test]
    fn a_large_job_is_still_a_handful_of_statements() {
        let parts: Vec<Value> = (0..200)
            .map(|i| {
                json!({"part_number": format!("P{i}"), "quantity": 1,
                "operations": (1..=5).map(|s| json!({"operation_name": "Op", "sequence": s, "cell_name": "Saw"})).collect::<Vec<_>>()})
            })
            .collect();
        let plan = parse(&body(json!({"job_number": "J", "parts": parts}))).check(&[]).unwrap().plan("t", &Quota::default(), "now", ids());
        assert_eq!(plan.stmts.len(), 6);
    }

    #[test]
    fn reference_validation_example_collects_all_three_errors() {
        let b = body(json!({"parts": [{"part_number": "P", "quantity": 0, "operations": [{"operation_name": "Op", "sequence": 1, "cell_id": "abc-123"}]}]}));
        let parsed = parse(&b);
        assert_eq!(parsed.preloads(Scope::KeyHash("h"))[1].params[1], Param::Text("[\"abc-123\"]".into()));
        let err = parsed.check(&[]).unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.message, "✗ 3 validation error(s) in job");
        let d = err.details.unwrap();
        assert_eq!(d[0]["field"], "job_number");
        assert_eq!(d[0]["constraint"], "NOT_NULL");
        assert_eq!(d[1]["field"], "parts[0].quantity");
        assert_eq!(d[1]["message"], "Part quantity must be >= 1");
        assert_eq!(d[1]["constraint"], "MIN_VALUE");
        assert_eq!(d[2]["field"], "parts[0].operations[0].cell_id");
        assert_eq!(d[2]["message"], "Foreign key cell_id references non-existent record: abc-123");
        assert_eq!(d[2]["constraint"], "FK_CONSTRAINT");
        assert_eq!((d[2]["entityType"].as_str(), d[2]["entityIndex"].as_u64()), (Some("operation"), Some(0)));
    }

    #[test]
    fn taken_job_number_is_409_but_validation_comes_first() {
        let taken = vec![json!({"id": "x"})];
        assert_eq!(parse(&reference_example()).check(std::slice::from_ref(&taken)).unwrap_err().status(), 409);
        assert_eq!(parse(&body(json!({"job_number": "J", "parts": []}))).check(std::slice::from_ref(&taken)).unwrap_err().status(), 422);
    }

    #[test]
    fn parts_are_required_and_must_be_objects() {
        let e = parse(&body(json!({"job_number": "J"}))).check(&[]).unwrap_err();
        assert_eq!(e.details.unwrap()[0]["field"], "parts");
        let e = parse(&body(json!({"job_number": "J", "parts": [1]}))).check(&[]).unwrap_err();
        assert_eq!(e.details.unwrap()[0]["field"], "parts[0]");
        let e = parse(&body(json!({"job_number": "J", "parts": "x"}))).check(&[]).unwrap_err();
        assert_eq!(e.details.unwrap()[0]["constraint"], "TYPE_MISMATCH");
    }

    #[test]
    fn duplicate_part_numbers_and_sequences_are_unique_constraint_errors() {
        let b = body(json!({"job_number": "J", "parts": [
            {"part_number": "A", "quantity": 1, "operations": [{"operation_name": "x", "sequence": 1}, {"operation_name": "y", "sequence": 1}]},
            {"part_number": "A", "quantity": 1}]}));
        let d = parse(&b).check(&[]).unwrap_err().details.unwrap();
        let fields: Vec<&str> = d.as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["parts[0].operations[1].sequence", "parts[1].part_number"]);
        assert!(d.as_array().unwrap().iter().all(|e| e["constraint"] == "UNIQUE_CONSTRAINT"));
    }

    #[test]
    fn parents_resolve_by_number_and_cycles_are_refused() {
        let ok =
            body(json!({"job_number": "J", "parts": [{"part_number": "A", "quantity": 1}, {"part_number": "B", "quantity": 1, "parent_part_number": "A"}]}));
        let plan = parse(&ok).check(&[]).unwrap().plan("t", &Quota::default(), "now", ids());
        let rows: Value = match &plan.stmts[1].params[3] {
            Param::Text(t) => serde_json::from_str(t).unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(rows[1]["parent_part_id"], rows[0]["id"]);

        let cases = [
            (json!([{"part_number": "A", "quantity": 1, "parent_part_number": "A"}]), "CIRCULAR_REFERENCE"),
            (
                json!([{"part_number": "A", "quantity": 1, "parent_part_number": "B"}, {"part_number": "B", "quantity": 1, "parent_part_number": "A"}]),
                "CIRCULAR_REFERENCE",
            ),
            (json!([{"part_number": "A", "quantity": 1, "parent_part_number": "Z"}]), "FK_CONSTRAINT"),
            (json!([{"part_number": "A", "quantity": 1, "parent_part_id": "Z"}]), "FK_CONSTRAINT"),
        ];
        for (parts, constraint) in cases {
            let e = parse(&body(json!({"job_number": "J", "parts": parts}))).check(&[]).unwrap_err();
            assert_eq!(e.details.unwrap()[0]["constraint"], constraint);
        }
    }

    #[test]
    fn long_chains_and_chains_into_a_cycle_are_judged_in_one_walk() {
        // A -> B -> C -> B: B and C form the cycle, and A's chain never ends either.
        let looped = json!([
            {"part_number": "A", "quantity": 1, "parent_part_number": "B"}, {"part_number": "B", "quantity": 1, "parent_part_number": "C"},
            {"part_number": "C", "quantity": 1, "parent_part_number": "B"}, {"part_number": "R", "quantity": 1},
        ]);
        let e = parse(&body(json!({"job_number": "J", "parts": looped}))).check(&[]).unwrap_err();
        let flagged: Vec<Value> = e.details.unwrap().as_array().unwrap().iter().map(|d| d["entityIndex"].clone()).collect();
        assert_eq!(flagged, vec![json!(0), json!(1), json!(2)], "R, a root, is fine");
        // A chain of 5,000 parts, each the parent of the next, ends at its root: valid.
        let chain: Vec<Value> = (0..5000)
            .map(|i| {
                if i == 0 {
                    json!({"part_number": "P0", "quantity": 1})
                } else {
                    json!({"part_number": format!("P{i}"), "quantity": 1, "parent_part_number": format!("P{}", i - 1)})
                }
            })
            .collect();
        assert!(parse(&body(json!({"job_number": "J", "parts": chain}))).check(&[]).is_ok());
    }

    #[test]
    fn aliases_and_defaults() {
        let b = body(json!({"job_number": " J-1 ", "customer_name": "ACME", "parts": [{"part_number": "A", "quantity": 2, "operations": [
            {"operation_name": "Cut", "estimated_time_minutes": 5, "setup_time": 2, "status": "paused"}, {"operation_name": "Bend"}]}], "colour": "red"}));
        let parsed = parse(&b);
        assert_eq!(parsed.ignored, vec!["colour".to_string()]);
        let d = &parsed.draft;
        assert_eq!((d.number(), d.values.text("customer")), ("J-1", Some("ACME")));
        let ops: Vec<&Values> = d.parts[0].operations.iter().map(|o| &o.values).collect();
        assert_eq!((ops[0].get("sequence"), ops[1].get("sequence")), (Some(&Param::Int(1)), Some(&Param::Int(2))));
        assert_eq!(
            (ops[0].get("estimated_time"), ops[0].get("setup_time_minutes"), ops[0].text("status")),
            (Some(&Param::Real(5.0)), Some(&Param::Real(2.0)), Some("on_hold"))
        );
    }

    #[test]
    fn known_cells_pass_and_unknown_current_cell_is_named() {
        let b = body(
            json!({"job_number": "J", "current_cell_id": "c9", "parts": [{"part_number": "A", "quantity": 1, "operations": [{"operation_name": "x", "cell_id": "c1"}]}]}),
        );
        let c1 = json!({"tbl": "cells", "id": "c1"});
        let e = parse(&b).check(&[vec![], vec![c1.clone()]]).unwrap_err();
        let d = e.details.unwrap();
        assert_eq!(d.as_array().unwrap().len(), 1);
        assert_eq!(d[0]["message"], "Foreign key current_cell_id references non-existent record: c9");
        assert!(parse(&b).check(&[vec![], vec![c1, json!({"tbl": "cells", "id": "c9"})]]).is_ok());
    }

    #[test]
    fn cell_names_are_created_once_case_insensitively() {
        let b = body(json!({"job_number": "J", "parts": [{"part_number": "A", "quantity": 1, "operations": [
            {"operation_name": "x", "cell_name": "Mill-01"}, {"operation_name": "y", "cell_name": "MILL-01"}]}]}));
        let plan = parse(&b).check(&[]).unwrap().plan("t", &Quota::default(), "now", ids());
        let cells_insert = plan.stmts.iter().find(|s| s.sql.starts_with("INSERT INTO cells")).unwrap();
        let Param::Text(cells) = &cells_insert.params[2] else { panic!() };
        assert_eq!(serde_json::from_str::<Value>(cells).unwrap().as_array().unwrap().len(), 1);
    }

    #[test]
    fn confirm_tells_a_taken_number_from_a_full_quota() {
        let quota = Quota { max_jobs: Some(2), max_parts: None, jobs: 1, parts: 0 };
        let plan = parse(&reference_example()).check(&[]).unwrap().plan("t", &quota, "now", ids());
        assert!(plan.stmts[0].sql.contains("WHERE (SELECT jobs FROM tenant_usage WHERE tenant_id = ?2) + ?15 <= ?16"), "{}", plan.stmts[0].sql);
        assert_eq!(plan.confirm(&[vec![], vec![json!({"jobs": 1, "parts": 0})]]).unwrap_err().status(), 409);
        assert_eq!(plan.confirm(&[vec![], vec![json!({"jobs": 2, "parts": 0})]]).unwrap_err().status(), 402);
        assert!(plan.confirm(&[vec![json!({"id": "id-1"})], vec![]]).is_ok());
    }
}
