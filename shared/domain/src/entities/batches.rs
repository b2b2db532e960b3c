//! Batches (laser nests, tube, saw and finishing batches): list, read with operations, create
//! with operations, PATCH through the status machine, DELETE before start, and adding
//! operations while draft or ready.
//!
//! Status: draft <-> ready, draft or ready -> cancelled by PATCH; ready or draft ->
//! in_progress -> completed only through `api-batch-lifecycle` (start, stop). An operation is
//! in at most one active (draft, ready or in_progress) batch: a second one is 409.

use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::fields::{self, Reader};
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::resource::{self, Column, Filter, FilterKind, Initial, Kind, ListSpec, Ref, Shown, Use, Values};
use serde_json::{json, Map, Value};

pub const TYPES: &[&str] = &["laser_nesting", "tube_batch", "saw_batch", "finishing_batch", "general"];
pub const STATUSES: &[&str] = &["draft", "ready", "in_progress", "completed", "cancelled"];
/// The most operations one request may put in a batch.
pub const MAX_OPERATIONS: usize = 1000;

pub const FIELDS: &[Column] = &[
    Column::new("batch_number", Kind::Text(1, 255)).required(),
    Column::new("batch_type", Kind::OneOf(TYPES, &[])).not_null().initially(Initial::Text("general")),
    Column::new("status", Kind::OneOf(STATUSES, &[])).not_null().created_as(&["draft", "ready"]).initially(Initial::Text("draft")),
    Column::new("cell_id", Kind::Ref("cells")),
    Column::new("material", Kind::Text(0, 255)),
    Column::new("thickness_mm", Kind::Number(0.0, 1.0e6)),
    Column::new("parent_batch_id", Kind::Ref("batches")),
    Column::new("notes", Kind::Text(0, 100_000)),
];

pub(crate) const RETURNING: &str = "id, batch_number, batch_type, status, cell_id, material, thickness_mm, parent_batch_id, \
    notes, operator_id, started_at, completed_at, actual_time, created_at, updated_at";

pub const LIST: ListSpec = ListSpec {
    from: "batches b LEFT JOIN cells c ON c.id = b.cell_id",
    tenant: "b.tenant_id",
    id: "b.id",
    columns: "b.id, b.batch_number, b.batch_type, b.status, b.cell_id, c.name AS cell_name, b.material, b.thickness_mm, \
        b.parent_batch_id, b.notes, b.operator_id, b.started_at, b.completed_at, b.actual_time, b.created_at, b.updated_at, \
        (SELECT COUNT(*) FROM batch_operations bo WHERE bo.batch_id = b.id) AS operations_count",
    filters: &[
        Filter { param: "status", clause: "b.status = #", kind: FilterKind::OneOf(STATUSES, &[]) },
        Filter { param: "batch_type", clause: "b.batch_type = #", kind: FilterKind::OneOf(TYPES, &[]) },
        Filter { param: "cell_id", clause: "b.cell_id = #", kind: FilterKind::Id },
        Filter { param: "material", clause: "instr(lower(b.material), #) > 0", kind: FilterKind::Contains },
        Filter { param: "parent_batch_id", clause: "b.parent_batch_id = #", kind: FilterKind::Id },
        Filter { param: "search", clause: "(instr(lower(b.batch_number), #) > 0 OR instr(lower(b.material), #) > 0)", kind: FilterKind::Contains },
    ],
    sorts: &[
        ("created_at", "b.created_at"),
        ("batch_number", "b.batch_number"),
        ("status", "b.status"),
        ("started_at", "b.started_at"),
        ("updated_at", "b.updated_at"),
    ],
    default_desc: true,
};

crate::read_set!(
    /// A batch and its operations (with their part and job numbers).
    struct BatchShown { batch, operations }
);

pub fn get(scope: Scope<'_>, id: &str) -> Vec<Stmt> {
    BatchShown {
        batch: Stmt::scoped(scope, &format!("SELECT {RETURNING} FROM batches WHERE tenant_id = {{tenant}} AND id = ?2"), vec![id.into()]),
        operations: operations_of(scope, id),
    }
    .stmts()
}

