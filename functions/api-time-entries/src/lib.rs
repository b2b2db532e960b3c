//! `api-time-entries`: time entries for labour booking (list and read; the lifecycle writes them).

use eryxon_domain::http::{id_param, Method};
use eryxon_domain::{time_entries, ApiError};
use eryxon_edge::{catalog, rows, Call, Reply};
use serde_json::{json, Value};

eryxon_edge::function!("api-time-entries", route);

async fn route(call: &Call) -> Result<Reply, ApiError> {
    if call.action.as_deref() != Some("") {
        return Err(call.no_route());
    }
    match call.method {
        Method::Get if call.query.get("id").is_some() => get(call).await,
        Method::Get => catalog::list_of(call, &time_entries::LIST, "time_entries", Value::clone).await,
        m => Err(ApiError::method_not_allowed(m.as_str(), &["GET", "OPTIONS"])),
    }
}

async fn get(call: &Call) -> Result<Reply, ApiError> {
    let id = id_param(&call.query);
    let (_, found) = call.authenticate(|scope| id.as_ref().map(|id| vec![time_entries::get(scope, id)]).unwrap_or_default()).await?;
    let id = id?;
    let entry = rows(&found, 0).first().ok_or_else(|| ApiError::not_found("Time entry", &id))?;
    Ok(Reply::ok(json!({ "time_entry": entry })))
}
