//! Parts: list, read with operations, create (with nested operations), PATCH and DELETE.
//! A parent part is named by `parent_part_id` or `parent_part_number`, must belong to the same
//! job, and may not be the part itself or one of its descendants (`CIRCULAR_REFERENCE`): one
//! recursive read in the authentication round trip resolves the parent and its ancestors.

use crate::account::plans::Quota;
use crate::delivery::events::{Event, EventType};
use crate::entities::jobs::status::STATUSES;
use crate::entities::nested::{parse_operations, NestedOperations, OperationDraft};
use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::fields::Reader;
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::resource::{self, Column, Filter, FilterKind, Initial, Kind, ListSpec, Shown, Use, Values, MAX_URL};
use serde_json::{json, Map, Value};

/// What a part body may set: api-parts' create and PATCH, a part inside a job's create, and
/// a part of an ERP sync are read by these.
pub const FIELDS: &[Column] = &[
    Column::new("job_id", Kind::Ref("jobs")).required().parent(),
    Column::new("part_number", Kind::Text(1, 255)).required(),
    Column::new("quantity", Kind::Integer(1, 1_000_000_000)).required(),
    Column::new("material", Kind::Text(0, 255)),
    Column::new("material_id", Kind::Ref("materials")).not_synced(),
    // In a new job the parts have no ids yet: a parent is named by its number there.
    Column::new("parent_part_id", Kind::Ref("parts")).not_synced().not_nested(),
    Column::new("parent_part_number", Kind::Text(1, 255)).unstored().not_synced().doc("The parent part by its number within the job"),
    Column::new("description", Kind::Text(0, 100_000)),
    Column::new("notes", Kind::Text(0, 100_000)),
    Column::new("drawing_url", Kind::Text(0, MAX_URL)),
    Column::new("step_file_url", Kind::Text(0, MAX_URL)),
    Column::new("file_paths", Kind::StringList).not_synced(),
    Column::new("metadata", Kind::Object),
    Column::new("current_cell_id", Kind::Ref("cells")).not_synced(),
    Column::new("status", Kind::OneOf(STATUSES, &[])).fixed().not_synced().initially(Initial::Text("not_started")),
];

const RETURNING: &str = "id, job_id, parent_part_id, part_number, material, material_id, quantity, status, current_cell_id, \
    description, notes, drawing_url, step_file_url, file_paths, metadata, started_at, completed_at, created_at, updated_at, external_source, external_id";
const JSON_COLUMNS: &[&str] = &["file_paths", "metadata"];

pub const LIST: ListSpec = ListSpec {
    from: "parts p",
    tenant: "p.tenant_id",
    id: "p.id",
    columns: "p.id, p.job_id, p.parent_part_id, p.part_number, p.material, p.material_id, p.quantity, p.status, \
        p.current_cell_id, p.description, p.notes, p.drawing_url, p.step_file_url, p.file_paths, p.metadata, \
        p.started_at, p.completed_at, p.created_at, p.updated_at, p.external_source, p.external_id",
    filters: &[
        Filter { param: "job_id", clause: "p.job_id = #", kind: FilterKind::Id },
        Filter { param: "part_number", clause: "instr(lower(p.part_number), #) > 0", kind: FilterKind::Contains },
        Filter { param: "material", clause: "instr(lower(p.material), #) > 0", kind: FilterKind::Contains },
        Filter { param: "material_id", clause: "p.material_id = #", kind: FilterKind::Id },
        Filter { param: "parent_part_id", clause: "p.parent_part_id = #", kind: FilterKind::Id },
        Filter { param: "status", clause: "p.status = #", kind: FilterKind::OneOf(STATUSES, &[]) },
    ],
    // The default order is an index's (tenant_id, created_at, id); part_number is an index's
    // order within a job (filter job_id), other sorts may sort the matching rows.
    sorts: &[
        ("created_at", "p.created_at"),
        ("part_number", "p.part_number"),
        ("updated_at", "p.updated_at"),
        ("quantity", "p.quantity"),
        ("status", "p.status"),
    ],
    default_desc: false,
};

pub fn decode(row: &Value) -> Value {
    resource::decode(row, JSON_COLUMNS, &[])
}

crate::read_set!(
    /// One part as GET answers it: the part and its operations.
    struct PartShown { part, operations }
);

