//! `api-batch-lifecycle` start and stop: one atomic batch of a fixed handful of statements,
//! whatever the number of operations (each works on a JSON array of rows through
//! `json_each`). The batch's compare-and-set stamps a fresh `transition_id`; every other
//! statement acts only while the batch holds it.
//!
//! Start (draft or ready -> in_progress) starts every operation of the batch that is
//! not_started or on_hold, opens a time entry for the operator on each that has none, and rolls
//! up to parts and jobs as an operation start does. Stop (in_progress -> completed) shares the
//! minutes since the start among the batch's uncompleted operations (see `time_share`), closes
//! each one's open entry with its share (or records a closed entry when it has none), adds the
//! share to its `actual_time`, completes it, and completes each part left with no uncompleted
//! operation. Events are inserted before the updates they report, each conditioned on the state
//! it reports a change of, so an event exists exactly when its change happens.

use crate::delivery::events::{Event, EventType, API_VERSION};
use crate::entities::batches::RETURNING;
use crate::lifecycle::jobs::refused;
use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::resource::{Column, Kind};
use crate::{lifecycle::time_share, protocol::time};
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
        }
    }
}

/// The query parameters of start (beside `id`).
pub const QUERY: &[Column] = &[
    Column::new("operator_id", Kind::Ref("users")).doc("The operator (optional: without one the batch runs unattended and its time is machine time)"),
    Column::new("user_id", Kind::Ref("users")).doc("The same as operator_id"),
];

crate::read_set!(
    /// Round trip one of a transition: the batch, its operations (with part and job state and
    /// any open time entry), and the operator for a start.
    struct Reads { batch, members, operator }
);

/// The reads of `Reads`.
pub fn preloads(scope: Scope<'_>, id: &str, operator: Option<&str>) -> Vec<Stmt> {
    Reads {
        batch: Stmt::scoped(
            scope,
            "SELECT id, batch_number, batch_type, status, started_at, operator_id FROM batches WHERE tenant_id = {tenant} AND id = ?2",
            vec![id.into()],
        ),
        members: Stmt::scoped(
            scope,
            "SELECT o.id, o.operation_name, o.status, o.estimated_time, o.actual_time, o.part_id, p.part_number, \
             p.status AS part_status, p.job_id, j.job_number, j.status AS job_status, \
             te.id AS open_entry_id FROM batch_operations bo JOIN operations o ON o.id = bo.operation_id \
             JOIN parts p ON p.id = o.part_id JOIN jobs j ON j.id = p.job_id \
             LEFT JOIN time_entries te ON te.operation_id = o.id AND te.end_time IS NULL \
             WHERE bo.tenant_id = {tenant} AND bo.batch_id = ?2 ORDER BY bo.position",
            vec![id.into()],
        ),
        operator: Stmt::scoped(scope, "SELECT id, active FROM users WHERE tenant_id = {tenant} AND id = ?2", vec![operator.into()]),
    }
    .stmts()
}

/// The planned transition and what its answer needs.
#[derive(Debug)]
pub struct Planned {
    pub stmts: Vec<Stmt>,
    action: Action,
    previous: String,
    operations: Vec<Value>,
    total: Option<f64>,
}

struct Ctx<'a> {
    tenant_id: &'a str,
    now: &'a str,
    batch_id: &'a str,
    token: String,
}