/// The operations of a batch in their batch order.
fn operations_of(scope: Scope<'_>, id: &str) -> Stmt {
    Stmt::scoped(
        scope,
        "SELECT o.id, bo.position, o.operation_name, o.status, o.estimated_time, o.actual_time, o.part_id, p.part_number, \
         p.job_id, j.job_number FROM batch_operations bo JOIN operations o ON o.id = bo.operation_id \
         JOIN parts p ON p.id = o.part_id JOIN jobs j ON j.id = p.job_id \
         WHERE bo.tenant_id = {tenant} AND bo.batch_id = ?2 ORDER BY bo.position",
        vec![id.into()],
    )
}

pub fn assemble(batch: &[Value], operations: &[Value], id: &str) -> Result<Value, ApiError> {
    let mut b = batch.first().cloned().ok_or_else(|| ApiError::not_found("Batch", id))?;
    b["operations"] = Value::Array(operations.to_vec());
    Ok(json!({ "batch": b }))
}

/// `data.batch` as GET answers it, for the GET and for If-Match.
pub const SHOWN: Shown = Shown {
    table: "batches",
    list: &LIST,
    reads: get,
    data: |found, id| {
        let found = BatchShown::rows(found);
        assemble(found.batch, found.operations, id)
    },
};

crate::read_set!(
    /// Round trip one of a create, PATCH or add-operations: the current row, which
    /// references exist, a batch holding the number, and the operations already in a batch.
    struct BatchReads { current, refs, clash, busy }
);

/// A parsed create or PATCH body, or the body of add-operations.
pub struct Draft {
    values: Values,
    operation_ids: Vec<String>,
    errors: Vec<FieldError>,
    pub ignored: Vec<String>,
}

pub fn parse(body: &Map<String, Value>, patch: bool) -> Draft {
    let r = Reader::root(body, "batch");
    let mut errors = vec![];
    let mut values = resource::parse_body(&r, FIELDS, "batch", patch, &mut errors);
    let ignored = if patch { resource::ignored(&r, FIELDS, Use::Patch, &[]) } else { resource::ignored(&r, FIELDS, Use::Create, &["operation_ids"]) };
    let operation_ids = if patch { vec![] } else { operation_ids(&r, body, false, &mut values.refs, &mut errors) };
    Draft { values, operation_ids, errors, ignored }
}

/// The body of `add-operations`: `{"operation_ids": [...]}` (at least one).
pub fn parse_additions(body: &Map<String, Value>) -> Draft {
    let r = Reader::root(body, "batch");
    let mut errors = vec![];
    let mut refs = vec![];
    let operation_ids = operation_ids(&r, body, true, &mut refs, &mut errors);
    let values = Values { refs, ..Values::default() };
    Draft { values, operation_ids, errors, ignored: r.unknown_keys(&["operation_ids"]) }
}

fn operation_ids(r: &Reader<'_>, body: &Map<String, Value>, required: bool, refs: &mut Vec<Ref>, errors: &mut Vec<FieldError>) -> Vec<String> {
    let items = match body.get("operation_ids") {
        None | Some(Value::Null) if required => {
            errors.push(r.error("operation_ids", Constraint::NotNull, "Missing required field: operation_ids", Value::Null));
            return vec![];
        }
        None | Some(Value::Null) => return vec![],
        Some(Value::Array(items)) => items,
        Some(other) => {
            errors.push(r.error(
                "operation_ids",
                Constraint::TypeMismatch,
                format!("operation_ids must be an array of ids, got {}", fields::type_name(other)),
                other.clone(),
            ));
            return vec![];
        }
    };
    if required && items.is_empty() {
        errors.push(r.error("operation_ids", Constraint::MinLength, "At least one operation id is required", json!([])));
    }
    if items.len() > MAX_OPERATIONS {
        errors.push(r.error("operation_ids", Constraint::MaxLength, format!("At most {MAX_OPERATIONS} operations per request"), json!(items.len())));
        return vec![];
    }
    let mut ids: Vec<String> = vec![];
    for (i, item) in items.iter().enumerate() {
        let path = format!("operation_ids[{i}]");
        match fields::reference(item) {
            Ok(id) if ids.contains(&id) => errors.push(r.error(&path, Constraint::UniqueConstraint, format!("Operation {id} is listed twice"), item.clone())),
            Ok(id) => {
                refs.push(Ref { path: r.path_of(&path), name: "operation_id", table: "operations", id: id.clone(), entity: "batch", index: 0 });
                ids.push(id);
            }
            Err((c, m)) => errors.push(r.error(&path, c, format!("Operation id {m}"), item.clone())),
        }
    }
    ids
}

