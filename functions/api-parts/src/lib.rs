//! `api-parts`: list, read with operations, create (with nested operations), PATCH, DELETE.

use eryxon_domain::http::{id_param, Method};
use eryxon_domain::{parts, ApiError};
use eryxon_edge::{catalog, new_id, rows, Call, Reply};
use worker::{event, Context, Env, Request, Response};

const FUNCTION: &str = "api-parts";

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
        Method::Get => catalog::list_of(call, &parts::LIST, "parts", parts::decode).await,
        Method::Post => write(call, false).await,
        Method::Patch => write(call, true).await,
        Method::Delete => catalog::delete_by(call, "Part", parts::delete).await,
        m => Err(ApiError::method_not_allowed(m.as_str(), &["GET", "POST", "PATCH", "DELETE", "OPTIONS"])),
    }
}

async fn get(call: &Call) -> Result<Reply, ApiError> {
    let id = id_param(&call.query);
    let (_, found) = call.authenticate(|scope| id.as_ref().map(|id| parts::get(scope, id)).unwrap_or_default()).await?;
    let id = id?;
    Ok(Reply::ok(parts::assemble(rows(&found, 0), rows(&found, 1), &id)?))
}

/// POST (`patch` false) or PATCH: the key check with every read the rules need, then one write.
async fn write(call: &Call, patch: bool) -> Result<Reply, ApiError> {
    let id = if patch { id_param(&call.query).map(Some) } else { Ok(None) };
    let draft = call.json_body().map(|body| parts::parse(&body, patch));
    let (caller, found) = call
        .authenticate(|scope| match (&id, &draft) {
            (Ok(id), Ok(d)) => d.preloads(scope, id.as_deref()),
            _ => vec![],
        })
        .await?;
    let (id, draft) = (id?, draft?);
    let ignored = draft.ignored.clone();
    let planned = draft.plan(&found, &caller.quota, &caller.tenant_id, &call.now().rfc3339(), id.as_deref(), new_id)?;
    let written = call.write(&planned.stmts).await?;
    let answer = planned.answer(&written)?;
    call.publish_written(&planned.stmts).await;
    let reply = if patch { Reply::ok(answer) } else { Reply::created(answer) };
    Ok(reply.ignoring(ignored))
}
