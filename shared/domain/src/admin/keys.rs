//! `api-keys`, the admin endpoint that manages a tenant's API keys: create (the key is shown
//! once), list (never the key or its hash), revoke (effective on the next request, because
//! authentication reads `revoked_at` on every request).

use crate::account::tenant;
use crate::auth::api_key::{Mode, NewKey};
use crate::protocol::error::ApiError;
use crate::protocol::fields::Reader;
use crate::protocol::sql::{Scope, Stmt};
use crate::resource::{self, Column, Kind, Use};
use serde_json::{json, Map, Value};

const COLUMNS: &str = "k.id, k.name, k.mode, k.key_prefix, k.created_at, k.created_by, k.revoked_at, \
    (SELECT u.last_used_at FROM key_usage_daily u WHERE u.key_id = k.id ORDER BY u.day DESC LIMIT 1) AS last_used_at";

/// A valid create body: the key's name and mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKeyRequest {
    pub name: String,
    pub mode: Mode,
    pub ignored: Vec<String>,
}

/// What a new key's body holds.
pub const FIELDS: &[Column] =
    &[Column::new("name", Kind::Text(1, 100)).required(), Column::new("mode", Kind::OneOf(&["live", "test"], &[])).doc("Default live")];

/// `{"name": "ERP production", "mode": "live" | "test"}`; mode defaults to live.
pub fn parse_create(body: &Map<String, Value>) -> Result<NewKeyRequest, ApiError> {
    let r = Reader::root(body, "api key");
    let mut errs = vec![];
    let v = resource::parse_create(&r, FIELDS, Use::Create, "api key", 0, &mut errs);
    if !errs.is_empty() {
        return Err(ApiError::validation("api key", errs));
    }
    let mode = v.text("mode").and_then(Mode::parse).unwrap_or(Mode::Live);
    Ok(NewKeyRequest { name: v.text("name").unwrap_or_default().to_string(), mode, ignored: resource::ignored(&r, FIELDS, Use::Create, &[]) })
}

/// The tenant's keys, newest first (revoked ones too, marked).
pub fn list(scope: Scope<'_>) -> Stmt {
    Stmt::scoped(scope, &format!("SELECT {COLUMNS} FROM api_keys k WHERE k.tenant_id = {{tenant}} ORDER BY k.created_at DESC, k.id"), vec![])
}

/// One key of the tenant.
pub fn one(scope: Scope<'_>, id: &str) -> Stmt {
    Stmt::scoped(scope, &format!("SELECT {COLUMNS} FROM api_keys k WHERE k.tenant_id = {{tenant}} AND k.id = ?2"), vec![id.into()])
}

/// Stores a new key, recording the admin who created it.
pub fn create(tenant_id: &str, key_id: &str, req: &NewKeyRequest, key: &NewKey, created_by: &str, now: &str) -> Stmt {
    tenant::add_key(tenant_id, key_id, &req.name, key, Some(created_by), now)
}

crate::read_set!(
    /// A revocation: the update, and the key as it stands after it.
    pub struct Revocation { revoke, key }
);

/// Revokes a key of the tenant, then reads it back; revoking a revoked key keeps its first
/// revocation time.
pub fn revoke(tenant_id: &str, id: &str, now: &str) -> Vec<Stmt> {
    Revocation {
        revoke: Stmt::new(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?3) WHERE tenant_id = ?1 AND id = ?2",
            vec![tenant_id.into(), id.into(), now.into()],
        ),
        key: one(Scope::Tenant(tenant_id), id),
    }
    .stmts()
}

/// A key as the API shows it: never the secret or its hash.
pub fn view(row: &Value) -> Value {
    let mut v = row.clone();
    if let Some(o) = v.as_object_mut() {
        let revoked = o.get("revoked_at").is_some_and(|r| !r.is_null());
        o.insert("status".into(), (if revoked { "revoked" } else { "active" }).into());
    }
    v
}

/// The create answer: the key itself, this once.
pub fn created(row: &Value, key: &NewKey) -> Value {
    let mut v = view(row);
    if let Some(o) = v.as_object_mut() {
        o.insert("api_key".into(), key.secret.clone().into());
        o.insert("warning".into(), "Store this API key securely. It will not be shown again.".into());
    }
    v
}

/// The created key's row as [`view`] expects it, built from what was written (no read back).
pub fn written_row(key_id: &str, req: &NewKeyRequest, key: &NewKey, created_by: &str, now: &str) -> Value {
    json!({
        "id": key_id, "name": req.name, "mode": key.mode.as_str(), "key_prefix": key.prefix,
        "created_at": now, "created_by": created_by, "revoked_at": null, "last_used_at": null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::api_key::{mint, RANDOM_BYTES};

    #[test]
    fn create_bodies_are_validated() {
        let body = |v: Value| v.as_object().cloned().unwrap();
        let ok = parse_create(&body(json!({"name": "ERP", "mode": "test", "x": 1}))).unwrap();
        assert_eq!((ok.name.as_str(), ok.mode, ok.ignored), ("ERP", Mode::Test, vec!["x".to_string()]));
        assert_eq!(parse_create(&body(json!({"name": "ERP"}))).unwrap().mode, Mode::Live);
        let e = parse_create(&body(json!({"mode": "prod"}))).unwrap_err();
        assert_eq!((e.status(), e.details.unwrap().as_array().map(Vec::len)), (422, Some(2)));
    }

    #[test]
    fn answers_never_carry_a_hash_and_show_the_key_once() {
        let key = mint(Mode::Live, &[1; RANDOM_BYTES]);
        let req = NewKeyRequest { name: "ERP".into(), mode: Mode::Live, ignored: vec![] };
        let row = written_row("k1", &req, &key, "u1", "2026-01-01T00:00:00.000Z");
        let created = created(&row, &key);
        assert_eq!((created["api_key"].as_str(), created["status"].as_str()), (Some(key.secret.as_str()), Some("active")));
        assert!(!created.to_string().contains(&key.hash));
        assert!(view(&row).get("api_key").is_none());
    }

    #[test]
    fn revoke_is_scoped_to_the_tenant_and_keeps_the_first_time() {
        let s = revoke("t1", "k1", "now");
        assert!(s[0].sql.contains("WHERE tenant_id = ?1 AND id = ?2") && s[0].sql.contains("COALESCE(revoked_at, ?3)"));
        assert!(s[1].sql.contains("k.tenant_id = ?1 AND k.id = ?2") && !s[1].sql.contains("key_hash"));
    }
}
