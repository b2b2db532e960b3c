//! `api-deletions`: `GET ?since=<RFC 3339>&entity=job` lists the tenant's deleted records
//! (`entity`, `id`, `deleted_at`) in the order they were deleted, kept 90 days. With every
//! list's `updated_since`, it is all a syncing ERP needs to mirror the tenant. One round trip.

use eryxon_domain::entities::deletions;
use eryxon_edge::{catalog, Answer, Call};

eryxon_edge::function!("api-deletions", route);

async fn route(call: &Call) -> Answer {
    catalog::list_of(call, &deletions::DELETIONS, "deletions", Clone::clone).await
}
