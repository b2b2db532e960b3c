//! The operation lifecycle of `api-operation-lifecycle`: start, pause, resume, complete, with
//! the operator's time entries and the status roll-up to part and job.
//!
//! A transition is one atomic batch. Its first statement is the compare-and-set on the status
//! read in the authentication round trip, and it also stamps a fresh `transition_id`; every
//! other statement (time entries, roll-up, events) acts only when the operation holds that
//! token, so a request that lost a race writes nothing at all.
//!
//! Roll-up: entering in_progress (start or resume) starts the part if it is not_started, and
//! its job if that is not_started; completing the last not-completed operation of a part
//! completes the part. A job is never completed by roll-up: that is the office's decision
//! (`api-job-lifecycle/complete`).

use crate::delivery::events::{Event, EventType};
use crate::entities::operations::{shape, RETURNING};
use crate::lifecycle::jobs::refused;
use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::protocol::time;
use crate::resource::{self, Column, Kind};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Pause,
    Resume,
    Complete,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "start" => Some(Action::Start),
            "pause" => Some(Action::Pause),
            "resume" => Some(Action::Resume),
            "complete" => Some(Action::Complete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Complete => "complete",
        }
    }

    /// Start also picks up a paused operation (as a job's start does); complete also ends a
    /// paused one.
    pub fn sources(self) -> &'static [&'static str] {
        match self {
            Action::Start => &["not_started", "on_hold"],
            Action::Pause => &["in_progress"],
            Action::Resume => &["on_hold"],
            Action::Complete => &["in_progress", "on_hold"],
        }
    }

    pub fn target(self) -> &'static str {
        match self {
            Action::Start | Action::Resume => "in_progress",
            Action::Pause => "on_hold",
            Action::Complete => "completed",
        }
    }

    /// Whether the action opens a time entry for the operator (and so needs one).
    pub fn opens_time(self) -> bool {
        matches!(self, Action::Start | Action::Resume)
    }

    fn event(self) -> EventType {
        match self {
            Action::Start => EventType::OperationStarted,
            Action::Pause => EventType::OperationPaused,
            Action::Resume => EventType::OperationResumed,
            Action::Complete => EventType::OperationCompleted,
        }
    }
}

/// The query parameters of a transition (beside `id`).
pub const QUERY: &[Column] = &[Column::new("user_id", Kind::Ref("users"))
    .doc("The operator (default: the assigned one; with neither, the work is unattended and its time is machine time)")];

crate::read_set!(
    /// Round trip one of a transition: the operation with its part and job, its open time
    /// entries, and the operator (`user_id`, else the operation's assigned operator).
    struct Reads { operation, open_entries, operator }
);

/// The reads of `Reads`.
pub fn preloads(scope: Scope<'_>, id: &str, user_id: Option<&str>) -> Vec<Stmt> {
    Reads {
        operation: Stmt::scoped(
            scope,
            "SELECT o.id, o.operation_name, o.status, o.estimated_time, o.actual_time, o.started_at, o.assigned_operator_id, \
             o.part_id, p.part_number, p.job_id, j.job_number FROM operations o JOIN parts p ON p.id = o.part_id \
             JOIN jobs j ON j.id = p.job_id WHERE o.tenant_id = {tenant} AND o.id = ?2",
            vec![id.into()],
        ),
        open_entries: Stmt::scoped(
            scope,
            "SELECT id, operator_id, start_time FROM time_entries WHERE tenant_id = {tenant} AND operation_id = ?2 AND end_time IS NULL",
            vec![id.into()],
        ),
        operator: Stmt::scoped(
            scope,
            "SELECT id, active FROM users WHERE tenant_id = {tenant} \
             AND id = COALESCE(?2, (SELECT assigned_operator_id FROM operations WHERE tenant_id = {tenant} AND id = ?3))",
            vec![user_id.into(), id.into()],
        ),
    }
    .stmts()
}

/// A planned transition and what its answer needs.
#[derive(Debug)]
pub struct Planned {
    pub stmts: Vec<Stmt>,
    action: Action,
    previous: String,
    current: Value,
    closed: usize,
    opened: Option<Value>,
}