/// The reads of `PartShown`, for the authentication round trip.
pub fn get(scope: Scope<'_>, id: &str) -> Vec<Stmt> {
    PartShown {
        part: Stmt::scoped(scope, &format!("SELECT {RETURNING} FROM parts WHERE tenant_id = {{tenant}} AND id = ?2"), vec![id.into()]),
        operations: Stmt::scoped(
            scope,
            "SELECT o.id, o.cell_id, c.name AS cell_name, o.assigned_operator_id, o.operation_name, o.sequence, o.status, \
             o.estimated_time, o.setup_time_minutes, o.actual_time, o.completion_percentage, o.instructions, o.notes, \
             o.started_at, o.paused_at, o.resumed_at, o.completed_at, o.created_at, o.updated_at \
             FROM operations o LEFT JOIN cells c ON c.id = o.cell_id \
             WHERE o.tenant_id = {tenant} AND o.part_id = ?2 ORDER BY o.sequence, o.id",
            vec![id.into()],
        ),
    }
    .stmts()
}

pub fn assemble(part: &[Value], operations: &[Value], id: &str) -> Result<Value, ApiError> {
    let mut part = decode(part.first().ok_or_else(|| ApiError::not_found("Part", id))?);
    part["operations"] = Value::Array(operations.to_vec());
    Ok(json!({ "part": part }))
}

/// `data.part` as GET answers it, for the GET and for If-Match.
pub const SHOWN: Shown = Shown {
    table: "parts",
    list: &LIST,
    reads: get,
    data: |found, id| {
        let found = PartShown::rows(found);
        assemble(found.part, found.operations, id)
    },
};

/// A parsed create or PATCH body.
pub struct Draft {
    values: Values,
    parent_number: Option<String>,
    operations: Vec<OperationDraft>,
    errors: Vec<FieldError>,
    pub ignored: Vec<String>,
}

pub fn parse(body: &Map<String, Value>, patch: bool) -> Draft {
    let r = Reader::root(body, "part");
    let mut errors = vec![];
    let mut values = resource::parse_body(&r, FIELDS, "part", patch, &mut errors);
    let parent_number = values.unstored_text("parent_part_number").map(str::to_string);
    let (u, children) = if patch { (Use::Patch, &[][..]) } else { (Use::Create, &["operations"][..]) };
    let mut ignored = resource::ignored(&r, FIELDS, u, children);
    let operations = if patch { vec![] } else { parse_operations(&r, body, &mut errors, &mut values.refs, &mut ignored) };
    Draft { values, parent_number, operations, errors, ignored }
}

crate::read_set!(
    /// Round trip one of a create or PATCH: the current row (PATCH), which references exist,
    /// a part of the same job with the same number, and the parent with its ancestors.
    struct PartReads { current, refs, clash, parent }
);

/// Rows of the parent read: the parent first (depth 0), then its ancestors.
struct Chain<'a>(&'a [Value]);

crate::resource::delegate_draft!(Draft);

crate::resource::delegate_planned!(Planned);

impl Draft {
    fn parent_given(&self) -> bool {
        self.parent_number.is_some() || matches!(self.values.get("parent_part_id"), Some(Param::Text(_)))
    }

    /// Reads in the authentication round trip: the current row (PATCH), the references, a part
    /// of the same job with the same number, and the proposed parent with its ancestors.
    pub fn preloads(&self, scope: Scope<'_>, id: Option<&str>) -> Vec<Stmt> {
        let nothing = || Stmt::nothing(scope);
        let self_id = id.map(Param::from).unwrap_or(Param::Null);
        let job = self.values.get("job_id").cloned().unwrap_or(Param::Null);
        let current = id.map_or_else(nothing, |id| {
            Stmt::scoped(scope, "SELECT id, job_id, part_number FROM parts WHERE tenant_id = {tenant} AND id = ?2", vec![id.into()])
        });
        let clash = match self.values.get("part_number") {
            Some(number) => Stmt::scoped(
                scope,
                "SELECT id FROM parts WHERE tenant_id = {tenant} AND part_number = ?2 AND id IS NOT ?3 \
                 AND job_id = COALESCE(?4, (SELECT job_id FROM parts WHERE id = ?3))",
                vec![number.clone(), self_id.clone(), job.clone()],
            ),
            None => nothing(),
        };
        let parent = if self.parent_given() {
            Stmt::scoped(
                scope,
                "WITH RECURSIVE chain(id, parent, job_id, depth) AS ( \
                   SELECT id, parent_part_id, job_id, 0 FROM parts WHERE tenant_id = {tenant} AND (id = ?2 OR (?2 IS NULL \
                     AND part_number = ?3 AND job_id = COALESCE(?4, (SELECT job_id FROM parts WHERE id = ?5)))) \
                   UNION ALL SELECT p.id, p.parent_part_id, p.job_id, c.depth + 1 FROM parts p JOIN chain c ON p.id = c.parent \
                   WHERE c.depth < 10000) \
                 SELECT id, job_id, depth FROM chain",
                vec![self.values.get("parent_part_id").cloned().unwrap_or(Param::Null), self.parent_number.clone().into(), job, self_id],
            )
        } else {
            nothing()
        };
        PartReads { current, refs: resource::check_refs(scope, &self.values.refs), clash, parent }.stmts()
    }

