//! Session tokens for the admin endpoints: HS256 JWTs signed with the deployment's secret
//! (`wrangler secret put ERYXON_JWT_SECRET`). The shape is Supabase Auth's (`sub` is the
//! user's id, `exp` in seconds, `aud` "authenticated"), so a deployment whose users sign in
//! through Supabase can set its project's JWT secret and accept those tokens unchanged.
//!
//! A token proves who the user is; whether that user is an admin of a tenant is read from
//! the database on every request ([`lookup`], [`authorize`]), so a demoted or deactivated
//! admin loses access at once, whatever the token's lifetime.

use crate::auth::api_key;
use crate::protocol::error::{ApiError, ErrorCode};
use crate::protocol::sql::{Param, Stmt};
use crate::protocol::time::Now;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// Lifetime of the tokens sign-in issues (Supabase's default).
pub const TOKEN_SECONDS: i64 = 3600;
/// The longest lifetime (`exp` - `iat`) a token may claim: the one we issue. A token minted
/// elsewhere with the shared secret cannot grant itself longer.
pub const MAX_TOKEN_SECONDS: i64 = TOKEN_SECONDS;
/// How far in the future `iat` may lie (clock skew between issuers).
const MAX_SKEW_SECONDS: f64 = 60.0;
/// The shortest signing secret: HS256's key should be at least its hash's 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;
/// The audience Supabase Auth puts in a signed-in user's token.
pub const AUDIENCE: &str = "authenticated";
const MAX_TOKEN_LEN: usize = 8192;

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: String,
    /// The tenant the token names, if it names one (`tenant_id`, or Supabase's
    /// `app_metadata.tenant_id`); it must then be the user's own.
    pub tenant_claim: Option<String>,
}

/// A signed-in admin of a tenant: the caller of an admin endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub user_id: String,
    pub tenant_id: String,
}

/// Reads `Authorization: Bearer <session token>`. An API key there is refused by name: admin
/// endpoints never accept one.
pub fn from_authorization(header: Option<&str>) -> Result<&str, ApiError> {
    let token = bearer(header).ok_or_else(|| ApiError::unauthorized("Missing session token; send `Authorization: Bearer <session token>`"))?;
    if api_key::parse(token).is_some() || token.starts_with("ery_") {
        return Err(ApiError::unauthorized("Admin endpoints take a signed-in user's session token, not an API key"));
    }
    Ok(token)
}

/// The token of a `Bearer` authorization header.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Checks the signature (HS256 only, in constant time), the expiry and not-before times, the
/// audience when present, and that the token names a user.
pub fn verify(token: &str, secret: &[u8], now: Now) -> Result<Session, ApiError> {
    let invalid = || ApiError::unauthorized("Invalid session token");
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid());
    }
    let (signing_input, signature) = token.rsplit_once('.').ok_or_else(invalid)?;
    let (header, payload) = signing_input.split_once('.').filter(|(_, p)| !p.contains('.')).ok_or_else(invalid)?;
    let header: Value = decode_json(header).ok_or_else(invalid)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(ApiError::unauthorized("Session token must be signed with HS256"));
    }
    let signature = B64URL.decode(signature).map_err(|_| invalid())?;
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    mac.verify_slice(&signature).map_err(|_| invalid())?;
    let claims: Value = decode_json(payload).ok_or_else(invalid)?;
    let seconds = now.0.div_euclid(1000);
    let exp = claims.get("exp").and_then(Value::as_f64).ok_or_else(|| ApiError::unauthorized("Session token has no expiry"))?;
    if (seconds as f64) >= exp {
        return Err(ApiError::unauthorized("Session token has expired"));
    }
    let iat = claims.get("iat").and_then(Value::as_f64).ok_or_else(|| ApiError::unauthorized("Session token has no issue time (iat)"))?;
    if iat > seconds as f64 + MAX_SKEW_SECONDS {
        return Err(ApiError::unauthorized("Session token is issued in the future"));
    }
    if exp - iat > MAX_TOKEN_SECONDS as f64 {
        return Err(ApiError::unauthorized(format!("Session token lives longer than the {MAX_TOKEN_SECONDS} seconds tokens may")));
    }
    if claims.get("nbf").and_then(Value::as_f64).is_some_and(|nbf| (seconds as f64) < nbf) {
        return Err(ApiError::unauthorized("Session token is not valid yet"));
    }
    if let Some(aud) = claims.get("aud") {
        let ok = match aud {
            Value::String(a) => a == AUDIENCE,
            Value::Array(list) => list.iter().any(|a| a.as_str() == Some(AUDIENCE)),
            _ => false,
        };
        if !ok {
            return Err(ApiError::unauthorized("Session token is for another audience"));
        }
    }
    let user_id = claims.get("sub").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(invalid)?.to_string();
    let tenant_claim = claims.get("tenant_id").or_else(|| claims.pointer("/app_metadata/tenant_id")).and_then(Value::as_str).map(str::to_string);
    Ok(Session { user_id, tenant_claim })
}

