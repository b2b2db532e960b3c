//! `api-usage`: the caller's tenant's requests per day (tenant and per key), today's standing
//! against the daily limit, and quota use. One round trip.

use eryxon_domain::account::usage;
use eryxon_edge::{Answer, Call, Reply};

eryxon_edge::function!("api-usage", route);

async fn route(call: &Call) -> Answer {
    let range = usage::range(&call.query, call.now());
    let (caller, found) = call.authenticate(|scope| range.as_ref().map(|(from, to)| usage::reads(scope, from, to)).unwrap_or_default()).await?;
    let (from, to) = range?;
    Ok(Reply::ok(usage::answer(&caller.plan, caller.standing.as_ref(), &caller.quota, &found, (&from, &to))))
}
