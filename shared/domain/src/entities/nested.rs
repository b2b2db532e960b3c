//! What a parent's create nests: a part's operations (in a job's create or a part's), read by
//! [`operations::FIELDS`], and how nested records become JSON rows for one set-based
//! `INSERT ... SELECT ... FROM json_each(?)` per table.

use crate::entities::{catalog, operations};
use crate::protocol::error::{Constraint, FieldError};
use crate::protocol::fields::{self, Reader};
use crate::protocol::sql::{Param, Stmt};
use crate::resource::{self, Column, Ref, Use, Values};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// An operation inside a create body (of a job, or of a part).
#[derive(Debug, Default)]
pub(crate) struct OperationDraft {
    pub(crate) values: Values,
}

/// A value the body set, as JSON (null when it set none).
pub(crate) fn shown(values: &Values, col: &str) -> Value {
    values.get(col).map_or(Value::Null, Param::to_json)
}

/// The `operations` array of a part in a create body: each checked, sequences unique.
pub(crate) fn parse_operations(
    r: &Reader<'_>,
    part: &Map<String, Value>,
    errs: &mut Vec<FieldError>,
    refs: &mut Vec<Ref>,
    ignored: &mut Vec<String>,
) -> Vec<OperationDraft> {
    let mut sequences: HashSet<i64> = HashSet::new();
    let mut ops = vec![];
    for (k, op) in objects(r, errs, part.get("operations"), "operations", "operation", false).into_iter().enumerate() {
        let or = r.child(op, "operations", k, "operation");
        ignored.extend(resource::ignored(&or, operations::FIELDS, Use::Nested, &[]));
        let mut values = resource::parse_create(&or, operations::FIELDS, Use::Nested, "operation", k, errs);
        // An ERP routing usually numbers its steps; when it does not, the order given is the sequence.
        values.or_default("sequence", Param::Int(k as i64 + 1));
        refs.append(&mut values.refs);
        if let Some(Param::Int(sequence)) = values.get("sequence").cloned() {
            if !sequences.insert(sequence) {
                errs.push(or.error("sequence", Constraint::UniqueConstraint, format!("Duplicate sequence {sequence} within part"), json!(sequence)));
            }
        }
        ops.push(OperationDraft { values });
    }
    ops
}

/// The objects of an array field; a missing required array, a non-array or a non-object
/// element is an error.
pub(crate) fn objects<'a>(
    r: &Reader<'a>,
    errs: &mut Vec<FieldError>,
    v: Option<&'a Value>,
    name: &str,
    entity: &str,
    required: bool,
) -> Vec<&'a Map<String, Value>> {
    match v {
        None | Some(Value::Null) if required => {
            errs.push(r.error(name, Constraint::NotNull, format!("Missing required field: {name}"), Value::Null));
            vec![]
        }
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => {
            if required && items.is_empty() {
                errs.push(r.error(name, Constraint::MinLength, format!("At least one {entity} is required"), json!([])));
            }
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    Value::Object(o) => Some(o),
                    other => {
                        errs.push(r.error(
                            &format!("{name}[{i}]"),
                            Constraint::TypeMismatch,
                            format!("Each {entity} must be an object, got {}", fields::type_name(other)),
                            other.clone(),
                        ));
                        None
                    }
                })
                .collect()
        }
        Some(other) => {
            errs.push(r.error(name, Constraint::TypeMismatch, format!("{name} must be an array, got {}", fields::type_name(other)), other.clone()));
            vec![]
        }
    }
}

