//! One HTTP request to the MCP endpoint, decided before anything is read: a tool that stands
//! for a REST request is forwarded (its function authenticates the caller); everything else
//! is answered here once the caller is authenticated, never before, so a caller without a
//! valid key learns nothing but 401, not even whether its JSON parses.

use super::{answer, argument_error, dashboard, dashboard_data, era, error, error_response, finish, plan_call, response, tool_result};
use super::{Era, RestCall, ToolCall, ToolError, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR};
use crate::protocol::sql::{Scope, Stmt};
use serde_json::{json, Value};

/// What a request asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// A tool call standing for a REST request, sent as the caller; see [`forwarded`].
    Forward { id: Value, era: Era, rest: RestCall },
    /// Answered here, after authentication (with [`Local::reads`]); see [`Local::reply`].
    Local(Local),
}

/// A request answered by the MCP worker itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Local {
    /// Not one JSON-RPC message: 400 with the JSON-RPC error, id null.
    Unreadable(Value),
    /// A notification, or a client's response (it names no method but carries a result or
    /// an error): 202, nothing to answer.
    Notification,
    /// The dashboard tool: its reads ride in the authentication round trip.
    Dashboard { id: Value, era: Era },
    /// Any other answer: a status and the JSON-RPC result or error.
    Answer { id: Value, status: u16, outcome: Result<Value, Value> },
}

/// Reads the request (the body and its `MCP-Protocol-Version` header).
pub fn plan(body: &[u8], version_header: Option<&str>) -> Plan {
    let request = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return Plan::Local(Local::Unreadable(error(INVALID_REQUEST, "Send one JSON-RPC message per request (batches are not supported)"))),
        Err(e) => return Plan::Local(Local::Unreadable(error(PARSE_ERROR, format!("Invalid JSON: {e}")))),
    };
    let is_response = request.get("method").is_none() && (request.get("result").is_some() || request.get("error").is_some());
    let Some(id) = request.get("id").cloned().filter(|_| !is_response) else { return Plan::Local(Local::Notification) };
    let era = match era(&request, version_header) {
        Ok(era) => era,
        Err(e) => return Plan::Local(Local::Answer { id, status: 400, outcome: Err(e) }),
    };
    let method = request["method"].as_str().unwrap_or_default();
    if method != "tools/call" {
        return Plan::Local(match answer(method, &request, &era) {
            Some(result) => Local::Answer { id, status: 200, outcome: Ok(result) },
            // 2026-07-28 answers an unknown method 404; the initialize era in-band.
            None => {
                let status = if era == Era::Modern { 404 } else { 200 };
                Local::Answer { id, status, outcome: Err(error(METHOD_NOT_FOUND, format!("Method not found: {method}"))) }
            }
        });
    }
    let params = &request["params"];
    Plan::Local(match plan_call(params["name"].as_str().unwrap_or_default(), &params["arguments"]) {
        Ok(ToolCall::Rest(rest)) => return Plan::Forward { id, era, rest },
        Ok(ToolCall::Dashboard) => Local::Dashboard { id, era },
        Err(ToolError::UnknownTool(n)) => Local::Answer { id, status: 200, outcome: Err(error(INVALID_PARAMS, format!("Unknown tool: {n}"))) },
        Err(ToolError::Arguments(m)) => Local::Answer { id, status: 200, outcome: Ok(finish(argument_error(&m), &era)) },
    })
}

impl Local {
    /// The reads its answer needs, for the authentication round trip.
    pub fn reads(&self, scope: Scope<'_>) -> Vec<Stmt> {
        match self {
            Local::Dashboard { .. } => dashboard(scope),
            _ => vec![],
        }
    }

    /// The HTTP status and JSON body (none for 202), from what [`Local::reads`] found.
    pub fn reply(self, found: &[Vec<Value>]) -> (u16, Option<Value>) {
        match self {
            Local::Unreadable(e) => (400, Some(error_response(&Value::Null, e))),
            Local::Notification => (202, None),
            Local::Dashboard { id, era } => {
                let found = super::DashboardReads::rows(found);
                let data = dashboard_data(found.jobs, found.counts);
                (200, Some(response(&id, finish(tool_result(200, &json!({ "success": true, "data": data })), &era))))
            }
            Local::Answer { id, status, outcome: Ok(result) } => (status, Some(response(&id, result))),
            Local::Answer { id, status, outcome: Err(e) } => (status, Some(error_response(&id, e))),
        }
    }
}