/// Whether PATCH may move a batch from `from` to `to`.
pub fn can_move(from: &str, to: &str) -> bool {
    from == to || matches!((from, to), ("draft", "ready") | ("ready", "draft") | ("draft" | "ready", "cancelled"))
}

crate::resource::delegate_draft!(Draft);

crate::resource::delegate_planned!(Planned);

impl Draft {
    /// Reads in the authentication round trip: the current batch (PATCH, add-operations), the
    /// references, a batch with the same number, and active batches holding these operations.
    pub fn preloads(&self, scope: Scope<'_>, id: Option<&str>) -> Vec<Stmt> {
        let nothing = || Stmt::nothing(scope);
        let current = id.map_or_else(nothing, |id| {
            Stmt::scoped(scope, "SELECT id, batch_number, status, started_at FROM batches WHERE tenant_id = {tenant} AND id = ?2", vec![id.into()])
        });
        let clash = match self.values.get("batch_number") {
            Some(n) => {
                Stmt::scoped(scope, "SELECT id FROM batches WHERE tenant_id = {tenant} AND batch_number = ?2 AND id IS NOT ?3", vec![n.clone(), id.into()])
            }
            None => nothing(),
        };
        let busy = Stmt::scoped(
            scope,
            "SELECT bo.operation_id, b.batch_number FROM batch_operations bo JOIN batches b ON b.id = bo.batch_id \
             WHERE bo.tenant_id = {tenant} AND bo.active = 1 AND bo.operation_id IN (SELECT value FROM json_each(?2))",
            vec![json!(self.operation_ids).to_string().into()],
        );
        BatchReads { current, refs: resource::check_refs(scope, &self.values.refs), clash, busy }.stmts()
    }

    fn check(&mut self, found: &[Vec<Value>], id: Option<&str>) -> Result<Option<Value>, ApiError> {
        let found = BatchReads::rows(found);
        let current = match id {
            Some(id) => Some(found.current.first().cloned().ok_or_else(|| ApiError::not_found("Batch", id))?),
            None => None,
        };
        let mut errors = std::mem::take(&mut self.errors);
        errors.extend(resource::missing_refs(&self.values.refs, found.refs));
        if !errors.is_empty() {
            return Err(ApiError::validation("batch", errors));
        }
        if !found.clash.is_empty() {
            return Err(ApiError::conflict(format!("Batch number {} already exists", self.values.text("batch_number").unwrap_or_default())));
        }
        if let Some(busy) = found.busy.first() {
            return Err(ApiError::conflict(format!(
                "Operation {} is already in active batch {}",
                busy["operation_id"].as_str().unwrap_or_default(),
                busy["batch_number"].as_str().unwrap_or_default()
            )));
        }
        Ok(current)
    }

