//! `api-time-entries`: time entries for labour booking (list and read; the lifecycle writes them).

use eryxon_domain::http::Method;
use eryxon_domain::{time_entries, ApiError};
use eryxon_edge::{catalog, Call, Reply};
use serde_json::Value;

eryxon_edge::function!("api-time-entries", route);

async fn route(call: &Call) -> Result<Reply, ApiError> {
    if call.action.as_deref() != Some("") {
        return Err(call.no_route());
    }
    match call.method {
        Method::Get if call.query.get("id").is_some() => catalog::get_shown(call, &time_entries::SHOWN).await,
        Method::Get => catalog::list_of(call, &time_entries::LIST, "time_entries", Value::clone).await,
        m => Err(ApiError::method_not_allowed(m.as_str(), &["GET", "OPTIONS"])),
    }
}