    /// 404 / 422 / 409, then the write: the part (with its operations and `part.created`), or
    /// the update (with `part.updated`).
    pub fn plan(
        mut self,
        found: &[Vec<Value>],
        quota: &Quota,
        tenant_id: &str,
        now: &str,
        id: Option<&str>,
        mut mint: impl FnMut() -> String,
    ) -> Result<Planned, ApiError> {
        let found = PartReads::rows(found);
        let current = match id {
            Some(id) => Some(found.current.first().ok_or_else(|| ApiError::not_found("Part", id))?),
            None => None,
        };
        let job_id = match current {
            Some(c) => c["job_id"].as_str().unwrap_or_default().to_string(),
            None => self.values.text("job_id").unwrap_or_default().to_string(),
        };
        let r_errs = resource::missing_refs(&self.values.refs, found.refs);
        // A parent of another tenant is already reported as missing; do not report it twice.
        let parent_missing = r_errs.iter().any(|e| e.field == "parent_part_id");
        self.errors.extend(r_errs);
        if self.parent_given() && !parent_missing {
            self.resolve_parent(&Chain(found.parent), id, &job_id);
        }
        if !self.errors.is_empty() {
            return Err(ApiError::validation("part", self.errors));
        }
        if id.is_some() && self.values.sets.is_empty() {
            return Err(ApiError::nothing_to_update("part"));
        }
        if !found.clash.is_empty() {
            return Err(number_taken(&self.values));
        }
        Ok(match id {
            None => {
                quota.check(0, 1)?;
                self.plan_create(tenant_id, quota, now, &mut mint)
            }
            Some(id) => self.plan_update(tenant_id, now, id, mint()),
        })
    }

    fn resolve_parent(&mut self, chain: &Chain<'_>, id: Option<&str>, job_id: &str) {
        let error = |c: Constraint, message: String, value: Value| {
            let field = if self.parent_number.is_some() && !matches!(self.values.get("parent_part_id"), Some(Param::Text(_))) {
                "parent_part_number"
            } else {
                "parent_part_id"
            };
            FieldError::new(field, c, message, value).on("part", 0)
        };
        let named = self.parent_number.clone().map(Value::from).or_else(|| self.values.text("parent_part_id").map(Value::from)).unwrap_or(Value::Null);
        let own_number = self.values.text("part_number");
        if id.is_none() && self.parent_number.is_some() && self.parent_number.as_deref() == own_number {
            let e = error(Constraint::CircularReference, "Part cannot be its own parent".into(), named);
            self.errors.push(e);
            return;
        }
        let Some(parent) = chain.0.iter().find(|r| r["depth"].as_f64() == Some(0.0)) else {
            let e = error(Constraint::FkConstraint, format!("Parent part {named} does not exist in this job"), named);
            self.errors.push(e);
            return;
        };
        let parent_id = parent["id"].as_str().unwrap_or_default().to_string();
        if parent["job_id"].as_str() != Some(job_id) {
            let e = error(Constraint::FkConstraint, "Parent part must belong to the same job".into(), named);
            self.errors.push(e);
        } else if id == Some(parent_id.as_str()) {
            let e = error(Constraint::CircularReference, "Part cannot be its own parent".into(), named);
            self.errors.push(e);
        } else if id.is_some_and(|id| chain.0.iter().any(|r| r["id"].as_str() == Some(id))) {
            let e = error(Constraint::CircularReference, "Parent chain forms a cycle: the parent descends from this part".into(), named);
            self.errors.push(e);
        } else {
            self.values.set("parent_part_id", parent_id.into());
        }
    }

