//! Tenants, plans and who is calling: the key lookup statement and its verdict.

use crate::api_key::{self, PresentedKey};
use crate::error::ApiError;
use crate::sql::{Param, Stmt};
use serde_json::Value;

pub const PLANS: &[&str] = &["free", "pro", "premium", "enterprise"];

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub tenant_id: String,
    pub plan: String,
    pub key_id: String,
}

/// Finds the candidate keys by their non-secret prefix; [`authenticate`] compares hashes.
pub fn lookup(key: &PresentedKey) -> Stmt {
    Stmt::new(
        "SELECT k.id AS key_id, k.key_hash, k.revoked_at, k.tenant_id, t.plan \
         FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_prefix = ?1",
        vec![Param::Text(key.prefix.clone())],
    )
}

/// Picks the row whose hash matches in constant time; unknown and revoked keys are 401.
pub fn authenticate(key: &PresentedKey, rows: &[Value]) -> Result<Caller, ApiError> {
    let text = |row: &Value, col: &str| row.get(col).and_then(Value::as_str).map(str::to_string);
    let row = rows
        .iter()
        .find(|row| text(row, "key_hash").is_some_and(|h| api_key::hashes_match(&h, &key.hash)))
        .ok_or_else(|| ApiError::unauthorized("Invalid API key"))?;
    if row.get("revoked_at").is_some_and(|v| !v.is_null()) {
        return Err(ApiError::unauthorized("API key has been revoked"));
    }
    match (text(row, "tenant_id"), text(row, "plan"), text(row, "key_id")) {
        (Some(tenant_id), Some(plan), Some(key_id)) => Ok(Caller { tenant_id, plan, key_id }),
        _ => Err(ApiError::internal("API key row is incomplete")),
    }
}

/// Statements that create a tenant with one API key (used by the admin tool and seeding).
pub fn create_with_key(tenant_id: &str, name: &str, plan: &str, key_id: &str, key_name: &str, key: &api_key::NewKey, now: &str) -> Vec<Stmt> {
    vec![
        Stmt::new(
            "INSERT INTO tenants (id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)",
            vec![tenant_id.into(), name.into(), plan.into(), now.into()],
        ),
        add_key(tenant_id, key_id, key_name, key, now),
    ]
}

/// A statement that stores a new key for an existing tenant.
pub fn add_key(tenant_id: &str, key_id: &str, key_name: &str, key: &api_key::NewKey, now: &str) -> Stmt {
    Stmt::new(
        "INSERT INTO api_keys (id, tenant_id, name, mode, key_prefix, key_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        vec![
            key_id.into(),
            tenant_id.into(),
            key_name.into(),
            key.mode.as_str().into(),
            key.prefix.clone().into(),
            key.hash.clone().into(),
            now.into(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_key::{mint, Mode, RANDOM_BYTES};
    use serde_json::json;

    fn row(hash: &str, revoked: Value) -> Value {
        json!({"key_id": "k1", "key_hash": hash, "revoked_at": revoked, "tenant_id": "t1", "plan": "pro"})
    }

    #[test]
    fn matching_hash_authenticates() {
        let k = mint(Mode::Live, &[3; RANDOM_BYTES]);
        let presented = api_key::parse(&k.secret).unwrap();
        let other = mint(Mode::Live, &[4; RANDOM_BYTES]);
        let caller = authenticate(&presented, &[row(&other.hash, Value::Null), row(&k.hash, Value::Null)]).unwrap();
        assert_eq!(caller, Caller { tenant_id: "t1".into(), plan: "pro".into(), key_id: "k1".into() });
    }

    #[test]
    fn unknown_and_revoked_keys_are_401() {
        let k = mint(Mode::Live, &[3; RANDOM_BYTES]);
        let presented = api_key::parse(&k.secret).unwrap();
        assert_eq!(authenticate(&presented, &[]).unwrap_err().status(), 401);
        let revoked = authenticate(&presented, &[row(&k.hash, json!("2026-01-01T00:00:00.000Z"))]).unwrap_err();
        assert_eq!((revoked.status(), revoked.message.as_str()), (401, "API key has been revoked"));
    }
}
