//! `mcp`: the Model Context Protocol server at `/functions/v1/mcp` (Streamable HTTP, JSON
//! responses). Stateless 2026-07-28 requests carry their version in `_meta`; older clients
//! open with `initialize`. Authentication is the caller's API key, as for REST. See
//! `eryxon_domain::mcp`.

use eryxon_domain::http::Method;
use eryxon_domain::mcp::{self, Era, ToolCall, ToolError};
use eryxon_domain::ApiError;
use eryxon_edge::{rows, Call};
use serde_json::{json, Value};
use worker::Response;

async fn route(call: &Call) -> Result<Response, ApiError> {
    if call.action.as_deref() != Some("") {
        return Err(call.no_route());
    }
    if call.method != Method::Post {
        return Err(ApiError::method_not_allowed(call.method.as_str(), &["POST", "OPTIONS"]));
    }
    let request: Value = match serde_json::from_slice(call.body()) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return rpc(call, 400, &Value::Null, Err(mcp::error(mcp::INVALID_REQUEST, "Send one JSON-RPC message per request (batches are not supported)"))),
        Err(e) => return rpc(call, 400, &Value::Null, Err(mcp::error(mcp::PARSE_ERROR, format!("Invalid JSON: {e}")))),
    };
    let id = request.get("id").cloned();
    let method = request["method"].as_str().unwrap_or_default().to_string();
    let Some(id) = id else {
        // A notification (or a client's response): accepted, nothing to answer; but only from
        // a caller with a valid key, like every other request.
        call.authenticate(|_| vec![]).await?;
        return call.respond_json(202, None).map_err(|e| ApiError::internal(format!("{e:?}")));
    };
    let era = match mcp::era(&request, call.header("mcp-protocol-version")) {
        Ok(era) => era,
        Err(e) => return rpc(call, 400, &id, Err(e)),
    };
    if method == "tools/call" {
        let name = request["params"]["name"].as_str().unwrap_or_default();
        let result = tool(call, name, &request["params"]["arguments"]).await?;
        return match result {
            Ok(result) => rpc(call, 200, &id, Ok(mcp::finish(result, &era))),
            Err(error) => rpc(call, 200, &id, Err(error)),
        };
    }
    call.authenticate(|_| vec![]).await?;
    match mcp::answer(&method, &request, &era) {
        Some(result) => rpc(call, 200, &id, Ok(result)),
        None => {
            let status = if era == Era::Modern { 404 } else { 200 };
            rpc(call, status, &id, Err(mcp::error(mcp::METHOD_NOT_FOUND, format!("Method not found: {method}"))))
        }
    }
}

/// A tool call: the REST request it stands for, sent as the caller; its answer as a tool result.
async fn tool(call: &Call, name: &str, args: &Value) -> Result<Result<Value, Value>, ApiError> {
    match mcp::plan_call(name, args) {
        Err(ToolError::UnknownTool(n)) => Ok(Err(mcp::error(mcp::INVALID_PARAMS, format!("Unknown tool: {n}")))),
        Err(ToolError::Arguments(m)) => {
            call.authenticate(|_| vec![]).await?;
            Ok(Ok(mcp::argument_error(&m)))
        }
        Ok(ToolCall::Dashboard) => {
            let (_, found) = call.authenticate(mcp::dashboard).await?;
            let data = mcp::dashboard_data(rows(&found, 0), rows(&found, 1));
            Ok(Ok(mcp::tool_result(200, &json!({ "success": true, "data": data }))))
        }
        Ok(ToolCall::Rest(r)) => {
            let (status, envelope) = call.forward(r.function, r.method, &r.path, r.body.as_ref()).await?;
            if status == 401 {
                return Err(ApiError::unauthorized(envelope["error"]["message"].as_str().unwrap_or("Invalid API key")));
            }
            Ok(Ok(mcp::tool_result(status, &envelope)))
        }
    }
}

fn rpc(call: &Call, status: u16, id: &Value, outcome: Result<Value, Value>) -> Result<Response, ApiError> {
    let body = match outcome {
        Ok(result) => mcp::response(id, result),
        Err(error) => mcp::error_response(id, error),
    };
    call.respond_json(status, Some(&body)).map_err(|e| ApiError::internal(format!("{e:?}")))
}

/// Authentication and request failures keep the API's envelope and status (401 without a key).
#[worker::event(fetch)]
async fn fetch(req: worker::Request, env: worker::Env, _ctx: worker::Context) -> worker::Result<Response> {
    let call = match Call::read(req, env, "mcp").await {
        Ok(call) => call,
        Err(early) => return early,
    };
    match route(&call).await {
        Ok(response) => Ok(response),
        Err(e) => call.respond(Err(e)),
    }
}