/// 404 / 409 / 422 (the operator), then the batch.
pub fn plan(
    action: Action,
    found: &[Vec<Value>],
    id: &str,
    user_id: Option<&str>,
    tenant_id: &str,
    now: &str,
    mut mint: impl FnMut() -> String,
) -> Result<Planned, ApiError> {
    let found = Reads::rows(found);
    let op = found.operation.first().ok_or_else(|| ApiError::not_found("Operation", id))?;
    let text = |k: &str| op.get(k).and_then(Value::as_str);
    let from = text("status").unwrap_or_default();
    if !action.sources().contains(&from) {
        return Err(refused("operation", text("operation_name").unwrap_or(id), action.as_str(), from, action.sources()));
    }
    let operator = if action.opens_time() { operator(found.operator, user_id)? } else { None };
    let token = mint();
    let to = action.target();
    let open_entries = if action.opens_time() { &[][..] } else { found.open_entries };
    let worked: f64 = open_entries.iter().filter_map(|e| time::exact_minutes(e["start_time"].as_str()?, now)).sum();
    let actual = ((op["actual_time"].as_f64().unwrap_or(0.0) + worked) * 100.0).round() / 100.0;

    let mut sets: Vec<(&'static str, Param)> = vec![("status", to.into()), ("transition_id", token.clone().into())];
    match action {
        Action::Start if from == "not_started" => sets.extend([("started_at", text("started_at").unwrap_or(now).into()), ("paused_at", Param::Null)]),
        Action::Start | Action::Resume => sets.extend([("resumed_at", now.into()), ("paused_at", Param::Null)]),
        Action::Pause => sets.extend([("paused_at", now.into()), ("actual_time", actual.into())]),
        Action::Complete => sets.extend([("completed_at", now.into()), ("completion_percentage", 100i64.into()), ("actual_time", actual.into())]),
    }
    sets.push(("updated_at", now.into()));
    let mut stmts = vec![resource::update("operations", id, tenant_id, &sets, Some(("status = ?3", from.into())), RETURNING)];
    let guard = |at: usize| format!("EXISTS (SELECT 1 FROM operations WHERE id = ?{at} AND transition_id = ?{})", at + 1);
    let guarded = |mut params: Vec<Param>| {
        params.extend([Param::from(id), token.clone().into()]);
        params
    };

    let mut opened = None;
    if action.opens_time() {
        // Labour for its operator, or machine time when nobody attends it.
        let entry_id = mint();
        let time_type = if operator.is_some() { "run" } else { "machine" };
        stmts.push(Stmt::new(
            format!(
                "INSERT INTO time_entries (id, tenant_id, operation_id, operator_id, time_type, start_time, created_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6 WHERE {}",
                guard(7)
            ),
            guarded(vec![entry_id.clone().into(), tenant_id.into(), id.into(), Param::from(operator.clone()), time_type.into(), now.into()]),
        ));
        opened = Some(json!({ "id": entry_id, "operator_id": operator, "time_type": time_type, "start_time": now }));
    }
    for entry in open_entries {
        let minutes = entry["start_time"].as_str().and_then(|s| time::exact_minutes(s, now)).unwrap_or(0.0);
        stmts.push(Stmt::new(
            format!("UPDATE time_entries SET end_time = ?1, duration = ?2 WHERE id = ?3 AND end_time IS NULL AND {}", guard(4)),
            guarded(vec![now.into(), minutes.into(), entry["id"].as_str().unwrap_or_default().into()]),
        ));
    }

    let part_id = text("part_id").unwrap_or_default();
    let job_id = text("job_id").unwrap_or_default();
    let event = |event_type: EventType, data: Value, mint: &mut dyn FnMut() -> String| Event {
        id: mint(),
        event_type,
        tenant_id: tenant_id.into(),
        timestamp: now.into(),
        data,
    };
    let part_data =
        |prev: &str, new: &str| json!({ "part_id": part_id, "part_number": text("part_number"), "job_id": job_id, "previous_status": prev, "new_status": new });
    if to == "in_progress" {
        stmts.push(Stmt::new(
            format!("UPDATE parts SET status = 'in_progress', started_at = COALESCE(started_at, ?1), updated_at = ?1 WHERE id = ?2 AND status = 'not_started' AND {}", guard(3)),
            guarded(vec![now.into(), part_id.into()]),
        ));
        let mut data = part_data("not_started", "in_progress");
        data["started_at"] = json!(now);
        stmts.push(event(EventType::PartStarted, data, &mut mint).insert_when("changes() = 1", vec![]));
        stmts.push(Stmt::new(
            format!("UPDATE jobs SET status = 'in_progress', started_at = COALESCE(started_at, ?1), updated_at = ?1 WHERE id = ?2 AND status = 'not_started' AND {}", guard(3)),
            guarded(vec![now.into(), job_id.into()]),
        ));
        let data =
            json!({ "job_id": job_id, "job_number": text("job_number"), "previous_status": "not_started", "new_status": "in_progress", "started_at": now });
        stmts.push(event(EventType::JobStarted, data, &mut mint).insert_when("changes() = 1", vec![]));
    }
    if action == Action::Complete {
        stmts.push(Stmt::new(
            format!(
                "UPDATE parts SET status = 'completed', completed_at = ?1, updated_at = ?1 WHERE id = ?2 AND status <> 'completed' \
                 AND NOT EXISTS (SELECT 1 FROM operations WHERE part_id = ?2 AND status <> 'completed') AND {}",
                guard(3)
            ),
            guarded(vec![now.into(), part_id.into()]),
        ));
        let mut data = part_data("in_progress", "completed");
        data["completed_at"] = json!(now);
        stmts.push(event(EventType::PartCompleted, data, &mut mint).insert_when("changes() = 1", vec![]));
    }

    let data = json!({
        "operation_id": id, "operation_name": text("operation_name"), "part_id": part_id, "part_number": text("part_number"),
        "job_id": job_id, "job_number": text("job_number"), "previous_status": from, "new_status": to,
        "operator_id": operator, "estimated_time": op["estimated_time"], "actual_time": actual,
        "minutes_recorded": worked, "occurred_at": now,
    });
    stmts.push(event(action.event(), data, &mut mint).insert_when(&guard(6), vec![id.into(), token.into()]));
    Ok(Planned { stmts, action, previous: from.to_string(), current: op.clone(), closed: open_entries.len(), opened })
}

/// The operator who opens the time entry (given, else the assigned one): it must exist in the
/// tenant and be active. With neither, the work is unattended: machine time, no operator.
fn operator(rows: &[Value], user_id: Option<&str>) -> Result<Option<String>, ApiError> {
    let invalid = |c: Constraint, message: String, value: Value| ApiError::validation("operation", vec![FieldError::new("user_id", c, message, value)]);
    let Some(user) = rows.first() else {
        return match user_id {
            Some(id) => Err(invalid(Constraint::FkConstraint, format!("Foreign key user_id references non-existent record: {id}"), json!(id))),
            None => Ok(None),
        };
    };
    let id = user["id"].as_str().unwrap_or_default().to_string();
    if user["active"].as_f64() == Some(0.0) {
        return Err(invalid(Constraint::FkConstraint, format!("Operator {id} is deactivated"), json!(id)));
    }
    Ok(Some(id))
}

impl Planned {
    /// The reference's answer from the compare-and-set's row; none means another request moved
    /// the operation first (409).
    pub fn answer(&self, row: &[Value]) -> Result<Value, ApiError> {
        let Some(row) = row.first() else {
            return Err(ApiError::conflict(format!("The operation changed while this request ran: it is no longer {}", self.previous)));
        };
        let mut op = row.clone();
        for k in ["part_number", "job_id", "job_number"] {
            op[k] = self.current[k].clone();
        }
        if let Some(o) = op.as_object_mut() {
            o.remove("transition_id");
        }
        let mut answer = json!({
            "operation": shape(&op),
            "operation_type": self.action.as_str(),
            "previous_status": self.previous,
            "new_status": self.action.target(),
            "time_entry_ended": self.closed > 0,
        });
        if let Some(entry) = &self.opened {
            answer["time_entry"] = entry.clone();
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ids;

    fn op(status: &str) -> Value {
        json!({"id": "o", "operation_name": "CNC Milling", "status": status, "estimated_time": 120, "actual_time": 0,
               "started_at": null, "assigned_operator_id": null, "part_id": "p", "part_number": "PART-001", "job_id": "j", "job_number": "JOB-2026-001"})
    }

    fn found(status: &str, open: Vec<Value>, user: Vec<Value>) -> Vec<Vec<Value>> {
        vec![vec![op(status)], open, user]
    }

    const NOW: &str = "2026-01-15T12:15:00.000Z";

    #[test]
    fn every_action_from_every_state() {
        for action in [Action::Start, Action::Pause, Action::Resume, Action::Complete] {
            for from in ["not_started", "in_progress", "on_hold", "completed"] {
                let r = plan(action, &found(from, vec![], vec![json!({"id": "u", "active": 1})]), "o", Some("u"), "t", NOW, ids());
                assert_eq!(r.is_ok(), action.sources().contains(&from), "{action:?} from {from}");
            }
        }
    }

    #[test]
    fn start_opens_an_entry_and_rolls_up_guarded_by_the_token() {
        let p = plan(Action::Start, &found("not_started", vec![], vec![json!({"id": "u", "active": 1})]), "o", Some("u"), "t", NOW, ids()).unwrap();
        let firsts: Vec<String> = p.stmts.iter().map(|s| s.sql.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).collect();
        assert_eq!(
            firsts,
            vec![
                "UPDATE operations SET",
                "INSERT INTO time_entries",
                "UPDATE parts SET",
                "INSERT INTO events",
                "UPDATE jobs SET",
                "INSERT INTO events",
                "INSERT INTO events"
            ]
        );
        assert!(p.stmts[0].sql.contains("transition_id = ?5"), "{}", p.stmts[0].sql);
        assert!(p.stmts[1..].iter().filter(|s| !s.sql.contains("changes() = 1")).all(|s| s.sql.contains("transition_id = ?")));
        let answer = p.answer(&[json!({"id": "o", "status": "in_progress", "part_id": "p", "transition_id": "x"})]).unwrap();
        assert_eq!(answer["operation"]["part"]["job"]["job_number"], "JOB-2026-001");
        assert_eq!(answer["time_entry"]["operator_id"], "u");
        assert_eq!(answer["time_entry_ended"], false);
        assert!(answer["operation"].get("transition_id").is_none());
        assert_eq!(p.answer(&[]).unwrap_err().status(), 409);
    }

    #[test]
    fn complete_closes_entries_adds_minutes_and_completes_the_part_last() {
        let open = vec![json!({"id": "te", "operator_id": "u", "start_time": "2026-01-15T10:00:00.000Z"})];
        let p = plan(Action::Complete, &found("in_progress", open, vec![]), "o", None, "t", NOW, ids()).unwrap();
        assert!(p.stmts[0].params.contains(&Param::Real(135.0)), "actual_time 0 + 135");
        assert!(p.stmts[0].params.contains(&Param::Int(100)), "completion_percentage");
        assert!(p.stmts[1].sql.starts_with("UPDATE time_entries SET end_time = ?1, duration = ?2"));
        assert_eq!(p.stmts[1].params[1], Param::Real(135.0));
        assert!(p.stmts[2].sql.contains("NOT EXISTS (SELECT 1 FROM operations WHERE part_id = ?2 AND status <> 'completed')"));
        let answer = p.answer(&[json!({"id": "o", "part_id": "p"})]).unwrap();
        assert_eq!(answer["time_entry_ended"], true);
        assert_eq!(answer["operation_type"], "complete");
    }

    #[test]
    fn opening_time_needs_an_active_operator_or_none_at_all() {
        let detail = |r: Result<Planned, ApiError>| r.unwrap_err().details.unwrap()[0]["constraint"].as_str().unwrap().to_string();
        let unattended = plan(Action::Start, &found("not_started", vec![], vec![]), "o", None, "t", NOW, ids()).expect("no operator, none assigned");
        let entry = unattended.stmts.iter().find(|s| s.sql.starts_with("INSERT INTO time_entries")).unwrap();
        assert_eq!((&entry.params[3], &entry.params[4]), (&Param::Null, &Param::Text("machine".into())), "machine time");
        assert_eq!(unattended.opened.as_ref().unwrap()["time_type"], "machine");
        assert_eq!(detail(plan(Action::Start, &found("not_started", vec![], vec![]), "o", Some("x"), "t", NOW, ids())), "FK_CONSTRAINT");
        assert_eq!(detail(plan(Action::Resume, &found("on_hold", vec![], vec![json!({"id": "u", "active": 0})]), "o", None, "t", NOW, ids())), "FK_CONSTRAINT");
        assert!(plan(Action::Pause, &found("in_progress", vec![], vec![]), "o", None, "t", NOW, ids()).is_ok(), "pausing needs no operator");
    }
}
