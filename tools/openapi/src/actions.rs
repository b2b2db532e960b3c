//! Every route that is not an entity's own: lifecycle transitions, a webhook's actions and
//! logs, usage, deletions, MCP, sign-in, API keys, export, and this document.

use crate::envelope::{id_param, idempotency_key, not_modified, obj, one, page, record, success, Credential, Op};
use eryxon_domain::delivery::events::EventType;
use eryxon_domain::lifecycle;
use eryxon_domain::protocol::http::Method;
use eryxon_domain::resource::schema::{self, body, param};
use eryxon_domain::resource::{Column, Use};
use eryxon_domain::{admin::export, admin::keys, auth::sign_in, entities::batches, entities::deletions, entities::webhooks};
use serde_json::{json, Value};

/// A lifecycle transition of `what`: `?id=`, an Idempotency-Key and `extra` parameters.
fn transition(tag: &'static str, what: &str, action: &str, extra: Vec<Value>) -> Op {
    let verb = format!("{}{}", action[..1].to_uppercase(), &action[1..]);
    Op::new(
        format!("{verb} the {what}"),
        tag,
        success("200", "The transition: previous_status, new_status and the record", obj(json!({ what: record() }), &[what])),
    )
    .params([id_param(what), idempotency_key()])
    .params(extra)
}

/// An action's declared query parameters.
fn query(cols: &[Column]) -> Vec<Value> {
    cols.iter().map(|c| param(c.name, schema::column(c), c.doc)).collect()
}

fn day(description: &str, name: &str) -> Value {
    param(name, json!({ "type": "string", "format": "date", "description": "YYYY-MM-DD", "examples": ["2026-12-31"] }), description)
}

fn with_304(mut responses: serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    responses.extend([not_modified()]);
    responses
}

pub fn describe(function: &str, action: &str, method: Method) -> Option<Op> {
    use Method::{Delete, Get, Post};
    Some(match (function, action, method) {
        ("api-job-lifecycle", a, Post) => transition("Shop floor", "job", a, vec![]),
        ("api-operation-lifecycle", a, Post) => {
            // Only a transition that opens time names its operator.
            let opens = lifecycle::operations::Action::parse(a).is_some_and(|x| x.opens_time());
            transition("Shop floor", "operation", a, if opens { query(lifecycle::operations::QUERY) } else { vec![] })
        }
        ("api-batch-lifecycle", "start", Post) => transition("Batches", "batch", "start", query(lifecycle::batches::QUERY)),
        ("api-batch-lifecycle", "stop", Post) => transition("Batches", "batch", "stop", vec![]),
        ("api-batch-lifecycle", "add-operations", Post) => {
            let ids = json!({ "type": "array", "minItems": 1, "maxItems": batches::MAX_OPERATIONS, "uniqueItems": true, "items": schema::uuid() });
            Op::new("Add operations to a draft or ready batch", "Batches", success("200", "data.batch with its operations", one("batch")))
                .params([id_param("batch"), idempotency_key()])
                .body(obj(json!({ "operation_ids": ids }), &["operation_ids"]))
        }
        ("api-webhooks", "rotate-secret", Post) => {
            let mut op = Op::new(
                "Rotate a webhook's secret (the old one keeps signing for a grace period)",
                "Webhooks",
                success("200", "data.webhook with the new secret", one("webhook")),
            )
            .params([id_param("webhook"), idempotency_key()])
            .body(body(webhooks::ROTATION, Use::Create, &[]));
            // The body is optional: without one the grace period is 24 hours.
            if let Some(b) = op.body.as_mut() {
                b["required"] = json!(false);
            }
            op
        }
        ("api-webhooks", "test", Post) => {
            let sent = obj(
                json!({ "event_id": schema::uuid(), "event_type": { "const": EventType::WebhookTest.as_str() }, "webhook_id": schema::uuid() }),
                &["event_id", "webhook_id"],
            );
            Op::new("Send a test event", "Webhooks", success("201", "The test event, queued for delivery", sent))
                .params([id_param("webhook"), idempotency_key()])
        }
        ("api-webhooks", "redeliver", Post) => {
            Op::new("Deliver a failed delivery again", "Webhooks", success("200", "The delivery, queued again", one("delivery")))
                .params([id_param("delivery"), idempotency_key()])
        }
        ("api-webhooks", "deliveries", Get) => {
            Op::new("List deliveries", "Webhooks", with_304(success("200", "data.deliveries", page("deliveries", record()))))
                .params(schema::list_params(&webhooks::DELIVERIES))
        }
        ("api-webhooks", "logs", Get) => Op::new("List delivery attempts", "Webhooks", with_304(success("200", "data.attempts", page("attempts", record()))))
            .params(schema::list_params(&webhooks::ATTEMPTS)),
        ("api-usage", "", Get) => Op::new("Requests per day and quota use", "Account", with_304(success("200", "Usage", json!({ "type": "object" }))))
            .params([day("First day (default: 29 days before to)", "from"), day("Last day (default: today)", "to")]),
        ("api-deletions", "", Get) => {
            let deletion =
                obj(json!({ "entity": { "type": "string" }, "id": { "type": "string" }, "deleted_at": { "type": "string" } }), &["entity", "id", "deleted_at"]);
            Op::new("Deleted records, for incremental sync", "Sync", with_304(success("200", "data.deletions", page("deletions", deletion))))
                .params(schema::list_params(&deletions::DELETIONS))
        }
        ("mcp", "", Post) => return Some(mcp()),
        ("api-auth", "sign-in", Post) => Op::new(
            "Sign in: email and password for a session token",
            "Admin",
            success("200", "access_token, token_type, expires_in, expires_at, user", json!({ "type": "object" })),
        )
        .credential(Credential::None)
        .body(body(sign_in::FIELDS, Use::Create, &[])),
        ("api-keys", "", Get) => Op::new("List the tenant's API keys", "Admin", with_304(success("200", "data.api_keys", json!({ "type": "object" }))))
            .credential(Credential::Session),
        ("api-keys", "", Post) => Op::new("Create an API key (shown once)", "Admin", success("201", "data.api_key", json!({ "type": "object" })))
            .credential(Credential::Session)
            .body(body(keys::FIELDS, Use::Create, &[])),
        ("api-keys", "", Delete) => Op::new("Revoke an API key", "Admin", success("200", "data.api_key", json!({ "type": "object" })))
            .credential(Credential::Session)
            .params([id_param("API key")]),
        ("api-export", "", Get) => export_op(),
        ("openapi.json", "", Get) => {
            let mut responses = serde_json::Map::new();
            responses.insert("200".into(), json!({ "description": "OpenAPI 3.1", "content": { "application/json": { "schema": { "type": "object" } } } }));
            Op::new("This document", "Meta", responses).credential(Credential::None)
        }
        _ => return None,
    })
}

