//! The OpenAPI 3.1 document of the API, generated from the domain's declarations: the routes
//! are `eryxon_domain::protocol::routes::FUNCTIONS` (a route without a description here fails the
//! build of the document), bodies and list parameters are the entities' fields and list
//! specs (`eryxon_domain::resource::schema`). What is written here by hand is prose: summaries, tags,
//! the envelopes, and the links between answers and requests.
//!
//! - [`envelope`]: success and error envelopes, headers, the shape of one operation.
//! - [`resources`]: the entity endpoints and their ERP sync paths.
//! - [`actions`]: every other route (lifecycles, webhooks' actions, admin, MCP).
//! - [`links`]: which answer's ids feed which request.

pub mod actions;
pub mod envelope;
pub mod links;
pub mod resources;

use eryxon_domain::delivery::events::EVENT_TYPES;
use eryxon_domain::protocol::http::Method;
use eryxon_domain::protocol::routes;
use resources::Resource;
use serde_json::{json, Map, Value};

pub const PREFIX: &str = "/functions/v1/";

/// The document, as `openapi/openapi.json` holds it.
pub fn rendered() -> String {
    format!("{}\n", serde_json::to_string_pretty(&document()).expect("JSON"))
}

/// The path of a function's action.
pub fn path(function: &str, action: &str) -> String {
    if action.is_empty() {
        format!("{PREFIX}{function}")
    } else {
        format!("{PREFIX}{function}/{action}")
    }
}

/// The operation documenting one declared route; None for a route nothing here describes.
pub fn describe(function: &str, action: &str, method: Method) -> Option<Value> {
    let op = match (Resource::of(function), action, method) {
        (Some(r), "", Method::Get) => r.get(),
        (Some(r), "", Method::Post) => r.create(),
        (Some(r), "", Method::Patch) => r.patch(),
        (Some(r), "", Method::Delete) => r.delete(),
        (Some(r), "sync", Method::Put) => r.sync(false),
        (Some(r), "bulk-sync", Method::Post) => r.sync(true),
        _ => actions::describe(function, action, method)?,
    };
    Some(op.render())
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for (function, table) in routes::FUNCTIONS {
        for (action, method) in table.iter() {
            let op = describe(function, action, *method).unwrap_or_else(|| panic!("{} {function}/{action} is routed but not documented", method.as_str()));
            let item = paths.entry(path(function, action)).or_insert_with(|| json!({}));
            item[method.as_str().to_ascii_lowercase()] = op;
        }
    }
    links::add(&mut paths);
    let tags: Vec<Value> =
        ["Jobs", "Parts", "Operations", "Catalog", "Shop floor", "Batches", "Quality", "Webhooks", "Sync", "Account", "Admin", "AI assistants", "Meta"]
            .iter()
            .map(|name| json!({ "name": name }))
            .collect();
    let webhooks: Map<String, Value> = EVENT_TYPES
        .iter()
        .map(|t| {
            let schema = json!({ "allOf": [envelope::schema_ref("Event"), { "properties": { "event_type": { "const": t } } }] });
            let post = json!({ "summary": format!("{t} event"), "requestBody": { "content": { "application/json": { "schema": schema } } }, "responses": { "200": { "description": "Received (any 2xx)" } } });
            (t.to_string(), json!({ "post": post }))
        })
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Eryxon Flow API",
            "version": "1.0.0",
            "description": "A 100% API-driven MES at the edge. Envelope: `{success, data, meta}`; errors `{success: false, error: {code, message, details, statusCode}}`. See docs/erp-integration.md.",
        },
        "servers": [{ "url": "/", "description": "The host serving this document" }],
        "tags": tags,
        "paths": paths,
        "webhooks": webhooks,
        "components": {
            "securitySchemes": {
                "apiKey": { "type": "http", "scheme": "bearer", "bearerFormat": "ery_live_... / ery_test_...", "description": "An API key" },
                "session": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A signed-in user's session token (HS256; api-auth/sign-in or Supabase Auth)" },
            },
            "schemas": {
                "Error": {
                    "type": "object", "required": ["success", "error"],
                    "properties": {
                        "success": { "const": false },
                        "error": { "type": "object", "required": ["code", "message", "statusCode"], "properties": { "code": { "type": "string" }, "message": { "type": "string" }, "statusCode": { "type": "integer" }, "details": {} } },
                    },
                },
                "Event": {
                    "type": "object", "required": ["id", "event_type", "timestamp", "tenant_id", "api_version", "data"],
                    "properties": { "id": { "type": "string", "format": "uuid" }, "event_type": { "type": "string" }, "timestamp": { "type": "string" }, "tenant_id": { "type": "string", "format": "uuid" }, "api_version": { "type": "string" }, "data": { "type": "object" } },
                    "description": "Signed with X-Eryxon-Signature (hex HMAC-SHA256 of the body) and Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature)",
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_document_is_what_the_declarations_make() {
        let committed = include_str!("../../../openapi/openapi.json");
        assert!(committed == rendered(), "openapi/openapi.json is stale: run `npm run openapi`");
    }

    #[test]
    fn every_route_is_documented_and_nothing_else() {
        let doc = document();
        let mut documented = 0;
        for (function, table) in routes::FUNCTIONS {
            for (action, method) in table.iter() {
                assert!(doc["paths"][path(function, action)][method.as_str().to_ascii_lowercase()].is_object(), "{function}/{action}");
                documented += 1;
            }
        }
        let operations: usize = doc["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
        assert_eq!(operations, documented);
        assert!(doc["paths"]["/functions/v1/api-batch-lifecycle/add-operations"]["post"]["requestBody"].is_object());
    }

    #[test]
    fn every_filter_and_field_the_parsers_read_is_documented() {
        let doc = document();
        for r in resources::RESOURCES {
            let get = &doc["paths"][path(r.function, "")]["get"];
            let params: Vec<&str> = get["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
            for f in r.list.filters {
                assert!(params.contains(&f.param), "{} ?{}", r.function, f.param);
            }
            for (method, u) in [("post", eryxon_domain::resource::Use::Create), ("patch", eryxon_domain::resource::Use::Patch)] {
                let Some(op) = doc["paths"][path(r.function, "")].get(method) else { continue };
                let props = &op["requestBody"]["content"]["application/json"]["schema"]["properties"];
                for c in eryxon_domain::resource::accepted(r.fields, u) {
                    for name in c.names() {
                        assert!(props.get(name).is_some(), "{method} {} {name}", r.function);
                    }
                }
            }
        }
    }
}