    /// The insert of the batch and its operations.
    pub fn plan_create(mut self, found: &[Vec<Value>], tenant_id: &str, now: &str, batch_id: String) -> Result<Planned, ApiError> {
        self.check(found, None)?;
        let mut sets: Vec<(&'static str, Param)> = vec![("id", batch_id.clone().into()), ("tenant_id", tenant_id.into())];
        sets.extend(self.values.sets.iter().cloned());
        sets.push(("created_at", now.into()));
        sets.push(("updated_at", now.into()));
        let mut stmts = vec![resource::insert("batches", &sets, RETURNING)];
        stmts.extend(add_members(tenant_id, &batch_id, &self.operation_ids, now, "EXISTS (SELECT 1 FROM batches WHERE id = ?2)"));
        Ok(Planned::reading_back(stmts, 0, tenant_id, &batch_id))
    }

    /// The PATCH: a compare-and-set on the status; cancelling releases the operations.
    pub fn plan_update(mut self, found: &[Vec<Value>], tenant_id: &str, now: &str, id: &str) -> Result<Planned, ApiError> {
        let current = self.check(found, Some(id))?.unwrap_or_default();
        if self.values.sets.is_empty() {
            return Err(ApiError::nothing_to_update("batch"));
        }
        let from = current["status"].as_str().unwrap_or_default().to_string();
        let to = self.values.text("status").unwrap_or(&from).to_string();
        if !can_move(&from, &to) {
            return Err(ApiError::conflict(format!(
                "Cannot change batch status from {from} to {to}: PATCH moves draft <-> ready and cancels; start and stop go through api-batch-lifecycle"
            )));
        }
        let mut sets = self.values.sets.clone();
        sets.push(("updated_at", now.into()));
        let mut stmts = vec![resource::update("batches", id, tenant_id, &sets, Some(("status = ?3", from.into())), RETURNING)];
        if to == "cancelled" {
            stmts.push(Stmt::new(
                "UPDATE batch_operations SET active = 0 WHERE batch_id = ?1 AND EXISTS (SELECT 1 FROM batches WHERE id = ?1 AND status = 'cancelled')",
                vec![id.into()],
            ));
        }
        Ok(Planned::reading_back(stmts, 0, tenant_id, id))
    }

    /// add-operations: only while the batch is draft or ready (409), appended in order.
    pub fn plan_additions(mut self, found: &[Vec<Value>], tenant_id: &str, now: &str, id: &str) -> Result<Planned, ApiError> {
        let current = self.check(found, Some(id))?.unwrap_or_default();
        let status = current["status"].as_str().unwrap_or_default();
        if !matches!(status, "draft" | "ready") {
            return Err(ApiError::conflict(format!(
                "Cannot add operations to batch {}: it is {status}; adding needs draft or ready",
                current["batch_number"].as_str().unwrap_or(id)
            )));
        }
        let guard = "EXISTS (SELECT 1 FROM batches WHERE id = ?2 AND status IN ('draft', 'ready'))";
        let mut stmts: Vec<Stmt> = add_members(tenant_id, id, &self.operation_ids, now, guard).into_iter().collect();
        stmts.push(Stmt::new(
            format!("UPDATE batches SET updated_at = ?3 WHERE id = ?1 AND tenant_id = ?2 AND status IN ('draft', 'ready') RETURNING {RETURNING}"),
            vec![id.into(), tenant_id.into(), now.into()],
        ));
        let row = stmts.len() - 1;
        Ok(Planned::reading_back(stmts, row, tenant_id, id))
    }
}

/// Appends operations to a batch, after its last position; `guard` may use `?2` (the batch).
fn add_members(tenant_id: &str, batch_id: &str, ids: &[String], now: &str, guard: &str) -> Option<Stmt> {
    (!ids.is_empty()).then(|| {
        Stmt::new(
            format!(
                "INSERT INTO batch_operations (batch_id, operation_id, tenant_id, position, added_at) \
                 SELECT ?2, value, ?1, key + 1 + (SELECT COALESCE(MAX(position), 0) FROM batch_operations WHERE batch_id = ?2), ?4 \
                 FROM json_each(?3) WHERE {guard}"
            ),
            vec![tenant_id.into(), batch_id.into(), json!(ids).to_string().into(), now.into()],
        )
    })
}

/// 409 for a batch that has started; else its DELETE (its memberships go with it), which
/// carries the same rule: a start that commits between the read and this write leaves the
/// batch in place (see [`deleted`]), never an operation in progress without its batch.
pub fn plan_delete(found: &DeleteReads<&[Value]>, tenant_id: &str, id: &str) -> Result<Vec<Stmt>, ApiError> {
    let (batch, children) = (found.batch, found.children);
    let b = batch.first().ok_or_else(|| ApiError::not_found("Batch", id))?;
    if !b["started_at"].is_null() {
        return Err(started(b, id));
    }
    if let Some(child) = children.first() {
        let name = b["batch_number"].as_str().unwrap_or(id);
        return Err(ApiError::conflict(format!(
            "Batch {name} is the parent of batch {}; delete or re-parent its child batches first",
            child["batch_number"].as_str().unwrap_or_default()
        )));
    }
    Ok(DeleteWrite {
        deleted: Stmt::new("DELETE FROM batches WHERE id = ?1 AND tenant_id = ?2 AND started_at IS NULL RETURNING id", vec![id.into(), tenant_id.into()]),
        remaining: Stmt::new("SELECT batch_number, started_at FROM batches WHERE id = ?1 AND tenant_id = ?2", vec![id.into(), tenant_id.into()]),
    }
    .stmts())
}

crate::read_set!(
    /// What a DELETE reads in the authentication round trip: the batch, and one of its child
    /// batches if it has any (one is enough to refuse it).
    pub struct DeleteReads { batch, children }
);

/// The reads of [`DeleteReads`].
pub fn delete_reads(scope: Scope<'_>, id: &str) -> Vec<Stmt> {
    DeleteReads {
        batch: Stmt::scoped(scope, "SELECT batch_number, started_at FROM batches WHERE tenant_id = {tenant} AND id = ?2", vec![id.into()]),
        children: Stmt::scoped(scope, "SELECT batch_number FROM batches WHERE tenant_id = {tenant} AND parent_batch_id = ?2 LIMIT 1", vec![id.into()]),
    }
    .stmts()
}

crate::read_set!(
    /// The DELETE's write: the delete itself, and the batch as it stands after it.
    struct DeleteWrite { deleted, remaining }
);

/// What the DELETE of [`plan_delete`] did: deleted, or refused because the batch started
/// meanwhile (409), or gone already (404).
pub fn deleted(written: &[Vec<Value>], id: &str) -> Result<(), ApiError> {
    let written = DeleteWrite::rows(written);
    if !written.deleted.is_empty() {
        return Ok(());
    }
    match written.remaining.first() {
        Some(b) => Err(started(b, id)),
        None => Err(ApiError::not_found("Batch", id)),
    }
}

fn started(b: &Value, id: &str) -> ApiError {
    ApiError::conflict(format!("Batch {} has started; it cannot be deleted", b["batch_number"].as_str().unwrap_or(id)))
}

/// A planned write that also reads the batch's operations back at its end, for the answer.
#[derive(Debug)]
pub struct Planned {
    pub stmts: Vec<Stmt>,
    row: usize,
}

impl Planned {
    fn reading_back(mut stmts: Vec<Stmt>, row: usize, tenant_id: &str, id: &str) -> Planned {
        stmts.push(operations_of(Scope::Tenant(tenant_id), id));
        Planned { stmts, row }
    }

