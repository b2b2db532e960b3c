//! Operations (the routing steps of a part): list with the reference's filters and sorts,
//! read with their part and job numbers, create (`cell_id` or `cell_name`, resolved or
//! created in the same write), PATCH and DELETE. Status changes belong to the lifecycle.

use crate::entities::jobs::status::STATUSES;
use crate::protocol::error::ApiError;
use crate::protocol::fields::Reader;
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::resource::{self, Column, Filter, FilterKind, Initial, Kind, ListSpec, Shown, Use, Values};
use serde_json::{json, Map, Value};

const MAX_MINUTES: f64 = 1.0e9;

/// Operation status `paused` is accepted and stored as `on_hold` (CONTRACT.md).
pub const OPERATION_STATUS_ALIASES: &[(&str, &str)] = &[("paused", "on_hold")];

/// What an operation body may set: api-operations' create and PATCH, an operation inside a
/// part's create, and an operation of an ERP sync are read by these.
pub const FIELDS: &[Column] = &[
    Column::new("part_id", Kind::Ref("parts")).required().parent(),
    Column::new("operation_name", Kind::Text(1, 255)).required(),
    // An ERP routing usually numbers its steps; when a nested one does not, its order is the sequence.
    Column::new("sequence", Kind::Integer(1, 1_000_000)).required().defaulted_in_nested(),
    Column::new("cell_id", Kind::Ref("cells")),
    Column::new("cell_name", Kind::Text(1, 255)).unstored().doc("The cell by name (case-insensitive); a new name creates the cell"),
    Column::new("estimated_time", Kind::Number(0.0, MAX_MINUTES)).alias(&["estimated_time_minutes"]).doc("Minutes"),
    Column::new("setup_time_minutes", Kind::Number(0.0, MAX_MINUTES)).alias(&["setup_time"]),
    Column::new("instructions", Kind::Text(0, 100_000)),
    Column::new("notes", Kind::Text(0, 100_000)),
    Column::new("assigned_operator_id", Kind::Ref("users")).not_synced(),
    Column::new("completion_percentage", Kind::Integer(0, 100)).not_nested().not_synced(),
    Column::new("status", Kind::OneOf(STATUSES, OPERATION_STATUS_ALIASES))
        .fixed()
        .not_synced()
        .initially(Initial::Text("not_started"))
        .doc("paused is stored as on_hold"),
];

pub(crate) const RETURNING: &str = "id, part_id, cell_id, assigned_operator_id, operation_name, sequence, status, estimated_time, \
    setup_time_minutes, actual_time, completion_percentage, instructions, notes, started_at, paused_at, resumed_at, \
    completed_at, created_at, updated_at, external_source, external_id";

pub const LIST: ListSpec = ListSpec {
    from: "operations o JOIN parts p ON p.id = o.part_id LEFT JOIN cells c ON c.id = o.cell_id",
    tenant: "o.tenant_id",
    id: "o.id",
    columns: "o.id, o.part_id, p.part_number, p.job_id, o.cell_id, c.name AS cell_name, o.assigned_operator_id, \
        o.operation_name, o.sequence, o.status, o.estimated_time, o.setup_time_minutes, o.actual_time, \
        o.completion_percentage, o.instructions, o.notes, o.started_at, o.paused_at, o.resumed_at, o.completed_at, \
        o.created_at, o.updated_at, o.external_source, o.external_id",
    filters: &[
        Filter { param: "part_id", clause: "o.part_id = #", kind: FilterKind::Id },
        Filter { param: "job_id", clause: "p.job_id = #", kind: FilterKind::Id },
        Filter { param: "cell_id", clause: "o.cell_id = #", kind: FilterKind::Id },
        Filter { param: "cell_name", clause: "instr(lower(c.name), #) > 0", kind: FilterKind::Contains },
        Filter { param: "status", clause: "o.status = #", kind: FilterKind::OneOf(STATUSES, OPERATION_STATUS_ALIASES) },
        Filter { param: "assigned_operator_id", clause: "o.assigned_operator_id = #", kind: FilterKind::Id },
        Filter { param: "search", clause: "instr(lower(o.operation_name), #) > 0", kind: FilterKind::Contains },
    ],
    // The default order is an index's (tenant_id, created_at, id); sequence is an index's order
    // within a part (filter part_id), other sorts may sort the matching rows.
    sorts: &[
        ("created_at", "o.created_at"),
        ("sequence", "o.sequence"),
        ("estimated_time", "o.estimated_time"),
        ("actual_time", "o.actual_time"),
        ("status", "o.status"),
        ("updated_at", "o.updated_at"),
    ],
    default_desc: false,
};

