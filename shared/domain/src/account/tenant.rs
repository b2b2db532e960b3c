//! Tenants, plans and who is calling: the key lookup statement and its verdict.

use crate::account::plans::{self, Limits, Quota, Standing};
use crate::auth::api_key::{self, PresentedKey};
use crate::protocol::error::ApiError;
use crate::protocol::sql::{Param, Stmt};
use crate::protocol::time::Now;
use serde_json::Value;

pub const PLANS: &[&str] = &["free", "pro", "premium", "enterprise"];

/// The authenticated caller of a request, with its plan's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: String,
    pub plan: String,
    pub key_id: String,
    /// Quota limits and what the tenant holds, for creates.
    pub quota: Quota,
    /// Where the tenant stands against its daily limit; `None` when it has none.
    pub standing: Option<Standing>,
}

/// Finds the candidate keys by their non-secret prefix, with the tenant's plan, overrides
/// and quota usage; [`authenticate`] compares hashes.
pub fn lookup(key: &PresentedKey) -> Stmt {
    Stmt::new(
        "SELECT k.id AS key_id, k.key_hash, k.revoked_at, k.tenant_id, t.plan, t.daily_request_limit, t.max_jobs, \
         t.max_parts, u.jobs, u.parts FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
         LEFT JOIN tenant_usage u ON u.tenant_id = t.id WHERE k.key_prefix = ?1",
        vec![Param::Text(key.prefix.clone())],
    )
}

crate::read_set!(
    /// Round trip one of an API-key request, before the handler's own reads: the key, the
    /// tenant's and the key's request counts for today, and the Idempotency-Key's record.
    pub struct KeyReads { lookup, requests_today, key_requests, idempotency }
);

/// Picks the row whose hash matches in constant time (unknown and revoked keys are 401) and
/// works out the caller's limits; `enforced` is false where a deployment switches limits off.
pub fn authenticate(key: &PresentedKey, found: &KeyReads<&[Value]>, enforced: bool, now: Now) -> Result<Caller, ApiError> {
    let rows = found.lookup;
    let text = |row: &Value, col: &str| row.get(col).and_then(Value::as_str).map(str::to_string);
    let row = rows
        .iter()
        .find(|row| text(row, "key_hash").is_some_and(|h| api_key::hashes_match(&h, &key.hash)))
        .ok_or_else(|| ApiError::unauthorized("Invalid API key"))?;
    if row.get("revoked_at").is_some_and(|v| !v.is_null()) {
        return Err(ApiError::unauthorized("API key has been revoked"));
    }
    let (Some(tenant_id), Some(plan), Some(key_id)) = (text(row, "tenant_id"), text(row, "plan"), text(row, "key_id")) else {
        return Err(ApiError::internal("API key row is incomplete"));
    };
    let int = |col: &str| row.get(col).and_then(Value::as_i64);
    let overrides = Limits { daily_requests: int("daily_request_limit"), jobs: int("max_jobs"), parts: int("max_parts") };
    let limits = plans::limits(&plan, overrides, enforced);
    let quota = Quota { max_jobs: limits.jobs, max_parts: limits.parts, jobs: int("jobs").unwrap_or(0), parts: int("parts").unwrap_or(0) };
    let used = found.requests_today.first().and_then(|r| r.get("requests")).and_then(Value::as_i64).unwrap_or(1);
    let standing = limits.daily_requests.map(|limit| Standing::new(limit, used, now));
    Ok(Caller { tenant_id, plan, key_id, quota, standing })
}

/// The statement that creates a tenant (used by the admin tool and seeding; its first key is
/// [`add_key`]); `overrides` replace the plan's limits where set.
pub fn create(tenant_id: &str, name: &str, plan: &str, overrides: Limits, now: &str) -> Stmt {
    Stmt::new(
        "INSERT INTO tenants (id, name, plan, daily_request_limit, max_jobs, max_parts, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        vec![tenant_id.into(), name.into(), plan.into(), overrides.daily_requests.into(), overrides.jobs.into(), overrides.parts.into(), now.into()],
    )
}

/// A statement that stores a new key for an existing tenant; `created_by` is the admin user
/// who created it from `api-keys` (none for the admin command).
pub fn add_key(tenant_id: &str, key_id: &str, key_name: &str, key: &api_key::NewKey, created_by: Option<&str>, now: &str) -> Stmt {
    Stmt::new(
        "INSERT INTO api_keys (id, tenant_id, name, mode, key_prefix, key_hash, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        vec![
            key_id.into(),
            tenant_id.into(),
            key_name.into(),
            key.mode.as_str().into(),
            key.prefix.clone().into(),
            key.hash.clone().into(),
            now.into(),
            created_by.into(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::api_key::{mint, Mode, RANDOM_BYTES};
    use serde_json::json;

    fn row(hash: &str, revoked: Value) -> Value {
        json!({"key_id": "k1", "key_hash": hash, "revoked_at": revoked, "tenant_id": "t1", "plan": "pro", "max_jobs": 7, "jobs": 3, "parts": 4})
    }

    fn auth(key: &PresentedKey, rows: &[Value]) -> Result<Caller, ApiError> {
        authenticate(key, &KeyReads { lookup: rows, requests_today: &[json!({"requests": 12})], key_requests: &[], idempotency: &[] }, true, Now(0))
    }

    #[test]
    fn matching_hash_authenticates() {
        let k = mint(Mode::Live, &[3; RANDOM_BYTES]);
        let presented = api_key::parse(&k.secret).unwrap();
        let other = mint(Mode::Live, &[4; RANDOM_BYTES]);
        let caller = auth(&presented, &[row(&other.hash, Value::Null), row(&k.hash, Value::Null)]).unwrap();
        assert_eq!((caller.tenant_id.as_str(), caller.plan.as_str(), caller.key_id.as_str()), ("t1", "pro", "k1"));
        assert_eq!(caller.quota, Quota { max_jobs: Some(7), max_parts: Some(20_000), jobs: 3, parts: 4 });
        assert_eq!(caller.standing.map(|s| (s.limit, s.used)), Some((1_000, 12)));
        let found = KeyReads { lookup: &[row(&k.hash, Value::Null)][..], requests_today: &[], key_requests: &[], idempotency: &[] };
        let unlimited = authenticate(&presented, &found, false, Now(0)).unwrap();
        assert_eq!((unlimited.standing, unlimited.quota.max_jobs), (None, None));
    }

    #[test]
    fn unknown_and_revoked_keys_are_401() {
        let k = mint(Mode::Live, &[3; RANDOM_BYTES]);
        let presented = api_key::parse(&k.secret).unwrap();
        assert_eq!(auth(&presented, &[]).unwrap_err().status(), 401);
        let revoked = auth(&presented, &[row(&k.hash, json!("2026-01-01T00:00:00.000Z"))]).unwrap_err();
        assert_eq!((revoked.status(), revoked.message.as_str()), (401, "API key has been revoked"));
    }
}
