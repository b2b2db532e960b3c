//! The catalog entities: cells (work centers), materials, operators (the tenant's people) and
//! substeps (an operation's checklist). Each is a spec for [`crate::entities::entity::Entity`].

use crate::delivery::events::EventType;
use crate::entities::entity::{Entity, Guard, Write};
use crate::protocol::sql::Param;
use crate::resource::{Column, Filter, FilterKind, Initial, Kind, ListSpec, Values};

const NOTES: usize = 100_000;

/// The one case-folding rule for cell names: the `cells.name` column's `COLLATE NOCASE`,
/// which folds ASCII letters only. Every comparison of names in Rust (new cells of one write,
/// names matched against the stored ones) folds exactly so, or an operation naming a
/// non-ASCII cell could be matched to a cell SQLite does not find.
pub fn cell_name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

pub const CELLS: Entity = Entity {
    singular: "cell",
    plural: "cells",
    label: "Cell",
    table: "cells",
    columns: &[
        Column::new("name", Kind::Text(1, 255)).required(),
        Column::new("description", Kind::Text(0, NOTES)),
        Column::new("active", Kind::Boolean).not_null().initially(Initial::Int(1)),
    ],
    list: ListSpec {
        from: "cells c",
        tenant: "c.tenant_id",
        id: "c.id",
        columns: "c.id, c.name, c.description, c.active, c.created_at, c.updated_at, c.external_source, c.external_id",
        filters: &[
            Filter { param: "name", clause: "instr(lower(c.name), #) > 0", kind: FilterKind::Contains },
            Filter { param: "active", clause: "c.active = #", kind: FilterKind::Boolean },
        ],
        sorts: &[("name", "c.name"), ("created_at", "c.created_at"), ("updated_at", "c.updated_at")],
        default_desc: false,
    },
    returning: "id, name, description, active, created_at, updated_at, external_source, external_id",
    bool_cols: &["active"],
    unique: Some(("name", None)),
    uses: &[
        ("operations", "SELECT 1 FROM operations WHERE tenant_id = {tenant} AND cell_id = ?2 LIMIT 1"),
        ("jobs", "SELECT 1 FROM jobs WHERE tenant_id = {tenant} AND current_cell_id = ?2 LIMIT 1"),
        ("parts", "SELECT 1 FROM parts WHERE tenant_id = {tenant} AND current_cell_id = ?2 LIMIT 1"),
        ("batches", "SELECT 1 FROM batches WHERE tenant_id = {tenant} AND cell_id = ?2 LIMIT 1"),
    ],
    on_write: None,
    event: None,
    guard: None,
};

pub const MATERIALS: Entity = Entity {
    singular: "material",
    plural: "materials",
    label: "Material",
    table: "materials",
    columns: &[Column::new("name", Kind::Text(1, 255)).required(), Column::new("description", Kind::Text(0, NOTES))],
    list: ListSpec {
        from: "materials m",
        tenant: "m.tenant_id",
        id: "m.id",
        columns: "m.id, m.name, m.description, m.created_at, m.updated_at",
        filters: &[Filter { param: "name", clause: "instr(lower(m.name), #) > 0", kind: FilterKind::Contains }],
        sorts: &[("name", "m.name"), ("created_at", "m.created_at"), ("updated_at", "m.updated_at")],
        default_desc: false,
    },
    returning: "id, name, description, created_at, updated_at",
    bool_cols: &[],
    unique: Some(("name", None)),
    uses: &[("parts", "SELECT 1 FROM parts WHERE tenant_id = {tenant} AND material_id = ?2 LIMIT 1")],
    on_write: None,
    event: None,
    guard: None,
};

pub const ROLES: &[&str] = &["operator", "admin"];
/// What an API key may make a person: admins are made by the admin command (and hold
/// passwords that open the admin endpoints), so a key can never create or promote one.
const KEY_ROLES: &[&str] = &["operator"];

/// The tenant's people. Operators who have worked are deactivated (`active: false`), not
/// deleted: a DELETE is refused while operations are assigned to them.
pub const OPERATORS: Entity = Entity {
    singular: "operator",
    plural: "operators",
    label: "Operator",
    table: "users",
    columns: &[
        Column::new("full_name", Kind::Text(1, 255)).required(),
        Column::new("employee_id", Kind::Text(1, 64)),
        Column::new("email", Kind::Text(3, 320)),
        Column::new("role", Kind::OneOf(KEY_ROLES, &[])).not_null(),
        Column::new("active", Kind::Boolean).not_null(),
    ],
    list: ListSpec {
        from: "users u",
        tenant: "u.tenant_id",
        id: "u.id",
        columns: "u.id, u.full_name, u.employee_id, u.email, u.role, u.active, u.created_at, u.updated_at",
        filters: &[
            Filter { param: "search", clause: "(instr(lower(u.full_name), #) > 0 OR instr(lower(u.employee_id), #) > 0)", kind: FilterKind::Contains },
            Filter { param: "role", clause: "u.role = #", kind: FilterKind::OneOf(ROLES, &[]) },
            Filter { param: "active", clause: "u.active = #", kind: FilterKind::Boolean },
        ],
        sorts: &[("full_name", "u.full_name"), ("employee_id", "u.employee_id"), ("created_at", "u.created_at"), ("updated_at", "u.updated_at")],
        default_desc: false,
    },
    returning: "id, full_name, employee_id, email, role, active, created_at, updated_at",
    bool_cols: &["active"],
    unique: Some(("employee_id", None)),
    uses: &[
        ("operations", "SELECT 1 FROM operations WHERE tenant_id = {tenant} AND assigned_operator_id = ?2 LIMIT 1"),
        ("time entries", "SELECT 1 FROM time_entries WHERE tenant_id = {tenant} AND operator_id = ?2 LIMIT 1"),
        ("issues", "SELECT 1 FROM issues WHERE tenant_id = {tenant} AND (reported_by_id = ?2 OR resolved_by_id = ?2 OR verified_by_id = ?2) LIMIT 1"),
        ("batches", "SELECT 1 FROM batches WHERE tenant_id = {tenant} AND operator_id = ?2 LIMIT 1"),
    ],
    on_write: None,
    event: None,
    guard: Some(Guard { sql: "role = 'operator'", reason: "admins are managed by signed-in admins, not API keys" }),
};