impl Ctx<'_> {
    /// `EXISTS (the batch holds this transition's token)`, with its two parameters at `?at`.
    fn guard(&self, at: usize) -> (String, [Param; 2]) {
        (format!("EXISTS (SELECT 1 FROM batches WHERE id = ?{at} AND transition_id = ?{})", at + 1), [self.batch_id.into(), self.token.clone().into()])
    }

    /// A guarded statement whose own parameters come first.
    fn stmt(&self, sql: impl Fn(&str) -> String, mut params: Vec<Param>) -> Stmt {
        let (guard, gp) = self.guard(params.len() + 1);
        params.extend(gp);
        Stmt::new(sql(&guard), params)
    }

    /// Events from rows `{event_id, payload, ...}` of one type, each only when `condition`
    /// (SQL over `value`) holds.
    fn events(&self, event_type: EventType, rows: &[Value], condition: &str) -> Stmt {
        self.stmt(
            |g| format!("INSERT INTO events (id, tenant_id, event_type, payload, created_at) SELECT value ->> '$.event_id', ?1, ?2, value ->> '$.payload', ?3 FROM json_each(?4) WHERE {condition} AND {g}"),
            vec![self.tenant_id.into(), event_type.as_str().into(), self.now.into(), json!(rows).to_string().into()],
        )
        .for_delivery()
    }

    fn payload(&self, id: &str, event_type: EventType, data: Value) -> Value {
        json!({ "id": id, "event_type": event_type.as_str(), "timestamp": self.now, "tenant_id": self.tenant_id, "api_version": API_VERSION, "data": data })
    }

    fn event_row(&self, mint: &mut dyn FnMut() -> String, event_type: EventType, data: Value, extra: Value) -> Value {
        let id = mint();
        let mut row = extra;
        row["event_id"] = json!(id);
        row["payload"] = json!(self.payload(&id, event_type, data).to_string());
        row
    }
}

pub fn plan(
    action: Action,
    found: &[Vec<Value>],
    id: &str,
    operator: Option<&str>,
    tenant_id: &str,
    now: &str,
    mut mint: impl FnMut() -> String,
) -> Result<Planned, ApiError> {
    let found = Reads::rows(found);
    let batch = found.batch.first().ok_or_else(|| ApiError::not_found("Batch", id))?;
    let from = batch["status"].as_str().unwrap_or_default();
    let number = batch["batch_number"].as_str().unwrap_or(id);
    let sources: &[&str] = match action {
        Action::Start => &["draft", "ready"],
        Action::Stop => &["in_progress"],
    };
    if !sources.contains(&from) {
        return Err(refused("batch", number, action.as_str(), from, sources));
    }
    let members = found.members;
    if action == Action::Start && members.is_empty() {
        return Err(ApiError::conflict(format!("Batch {number} has no operations to start")));
    }
    let ctx = Ctx { tenant_id, now, batch_id: id, token: mint() };
    let planned = match action {
        Action::Start => start(&ctx, batch, members, who(found.operator, operator)?, &mut mint),
        Action::Stop => stop(&ctx, batch, members, &mut mint),
    };
    Ok(Planned { action, previous: from.to_string(), ..planned })
}

/// The operator who starts a batch: given, existing in the tenant and active; or none, for
/// unattended work (a laser cutting its nest), whose time is then machine time.
fn who(rows: &[Value], operator: Option<&str>) -> Result<Option<String>, ApiError> {
    let invalid = |c: Constraint, message: String, value: Value| ApiError::validation("batch", vec![FieldError::new("operator_id", c, message, value)]);
    let Some(given) = operator else { return Ok(None) };
    match rows.first() {
        None => Err(invalid(Constraint::FkConstraint, format!("Foreign key operator_id references non-existent record: {given}"), json!(given))),
        Some(u) if u["active"].as_f64() == Some(0.0) => Err(invalid(Constraint::FkConstraint, format!("Operator {given} is deactivated"), json!(given))),
        Some(_) => Ok(Some(given.to_string())),
    }
}