    fn plan_create(self, tenant_id: &str, quota: &Quota, now: &str, mint: &mut impl FnMut() -> String) -> Planned {
        let part_id = mint();
        let mut sets: Vec<(&'static str, Param)> = vec![("id", part_id.clone().into()), ("tenant_id", tenant_id.into())];
        sets.extend(self.values.sets.iter().cloned());
        sets.push(("created_at", now.into()));
        sets.push(("updated_at", now.into()));
        // tenant_id is ?2; the quota's parameters follow the columns'.
        let guard = quota.guard(2, sets.len() + 1, 0, 1);
        let mut stmts = vec![resource::insert_when("parts", &sets, guard, RETURNING)];
        let guard = "EXISTS (SELECT 1 FROM parts WHERE id = ?";
        let mut nested = NestedOperations::default();
        let (answer, event_ops) = nested.add(&part_id, &self.operations, mint);
        stmts.extend(nested.stmts(tenant_id, now, &format!("{guard}4)"), part_id.clone().into()));
        let mut data = Map::new();
        data.insert("part_id".into(), json!(part_id));
        data.extend(self.values.shown());
        data.insert("operations".into(), Value::Array(event_ops));
        let event = Event { id: mint(), event_type: EventType::PartCreated, tenant_id: tenant_id.into(), timestamp: now.into(), data: Value::Object(data) };
        stmts.push(event.insert_when(&format!("{guard}6)"), vec![part_id.into()]));
        stmts.push(Quota::probe(tenant_id));
        Planned { stmts, operations: Some(answer), values: self.values, quota: *quota }
    }

    fn plan_update(self, tenant_id: &str, now: &str, id: &str, event_id: String) -> Planned {
        let mut sets = self.values.sets.clone();
        sets.push(("updated_at", now.into()));
        let mut data = Map::new();
        data.insert("part_id".into(), json!(id));
        data.insert("changes".into(), Value::Object(self.values.shown()));
        let event = Event { id: event_id, event_type: EventType::PartUpdated, tenant_id: tenant_id.into(), timestamp: now.into(), data: Value::Object(data) };
        let stmts = vec![resource::update("parts", id, tenant_id, &sets, None, RETURNING), event.insert_when("changes() = 1", vec![])];
        Planned { stmts, operations: None, values: self.values, quota: Quota::default() }
    }
}

fn number_taken(values: &Values) -> ApiError {
    ApiError::conflict(format!("Part number {} already exists in this job", values.text("part_number").unwrap_or_default()))
}

/// A planned write and what its answer needs.
pub struct Planned {
    pub stmts: Vec<Stmt>,
    operations: Option<Vec<Value>>,
    values: Values,
    quota: Quota,
}

impl Planned {
    /// The answer from the write's first result (the part row); none means the quota filled
    /// or the number was taken meanwhile (create: the usage read last tells which), or the
    /// part was deleted meanwhile (PATCH).
    pub fn answer(&self, written: &[Vec<Value>]) -> Result<Value, ApiError> {
        let Some(part) = written.first().and_then(|rows| rows.first()) else {
            let probe = written.last().map(Vec::as_slice).unwrap_or(&[]);
            return Err(match self.operations {
                Some(_) => self.quota.explain(probe, 0, 1).unwrap_or_else(|| number_taken(&self.values)),
                None => ApiError::conflict("The part changed while this request ran; retry"),
            });
        };
        let mut answer = json!({ "part": decode(part) });
        if let Some(ops) = &self.operations {
            answer["part"]["operations"] = Value::Array(ops.clone());
        }
        Ok(answer)
    }
}

/// The DELETE of a part: its operations and their substeps go with it; its child parts keep
/// existing without a parent.
pub fn delete(tenant_id: &str, id: &str) -> Stmt {
    resource::delete("parts", tenant_id, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ids;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    const JOB: &str = "j1";

    fn job_found() -> Vec<Value> {
        vec![json!({"tbl": "jobs", "id": JOB})]
    }

    #[test]
    fn reference_example_resolves_the_parent_by_number() {
        let d = parse(
            &body(
                json!({"job_id": JOB, "part_number": "PART-002", "material": "Steel 4140", "quantity": 5, "parent_part_number": "PART-001", "notes": "Sub-assembly"}),
            ),
            false,
        );
        assert!(d.ignored.is_empty());
        let pre = d.preloads(Scope::KeyHash("h"), None);
        assert!(pre[3].sql.contains("WITH RECURSIVE chain"));
        let chain = vec![json!({"id": "p1", "job_id": JOB, "depth": 0})];
        let p = d.plan(&[vec![], job_found(), vec![], chain], &Quota::default(), "t", "now", None, ids()).unwrap();
        assert!(p.stmts[0].params.contains(&Param::Text("p1".into())), "parent_part_id set from the number");
        assert!(p.stmts[p.stmts.len() - 2].params.contains(&Param::Text("part.created".into())));
    }

    #[test]
    fn parent_rules() {
        let plan = |b: Value, chain: Vec<Value>, id: Option<&str>| {
            let d = parse(&body(b), id.is_some());
            let current = id.map(|i| vec![json!({"id": i, "job_id": JOB, "part_number": "X"})]).unwrap_or_default();
            let refs = vec![json!({"tbl": "jobs", "id": JOB}), json!({"tbl": "parts", "id": "p1"}), json!({"tbl": "parts", "id": "me"})];
            d.plan(&[current, refs, vec![], chain], &Quota::default(), "t", "now", id, ids())
        };
        let constraint = |r: Result<Planned, ApiError>| r.err().unwrap().details.unwrap()[0]["constraint"].as_str().unwrap().to_string();
        let base = json!({"job_id": JOB, "part_number": "A", "quantity": 1});
        let with = |k: &str, v: &str| {
            let mut b = base.clone();
            b[k] = json!(v);
            b
        };
        assert_eq!(constraint(plan(with("parent_part_number", "A"), vec![], None)), "CIRCULAR_REFERENCE");
        assert_eq!(constraint(plan(with("parent_part_number", "Z"), vec![], None)), "FK_CONSTRAINT");
        assert_eq!(constraint(plan(with("parent_part_id", "p1"), vec![json!({"id": "p1", "job_id": "other", "depth": 0})], None)), "FK_CONSTRAINT");
        assert_eq!(constraint(plan(json!({"parent_part_id": "me"}), vec![json!({"id": "me", "job_id": JOB, "depth": 0})], Some("me"))), "CIRCULAR_REFERENCE");
        let cycle = vec![json!({"id": "p1", "job_id": JOB, "depth": 0}), json!({"id": "me", "job_id": JOB, "depth": 1})];
        assert_eq!(constraint(plan(json!({"parent_part_id": "p1"}), cycle, Some("me"))), "CIRCULAR_REFERENCE");
        assert!(plan(json!({"parent_part_id": "p1"}), vec![json!({"id": "p1", "job_id": JOB, "depth": 0})], Some("me")).is_ok());
    }

    #[test]
    fn nested_operations_are_written_with_the_part() {
        let d = parse(&body(json!({"job_id": JOB, "part_number": "A", "quantity": 1, "operations": [{"operation_name": "Cut", "cell_name": "Saw"}]})), false);
        let quota = Quota { max_parts: Some(10), ..Quota::default() };
        let p = d.plan(&[vec![], job_found(), vec![], vec![]], &quota, "t", "now", None, ids()).unwrap();
        let tables: Vec<&str> = p.stmts[..4].iter().map(|s| s.sql.split_whitespace().nth(2).unwrap()).collect();
        assert_eq!(tables, vec!["parts", "cells", "operations", "events"]);
        assert!(p.stmts[4].sql.starts_with("SELECT jobs, parts FROM tenant_usage"), "the usage probe comes last");
        let answer = p.answer(&[vec![json!({"id": "id-1", "file_paths": null})]]).unwrap();
        assert_eq!(answer["part"]["operations"][0]["operation_name"], "Cut");
        assert_eq!(p.answer(&[vec![], vec![json!({"jobs": 0, "parts": 3})]]).unwrap_err().status(), 409);
        assert_eq!(p.answer(&[vec![], vec![json!({"jobs": 0, "parts": 10})]]).unwrap_err().status(), 402);
    }

    #[test]
    fn taken_number_and_missing_job() {
        let d = parse(&body(json!({"job_id": JOB, "part_number": "A", "quantity": 1})), false);
        assert_eq!(d.plan(&[vec![], job_found(), vec![json!({"id": "x"})], vec![]], &Quota::default(), "t", "now", None, ids()).err().unwrap().status(), 409);
        let d = parse(&body(json!({"job_id": JOB, "part_number": "A", "quantity": 1})), false);
        let full = Quota { max_parts: Some(5), parts: 5, ..Quota::default() };
        assert_eq!(d.plan(&[vec![], job_found(), vec![], vec![]], &full, "t", "now", None, ids()).err().unwrap().message, "Part limit exceeded (5/5)");
        let d = parse(&body(json!({"job_id": "nope", "part_number": "A", "quantity": 0})), false);
        let e = d.plan(&[vec![], vec![], vec![], vec![]], &Quota::default(), "t", "now", None, ids()).err().unwrap();
        let fields: Vec<&str> = e.details.as_ref().unwrap().as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["quantity", "job_id"]);
    }
}
