//! The HTTP contract every function shares.

pub mod envelope;
pub mod error;
pub mod fields;
pub mod http;
pub mod idempotency;
pub mod routes;
pub mod sql;
pub mod time;
