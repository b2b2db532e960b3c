//! The Model Context Protocol server: JSON-RPC over Streamable HTTP, for the stateless
//! revision 2026-07-28 and the initialize-handshake revisions before it.
//!
//! Every tool stands for one REST request of the API (its function, method, path, query and
//! body), which the MCP worker sends to that function with the caller's own key: one
//! implementation of each rule, and limits, quotas and webhooks exactly as for REST. The
//! dashboard is the one tool that reads directly, in the authentication round trip.

use serde_json::{json, Value};

pub mod dashboard;
pub mod request;
pub mod tools;
pub use dashboard::{api_error_result, dashboard, dashboard_data, DashboardReads};
pub use request::{forwarded, plan, Local, Plan};
pub use tools::{argument_error, plan_call, tool_result, tools, RestCall, ToolCall, ToolError};

pub const MODERN: &str = "2026-07-28";
pub const LEGACY: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];
pub const SERVER_NAME: &str = "eryxon-flow";
const PROTOCOL_META: &str = "io.modelcontextprotocol/protocolVersion";
const SERVER_INFO_META: &str = "io.modelcontextprotocol/serverInfo";

/// JSON-RPC and MCP error codes.
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const PARSE_ERROR: i64 = -32700;
pub const UNSUPPORTED_VERSION: i64 = -32022;

/// The era a request speaks: 2026-07-28 (stateless, `_meta` in every request) or a legacy
/// revision negotiated by `initialize`.
#[derive(Debug, Clone, PartialEq)]
pub enum Era {
    Modern,
    Legacy(String),
}

/// Reads the era from the request's `_meta` and `MCP-Protocol-Version`; an unsupported
/// version is an error listing the supported ones.
pub fn era(request: &Value, header: Option<&str>) -> Result<Era, Value> {
    let meta = request["params"]["_meta"][PROTOCOL_META].as_str();
    let claimed = meta.or(header);
    match claimed {
        Some(MODERN) => {
            if let (Some(m), Some(h)) = (meta, header) {
                if m != h {
                    return Err(json!({ "code": -32020, "message": format!("MCP-Protocol-Version {h} does not match _meta protocolVersion {m}") }));
                }
            }
            Ok(Era::Modern)
        }
        Some(v) if LEGACY.contains(&v) => Ok(Era::Legacy(v.to_string())),
        None => Ok(Era::Legacy(LEGACY[0].to_string())),
        Some(v) => Err(json!({
            "code": UNSUPPORTED_VERSION,
            "message": format!("Unsupported protocol version {v}"),
            "data": { "supported": std::iter::once(MODERN).chain(LEGACY.iter().copied()).collect::<Vec<_>>(), "requested": v },
        })),
    }
}

fn capabilities() -> Value {
    json!({ "tools": { "listChanged": false } })
}

fn server_info() -> Value {
    json!({ "name": SERVER_NAME, "title": "Eryxon Flow MES", "version": env!("CARGO_PKG_VERSION") })
}

const INSTRUCTIONS: &str = "Eryxon Flow is a manufacturing execution system: jobs contain parts, parts contain operations (tasks). \
Use the fetch_ tools to look up ids before acting; lifecycle tools move jobs, operations and batches through their states.";

/// The result of a method other than `tools/call` (which needs the API), or `None` for an
/// unknown method.
pub fn answer(method: &str, request: &Value, era: &Era) -> Option<Value> {
    let result = match method {
        "initialize" => {
            let asked = request["params"]["protocolVersion"].as_str().unwrap_or(LEGACY[0]);
            let version = if LEGACY.contains(&asked) { asked } else { LEGACY[0] };
            json!({ "protocolVersion": version, "capabilities": capabilities(), "serverInfo": server_info(), "instructions": INSTRUCTIONS })
        }
        "server/discover" => json!({
            "supportedVersions": std::iter::once(MODERN).chain(LEGACY.iter().copied()).collect::<Vec<_>>(),
            "capabilities": capabilities(), "serverInfo": server_info(), "instructions": INSTRUCTIONS,
        }),
        "ping" => json!({}),
        "tools/list" => {
            let mut r = json!({ "tools": tools() });
            if *era == Era::Modern {
                r["ttlMs"] = json!(3_600_000);
                r["cacheScope"] = json!("public");
            }
            r
        }
        "resources/list" => json!({ "resources": [] }),
        "prompts/list" => json!({ "prompts": [] }),
        _ => return None,
    };
    Some(finish(result, era))
}

