//! PATCH of a job's allowed fields. A status change obeys the job status machine and is a
//! compare-and-set on the status read in the authentication round trip, so that two racing
//! requests cannot both move the job.

use super::{bare_job_columns, status, FIELDS};
use crate::delivery::events::{Event, EventType};
use crate::protocol::error::{ApiError, FieldError};
use crate::protocol::fields::Reader;
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::resource::{self, Use};
use serde_json::{json, Map, Value};

/// A validated PATCH body: column assignments in body order.
#[derive(Debug)]
pub struct Changes {
    sets: Vec<(&'static str, Param)>,
    shown: Map<String, Value>,
    status: Option<String>,
    pub ignored: Vec<String>,
}

/// Reads the fields of [`super::FIELDS`] a PATCH accepts; `status` goes through the status machine.
pub fn parse(body: &Map<String, Value>) -> Result<Changes, ApiError> {
    let mut errs: Vec<FieldError> = vec![];
    let r = Reader::root(body, "job");
    let mut values = resource::parse_patch(&r, FIELDS, Use::Patch, "job", &mut errs);
    if !errs.is_empty() {
        return Err(ApiError::validation("job", errs));
    }
    let status = values.sets.iter().position(|(c, _)| *c == "status").map(|i| values.sets.remove(i).1);
    let status = match status {
        Some(Param::Text(s)) => Some(s),
        _ => None,
    };
    if values.sets.is_empty() && status.is_none() {
        let allowed: Vec<&str> = resource::accepted(FIELDS, Use::Patch).map(|c| c.name).collect();
        return Err(ApiError::nothing_to_update("job").with_allowed(&allowed));
    }
    Ok(Changes { shown: values.shown(), sets: values.sets, status, ignored: resource::ignored(&r, FIELDS, Use::Patch, &[]) })
}

/// The current row, read inside the authentication round trip.
pub fn preload(scope: Scope<'_>, id: &str) -> Stmt {
    Stmt::scoped(scope, "SELECT id, job_number, status, started_at FROM jobs WHERE tenant_id = {tenant} AND id = ?2", vec![id.into()])
}

/// The update and its `job.updated` event, or 409 when the status may not move that way.
pub fn plan(c: &Changes, current: &Value, tenant_id: &str, now: &str, event_id: String) -> Result<(Vec<Stmt>, Event), ApiError> {
    let text = |k: &str| current.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let (id, job_number, from) = (text("id"), text("job_number"), text("status"));
    let mut sets = c.sets.clone();
    if let Some(to) = &c.status {
        if !status::can_move(&from, to) {
            return Err(ApiError::conflict(format!("Cannot change job status from {from} to {to}")));
        }
        sets.push(("status", to.clone().into()));
        let started = current.get("started_at").and_then(Value::as_str);
        sets.extend(status::stamps(&from, to, now, started));
    }
    sets.push(("updated_at", now.into()));
    let assignments: Vec<String> = sets.iter().enumerate().map(|(i, (col, _))| format!("{col} = ?{}", i + 4)).collect();
    let mut params: Vec<Param> = vec![id.clone().into(), tenant_id.into(), from.clone().into()];
    params.extend(sets.into_iter().map(|(_, p)| p));
    let update = Stmt::new(
        format!("UPDATE jobs SET {} WHERE id = ?1 AND tenant_id = ?2 AND status = ?3 RETURNING {}", assignments.join(", "), bare_job_columns()),
        params,
    );
    let mut changes = c.shown.clone();
    if let Some(to) = &c.status {
        changes.insert("status".into(), json!(to));
    }
    let event = Event {
        id: event_id,
        event_type: EventType::JobUpdated,
        tenant_id: tenant_id.into(),
        timestamp: now.into(),
        data: json!({
            "job_id": id, "job_number": job_number, "previous_status": from,
            "new_status": c.status.clone().unwrap_or_else(|| from.clone()), "changes": changes,
        }),
    };
    // changes() is the row count of the UPDATE just before it in this batch: the event is
    // written exactly when the compare-and-set won.
    let insert = event.insert_when("changes() = 1", vec![]);
    Ok((vec![update, insert], event))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn reference_example_parses() {
        let c = parse(&body(json!({"status": "completed", "notes": "Finished ahead of schedule"}))).unwrap();
        assert_eq!(c.status.as_deref(), Some("completed"));
        assert_eq!(c.sets, vec![("notes", Param::Text("Finished ahead of schedule".into()))]);
    }

    #[test]
    fn status_move_is_checked_and_stamped() {
        let c = parse(&body(json!({"status": "completed"}))).unwrap();
        let current = json!({"id": "j", "job_number": "J", "status": "in_progress", "started_at": "2026-01-15T10:00:00.000Z"});
        let (stmts, event) = plan(&c, &current, "t", "2026-01-15T16:30:00.000Z", "e".into()).unwrap();
        assert!(stmts[0].sql.contains("status = ?4, completed_at = ?5, actual_duration = ?6, updated_at = ?7"), "{}", stmts[0].sql);
        assert!(stmts[0].sql.contains("AND status = ?3 RETURNING id, job_number"));
        assert_eq!(stmts[0].params[5], Param::Int(390));
        assert_eq!(event.data["previous_status"], "in_progress");
        let fresh = json!({"id": "j", "job_number": "J", "status": "not_started"});
        assert_eq!(plan(&c, &fresh, "t", "now", "e".into()).unwrap_err().status(), 409);
    }

    #[test]
    fn nulls_clear_and_bad_values_are_422() {
        let c = parse(&body(json!({"customer_name": null, "metadata": {"a": 1}}))).unwrap();
        assert_eq!(c.sets[0], ("customer", Param::Null));
        assert_eq!(c.shown["metadata"], json!({"a": 1}));
        let e = parse(&body(json!({"due_date": "soon", "priority": -1, "status": null}))).unwrap_err();
        assert_eq!(e.details.unwrap().as_array().unwrap().len(), 3);
    }

    #[test]
    fn nothing_to_update_is_422_and_unknown_fields_are_reported() {
        assert_eq!(parse(&body(json!({"job_number": "X"}))).unwrap_err().status(), 422);
        let c = parse(&body(json!({"notes": "n", "job_number": "X"}))).unwrap();
        assert_eq!(c.ignored, vec!["job_number".to_string()]);
    }
}
