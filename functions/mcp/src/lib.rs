//! `mcp`: the Model Context Protocol server at `/functions/v1/mcp` (Streamable HTTP, JSON
//! responses). Stateless 2026-07-28 requests carry their version in `_meta`; older clients
//! open with `initialize`. Authentication is the caller's API key, as for REST. See
//! `eryxon_domain::mcp`.

use eryxon_domain::mcp::{self, Plan};
use eryxon_domain::ApiError;
use eryxon_edge::{Call, Stop};
use worker::Response;

/// What to do is `mcp::plan`'s decision; this only carries it out: a REST tool is forwarded
/// as the caller (its function authenticates), anything else is answered after the caller is
/// authenticated here.
async fn route(call: &Call) -> Result<Response, Stop> {
    if call.declared().is_err() {
        // Even a wrong path or method is answered only to a valid key.
        call.authenticate(|_| vec![]).await?;
        call.declared()?;
    }
    let (status, body) = match mcp::plan(call.body(), call.header("mcp-protocol-version")) {
        Plan::Forward { id, era, rest } => {
            let (status, envelope) = call.forward(rest.function, rest.method, &rest.path, rest.body.as_ref()).await?;
            if status == 401 {
                return Err(ApiError::unauthorized(envelope["error"]["message"].as_str().unwrap_or("Invalid API key")).into());
            }
            (200, Some(mcp::forwarded(&id, &era, status, &envelope)))
        }
        Plan::Local(local) => {
            let (_, found) = call.authenticate(|scope| local.reads(scope)).await?;
            local.reply(&found)
        }
    };
    call.respond_json(status, body.as_ref()).map_err(|e| ApiError::internal(format!("{e:?}")).into())
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
