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
    if call.action.as_deref() != Some("") || call.method != Method::Post {
        // Even a wrong path or method is answered only to a valid key.
        call.authenticate(|_| vec![]).await?;
        call.serves_only(Method::Post, "")?;
    }
    let request: Result<Value, Value> = match serde_json::from_slice(call.body()) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(mcp::error(mcp::INVALID_REQUEST, "Send one JSON-RPC message per request (batches are not supported)")),
        Err(e) => Err(mcp::error(mcp::PARSE_ERROR, format!("Invalid JSON: {e}"))),
    };
    let era = |r: &Value| mcp::era(r, call.header("mcp-protocol-version"));
    let tool = match &request {
        Ok(r) if r.get("id").is_some() && r["method"] == "tools/call" && era(r).is_ok() => {
            Some(mcp::plan_call(r["params"]["name"].as_str().unwrap_or_default(), &r["params"]["arguments"]))
        }
        _ => None,
    };
    // A tool that stands for a REST request is answered by that function, which authenticates
    // the caller first. Everything else is authenticated here before anything is answered, so
    // a caller without a valid key learns nothing but 401 (not even whether its JSON parses).
    if let Some(Ok(ToolCall::Rest(r))) = &tool {
        let (status, envelope) = call.forward(r.function, r.method, &r.path, r.body.as_ref()).await?;
        if status == 401 {
            return Err(ApiError::unauthorized(envelope["error"]["message"].as_str().unwrap_or("Invalid API key")));
        }
        let request = request.as_ref().map_err(|_| ApiError::internal("a planned tool call has a request"))?;
        let era = era(request).map_err(|_| ApiError::internal("a planned tool call has an era"))?;
        return rpc(call, 200, &request["id"], Ok(mcp::finish(mcp::tool_result(status, &envelope), &era)));
    }
    let dashboard = matches!(tool, Some(Ok(ToolCall::Dashboard)));
    let (_, found) = call.authenticate(|scope| if dashboard { mcp::dashboard(scope) } else { vec![] }).await?;
    let request = match request {
        Ok(r) => r,
        Err(error) => return rpc(call, 400, &Value::Null, Err(error)),
    };
    let Some(id) = request.get("id").cloned() else {
        // A notification (or a client's response): accepted, nothing to answer.
        return call.respond_json(202, None).map_err(|e| ApiError::internal(format!("{e:?}")));
    };
    let era = match era(&request) {
        Ok(era) => era,
        Err(e) => return rpc(call, 400, &id, Err(e)),
    };
    let result = match tool {
        Some(Err(ToolError::UnknownTool(n))) => Err(mcp::error(mcp::INVALID_PARAMS, format!("Unknown tool: {n}"))),
        Some(Err(ToolError::Arguments(m))) => Ok(mcp::finish(mcp::argument_error(&m), &era)),
        // The dashboard: a tool standing for a REST request was forwarded above.
        Some(Ok(_)) => {
            let data = mcp::dashboard_data(rows(&found, 0), rows(&found, 1));
            Ok(mcp::finish(mcp::tool_result(200, &json!({ "success": true, "data": data })), &era))
        }
        None => {
            let method = request["method"].as_str().unwrap_or_default();
            match mcp::answer(method, &request, &era) {
                Some(result) => Ok(result),
                None => {
                    let status = if era == Era::Modern { 404 } else { 200 };
                    return rpc(call, status, &id, Err(mcp::error(mcp::METHOD_NOT_FOUND, format!("Method not found: {method}"))));
                }
            }
        }
    };
    rpc(call, 200, &id, result)
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
