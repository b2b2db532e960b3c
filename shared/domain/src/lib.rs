//! Eryxon Flow's domain: everything that decides what a request means and what it does,
//! with no dependency on the Workers runtime, so that all of it is tested natively.
//!
//! A request flows through these modules in order: [`http`] reads the raw parts,
//! [`api_key`] checks the credential's shape, an entity module (such as [`jobs`]) parses and
//! validates the body and plans its SQL as [`sql::Stmt`] values, and [`envelope`] shapes the
//! answer. The edge crate only carries those values to D1 and back.

pub mod api_key;
pub mod batch_lifecycle;
pub mod batches;
pub mod catalog;
pub mod dispatch;
pub mod entity;
pub mod envelope;
pub mod erp_sync;
pub mod error;
pub mod events;
pub mod export;
pub mod fields;
pub mod http;
pub mod idempotency;
pub mod issues;
pub mod jobs;
pub mod key_admin;
pub mod mcp;
pub mod operation_lifecycle;
pub mod operations;
pub mod parts;
pub mod password;
pub mod plans;
pub mod resource;
pub mod routes;
pub mod schema;
pub mod secrets;
pub mod session;
pub mod sign_in;
pub mod sql;
pub mod subscriptions;
pub mod sync;
pub mod tenant;
pub mod time;
pub mod time_entries;
pub mod time_share;
pub mod usage;
pub mod webhook_url;
pub mod webhooks;

pub use error::{ApiError, Constraint, ErrorCode, FieldError};

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
    pub fn whatwg(input: &str) -> Option<crate::webhook_url::Parsed> {
        let u = url::Url::parse(input).ok()?;
        let host = match u.host()? {
            url::Host::Domain(d) => d.to_string(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => format!("[{ip}]"),
        };
        Some(crate::webhook_url::Parsed { scheme: u.scheme().to_string(), host, credentials: !u.username().is_empty() || u.password().is_some() })
    }
}