/// The deployment's signing secret, refused when it is too short to be one: no token is
/// signed or checked with it.
pub fn secret(setting: Option<String>) -> Result<String, ApiError> {
    match setting.filter(|s| !s.is_empty()) {
        None => Err(ApiError::internal("Sign-in is not configured: set the ERYXON_JWT_SECRET secret")),
        Some(s) if s.len() < MIN_SECRET_BYTES => {
            Err(ApiError::internal(format!("ERYXON_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes: set a longer secret")))
        }
        Some(s) => Ok(s),
    }
}

/// Signs `claims` as an HS256 JWT.
pub fn sign(claims: &Value, secret: &[u8]) -> String {
    let signing_input = format!("{}.{}", B64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#), B64URL.encode(claims.to_string()));
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", B64URL.encode(mac.finalize().into_bytes()))
}

/// The token sign-in issues for a user, and when it expires (seconds since the epoch).
pub fn issue(user: &SignedIn, secret: &[u8], now: Now) -> (String, i64) {
    let iat = now.0.div_euclid(1000);
    let exp = iat + TOKEN_SECONDS;
    let claims = json!({
        "iss": "eryxon-flow",
        "sub": user.id,
        "aud": AUDIENCE,
        "role": AUDIENCE,
        "email": user.email,
        "tenant_id": user.tenant_id,
        "app_metadata": { "tenant_id": user.tenant_id, "eryxon_role": user.role },
        "iat": iat,
        "exp": exp,
    });
    (sign(&claims, secret), exp)
}

/// A user who proved their password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub full_name: String,
    pub role: String,
}

impl SignedIn {
    pub fn from_row(row: &Value) -> Option<SignedIn> {
        let text = |c: &str| row.get(c).and_then(Value::as_str).map(str::to_string);
        Some(SignedIn { id: text("id")?, tenant_id: text("tenant_id")?, email: text("email")?, full_name: text("full_name")?, role: text("role")? })
    }

    /// The sign-in answer, in the shape of Supabase Auth's token response.
    pub fn answer(&self, token: String, expires_at: i64) -> Value {
        json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": TOKEN_SECONDS,
            "expires_at": expires_at,
            "user": { "id": self.id, "tenant_id": self.tenant_id, "email": self.email, "full_name": self.full_name, "role": self.role },
        })
    }
}

/// The user a token names, for [`authorize`].
pub fn lookup(session: &Session) -> Stmt {
    Stmt::new("SELECT id, tenant_id, role, active FROM users WHERE id = ?1", vec![Param::Text(session.user_id.clone())])
}

crate::read_set!(
    /// Round trip one of an admin request, before the handler's own reads: the session's
    /// user, and the Idempotency-Key's record.
    pub struct AdminReads { user, idempotency }
);

/// An admin endpoint's verdict on the token's user: unknown, deactivated or of another tenant
/// than the token names is 401; a user who is not an admin is 403.
pub fn authorize(session: &Session, rows: &[Value]) -> Result<Admin, ApiError> {
    let row = rows.first().ok_or_else(|| ApiError::unauthorized("Session token names no user of this deployment"))?;
    let tenant_id = row.get("tenant_id").and_then(Value::as_str).unwrap_or_default().to_string();
    if session.tenant_claim.as_deref().is_some_and(|t| t != tenant_id) {
        return Err(ApiError::unauthorized("Session token names another tenant than its user's"));
    }
    if row.get("active").and_then(Value::as_i64) != Some(1) {
        return Err(ApiError::unauthorized("User is deactivated"));
    }
    if row.get("role").and_then(Value::as_str) != Some("admin") {
        return Err(ApiError::new(ErrorCode::Forbidden, "This endpoint is for admins of the tenant"));
    }
    Ok(Admin { user_id: session.user_id.clone(), tenant_id })
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length")
}