/// Adds what a 2026-07-28 result carries: `resultType` and the server's info in `_meta`.
pub fn finish(mut result: Value, era: &Era) -> Value {
    if *era == Era::Modern {
        result["resultType"] = json!("complete");
        result["_meta"] = json!({ SERVER_INFO_META: server_info() });
    }
    result
}

/// A JSON-RPC response.
pub fn response(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// A JSON-RPC error response.
pub fn error_response(id: &Value, error: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": error })
}

pub fn error(code: i64, message: impl Into<String>) -> Value {
    json!({ "code": code, "message": message.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_tool_is_there_with_a_schema() {
        let names: Vec<String> = tools().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect();
        for required in [
            "fetch_jobs",
            "fetch_parts",
            "fetch_tasks",
            "fetch_issues",
            "fetch_ncrs",
            "get_dashboard_stats",
            "start_job",
            "stop_job",
            "complete_job",
            "resume_job",
            "update_job",
            "create_job",
            "start_operation",
            "pause_operation",
            "complete_operation",
            "update_operation",
            "create_ncr",
            "add_substep",
            "complete_substep",
        ] {
            assert!(names.iter().any(|n| n == required), "{required}");
        }
        let fetch = &tools()[0];
        assert_eq!(fetch["annotations"]["readOnlyHint"], true);
        assert_eq!(fetch["inputSchema"]["type"], "object");
        assert_eq!(tools().iter().find(|t| t["name"] == "start_job").unwrap()["annotations"]["readOnlyHint"], false);
    }

    #[test]
    fn tool_calls_become_the_rest_requests_they_stand_for() {
        let call = |name: &str, args: Value| match plan_call(name, &args).unwrap() {
            ToolCall::Rest(r) => r,
            ToolCall::Dashboard => panic!(),
        };
        assert_eq!(call("start_job", json!({"id": "j 1"})).path, "api-job-lifecycle/start?id=j+1");
        assert_eq!(call("fetch_ncrs", json!({"severity": "high"})).path, "api-issues?issue_type=ncr&severity=high");
        let r = call("complete_substep", json!({"id": "s"}));
        assert_eq!((r.method, r.path.as_str(), r.body.clone().unwrap()), ("PATCH", "api-substeps?id=s", json!({"completed": true})));
        let r = call("create_ncr", json!({"operation_id": "o", "title": "t"}));
        assert_eq!(r.body.unwrap()["issue_type"], "ncr");
        assert_eq!(call("start_operation", json!({"id": "o", "user_id": "u"})).path, "api-operation-lifecycle/start?id=o&user_id=u");
        assert_eq!(plan_call("get_dashboard_stats", &Value::Null), Ok(ToolCall::Dashboard));
    }

    #[test]
    fn bad_arguments_name_the_field() {
        assert_eq!(plan_call("start_job", &json!({})), Err(ToolError::Arguments("id is required".into())));
        assert_eq!(plan_call("start_job", &json!({"id": "x", "force": true})), Err(ToolError::Arguments("force is not an argument of start_job".into())));
        assert_eq!(plan_call("nope", &json!({})), Err(ToolError::UnknownTool("nope".into())));
        let r = tool_result(
            422,
            &json!({"success": false, "error": {"code": "VALIDATION_ERROR", "message": "✗ 1", "details": [{"field": "job_number", "message": "Missing required field: job_number"}]}}),
        );
        assert_eq!(r["isError"], true);
        assert!(r["content"][0]["text"].as_str().unwrap().contains("job_number: Missing required field"));
    }

    #[test]
    fn eras() {
        let modern = json!({"params": {"_meta": {PROTOCOL_META: "2026-07-28"}}});
        assert_eq!(era(&modern, Some("2026-07-28")), Ok(Era::Modern));
        assert!(era(&modern, Some("2025-06-18")).is_err(), "header and _meta disagree");
        assert_eq!(era(&json!({}), Some("2025-06-18")), Ok(Era::Legacy("2025-06-18".into())));
        assert_eq!(era(&json!({}), Some("1999-01-01")).unwrap_err()["code"], UNSUPPORTED_VERSION);
        let listed = answer("tools/list", &modern, &Era::Modern).unwrap();
        assert_eq!((listed["resultType"].as_str(), listed["cacheScope"].as_str()), (Some("complete"), Some("public")));
        assert!(answer("tools/list", &json!({}), &Era::Legacy("2025-11-25".into())).unwrap().get("resultType").is_none());
        assert_eq!(
            answer("initialize", &json!({"params": {"protocolVersion": "2025-06-18"}}), &Era::Legacy("x".into())).unwrap()["protocolVersion"],
            "2025-06-18"
        );
        assert!(answer("bogus", &json!({}), &Era::Modern).is_none());
    }
}
