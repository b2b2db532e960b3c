//! The gateway: local development and single-host self-hosting serve every function from one
//! origin. `/functions/v1/api-jobs...` goes to the service binding `API_JOBS`, unchanged
//! (an entity's `/sync` and `/bulk-sync` to `API_SYNC`, see `routes::serving_function`). In
//! our cloud each function has its own route instead, and this hop does not exist.

use eryxon_domain::protocol::{http, routes};
use eryxon_domain::ApiError;
use eryxon_edge::{error_response, new_id};
use worker::{event, Context, Env, Request, Response};

const PREFIX: &str = "/functions/v1/";
const OPENAPI_PATH: &str = "/functions/v1/openapi.json";
/// The API's OpenAPI document (written by `tools/openapi`, `npm run openapi`).
const OPENAPI: &str = include_str!("../../openapi/openapi.json");

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    if path == "/health" {
        return Response::ok("ok");
    }
    if path == "/docs" || path.starts_with("/docs/") {
        return env.assets("ASSETS")?.fetch_request(req).await;
    }
    if path == OPENAPI_PATH {
        if !matches!(req.method(), worker::Method::Get | worker::Method::Head) || req.inner().method() != req.method().to_string() {
            let request_id = http::request_id(req.headers().get("x-request-id").ok().flatten().as_deref(), new_id);
            return error_response(&ApiError::method_not_allowed(&req.inner().method(), &["GET", "HEAD"]), &request_id);
        }
        let h = worker::Headers::new();
        h.set("Content-Type", "application/json; charset=utf-8")?;
        h.set("Access-Control-Allow-Origin", "*")?;
        return Ok(Response::ok(OPENAPI)?.with_headers(h));
    }
    let function = path.strip_prefix(PREFIX).map(routes::serving_function).unwrap_or("");
    match routes::binding_name(function).and_then(|b| env.service(&b).ok()) {
        Some(service) => service.fetch_request(req).await,
        None => {
            let request_id = http::request_id(req.headers().get("x-request-id").ok().flatten().as_deref(), new_id);
            error_response(&ApiError::route_not_found(&path), &request_id)
        }
    }
}