    /// The batch (from its `RETURNING` row) with its operations; no row means the batch
    /// changed, or its number was taken, meanwhile (409).
    pub fn answer(&self, written: &[Vec<Value>]) -> Result<Value, ApiError> {
        let batch = written
            .get(self.row)
            .and_then(|r| r.first())
            .ok_or_else(|| ApiError::conflict("The batch changed, or its number was taken, while this request ran; nothing was written"))?;
        let mut answer = json!({ "batch": batch });
        answer["batch"]["operations"] = Value::Array(written.last().cloned().unwrap_or_default());
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn refs(ids: &[&str]) -> Vec<Value> {
        ids.iter().map(|i| json!({"tbl": if *i == "c" { "cells" } else { "operations" }, "id": i})).collect()
    }

    #[test]
    fn reference_example_creates_the_batch_with_its_operations() {
        let d = parse(
            &body(
                json!({"batch_number": "NEST-2026-001", "batch_type": "laser_nesting", "cell_id": "c", "material": "SS304", "thickness_mm": 2, "operation_ids": ["o1", "o2"]}),
            ),
            false,
        );
        assert!(d.ignored.is_empty());
        let p = d.plan_create(&[vec![], refs(&["c", "o1", "o2"]), vec![], vec![]], "t", "now", "b".into()).unwrap();
        let s = &p.stmts;
        assert!(s[0].sql.starts_with("INSERT INTO batches") && s[0].params.contains(&Param::Text("draft".into())));
        assert!(s[1].sql.starts_with("INSERT INTO batch_operations"));
        let a = p.answer(&[vec![json!({"id": "b"})], vec![], vec![json!({"id": "o1"})]]).unwrap();
        assert_eq!(a["batch"]["operations"][0]["id"], "o1");
        assert_eq!(p.answer(&[vec![], vec![], vec![]]).unwrap_err().status(), 409);
    }

    #[test]
    fn an_operation_in_another_active_batch_is_409() {
        let d = parse(&body(json!({"batch_number": "B", "operation_ids": ["o1"]})), false);
        let busy = vec![json!({"operation_id": "o1", "batch_number": "NEST-1"})];
        let e = d.plan_create(&[vec![], refs(&["o1"]), vec![], busy], "t", "now", "b".into()).unwrap_err();
        assert_eq!((e.status(), e.message.as_str()), (409, "Operation o1 is already in active batch NEST-1"));
    }

    #[test]
    fn ids_are_validated_each() {
        let d = parse(&body(json!({"batch_number": "B", "operation_ids": ["o1", "o1", 7, "nope"]})), false);
        let e = d.plan_create(&[vec![], refs(&["o1"]), vec![], vec![]], "t", "now", "b".into()).unwrap_err();
        let got: Vec<(String, String)> =
            e.details.unwrap().as_array().unwrap().iter().map(|d| (d["field"].as_str().unwrap().into(), d["constraint"].as_str().unwrap().into())).collect();
        assert_eq!(
            got,
            vec![
                ("operation_ids[1]".into(), "UNIQUE_CONSTRAINT".into()),
                ("operation_ids[2]".into(), "TYPE_MISMATCH".into()),
                ("operation_ids[3]".into(), "FK_CONSTRAINT".into()),
            ]
        );
        let bad = parse(&body(json!({"batch_number": "B", "status": "completed"})), false);
        assert_eq!(bad.plan_create(&[vec![], vec![], vec![], vec![]], "t", "now", "b".into()).unwrap_err().status(), 422);
    }

    #[test]
    fn patch_status_machine_and_cancel_releases_operations() {
        for (from, to, ok) in [
            ("draft", "ready", true),
            ("ready", "draft", true),
            ("ready", "cancelled", true),
            ("draft", "in_progress", false),
            ("in_progress", "cancelled", false),
            ("completed", "draft", false),
        ] {
            assert_eq!(can_move(from, to), ok, "{from} -> {to}");
        }
        let cur = vec![json!({"id": "b", "batch_number": "B", "status": "ready", "started_at": null})];
        let s = parse(&body(json!({"status": "cancelled"})), true).plan_update(&[cur, vec![], vec![], vec![]], "t", "now", "b").unwrap().stmts;
        assert!(s[1].sql.starts_with("UPDATE batch_operations SET active = 0"));
    }

    #[test]
    fn additions_only_before_start_and_deletes_only_before_start() {
        let running = vec![json!({"id": "b", "batch_number": "B", "status": "in_progress", "started_at": "x"})];
        let d = parse_additions(&body(json!({"operation_ids": ["o1"]})));
        let e = d.plan_additions(&[running.clone(), refs(&["o1"]), vec![], vec![]], "t", "now", "b").unwrap_err();
        assert_eq!(e.status(), 409);
        fn reads<'a>(batch: &'a [Value], children: &'a [Value]) -> DeleteReads<&'a [Value]> {
            DeleteReads { batch, children }
        }
        assert_eq!(plan_delete(&reads(&running, &[]), "t", "b").unwrap_err().status(), 409);
        let fresh = vec![json!({"id": "b", "batch_number": "B", "status": "draft", "started_at": null})];
        let child = [json!({"batch_number": "B-CHILD"})];
        let parent = plan_delete(&reads(&fresh, &child), "t", "b").unwrap_err();
        assert!(parent.message.contains("parent of batch B-CHILD") && !parent.message.contains("retry"), "{}", parent.message);
        assert_eq!(plan_delete(&reads(&[], &[]), "t", "b").unwrap_err().status(), 404);
        assert_eq!(delete_reads(Scope::Tenant("t"), "b").len(), 2);
        let delete = plan_delete(&reads(&fresh, &[]), "t", "b").unwrap();
        assert!(delete[0].sql.contains("started_at IS NULL"), "the rule is carried into the write");
        assert!(deleted(&[vec![json!({"id": "b"})], vec![]], "b").is_ok());
        assert_eq!(deleted(&[vec![], running.clone()], "b").unwrap_err().status(), 409, "started meanwhile");
        assert_eq!(deleted(&[vec![], vec![]], "b").unwrap_err().status(), 404, "gone meanwhile");
        assert_eq!(parse_additions(&body(json!({}))).errors[0].constraint, Constraint::NotNull);
    }
}