/// The type of a time entry of `operator` (`?n` in SQL): labour, or machine time without one.
fn time_type(n: usize) -> String {
    format!("CASE WHEN ?{n} IS NULL THEN 'machine' ELSE 'run' END")
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

fn start(ctx: &Ctx<'_>, batch: &Value, members: &[Value], operator: Option<String>, mint: &mut dyn FnMut() -> String) -> Planned {
    let (now, id) = (ctx.now, ctx.batch_id);
    let startable: Vec<&Value> = members.iter().filter(|m| matches!(text(m, "status"), "not_started" | "on_hold")).collect();
    let mut stmts = vec![Stmt::new(
        format!(
            "UPDATE batches SET status = 'in_progress', started_at = ?4, operator_id = ?5, transition_id = ?6, updated_at = ?4 \
                 WHERE id = ?1 AND tenant_id = ?2 AND status = ?3 RETURNING {RETURNING}"
        ),
        vec![id.into(), ctx.tenant_id.into(), text(batch, "status").into(), now.into(), operator.clone().into(), ctx.token.clone().into()],
    )];
    let op_events: Vec<Value> = startable
        .iter()
        .map(|m| {
            let data = json!({
                "operation_id": m["id"], "operation_name": m["operation_name"], "part_id": m["part_id"], "part_number": m["part_number"],
                "job_id": m["job_id"], "job_number": m["job_number"], "previous_status": m["status"], "new_status": "in_progress",
                "operator_id": operator, "batch_id": id, "batch_number": batch["batch_number"], "occurred_at": now,
            });
            ctx.event_row(mint, EventType::OperationStarted, data, json!({ "op": m["id"] }))
        })
        .collect();
    stmts.push(ctx.events(
        EventType::OperationStarted,
        &op_events,
        "EXISTS (SELECT 1 FROM operations WHERE id = value ->> '$.op' AND status IN ('not_started', 'on_hold'))",
    ));
    let ids: Vec<&Value> = startable.iter().map(|m| &m["id"]).collect();
    stmts.push(ctx.stmt(
        |g| {
            format!(
                "UPDATE operations SET status = 'in_progress', started_at = COALESCE(started_at, ?1), \
                     resumed_at = CASE WHEN status = 'on_hold' THEN ?1 ELSE resumed_at END, paused_at = NULL, updated_at = ?1 \
                     WHERE id IN (SELECT value FROM json_each(?2)) AND status IN ('not_started', 'on_hold') AND {g}"
            )
        },
        vec![now.into(), json!(ids).to_string().into()],
    ));
    let entries: Vec<Value> =
        members.iter().filter(|m| m["open_entry_id"].is_null() && text(m, "status") != "completed").map(|m| json!({ "id": mint(), "op": m["id"] })).collect();
    stmts.push(ctx.stmt(
        |g| {
            format!(
                "INSERT INTO time_entries (id, tenant_id, operation_id, operator_id, time_type, start_time, created_at) \
                     SELECT value ->> '$.id', ?1, value ->> '$.op', ?2, {}, ?3, ?3 FROM json_each(?4) \
                     WHERE NOT EXISTS (SELECT 1 FROM time_entries WHERE operation_id = value ->> '$.op' AND end_time IS NULL) AND {g}",
                time_type(2)
            )
        },
        vec![ctx.tenant_id.into(), operator.clone().into(), now.into(), json!(entries).to_string().into()],
    ));
    // Roll-up: the parts and jobs of the started operations that had not started yet.
    for (table, key, label, number_key) in [("parts", "part_id", "part", "part_number"), ("jobs", "job_id", "job", "job_number")] {
        let mut seen = BTreeMap::new();
        for m in &startable {
            seen.entry(text(m, key).to_string()).or_insert(*m);
        }
        let rows: Vec<Value> = seen
            .iter()
            .map(|(rid, m)| {
                let data = json!({ format!("{label}_id"): rid, number_key: m[number_key], "previous_status": "not_started", "new_status": "in_progress", "started_at": now });
                ctx.event_row(mint, if label == "part" { EventType::PartStarted } else { EventType::JobStarted }, data, json!({ "rid": rid }))
            })
            .collect();
        let event_type = if label == "part" { EventType::PartStarted } else { EventType::JobStarted };
        stmts.push(ctx.events(event_type, &rows, &format!("EXISTS (SELECT 1 FROM {table} WHERE id = value ->> '$.rid' AND status = 'not_started')")));
        let ids: Vec<&String> = seen.keys().collect();
        stmts.push(ctx.stmt(
            |g| {
                format!(
                    "UPDATE {table} SET status = 'in_progress', started_at = COALESCE(started_at, ?1), updated_at = ?1 \
                         WHERE id IN (SELECT value FROM json_each(?2)) AND status = 'not_started' AND {g}"
                )
            },
            vec![now.into(), json!(ids).to_string().into()],
        ));
    }
    let data = json!({
        "batch_id": id, "batch_number": batch["batch_number"], "batch_type": batch["batch_type"], "previous_status": batch["status"],
        "new_status": "in_progress", "operator_id": operator, "started_at": now, "operation_ids": ids,
    });
    let event = Event { id: mint(), event_type: EventType::BatchStarted, tenant_id: ctx.tenant_id.into(), timestamp: now.into(), data };
    let (g, gp) = ctx.guard(6);
    stmts.push(event.insert_when(&g, gp.to_vec()));
    let operations = startable.iter().map(|m| json!({ "operation_id": m["id"], "operation_name": m["operation_name"], "status": "in_progress" })).collect();
    Planned { stmts, action: Action::Start, previous: String::new(), operations, total: None }
}

fn stop(ctx: &Ctx<'_>, batch: &Value, members: &[Value], mint: &mut dyn FnMut() -> String) -> Planned {
    let (now, id) = (ctx.now, ctx.batch_id);
    let started = text(batch, "started_at");
    let total = time::exact_minutes(started, now).unwrap_or(0.0);
    let open: Vec<&Value> = members.iter().filter(|m| text(m, "status") != "completed").collect();
    let shares = time_share::share(total, &open.iter().map(|m| m["estimated_time"].as_f64()).collect::<Vec<_>>());
    let mut stmts = vec![Stmt::new(
        format!(
            "UPDATE batches SET status = 'completed', completed_at = ?4, actual_time = ?5, transition_id = ?6, updated_at = ?4 \
                 WHERE id = ?1 AND tenant_id = ?2 AND status = 'in_progress' AND started_at = ?3 RETURNING {RETURNING}"
        ),
        vec![id.into(), ctx.tenant_id.into(), started.into(), now.into(), total.into(), ctx.token.clone().into()],
    )];
    let rows: Vec<Value> = open
        .iter()
        .zip(&shares)
        .map(|(m, share)| {
            let actual = ((m["actual_time"].as_f64().unwrap_or(0.0) + share) * 100.0).round() / 100.0;
            json!({ "op": m["id"], "entry": m["open_entry_id"], "new_entry": mint(), "share": share, "actual_time": actual,
                    "operation_name": m["operation_name"], "previous": m["status"], "part_id": m["part_id"], "part_number": m["part_number"],
                    "job_id": m["job_id"], "job_number": m["job_number"], "estimated_time": m["estimated_time"] })
        })
        .collect();
    let rows_json = json!(rows).to_string();
    stmts.push(ctx.stmt(
        |g| format!("UPDATE time_entries SET end_time = ?1, duration = (SELECT value ->> '$.share' FROM json_each(?2) WHERE value ->> '$.entry' = time_entries.id) \
                     WHERE id IN (SELECT value ->> '$.entry' FROM json_each(?2)) AND end_time IS NULL AND {g}"),
        vec![now.into(), rows_json.clone().into()],
    ));
    stmts.push(ctx.stmt(
        |g| {
            format!(
                "INSERT INTO time_entries (id, tenant_id, operation_id, operator_id, time_type, start_time, end_time, duration, created_at) \
                     SELECT value ->> '$.new_entry', ?1, value ->> '$.op', ?2, {}, ?3, ?4, value ->> '$.share', ?4 FROM json_each(?5) \
                     WHERE value ->> '$.entry' IS NULL AND {g}",
                time_type(2)
            )
        },
        vec![ctx.tenant_id.into(), Param::from(batch["operator_id"].as_str().map(str::to_string)), started.into(), now.into(), rows_json.clone().into()],
    ));
    let op_events: Vec<Value> = rows
        .iter()
        .map(|r| {
            let data = json!({
                "operation_id": r["op"], "operation_name": r["operation_name"], "part_id": r["part_id"], "part_number": r["part_number"],
                "job_id": r["job_id"], "job_number": r["job_number"], "previous_status": r["previous"], "new_status": "completed",
                "estimated_time": r["estimated_time"], "actual_time": r["actual_time"], "minutes_recorded": r["share"],
                "batch_id": id, "batch_number": batch["batch_number"], "occurred_at": now,
            });
            ctx.event_row(mint, EventType::OperationCompleted, data, json!({ "op": r["op"] }))
        })
        .collect();
    stmts.push(ctx.events(
        EventType::OperationCompleted,
        &op_events,
        "EXISTS (SELECT 1 FROM operations WHERE id = value ->> '$.op' AND status <> 'completed')",
    ));
    stmts.push(ctx.stmt(
        |g| {
            format!(
                "UPDATE operations SET status = 'completed', completed_at = ?1, completion_percentage = 100, \
                     actual_time = ROUND(COALESCE(actual_time, 0) + (SELECT value ->> '$.share' FROM json_each(?2) WHERE value ->> '$.op' = operations.id), 2), \
                     updated_at = ?1 \
                     WHERE id IN (SELECT value ->> '$.op' FROM json_each(?2)) AND status <> 'completed' AND {g}"
            )
        },
        vec![now.into(), rows_json.into()],
    ));
    // Roll-up: parts of these operations left with no uncompleted operation.
    let mut parts = BTreeMap::new();
    for r in &rows {
        parts.entry(text(r, "part_id").to_string()).or_insert(r);
    }
    let part_events: Vec<Value> = parts
        .iter()
        .map(|(pid, r)| {
            let data = json!({ "part_id": pid, "part_number": r["part_number"], "job_id": r["job_id"], "previous_status": "in_progress", "new_status": "completed", "completed_at": now });
            ctx.event_row(mint, EventType::PartCompleted, data, json!({ "rid": pid }))
        })
        .collect();
    let finished = "status <> 'completed' AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.part_id = parts.id AND o.status <> 'completed')";
    stmts.push(ctx.events(EventType::PartCompleted, &part_events, &format!("EXISTS (SELECT 1 FROM parts WHERE id = value ->> '$.rid' AND {finished})")));
    let part_ids: Vec<&String> = parts.keys().collect();
    stmts.push(ctx.stmt(
        |g| format!("UPDATE parts SET status = 'completed', completed_at = ?1, updated_at = ?1 WHERE id IN (SELECT value FROM json_each(?2)) AND {finished} AND {g}"),
        vec![now.into(), json!(part_ids).to_string().into()],
    ));
    stmts.push(ctx.stmt(|g| format!("UPDATE batch_operations SET active = 0 WHERE batch_id = ?1 AND {g}"), vec![id.into()]));
    let operations: Vec<Value> = rows.iter().map(|r| json!({ "operation_id": r["op"], "operation_name": r["operation_name"], "status": "completed", "minutes": r["share"], "actual_time": r["actual_time"] })).collect();
    let data = json!({
        "batch_id": id, "batch_number": batch["batch_number"], "batch_type": batch["batch_type"], "previous_status": "in_progress",
        "new_status": "completed", "started_at": started, "completed_at": now, "actual_time": total, "operations": operations,
    });
    let event = Event { id: mint(), event_type: EventType::BatchCompleted, tenant_id: ctx.tenant_id.into(), timestamp: now.into(), data };
    let (g, gp) = ctx.guard(6);
    stmts.push(event.insert_when(&g, gp.to_vec()));
    Planned { stmts, action: Action::Stop, previous: String::new(), operations, total: Some(total) }
}

impl Planned {
    /// The answer from the compare-and-set's row; none means another request moved the batch
    /// first (409).
    pub fn answer(&self, written: &[Vec<Value>]) -> Result<Value, ApiError> {
        let batch = written
            .first()
            .and_then(|r| r.first())
            .ok_or_else(|| ApiError::conflict(format!("The batch changed while this request ran: it is no longer {}", self.previous)))?;
        let mut answer = json!({
            "batch": batch, "operation": self.action.as_str(), "previous_status": self.previous,
            "new_status": batch["status"], "operations": self.operations,
        });
        if let Some(total) = self.total {
            answer["total_minutes"] = json!(total);
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ids;

    fn member(i: usize, status: &str, estimate: Option<f64>, open: bool) -> Value {
        json!({"id": format!("o{i}"), "operation_name": format!("Op {i}"), "status": status, "estimated_time": estimate, "actual_time": 0,
               "part_id": format!("p{}", i % 2), "part_number": "P", "part_status": "not_started", "job_id": "j", "job_number": "J",
               "job_status": "not_started", "open_entry_id": if open { json!(format!("te{i}")) } else { Value::Null }})
    }

    fn batch(status: &str) -> Value {
        json!({"id": "b", "batch_number": "NEST-1", "batch_type": "laser_nesting", "status": status, "started_at": "2026-01-15T10:00:00.000Z", "operator_id": "u"})
    }

    #[test]
    fn start_is_nine_statements_for_any_number_of_operations() {
        let members: Vec<Value> = (0..50).map(|i| member(i, "not_started", Some(10.0), false)).collect();
        let p = plan(Action::Start, &[vec![batch("ready")], members, vec![json!({"id": "u", "active": 1})]], "b", Some("u"), "t", "now", ids()).unwrap();
        assert_eq!(p.stmts.len(), 9);
        assert!(p.stmts[1..].iter().all(|s| s.sql.contains("transition_id = ?")));
        assert!(p.stmts.iter().all(|s| s.params.len() <= 100));
    }

    #[test]
    fn stop_shares_the_minutes_and_is_nine_statements() {
        let members = vec![member(0, "in_progress", Some(60.0), true), member(1, "in_progress", Some(30.0), true), member(2, "in_progress", Some(10.0), false)];
        let p = plan(Action::Stop, &[vec![batch("in_progress")], members, vec![]], "b", None, "t", "2026-01-15T11:40:00.000Z", ids()).unwrap();
        assert_eq!(p.stmts.len(), 9);
        assert_eq!(p.total, Some(100.0));
        let minutes: Vec<f64> = p.operations.iter().map(|o| o["minutes"].as_f64().unwrap()).collect();
        assert_eq!(minutes, vec![60.0, 30.0, 10.0]);
        let a = p.answer(&[vec![json!({"id": "b", "status": "completed"})]]).unwrap();
        assert_eq!(a["total_minutes"], 100.0);
        assert_eq!(p.answer(&[vec![]]).unwrap_err().status(), 409);
    }

    #[test]
    fn refused_moves_and_missing_operators() {
        let found = |status: &str| vec![vec![batch(status)], vec![member(0, "not_started", None, false)], vec![json!({"id": "u", "active": 1})]];
        assert_eq!(plan(Action::Start, &found("completed"), "b", Some("u"), "t", "now", ids()).unwrap_err().status(), 409);
        assert_eq!(plan(Action::Stop, &found("ready"), "b", None, "t", "now", ids()).unwrap_err().status(), 409);
        let unattended = plan(Action::Start, &found("draft"), "b", None, "t", "now", ids()).expect("a nest starts without an operator");
        let entries = unattended.stmts.iter().find(|s| s.sql.starts_with("INSERT INTO time_entries")).unwrap();
        assert!(entries.sql.contains("CASE WHEN ?2 IS NULL THEN 'machine' ELSE 'run' END") && entries.params[1] == Param::Null, "machine time");
        let mut running = batch("in_progress");
        running["operator_id"] = Value::Null;
        let stopped = plan(Action::Stop, &[vec![running], vec![member(0, "in_progress", None, false)]], "b", None, "t", "now", ids()).unwrap();
        let shared = stopped.stmts.iter().find(|s| s.sql.starts_with("INSERT INTO time_entries")).unwrap();
        assert_eq!(shared.params[1], Param::Null, "its time is shared out as machine time, never as an empty operator id");
        let gone = vec![vec![batch("draft")], vec![member(0, "not_started", None, false)], vec![]];
        assert_eq!(plan(Action::Start, &gone, "b", Some("u"), "t", "now", ids()).unwrap_err().details.unwrap()[0]["constraint"], "FK_CONSTRAINT");
        let empty = vec![vec![batch("draft")], vec![], vec![json!({"id": "u", "active": 1})]];
        assert_eq!(plan(Action::Start, &empty, "b", Some("u"), "t", "now", ids()).unwrap_err().status(), 409);
    }
}