/// The stored fields a nested create writes, in declaration order.
pub(crate) fn nested_columns(fields: &'static [Column]) -> impl Iterator<Item = &'static str> {
    resource::accepted(fields, Use::Nested).filter(|c| c.stored).map(|c| c.name)
}

/// A nested record as a JSON row for `json_each`: every stored nested field (null when not
/// given) and its unstored ones (`cell_name`), which the insert resolves.
pub(crate) fn row_of(values: &Values, fields: &'static [Column]) -> Map<String, Value> {
    let mut row: Map<String, Value> = nested_columns(fields).map(|c| (c.to_string(), shown(values, c))).collect();
    row.extend(values.unstored.iter().map(|(n, p)| (n.to_string(), p.to_json())));
    row
}

/// `value ->> '$.<column>'` for each nested column of `fields`, with `overrides` for the
/// columns whose value the insert resolves, and the column list they fill.
pub(crate) fn json_each_columns(fields: &'static [Column], overrides: &[(&str, &str)]) -> (String, String) {
    let cols: Vec<&str> = nested_columns(fields).collect();
    let exprs: Vec<String> =
        cols.iter().map(|c| overrides.iter().find(|(o, _)| o == c).map_or_else(|| format!("value ->> '$.{c}'"), |(_, e)| e.to_string())).collect();
    (cols.join(", "), exprs.join(", "))
}

/// The operations of one or more new parts, and the cells their `cell_name`s create.
#[derive(Default)]
pub(crate) struct NestedOperations {
    rows: Vec<Value>,
    cells: HashMap<String, Value>,
}

impl NestedOperations {
    /// Adds a part's operations; returns their entries for the answer and for the event.
    pub(crate) fn add(&mut self, part_id: &str, ops: &[OperationDraft], mint: &mut impl FnMut() -> String) -> (Vec<Value>, Vec<Value>) {
        let mut answer = vec![];
        let mut event = vec![];
        for o in ops {
            let op_id = mint();
            let v = &o.values;
            if let (None, Some(name)) = (v.get("cell_id"), v.unstored_text("cell_name")) {
                let new_cell = json!({ "id": mint(), "name": name });
                self.cells.entry(catalog::cell_name_key(name)).or_insert(new_cell);
            }
            let mut row = row_of(v, operations::FIELDS);
            row.insert("id".into(), json!(op_id));
            row.insert("part_id".into(), json!(part_id));
            self.rows.push(Value::Object(row));
            answer.push(json!({ "operation_id": op_id, "operation_name": shown(v, "operation_name") }));
            event.push(json!({ "operation_id": op_id, "operation_name": shown(v, "operation_name"), "sequence": shown(v, "sequence") }));
        }
        (answer, event)
    }

    /// The cell and operation inserts, each guarded by `guard` (`?4`). A `cell_name` resolves
    /// case-insensitively to the tenant's cell, created first when it is new.
    pub(crate) fn stmts(&self, tenant_id: &str, now: &str, guard: &str, guard_param: Param) -> Vec<Stmt> {
        let t = || Param::from(tenant_id);
        let mut stmts = vec![];
        if !self.cells.is_empty() {
            let cells: Vec<&Value> = self.cells.values().collect();
            stmts.push(Stmt::new(
                format!(
                    "INSERT INTO cells (id, tenant_id, name, created_at, updated_at) \
                 SELECT value ->> '$.id', ?1, value ->> '$.name', ?2, ?2 FROM json_each(?3) WHERE {guard} ON CONFLICT DO NOTHING"
                ),
                vec![t(), now.into(), json!(cells).to_string().into(), guard_param.clone()],
            ));
        }
        if !self.rows.is_empty() {
            // A cell_name resolves to the cell of that name (given or created just before).
            let cell = "COALESCE(value ->> '$.cell_id', (SELECT c.id FROM cells c WHERE c.tenant_id = ?1 AND c.name = value ->> '$.cell_name'))";
            let (cols, values) = json_each_columns(operations::FIELDS, &[("cell_id", cell)]);
            stmts.push(Stmt::new(
                format!(
                    "INSERT INTO operations (id, tenant_id, part_id, {cols}, created_at, updated_at) \
                     SELECT value ->> '$.id', ?1, value ->> '$.part_id', {values}, ?2, ?2 FROM json_each(?3) WHERE {guard}"
                ),
                vec![t(), now.into(), json!(self.rows).to_string().into(), guard_param],
            ));
        }
        stmts
    }
}
