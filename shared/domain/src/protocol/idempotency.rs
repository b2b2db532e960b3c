//! `Idempotency-Key` on POST requests (creates and lifecycle actions): a retried request does
//! nothing twice and answers what the first answered.
//!
//! Within the two round trips every write already makes:
//! 1. The authentication round trip reads the key's record, if any ([`lookup`]). A finished
//!    record with the same request fingerprint is replayed; another fingerprint is 422; a
//!    record without its answer yet means the first request is still running: 409.
//! 2. The write batch begins with a plain INSERT of the record ([`claim`]). It commits with the
//!    change or not at all: if another request with the same key committed first, the INSERT
//!    violates the primary key, the whole batch rolls back, and this request answers 409.
//!
//! The answer is stored right after the response is sent ([`store`]), off the request's
//! path. Records live for 24 hours; an expired record is replaced by the next claim.

use crate::protocol::error::{ApiError, ErrorCode};
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::protocol::time::Now;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
const MAX_KEY_LEN: usize = 255;
const LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// The header's key, if the request carries a usable one (printable ASCII, 1-255 characters).
pub fn key(header: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(raw) = header else { return Ok(None) };
    let k = raw.trim();
    if k.is_empty() || k.len() > MAX_KEY_LEN || !k.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(ApiError::bad_request("Idempotency-Key must be 1 to 255 printable ASCII characters"));
    }
    Ok(Some(k.to_string()))
}

/// What identifies "the same request": method, path with query, and body.
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), b"\n", path_and_query.as_bytes(), b"\n", body] {
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// Reads the key's unexpired record in the authentication round trip.
pub fn lookup(scope: Scope<'_>, key: &str, now: Now) -> Stmt {
    Stmt::scoped(
        scope,
        "SELECT request_hash, status_code, response FROM idempotency_keys WHERE tenant_id = {tenant} AND key = ?2 AND created_at > ?3",
        vec![key.into(), cutoff(now).into()],
    )
}

/// A previous request's outcome, as the lookup found it.
#[derive(Debug, Clone, PartialEq)]
pub enum Previous {
    /// No record: this request runs, and claims the key in its write.
    None,
    /// The same request finished: answer this again.
    Replay { status: u16, body: String },
}

/// Decides what the lookup means for this request.
pub fn previous(rows: &[Value], fingerprint: &str) -> Result<Previous, ApiError> {
    let Some(row) = rows.first() else { return Ok(Previous::None) };
    if row.get("request_hash").and_then(Value::as_str) != Some(fingerprint) {
        let message = "This Idempotency-Key was used for a different request (method, path or body); use a new key";
        let detail = crate::protocol::error::FieldError::new(HEADER, crate::protocol::error::Constraint::UniqueConstraint, message, Value::Null);
        return Err(ApiError::new(ErrorCode::ValidationError, message).with_details(vec![detail]));
    }
    match (row.get("status_code").and_then(Value::as_u64), row.get("response").and_then(Value::as_str)) {
        (Some(status), Some(body)) => Ok(Previous::Replay { status: status as u16, body: body.to_string() }),
        _ => Err(in_progress()),
    }
}

/// The write batch's first statement: clears an expired record, then claims the key. Two
/// statements; the INSERT fails (and rolls the batch back) when the key is taken.
pub fn claim(tenant_id: &str, key: &str, fingerprint: &str, now: Now) -> [Stmt; 2] {
    [
        Stmt::new(
            "DELETE FROM idempotency_keys WHERE tenant_id = ?1 AND key = ?2 AND created_at <= ?3",
            vec![tenant_id.into(), key.into(), cutoff(now).into()],
        ),
        Stmt::new(
            "INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            vec![tenant_id.into(), key.into(), fingerprint.into(), now.rfc3339().into()],
        ),
    ]
}

/// Stores the answer of the request that claimed the key.
pub fn store(tenant_id: &str, key: &str, status: u16, body: &str) -> Stmt {
    Stmt::new(
        "UPDATE idempotency_keys SET status_code = ?3, response = ?4 WHERE tenant_id = ?1 AND key = ?2 AND status_code IS NULL",
        vec![tenant_id.into(), key.into(), Param::Int(status.into()), body.into()],
    )
}

/// Records past their lifetime, for the scheduled sweep.
pub fn expired(now: Now) -> Stmt {
    Stmt::new("DELETE FROM idempotency_keys WHERE created_at <= ?1", vec![cutoff(now).into()])
}

/// Whether a failed write failed because another request holds the key.
pub fn is_taken(failure_text: &str) -> bool {
    failure_text.contains("idempotency_keys")
}

pub fn in_progress() -> ApiError {
    ApiError::conflict("A request with this Idempotency-Key is still being processed; retry shortly to get its answer")
}

fn cutoff(now: Now) -> String {
    Now(now.0 - LIFETIME_MS).rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_must_be_printable_and_short() {
        assert_eq!(key(None), Ok(None));
        assert_eq!(key(Some(" abc-123 ")), Ok(Some("abc-123".into())));
        for bad in ["", "   ", "é", "a\u{7}b", &"k".repeat(256)] {
            assert_eq!(key(Some(bad)).unwrap_err().status(), 400, "{bad:?}");
        }
    }

    #[test]
    fn the_same_request_replays_another_is_422_an_unfinished_one_409() {
        let fp = fingerprint("POST", "/functions/v1/api-jobs", b"{}");
        assert_ne!(fp, fingerprint("POST", "/functions/v1/api-jobs", b"{ }"));
        assert_eq!(previous(&[], &fp), Ok(Previous::None));
        let done = json!({"request_hash": fp, "status_code": 201, "response": "{\"success\":true}"});
        assert_eq!(previous(std::slice::from_ref(&done), &fp), Ok(Previous::Replay { status: 201, body: "{\"success\":true}".into() }));
        assert_eq!(previous(&[done], "other").unwrap_err().status(), 422);
        let running = json!({"request_hash": fp, "status_code": null, "response": null});
        assert_eq!(previous(&[running], &fp).unwrap_err().status(), 409);
    }

    #[test]
    fn records_last_a_day() {
        let now = Now(2 * LIFETIME_MS);
        let s = lookup(Scope::Tenant("t"), "k", now);
        assert_eq!(s.params[2], Param::Text(Now(LIFETIME_MS).rfc3339()));
        let [clear, insert] = claim("t", "k", "fp", now);
        assert!(clear.sql.starts_with("DELETE") && insert.sql.starts_with("INSERT INTO idempotency_keys") && !insert.sql.contains("ON CONFLICT"));
        assert!(is_taken("UNIQUE constraint failed: idempotency_keys.tenant_id, idempotency_keys.key"));
    }
}
