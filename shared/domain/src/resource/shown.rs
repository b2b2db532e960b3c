//! A record as its GET answers it, and `If-Match` carried into the write that changes it.

use super::ListSpec;
use crate::protocol::error::ApiError;
use crate::protocol::sql::{Scope, Stmt};
use serde_json::{json, Value};

/// A record as its GET answers it: the reads, and the `data` they make. The GET answers with
/// it and a PATCH checks `If-Match` against it, so both see the same representation.
pub struct Shown {
    /// The record's table (with `id`, `tenant_id` and `updated_at`), for [`still_as_read`].
    pub table: &'static str,
    /// The endpoint's list: its parameters are checked beside `?id=` too.
    pub list: &'static ListSpec,
    pub reads: fn(Scope<'_>, &str) -> Vec<Stmt>,
    pub data: fn(&[Vec<Value>], &str) -> Result<Value, ApiError>,
}

/// `If-Match` (the header, if sent) carried into the write, so that of two changes holding one
/// tag only the first commits: the condition that the row of `table` is still as round trip
/// one read it (`seen`). None without `If-Match`, or when it lists `*` (any version meets it).
pub fn if_match_condition(if_match: Option<&str>, table: &str, seen: Option<&Value>, tenant_id: &str, id: &str) -> Option<Stmt> {
    if if_match.is_none_or(crate::protocol::http::lists_any) {
        return None;
    }
    still_as_read(table, seen, tenant_id, id)
}

/// The `If-Match` condition on a row of `table` as round trip one read it (`seen`, with its
/// `updated_at`); none when it was not found (the write then answers 404 itself).
pub fn still_as_read(table: &str, seen: Option<&Value>, tenant_id: &str, id: &str) -> Option<Stmt> {
    let seen = seen?.get("updated_at")?.as_str()?;
    let holds = format!("EXISTS (SELECT 1 FROM {table} WHERE id = ?1 AND tenant_id = ?2 AND updated_at = ?3)");
    Some(crate::protocol::sql::Condition::IfMatch.unless(&holds, vec![id.into(), tenant_id.into(), seen.into()]))
}

/// `{key: shape(row)}` of the one row the first read found, or 404 naming `label`: the `data`
/// of a [`Shown`] whose GET reads one row.
pub fn one_row(found: &[Vec<Value>], id: &str, label: &str, key: &str, shape: fn(&Value) -> Value) -> Result<Value, ApiError> {
    let row = at(found, 0).first().ok_or_else(|| ApiError::not_found(label, id))?;
    Ok(json!({ key: shape(row) }))
}

/// The rows of the `i`th read of a round trip (none when it is missing).
pub fn at(found: &[Vec<Value>], i: usize) -> &[Value] {
    found.get(i).map_or(&[], Vec::as_slice)
}

/// A database row as the API returns it: JSON text columns become JSON, 0/1 flags booleans.
pub fn decode(row: &Value, json_cols: &[&str], bool_cols: &[&str]) -> Value {
    let mut row = row.clone();
    if let Some(obj) = row.as_object_mut() {
        for col in json_cols {
            if let Some(Value::String(text)) = obj.get(*col) {
                let parsed = serde_json::from_str(text).unwrap_or(Value::Null);
                obj.insert((*col).to_string(), parsed);
            }
        }
        for col in bool_cols {
            if let Some(n) = obj.get(*col).and_then(Value::as_f64) {
                obj.insert((*col).to_string(), Value::Bool(n != 0.0));
            }
        }
    }
    row
}