fn export_op() -> Op {
    let names: Vec<&str> = export::ENTITIES.iter().map(|e| e.name).collect();
    let any = format!("({})", names.join("|"));
    let mut responses = serde_json::Map::new();
    responses.insert(
        "200".into(),
        json!({ "description": "The export", "content": { "application/json": { "schema": { "type": "object" } }, "text/csv": { "schema": { "type": "string" } } } }),
    );
    Op::new("Export the tenant's data (streamed)", "Admin", responses).credential(Credential::Session).params([
        param("format", json!({ "type": "string", "enum": ["json", "csv"] }), "json (default) or csv"),
        param("entities", json!({ "type": "string", "pattern": format!("^(all|{any}(,{any})*)$") }), "`all` (default) or a comma list (JSON)"),
        param("entity", json!({ "type": "string", "enum": names }), "The one entity of a CSV export"),
    ])
}

/// MCP: protocol errors are JSON-RPC error objects; authentication errors the usual envelope.
fn mcp() -> Op {
    let mut responses = serde_json::Map::new();
    responses.insert("200".into(), json!({ "description": "A JSON-RPC answer", "content": { "application/json": { "schema": { "type": "object" } } } }));
    responses.insert("202".into(), json!({ "description": "A notification was accepted" }));
    for (status, _) in crate::envelope::ERRORS {
        let description = if *status == "401" {
            "No valid API key: the error envelope, before anything else is looked at (even invalid JSON or an unknown tool)"
        } else {
            "A JSON-RPC error, or the error envelope"
        };
        responses.insert(status.to_string(), json!({ "description": description, "content": { "application/json": { "schema": { "type": "object" } } } }));
    }
    Op::new("Model Context Protocol (JSON-RPC over HTTP)", "AI assistants", responses).body(json!({ "type": "object" }))
}
