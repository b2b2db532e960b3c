//! The job lifecycle actions of `api-job-lifecycle`: start, stop, resume, complete. Each is a
//! compare-and-set on the status read in the authentication round trip: of racing requests
//! exactly one moves the job, the others get 409 and change nothing.

use crate::delivery::events::{Event, EventType};
use crate::entities::jobs::{bare_job_columns, status};
use crate::protocol::error::ApiError;
use crate::protocol::sql::{Scope, Stmt};
use crate::resource;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Resume,
    Complete,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "start" => Some(Action::Start),
            "stop" => Some(Action::Stop),
            "resume" => Some(Action::Resume),
            "complete" => Some(Action::Complete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Resume => "resume",
            Action::Complete => "complete",
        }
    }

    /// The states an action may start from (the reference's).
    pub fn sources(self) -> &'static [&'static str] {
        match self {
            Action::Start => &["not_started", "on_hold"],
            Action::Stop | Action::Complete => &["in_progress"],
            Action::Resume => &["on_hold"],
        }
    }

    pub fn target(self) -> &'static str {
        match self {
            Action::Start | Action::Resume => "in_progress",
            Action::Stop => "on_hold",
            Action::Complete => "completed",
        }
    }

    fn event(self) -> EventType {
        match self {
            Action::Start => EventType::JobStarted,
            Action::Stop => EventType::JobStopped,
            Action::Resume => EventType::JobResumed,
            Action::Complete => EventType::JobCompleted,
        }
    }
}

/// The job as the action needs it, read in the authentication round trip.
pub fn preload(scope: Scope<'_>, id: &str) -> Stmt {
    Stmt::scoped(scope, "SELECT id, job_number, customer, status, started_at FROM jobs WHERE tenant_id = {tenant} AND id = ?2", vec![id.into()])
}

/// 409 when the job is not in a state the action starts from; else the compare-and-set update
/// and the event, written together.
pub fn plan(action: Action, job: &Value, tenant_id: &str, now: &str, event_id: String) -> Result<Vec<Stmt>, ApiError> {
    let text = |k: &str| job.get(k).and_then(Value::as_str);
    let (id, from) = (text("id").unwrap_or_default(), text("status").unwrap_or_default());
    if !action.sources().contains(&from) {
        return Err(refused("job", text("job_number").unwrap_or(id), action.as_str(), from, action.sources()));
    }
    let to = action.target();
    let mut sets = vec![("status", to.into())];
    sets.extend(status::stamps(from, to, now, text("started_at")));
    sets.push(("updated_at", now.into()));
    let update = resource::update("jobs", id, tenant_id, &sets, Some(("status = ?3", from.into())), &bare_job_columns());
    let mut data = json!({
        "job_id": id, "job_number": text("job_number"), "customer": text("customer"),
        "previous_status": from, "new_status": to, "started_at": text("started_at").unwrap_or(now),
    });
    for (col, value) in &sets {
        if matches!(*col, "paused_at" | "resumed_at" | "completed_at" | "actual_duration") {
            data[*col] = value.to_json();
        }
    }
    let event = Event { id: event_id, event_type: action.event(), tenant_id: tenant_id.into(), timestamp: now.into(), data };
    Ok(vec![update, event.insert_when("changes() = 1", vec![])])
}

/// The reference's answer: the job, the action, and the move.
pub fn answer(action: Action, job: &Value, previous: &str) -> Value {
    json!({ "job": crate::entities::jobs::read::decode(job), "operation": action.as_str(), "previous_status": previous, "new_status": action.target() })
}

/// 409 naming the record, the action, its current state and the states the action needs.
pub fn refused(entity: &str, name: &str, action: &str, current: &str, sources: &[&str]) -> ApiError {
    ApiError::conflict(format!("Cannot {action} {entity} {name}: it is {current}; {action} needs {}", sources.join(" or ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::sql::Param;

    fn job(status: &str) -> Value {
        json!({"id": "j", "job_number": "JOB-2026-001", "customer": "ACME Corp", "status": status, "started_at": "2026-01-15T10:00:00.000Z"})
    }

    #[test]
    fn every_action_from_every_state() {
        let all = ["not_started", "in_progress", "on_hold", "completed"];
        for action in [Action::Start, Action::Stop, Action::Resume, Action::Complete] {
            for from in all {
                let r = plan(action, &job(from), "t", "2026-01-15T16:30:00.000Z", "e".into());
                assert_eq!(r.is_ok(), action.sources().contains(&from), "{action:?} from {from}");
            }
        }
        let e = plan(Action::Complete, &job("on_hold"), "t", "now", "e".into()).unwrap_err();
        assert_eq!(e.message, "Cannot complete job JOB-2026-001: it is on_hold; complete needs in_progress");
    }

    #[test]
    fn complete_reports_the_reference_event_data() {
        let s = plan(Action::Complete, &job("in_progress"), "t", "2026-01-15T16:30:00.000Z", "e".into()).unwrap();
        assert!(s[0].sql.contains("AND status = ?3"));
        let Param::Text(payload) = &s[1].params[3] else { panic!() };
        let p: Value = serde_json::from_str(payload).unwrap();
        assert_eq!(p["event_type"], "job.completed");
        assert_eq!(p["data"]["actual_duration"], 390);
        assert_eq!(p["data"]["completed_at"], "2026-01-15T16:30:00.000Z");
        assert_eq!(p["data"]["previous_status"], "in_progress");
    }

    #[test]
    fn actions_parse() {
        assert_eq!(Action::parse("stop"), Some(Action::Stop));
        assert_eq!(Action::parse("pause"), None);
    }
}
