//! `api-issues`: quality issues and NCRs: list, read, create (NCR numbers generated in the
//! same write), PATCH through the status machine, DELETE.

use eryxon_domain::http::{id_param, Method};
use eryxon_domain::{issues, ApiError};
use eryxon_edge::{catalog, new_id, rows, Call, Reply};
use serde_json::json;
use worker::{event, Context, Env, Request, Response};

const FUNCTION: &str = "api-issues";

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
        Method::Get => catalog::list_of(call, &issues::LIST, "issues", issues::decode).await,
        Method::Post => write(call, false).await,
        Method::Patch => write(call, true).await,
        Method::Delete => catalog::delete_by(call, "Issue", issues::delete).await,
        m => Err(ApiError::method_not_allowed(m.as_str(), &["GET", "POST", "PATCH", "DELETE", "OPTIONS"])),
    }
}

async fn get(call: &Call) -> Result<Reply, ApiError> {
    let id = id_param(&call.query);
    let (_, found) = call.authenticate(|scope| id.as_ref().map(|id| vec![issues::get(scope, id)]).unwrap_or_default()).await?;
    let id = id?;
    let row = rows(&found, 0).first().ok_or_else(|| ApiError::not_found("Issue", &id))?;
    Ok(Reply::ok(json!({ "issue": issues::decode(row) })))
}

/// POST (`patch` false) or PATCH: the key check with every read the rules need, then one write.
async fn write(call: &Call, patch: bool) -> Result<Reply, ApiError> {
    let id = if patch { id_param(&call.query).map(Some) } else { Ok(None) };
    let draft = call.json_body().map(|body| issues::parse(&body, patch));
    let (caller, found) = call
        .authenticate(|scope| match (&id, &draft) {
            (Ok(id), Ok(d)) => d.preloads(scope, id.as_deref()),
            _ => vec![],
        })
        .await?;
    let (id, draft) = (id?, draft?);
    let ignored = draft.ignored.clone();
    let planned = draft.plan(&found, &caller.tenant_id, &call.now().rfc3339(), id.as_deref(), new_id)?;
    let written = call.write(&planned.stmts).await?;
    let answer = planned.answer(&written)?;
    call.publish_written(&planned.stmts).await;
    Ok(if patch { Reply::ok(answer) } else { Reply::created(answer) }.ignoring(ignored))
}
