//! Webhook events, written to the outbox table in the same atomic batch as the change that
//! causes them, so that an event exists exactly when its change does.

use crate::protocol::sql::{Param, Stmt};
use serde_json::{json, Value};

/// The version of the event payload format, sent in every payload.
pub const API_VERSION: &str = "2026-11-01";

/// Every event a write records, by the entity it concerns: jobs (created, updated and
/// their lifecycle), parts, operations, batches, issues and NCRs, and substeps. Planning code
/// names these variants, so an event no one declared cannot be recorded; webhooks subscribe
/// to [`EVENT_TYPES`] and the document lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    JobCreated,
    JobStarted,
    JobStopped,
    JobResumed,
    JobCompleted,
    JobUpdated,
    PartCreated,
    PartUpdated,
    PartStarted,
    PartCompleted,
    OperationStarted,
    OperationPaused,
    OperationResumed,
    OperationCompleted,
    BatchStarted,
    BatchCompleted,
    IssueCreated,
    NcrCreated,
    NcrVerified,
    StepAdded,
    StepCompleted,
    /// `POST /api-webhooks/test`: delivered to one webhook only, never subscribed to.
    WebhookTest,
}

impl EventType {
    /// Those a webhook may subscribe to, in the order the document lists them.
    pub const SUBSCRIBABLE: [EventType; 21] = [
        EventType::JobCreated,
        EventType::JobStarted,
        EventType::JobStopped,
        EventType::JobResumed,
        EventType::JobCompleted,
        EventType::JobUpdated,
        EventType::PartCreated,
        EventType::PartUpdated,
        EventType::PartStarted,
        EventType::PartCompleted,
        EventType::OperationStarted,
        EventType::OperationPaused,
        EventType::OperationResumed,
        EventType::OperationCompleted,
        EventType::BatchStarted,
        EventType::BatchCompleted,
        EventType::IssueCreated,
        EventType::NcrCreated,
        EventType::NcrVerified,
        EventType::StepAdded,
        EventType::StepCompleted,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::JobCreated => "job.created",
            EventType::JobStarted => "job.started",
            EventType::JobStopped => "job.stopped",
            EventType::JobResumed => "job.resumed",
            EventType::JobCompleted => "job.completed",
            EventType::JobUpdated => "job.updated",
            EventType::PartCreated => "part.created",
            EventType::PartUpdated => "part.updated",
            EventType::PartStarted => "part.started",
            EventType::PartCompleted => "part.completed",
            EventType::OperationStarted => "operation.started",
            EventType::OperationPaused => "operation.paused",
            EventType::OperationResumed => "operation.resumed",
            EventType::OperationCompleted => "operation.completed",
            EventType::BatchStarted => "batch.started",
            EventType::BatchCompleted => "batch.completed",
            EventType::IssueCreated => "issue.created",
            EventType::NcrCreated => "ncr.created",
            EventType::NcrVerified => "ncr.verified",
            EventType::StepAdded => "step.added",
            EventType::StepCompleted => "step.completed",
            EventType::WebhookTest => "webhook.test",
        }
    }
}

/// The names of [`EventType::SUBSCRIBABLE`].
pub const EVENT_TYPES: &[&str] = &{
    let mut names = [""; EventType::SUBSCRIBABLE.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = EventType::SUBSCRIBABLE[i].as_str();
        i += 1;
    }
    names
};

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub event_type: EventType,
    pub tenant_id: String,
    pub timestamp: String,
    pub data: Value,
}

impl Event {
    /// The payload exactly as receivers get it (CONTRACT.md).
    pub fn payload(&self) -> Value {
        json!({
            "id": self.id,
            "event_type": self.event_type.as_str(),
            "timestamp": self.timestamp,
            "tenant_id": self.tenant_id,
            "api_version": API_VERSION,
            "data": self.data,
        })
    }

    /// Inserts the event only when `guard` (SQL using `?6` onwards for `guard_params`) holds,
    /// so it is written exactly when the change it reports was.
    pub fn insert_when(&self, guard: &str, guard_params: Vec<Param>) -> Stmt {
        self.insert_filled_when(&[], guard, guard_params)
    }

    /// [`Self::insert_when`], with `data` fields filled from SQL at write time (a value the
    /// same batch generates, such as an NCR number): `(field, sql expression)` pairs whose
    /// expressions may use the guard's parameters.
    pub fn insert_filled_when(&self, fill: &[(&str, &str)], guard: &str, guard_params: Vec<Param>) -> Stmt {
        let mut params: Vec<Param> = vec![
            self.id.clone().into(),
            self.tenant_id.clone().into(),
            self.event_type.as_str().into(),
            self.payload().to_string().into(),
            self.timestamp.clone().into(),
        ];
        params.extend(guard_params);
        let payload = fill.iter().fold("?4".to_string(), |acc, (field, sql)| format!("json_set({acc}, '$.data.{field}', ({sql}))"));
        let sql = format!("INSERT INTO events (id, tenant_id, event_type, payload, created_at) SELECT ?1, ?2, ?3, {payload}, ?5 WHERE {guard}");
        Stmt::new(sql, params).for_delivery()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_has_the_contract_fields() {
        let e = Event {
            id: "e1".into(),
            event_type: EventType::JobCreated,
            tenant_id: "t1".into(),
            timestamp: "2026-01-15T16:30:00.000Z".into(),
            data: json!({"job_id": "j"}),
        };
        let p = e.payload();
        for key in ["id", "event_type", "timestamp", "tenant_id", "api_version", "data"] {
            assert!(p.get(key).is_some(), "{key}");
        }
        let s = e.insert_when("EXISTS (SELECT 1 FROM jobs WHERE id = ?6)", vec!["j".into()]);
        assert_eq!(s.params.len(), 6);
        assert!(s.sql.ends_with("WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?6)"));
    }
}
