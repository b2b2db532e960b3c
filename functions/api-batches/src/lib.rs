//! `api-batches`: list, read with operations, create with operations, PATCH, DELETE before start.

use eryxon_domain::http::{id_param, Method};
use eryxon_domain::{batches, ApiError};
use eryxon_edge::{catalog, new_id, rows, Call, Reply};
use serde_json::Value;
use worker::{event, Context, Env, Request, Response};

const FUNCTION: &str = "api-batches";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let call = match Call::read(req, env, FUNCTION).await {
        Ok(call) => call,
        Err(early) => return early,
    };
    let outcome = route(&call).await;
    call.respond(outcome)
}

async fn route(call: &Call) -> Result<Reply, ApiError> {
    if call.action.as_deref() != Some("") {
        return Err(call.no_route());
    }
    match call.method {
        Method::Get if call.query.get("id").is_some() => get(call).await,
        Method::Get => catalog::list_of(call, &batches::LIST, "batches", Value::clone).await,
        Method::Post => create(call).await,
        Method::Patch => patch(call).await,
        Method::Delete => delete(call).await,
        m => Err(ApiError::method_not_allowed(m.as_str(), &["GET", "POST", "PATCH", "DELETE", "OPTIONS"])),
    }
}

async fn get(call: &Call) -> Result<Reply, ApiError> {
    let id = id_param(&call.query);
    let (_, found) = call.authenticate(|scope| id.as_ref().map(|id| batches::get(scope, id)).unwrap_or_default()).await?;
    let id = id?;
    Ok(Reply::ok(batches::assemble(rows(&found, 0), rows(&found, 1), &id)?))
}

/// Two round trips: the key check with references, number and membership checks; then the
/// batch with its operations in one write, which reads them back for the answer.
async fn create(call: &Call) -> Result<Reply, ApiError> {
    let draft = call.json_body().map(|body| batches::parse(&body, false));
    let (caller, found) = call.authenticate(|scope| draft.as_ref().map(|d| d.preloads(scope, None)).unwrap_or_default()).await?;
    let draft = draft?;
    let ignored = draft.ignored.clone();
    let planned = draft.plan_create(&found, &caller.tenant_id, &call.now().rfc3339(), new_id())?;
    let written = call.write(&planned.stmts).await?;
    Ok(Reply::created(planned.answer(&written)?).ignoring(ignored))
}

async fn patch(call: &Call) -> Result<Reply, ApiError> {
    let id = id_param(&call.query);
    let draft = call.json_body().map(|body| batches::parse(&body, true));
    let (caller, found) = call
        .authenticate(|scope| match (&id, &draft) {
            (Ok(id), Ok(d)) => d.preloads(scope, Some(id)),
            _ => vec![],
        })
        .await?;
    let (id, draft) = (id?, draft?);
    let ignored = draft.ignored.clone();
    let planned = draft.plan_update(&found, &caller.tenant_id, &call.now().rfc3339(), &id)?;
    let written = call.write(&planned.stmts).await?;
    Ok(Reply::ok(planned.answer(&written)?).ignoring(ignored))
}

async fn delete(call: &Call) -> Result<Reply, ApiError> {
    let id = id_param(&call.query);
    let (caller, found) = call.authenticate(|scope| id.as_ref().map(|id| batches::get(scope, id)).unwrap_or_default()).await?;
    let id = id?;
    let stmt = batches::plan_delete(rows(&found, 0), &caller.tenant_id, &id)?;
    if rows(&call.write(&[stmt]).await?, 0).is_empty() {
        return Err(ApiError::not_found("Batch", &id));
    }
    Ok(Reply::ok(serde_json::json!({ "id": id, "deleted": true })))
}