pub const SUBSTEPS: Entity = Entity {
    singular: "substep",
    plural: "substeps",
    label: "Substep",
    table: "substeps",
    columns: &[
        Column::new("operation_id", Kind::Ref("operations")).required().fixed(),
        Column::new("description", Kind::Text(1, NOTES)).required(),
        Column::new("sequence", Kind::Integer(1, 1_000_000)).required(),
        Column::new("completed", Kind::Boolean).not_null(),
        Column::new("notes", Kind::Text(0, NOTES)),
    ],
    list: ListSpec {
        from: "substeps s",
        tenant: "s.tenant_id",
        id: "s.id",
        columns: "s.id, s.operation_id, s.description, s.sequence, s.completed, s.completed_at, s.notes, s.created_at, s.updated_at",
        filters: &[
            Filter { param: "operation_id", clause: "s.operation_id = #", kind: FilterKind::Id },
            Filter { param: "completed", clause: "s.completed = #", kind: FilterKind::Boolean },
        ],
        sorts: &[("sequence", "s.sequence"), ("created_at", "s.created_at"), ("completed_at", "s.completed_at"), ("updated_at", "s.updated_at")],
        default_desc: false,
    },
    returning: "id, operation_id, description, sequence, completed, completed_at, notes, created_at, updated_at",
    bool_cols: &["completed"],
    unique: Some(("sequence", Some("operation_id"))),
    uses: &[],
    on_write: Some(stamp_completion),
    event: Some(substep_event),
    guard: None,
};

/// `completed_at` follows `completed`: set when it becomes true, cleared when false.
fn stamp_completion(_: Write, values: &mut Values, now: &str) {
    match values.get("completed") {
        Some(Param::Int(1)) => values.set("completed_at", now.into()),
        Some(Param::Int(0)) | Some(Param::Null) => {
            values.set("completed", Param::Int(0));
            values.set("completed_at", Param::Null);
        }
        _ => {}
    }
}

fn substep_event(w: Write, values: &Values) -> Option<EventType> {
    match w {
        Write::Create => Some(EventType::StepAdded),
        Write::Update => (values.get("completed") == Some(&Param::Int(1))).then_some(EventType::StepCompleted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn the_reference_substep_example_plans_step_added() {
        let body = json!({"operation_id": "op", "description": "Measure hole diameter with caliper", "sequence": 1});
        let d = SUBSTEPS.parse_create(body.as_object().unwrap());
        let v = SUBSTEPS.check(d, &[vec![], vec![json!({"tbl": "operations", "id": "op"})], vec![]], None).unwrap();
        let s = SUBSTEPS.plan_create(v, "t", "now", "s1".into(), "e1".into());
        assert!(s[1].params.iter().any(|p| *p == Param::Text("step.added".into())));
    }

    #[test]
    fn completing_stamps_and_emits_and_uncompleting_clears() {
        let mut v = Values::default();
        v.set("completed", Param::Int(1));
        stamp_completion(Write::Update, &mut v, "now");
        assert_eq!(v.get("completed_at"), Some(&Param::Text("now".into())));
        assert_eq!(substep_event(Write::Update, &v), Some(EventType::StepCompleted));
        let mut v = Values::default();
        v.set("completed", Param::Int(0));
        stamp_completion(Write::Update, &mut v, "now");
        assert_eq!(v.get("completed_at"), Some(&Param::Null));
        assert_eq!(substep_event(Write::Update, &v), None);
    }

    #[test]
    fn deleting_a_cell_checks_every_use() {
        // The record, the guard's refusal (none), then one read per use: operations, jobs, ...
        let found: Vec<Vec<Value>> = vec![vec![json!({"id": "c"})], vec![], vec![], vec![json!({"1": 1})], vec![]];
        assert!(CELLS.plan_delete(&found, "t", "c").unwrap_err().message.contains("still used by jobs"));
        assert_eq!(CELLS.delete_preloads(crate::protocol::sql::Scope::Tenant("t"), "c").len(), 2 + CELLS.uses.len());
    }
}