/// One operation with its cell name and its part's and job's numbers: the columns a write
/// answers ([`RETURNING`]), never the internal ones (its transition token).
pub fn get(scope: Scope<'_>, id: &str) -> Stmt {
    let columns: Vec<String> = RETURNING.split(',').map(|c| format!("o.{}", c.trim())).collect();
    Stmt::scoped(
        scope,
        &format!(
            "SELECT {}, c.name AS cell_name, p.part_number, j.id AS job_id, j.job_number FROM operations o \
             JOIN parts p ON p.id = o.part_id JOIN jobs j ON j.id = p.job_id LEFT JOIN cells c ON c.id = o.cell_id \
             WHERE o.tenant_id = {{tenant}} AND o.id = ?2",
            columns.join(", ")
        ),
        vec![id.into()],
    )
}

/// `data.operation` as GET answers it, for the GET and for If-Match.
pub const SHOWN: Shown = Shown {
    table: "operations",
    list: &LIST,
    reads: |scope, id| vec![get(scope, id)],
    data: |found, id| resource::one_row(found, id, "Operation", "operation", shape),
};

/// The operation as answered: the part and its job nested as `part.job` (the lifecycle's shape).
pub fn shape(row: &Value) -> Value {
    let mut op = row.clone();
    let Some(o) = op.as_object_mut() else { return op };
    let take = |o: &mut Map<String, Value>, k: &str| o.remove(k).unwrap_or(Value::Null);
    let (part_number, job_id, job_number) = (take(o, "part_number"), take(o, "job_id"), take(o, "job_number"));
    o.remove("tenant_id");
    let part_id = o.get("part_id").cloned().unwrap_or(Value::Null);
    o.insert("part".into(), json!({ "id": part_id, "part_number": part_number, "job": { "id": job_id, "job_number": job_number } }));
    op
}

crate::read_set!(
    /// Round trip one of a create or PATCH: the current row (PATCH), which references exist,
    /// the cell named by `cell_name`, and an operation of the part holding the sequence.
    struct OperationReads { current, refs, cell, clash }
);

/// A parsed create or PATCH body, with its cell name to resolve.
pub struct Draft {
    values: Values,
    cell_name: Option<String>,
    errors: Vec<crate::protocol::error::FieldError>,
    pub ignored: Vec<String>,
}

pub fn parse(body: &Map<String, Value>, patch: bool) -> Draft {
    let r = Reader::root(body, "operation");
    let mut errors = vec![];
    let values = resource::parse_body(&r, FIELDS, "operation", patch, &mut errors);
    let cell_name = values.unstored_text("cell_name").map(str::to_string);
    let ignored = resource::ignored(&r, FIELDS, if patch { Use::Patch } else { Use::Create }, &[]);
    Draft { values, cell_name, errors, ignored }
}

impl Draft {
    /// Reads in the authentication round trip: the current row (PATCH), the references, the
    /// cell by name, and an operation of the same part holding the same sequence.
    pub fn preloads(&self, scope: Scope<'_>, id: Option<&str>) -> Vec<Stmt> {
        let nothing = || Stmt::nothing(scope);
        let current = id.map_or_else(nothing, |id| get(scope, id));
        let cell = match &self.cell_name {
            Some(name) => Stmt::scoped(scope, "SELECT id FROM cells WHERE tenant_id = {tenant} AND name = ?2", vec![name.into()]),
            None => nothing(),
        };
        let clash = match self.values.get("sequence") {
            Some(seq) => Stmt::scoped(
                scope,
                "SELECT id FROM operations WHERE tenant_id = {tenant} AND sequence = ?2 AND id IS NOT ?3 \
                 AND part_id = COALESCE(?4, (SELECT part_id FROM operations WHERE id = ?3))",
                vec![seq.clone(), id.map(Param::from).unwrap_or(Param::Null), self.values.get("part_id").cloned().unwrap_or(Param::Null)],
            ),
            None => nothing(),
        };
        OperationReads { current, refs: resource::check_refs(scope, &self.values.refs), cell, clash }.stmts()
    }