fn decode_json(part: &str) -> Option<Value> {
    serde_json::from_slice(&B64URL.decode(part).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"super-secret-jwt-token-with-at-least-32-characters-long";
    const NOW: Now = Now(1_800_000_000_000);

    fn token(claims: Value) -> String {
        sign(&claims, SECRET)
    }

    #[test]
    fn a_signed_token_verifies_and_names_its_user_and_tenant() {
        let t = token(json!({"sub": "u1", "iat": 1_800_000_000, "exp": 1_800_000_060, "aud": "authenticated", "app_metadata": {"tenant_id": "t1"}}));
        assert_eq!(verify(&t, SECRET, NOW).unwrap(), Session { user_id: "u1".into(), tenant_claim: Some("t1".into()) });
    }

    #[test]
    fn a_token_signed_elsewhere_verifies() {
        // jwt.io's HS256 example, signed by another implementation: the signature holds, and
        // the token is refused only for having no expiry.
        let t = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert_eq!(verify(t, b"your-256-bit-secret", NOW).unwrap_err().message, "Session token has no expiry");
        assert_eq!(verify(t, b"another secret", NOW).unwrap_err().message, "Invalid session token");
    }

    #[test]
    fn expired_tampered_foreign_and_unsigned_tokens_are_refused() {
        let expired = token(json!({"sub": "u1", "exp": 1_800_000_000}));
        assert_eq!(verify(&expired, SECRET, NOW).unwrap_err().message, "Session token has expired");
        let good = token(json!({"sub": "u1", "iat": 1_800_000_000, "exp": 1_800_000_060}));
        let parts: Vec<&str> = good.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], B64URL.encode(r#"{"sub":"admin","iat":1800000000,"exp":1800000060}"#), parts[2]);
        assert_eq!(verify(&forged, SECRET, NOW).unwrap_err().status(), 401);
        assert_eq!(verify(&good, b"another secret", NOW).unwrap_err().status(), 401);
        let none = format!("{}.{}.", B64URL.encode(r#"{"alg":"none"}"#), parts[1]);
        assert_eq!(verify(&none, SECRET, NOW).unwrap_err().status(), 401);
        let audience = token(json!({"sub": "u1", "iat": 1_800_000_000, "exp": 1_800_000_060, "aud": "service_role"}));
        assert_eq!(verify(&audience, SECRET, NOW).unwrap_err().status(), 401);
        let early = token(json!({"sub": "u1", "iat": 1_800_000_000, "exp": 1_800_000_060, "nbf": 1_800_000_030}));
        assert_eq!(verify(&early, SECRET, NOW).unwrap_err().status(), 401);
        for junk in ["", "a.b", "a.b.c.d", "eyJ.eyJ.eyJ", &"x".repeat(9000)] {
            assert_eq!(verify(junk, SECRET, NOW).unwrap_err().status(), 401, "{junk}");
        }
    }

    #[test]
    fn tokens_must_say_when_they_were_issued_and_live_no_longer_than_ours() {
        let no_iat = token(json!({"sub": "u1", "exp": 1_800_000_060}));
        assert_eq!(verify(&no_iat, SECRET, NOW).unwrap_err().message, "Session token has no issue time (iat)");
        let long = token(json!({"sub": "u1", "iat": 1_799_990_000, "exp": 1_800_000_000 + MAX_TOKEN_SECONDS}));
        assert!(verify(&long, SECRET, NOW).unwrap_err().message.contains("lives longer"));
        let future = token(json!({"sub": "u1", "iat": 1_800_000_120, "exp": 1_800_000_180}));
        assert_eq!(verify(&future, SECRET, NOW).unwrap_err().message, "Session token is issued in the future");
        let full = token(json!({"sub": "u1", "iat": 1_800_000_000, "exp": 1_800_000_000 + MAX_TOKEN_SECONDS}));
        assert!(verify(&full, SECRET, NOW).is_ok(), "exactly our lifetime is fine");
    }

    #[test]
    fn a_short_signing_secret_is_refused() {
        assert_eq!(secret(None).unwrap_err().status(), 500);
        assert_eq!(secret(Some(String::new())).unwrap_err().status(), 500);
        assert!(secret(Some("x".repeat(MIN_SECRET_BYTES - 1))).unwrap_err().message.contains("shorter than 32 bytes"));
        assert!(secret(Some("x".repeat(MIN_SECRET_BYTES))).is_ok());
    }

    #[test]
    fn issued_tokens_verify() {
        let user = SignedIn { id: "u1".into(), tenant_id: "t1".into(), email: "a@b.c".into(), full_name: "A".into(), role: "admin".into() };
        let (t, exp) = issue(&user, SECRET, NOW);
        assert_eq!(exp, 1_800_003_600);
        assert_eq!(verify(&t, SECRET, NOW).unwrap().tenant_claim.as_deref(), Some("t1"));
        assert!(verify(&t, SECRET, Now(exp * 1000)).is_err());
    }

    #[test]
    fn only_active_admins_of_the_named_tenant_are_authorized() {
        let s = Session { user_id: "u1".into(), tenant_claim: Some("t1".into()) };
        let row = |tenant: &str, role: &str, active: i64| vec![json!({"id": "u1", "tenant_id": tenant, "role": role, "active": active})];
        assert_eq!(authorize(&s, &row("t1", "admin", 1)).unwrap(), Admin { user_id: "u1".into(), tenant_id: "t1".into() });
        assert_eq!(authorize(&s, &row("t2", "admin", 1)).unwrap_err().status(), 401);
        assert_eq!(authorize(&s, &row("t1", "admin", 0)).unwrap_err().status(), 401);
        assert_eq!(authorize(&s, &row("t1", "operator", 1)).unwrap_err().status(), 403);
        assert_eq!(authorize(&s, &[]).unwrap_err().status(), 401);
        let unnamed = Session { user_id: "u1".into(), tenant_claim: None };
        assert!(authorize(&unnamed, &row("t9", "admin", 1)).is_ok());
    }

    #[test]
    fn api_keys_are_refused_by_name() {
        let key = format!("Bearer ery_live_{}", "a".repeat(48));
        assert!(from_authorization(Some(&key)).unwrap_err().message.contains("not an API key"));
        assert_eq!(from_authorization(None).unwrap_err().status(), 401);
        assert_eq!(from_authorization(Some("Bearer eyJ.x.y")), Ok("eyJ.x.y"));
    }
}
