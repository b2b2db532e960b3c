//! `api-time-entries`: time entries for labour booking (list and read; the lifecycle writes them).

use eryxon_domain::entities::time_entries;
use eryxon_edge::{catalog, Answer, Call};
use serde_json::Value;

eryxon_edge::function!("api-time-entries", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("", Get) if call.query.get("id").is_some() => catalog::get_shown(call, &time_entries::SHOWN).await,
        ("", Get) => catalog::list_of(call, &time_entries::LIST, "time_entries", Value::clone).await,
    })
}