    /// 404 / 422 / 409, then the statements: a new cell if the name is new, and the write.
    pub fn plan(self, found: &[Vec<Value>], tenant_id: &str, now: &str, id: Option<&str>, mut mint: impl FnMut() -> String) -> Result<Planned, ApiError> {
        let found = OperationReads::rows(found);
        if let Some(id) = id {
            if found.current.is_empty() {
                return Err(ApiError::not_found("Operation", id));
            }
        }
        let mut errors = self.errors;
        errors.extend(resource::missing_refs(&self.values.refs, found.refs));
        if !errors.is_empty() {
            return Err(ApiError::validation("operation", errors));
        }
        let mut values = self.values;
        let mut stmts = vec![];
        if let (Some(name), None) = (&self.cell_name, values.get("cell_id")) {
            let cell_id = match found.cell.first().and_then(|r| r["id"].as_str()) {
                Some(existing) => existing.to_string(),
                None => {
                    // A new work center named by the ERP's routing. Should another request create
                    // the same name meanwhile, this insert does nothing, the operation's foreign
                    // key fails, and the whole batch is refused (409): nothing half-written.
                    let new_id = mint();
                    stmts.push(resource::insert(
                        "cells",
                        &[
                            ("id", new_id.clone().into()),
                            ("tenant_id", tenant_id.into()),
                            ("name", name.into()),
                            ("created_at", now.into()),
                            ("updated_at", now.into()),
                        ],
                        "id",
                    ));
                    new_id
                }
            };
            values.set("cell_id", cell_id.into());
        }
        if id.is_some() && values.sets.is_empty() {
            return Err(ApiError::nothing_to_update("operation"));
        }
        if !found.clash.is_empty() {
            return Err(ApiError::conflict(format!("Another operation of this part already has sequence {}", values.shown()["sequence"])));
        }
        match id {
            None => {
                let op_id = mint();
                let mut sets: Vec<(&'static str, Param)> = vec![("id", op_id.into()), ("tenant_id", tenant_id.into())];
                sets.extend(values.sets);
                sets.push(("created_at", now.into()));
                sets.push(("updated_at", now.into()));
                stmts.push(resource::insert("operations", &sets, RETURNING));
            }
            Some(id) => {
                values.sets.push(("updated_at", now.into()));
                stmts.push(resource::update("operations", id, tenant_id, &values.sets, None, RETURNING));
            }
        }
        Ok(Planned { stmts })
    }
}

crate::resource::delegate_draft!(Draft);

/// A planned create or PATCH: its last statement returns the operation.
#[derive(Debug)]
pub struct Planned {
    pub stmts: Vec<Stmt>,
}

impl resource::Planned for Planned {
    fn stmts(&self) -> &[Stmt] {
        &self.stmts
    }

    fn answer(&self, written: &[Vec<Value>]) -> Result<Value, ApiError> {
        let row = written.last().and_then(|r| r.first()).ok_or_else(|| ApiError::conflict("The operation changed while this request ran; retry"))?;
        Ok(json!({ "operation": row }))
    }
}

/// The DELETE of an operation; its substeps go with it (`ON DELETE CASCADE`).
pub fn delete(tenant_id: &str, id: &str) -> Stmt {
    resource::delete("operations", tenant_id, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn reference_create_example_parses_and_plans_one_insert() {
        let d = parse(
            &body(json!({"part_id": "p", "cell_id": "c", "operation_name": "Welding", "estimated_time": 60, "sequence": 2, "notes": "TIG weld only"})),
            false,
        );
        assert!(d.ignored.is_empty());
        let refs = vec![json!({"tbl": "parts", "id": "p"}), json!({"tbl": "cells", "id": "c"})];
        let stmts = d.plan(&[vec![], refs, vec![], vec![]], "t", "now", None, || "new".into()).unwrap().stmts;
        assert_eq!(stmts.len(), 1);
        assert!(stmts[0].sql.starts_with("INSERT INTO operations"));
    }

    #[test]
    fn a_new_cell_name_creates_the_cell_first() {
        let d = parse(&body(json!({"part_id": "p", "operation_name": "Cut", "sequence": 1, "cell_name": "Saw-9"})), false);
        let stmts = d.plan(&[vec![], vec![json!({"tbl": "parts", "id": "p"})], vec![], vec![]], "t", "now", None, || "new".into()).unwrap().stmts;
        assert!(stmts[0].sql.starts_with("INSERT INTO cells"));
        let d = parse(&body(json!({"part_id": "p", "operation_name": "Cut", "sequence": 1, "cell_name": "Saw-9"})), false);
        let stmts =
            d.plan(&[vec![], vec![json!({"tbl": "parts", "id": "p"})], vec![json!({"id": "c9"})], vec![]], "t", "now", None, || "new".into()).unwrap().stmts;
        assert_eq!(stmts.len(), 1);
        assert!(stmts[0].params.contains(&Param::Text("c9".into())));
    }

    #[test]
    fn unknown_part_and_taken_sequence() {
        let d = parse(&body(json!({"part_id": "p", "operation_name": "Cut", "sequence": 1})), false);
        let e = d.plan(&[vec![], vec![], vec![], vec![]], "t", "now", None, || "x".into()).unwrap_err();
        assert_eq!(e.details.unwrap()[0]["field"], "part_id");
        let d = parse(&body(json!({"part_id": "p", "operation_name": "Cut", "sequence": 1})), false);
        let e = d.plan(&[vec![], vec![json!({"tbl": "parts", "id": "p"})], vec![], vec![json!({"id": "o"})]], "t", "now", None, || "x".into()).unwrap_err();
        assert_eq!(e.status(), 409);
    }

    #[test]
    fn patch_cannot_move_or_restatus_and_shape_nests_part_and_job() {
        let d = parse(&body(json!({"part_id": "p", "status": "completed", "notes": "n"})), true);
        assert_eq!(d.ignored, vec!["part_id".to_string(), "status".to_string()]);
        let shaped = shape(&json!({"id": "o", "part_id": "p", "part_number": "P1", "job_id": "j", "job_number": "J1", "tenant_id": "t"}));
        assert_eq!(shaped["part"]["job"]["job_number"], "J1");
        assert!(shaped.get("tenant_id").is_none());
    }
}