/// The JSON-RPC response to a forwarded tool call, from the function's status and envelope.
pub fn forwarded(id: &Value, era: &Era, status: u16, envelope: &Value) -> Value {
    response(id, finish(tool_result(status, envelope), era))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::{MODERN, UNSUPPORTED_VERSION};

    fn modern(method: &str, params: Value) -> Vec<u8> {
        let mut params = params;
        params["_meta"] = json!({ "io.modelcontextprotocol/protocolVersion": MODERN });
        json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params }).to_string().into_bytes()
    }

    fn answered(plan: Plan) -> (u16, Value) {
        let Plan::Local(local) = plan else { panic!("answered locally") };
        let (status, body) = local.reply(&[]);
        (status, body.unwrap_or(Value::Null))
    }

    #[test]
    fn what_is_not_one_message_is_a_json_rpc_error_with_a_null_id() {
        for (body, code) in [(&b"{oops"[..], PARSE_ERROR), (b"[]", INVALID_REQUEST), (b"7", INVALID_REQUEST)] {
            let (status, reply) = answered(plan(body, None));
            assert_eq!((status, reply["error"]["code"].as_i64(), reply["id"].clone()), (400, Some(code), Value::Null));
        }
        assert_eq!(plan(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, None), Plan::Local(Local::Notification));
        assert_eq!(answered(plan(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, None)).0, 202);
        assert_eq!(plan(br#"{"jsonrpc":"2.0","id":3,"result":{}}"#, None), Plan::Local(Local::Notification), "a client's response is accepted too");
    }

    #[test]
    fn versions_methods_and_tools_are_decided_here() {
        let (status, reply) = answered(plan(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, Some("1999-01-01")));
        assert_eq!((status, reply["error"]["code"].as_i64()), (400, Some(UNSUPPORTED_VERSION)));
        let (status, reply) = answered(plan(&modern("nope/nope", json!({})), None));
        assert_eq!((status, reply["error"]["code"].as_i64()), (404, Some(METHOD_NOT_FOUND)), "2026-07-28: unknown methods are 404");
        let (status, reply) = answered(plan(br#"{"jsonrpc":"2.0","id":1,"method":"nope/nope"}"#, None));
        assert_eq!((status, reply["error"]["code"].as_i64()), (200, Some(METHOD_NOT_FOUND)), "the initialize era answers in-band");
        let (status, reply) = answered(plan(&modern("tools/list", json!({})), None));
        assert_eq!((status, reply["result"]["resultType"].as_str()), (200, Some("complete")));
        assert!(reply["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()));
        let (_, reply) = answered(plan(&modern("tools/call", json!({"name": "drop_tables"})), None));
        assert_eq!(reply["error"]["code"].as_i64(), Some(INVALID_PARAMS));
        let (_, reply) = answered(plan(&modern("tools/call", json!({"name": "fetch_jobs", "arguments": 7})), None));
        assert_eq!(reply["result"]["isError"], true, "bad arguments are a tool error");
    }

    #[test]
    fn rest_tools_are_forwarded_and_the_dashboard_reads_with_authentication() {
        let Plan::Forward { id, era, rest } = plan(&modern("tools/call", json!({"name": "fetch_jobs", "arguments": {}})), None) else { panic!("forwarded") };
        assert_eq!((id, era.clone(), rest.function), (json!(7), Era::Modern, "api-jobs"));
        let reply = forwarded(&json!(7), &era, 200, &json!({"success": true, "data": {"jobs": []}}));
        assert_eq!(reply["result"]["structuredContent"], json!({"jobs": []}));
        let Plan::Local(dashboard) = plan(&modern("tools/call", json!({"name": "get_dashboard_stats"})), None) else { panic!("local") };
        assert_eq!(dashboard.reads(Scope::Tenant("t")).len(), 2);
        let (status, body) = dashboard.reply(&[vec![json!({"status": "in_progress", "n": 3})], vec![json!({"open_ncrs": 1})]]);
        let data = &body.unwrap()["result"]["structuredContent"];
        assert_eq!((status, data["jobs"]["in_progress"].as_i64(), data["open_ncrs"].as_i64()), (200, Some(3), Some(1)));
    }
}
