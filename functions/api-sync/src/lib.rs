//! `api-sync`: the ERP sync engine, in a worker of its own so that the entity workers stay
//! small. It serves `PUT /functions/v1/api-<jobs|parts|operations|cells>/sync` and
//! `POST .../bulk-sync`: the gateway routes those paths here (`routes::serving_function`), and a
//! deployment gives this worker the same paths as routes (more specific than the entity
//! workers' own).

use eryxon_domain::erp_sync::Root;
use eryxon_domain::protocol::http;
use eryxon_domain::ApiError;
use eryxon_edge::{erp, error_response, new_id, Call};
use worker::{event, Context, Env, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    let Some(root) = path.split('/').find_map(Root::for_function) else {
        let request_id = http::request_id(req.headers().get("x-request-id").ok().flatten().as_deref(), new_id);
        return error_response(&ApiError::route_not_found(&path), &request_id);
    };
    let call = match Call::read(req, env, root.function()).await {
        Ok(call) => call.with_context(ctx),
        Err(early) => return early,
    };
    let outcome = match call.declared() {
        Ok(()) => erp::serve(&call, root).await,
        Err(refused) => Err(refused.into()),
    };
    call.respond(outcome)
}
