//! Eryxon Flow's domain: everything that decides what a request means and what it does,
//! with no dependency on the Workers runtime, so that all of it is tested natively. The edge
//! crate only carries the [`protocol::sql::Stmt`] values planned here to D1 and back.
//!
//! A request flows through these folders: [`protocol`] reads it and is refused if
//! [`protocol::routes`] does not declare it, [`auth`] checks its credential and [`account`]
//! resolves it to a tenant, an entity of [`entities`] (or a transition of [`lifecycle`], a
//! sync of [`erp_sync`]) parses its body by the entity's declared fields ([`resource`]) and
//! plans its SQL, and [`delivery`] carries the events that write recorded to webhooks.
//!
//! The folders are layers, listed here in order: each uses only those above it
//! (`tests/layers.rs` holds them to it), so no two import each other.

/// The HTTP contract: envelopes, errors, field parsing, query strings, SQL values and read
/// sets, times, Idempotency-Key, and the table of every route.
pub mod protocol;

/// The declarations every entity is made of (columns and the uses that accept them, list
/// specs, how a record is shown) and the JSON Schema derived from them.
pub mod resource;

/// Credentials: API keys, admin sign-in and session tokens, passwords, and secrets sealed
/// at rest.
pub mod auth;

/// The tenant a key resolves to: its plan, limits and standing, and what it has used
/// (`api-usage`).
pub mod account;

/// Events and their delivery: the event record, signing, the dispatcher's schedule, and the
/// guard on where a webhook may point.
pub mod delivery;

/// The entity endpoints: jobs (nested create, read, PATCH), parts, operations, the catalog
/// (cells, materials, operators, substeps) with the generic entity they share, issues and
/// NCRs, batches, time entries, webhooks (`api-webhooks`) and deletions (`api-deletions`).
pub mod entities;

/// Status transitions that book time: jobs, operations, batches, and how a batch's minutes
/// are shared across its operations.
pub mod lifecycle;

/// ERP sync by external id (`PUT .../sync`, `POST .../bulk-sync`).
pub mod erp_sync;

/// Admin endpoints: API keys (`api-keys`) and the tenant's export (`api-export`).
pub mod admin;

/// The Model Context Protocol server.
pub mod mcp;

pub use protocol::error::{ApiError, Constraint, ErrorCode, FieldError};

/// What the unit tests share.
#[cfg(test)]
pub(crate) mod testing {
    /// Predictable ids, `id-1`, `id-2`, ..., in place of random ones.
    pub fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("id-{n}")
        }
    }

    /// WHATWG URL parsing as the runtime's `URL` does it, by the `url` crate (the same standard).
    pub fn whatwg(input: &str) -> Option<crate::delivery::url_guard::Parsed> {
        let u = url::Url::parse(input).ok()?;
        let host = match u.host()? {
            url::Host::Domain(d) => d.to_string(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => format!("[{ip}]"),
        };
        Some(crate::delivery::url_guard::Parsed { scheme: u.scheme().to_string(), host, credentials: !u.username().is_empty() || u.password().is_some() })
    }
}
