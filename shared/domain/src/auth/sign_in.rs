//! `POST /api-auth/sign-in`: a user of a tenant proves their password and receives a session
//! token ([`crate::auth::session`]). Emails are unique within a tenant, not across tenants, so one
//! email may name users of several tenants; the password picks among them, and `tenant_id`
//! settles the rare case of the same password in two.

use crate::auth::password::Stored;
use crate::auth::session::SignedIn;
use crate::protocol::error::{ApiError, ErrorCode};
use crate::protocol::fields::Reader;
use crate::protocol::sql::{Param, Stmt};
use crate::protocol::time::Now;
use crate::resource::{self, Column, Kind, Use};
use serde_json::{json, Map, Value};

/// At most this many same-email users are tried (each costs one PBKDF2 derivation).
const MAX_CANDIDATES: i64 = 5;

/// Failed sign-ins an email may have in one window; the next attempt is refused (429).
pub const MAX_FAILURES: i64 = 10;
/// The throttle's fixed window: 15 minutes.
const WINDOW_MS: i64 = 15 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub email: String,
    pub password: String,
    pub tenant_id: Option<String>,
}

/// What a sign-in body holds.
pub const FIELDS: &[Column] = &[
    Column::new("email", Kind::Text(3, 320)).required(),
    Column::new("password", Kind::Text(1, 1024)).required(),
    Column::new("tenant_id", Kind::Uuid).doc("Which tenant, when the email is an admin's in several"),
];

/// `{"email": .., "password": .., "tenant_id": ..optional}`.
pub fn parse(body: &Map<String, Value>) -> Result<Attempt, ApiError> {
    let r = Reader::root(body, "sign-in");
    let mut errs = vec![];
    let v = resource::parse_create(&r, FIELDS, Use::Create, "sign-in", 0, &mut errs);
    if !errs.is_empty() {
        return Err(ApiError::validation("sign-in", errs));
    }
    let text = |name: &str| v.text(name).map(str::to_string);
    Ok(Attempt { email: text("email").unwrap_or_default(), password: text("password").unwrap_or_default(), tenant_id: text("tenant_id") })
}

crate::read_set!(
    /// Sign-in's one read round trip: the candidates, and the attempt counted.
    pub struct SignInReads { candidates, attempts }
);

/// The reads of [`SignInReads`].
pub fn reads(attempt: &Attempt, now: Now) -> Vec<Stmt> {
    SignInReads { candidates: candidates(attempt), attempts: count_attempt(attempt, now) }.stmts()
}

/// The active users with a password who have this email.
pub fn candidates(attempt: &Attempt) -> Stmt {
    Stmt::new(
        format!(
            "SELECT id, tenant_id, email, full_name, role, password_hash FROM users \
             WHERE email = ?1 AND active = 1 AND password_hash IS NOT NULL AND (?2 IS NULL OR tenant_id = ?2) \
             ORDER BY tenant_id LIMIT {MAX_CANDIDATES}"
        ),
        vec![attempt.email.as_str().into(), Param::from(attempt.tenant_id.clone())],
    )
}

/// The throttle's key: the email as typed, folded, so that case does not buy more attempts.
fn throttle_key(attempt: &Attempt) -> String {
    attempt.email.trim().to_lowercase()
}

fn window_start(now: Now) -> i64 {
    now.0 - now.0.rem_euclid(WINDOW_MS)
}

/// Counts this attempt against the email's window before any password is derived, and reads
/// the count, in the round trip that reads the candidates. Counting first is what makes the
/// limit hold under concurrency: D1 applies the increments one at a time, so of any number of
/// parallel guesses at most [`MAX_FAILURES`] see a count within the limit and are evaluated.
pub fn count_attempt(attempt: &Attempt, now: Now) -> Stmt {
    Stmt::new(
        "INSERT INTO sign_in_failures (email, window_start, failures) VALUES (?1, ?2, 1) \
         ON CONFLICT (email, window_start) DO UPDATE SET failures = failures + 1 RETURNING failures",
        vec![throttle_key(attempt).into(), window_start(now).into()],
    )
}

/// 429 with `Retry-After` (until the window ends) for an attempt counted beyond the limit.
pub fn throttle(counted: &[Value], now: Now) -> Result<(), ApiError> {
    let count = counted.first().and_then(|r| r["failures"].as_i64()).unwrap_or(0);
    if count <= MAX_FAILURES {
        return Ok(());
    }
    let retry_after = (window_start(now) + WINDOW_MS - now.0 + 999) / 1000;
    let mut e = ApiError::new(ErrorCode::RateLimitExceeded, format!("Too many failed sign-ins for this email; try again in {retry_after} seconds"))
        .with_details(json!({ "limit": MAX_FAILURES, "retryAfter": retry_after }));
    e.headers.push(("Retry-After", retry_after.to_string()));
    Err(e)
}

/// The write that takes the attempt back out of the count when it was no guess: a sign-in
/// that succeeded, or one that is only ambiguous (409). A wrong password or unknown email
/// (401) stays counted.
pub fn uncount(attempt: &Attempt, now: Now, verdict: &Result<SignedIn, ApiError>) -> Option<Stmt> {
    let guess = verdict.as_ref().is_err_and(|refusal| refusal.status() == 401);
    (!guess).then(|| {
        Stmt::new(
            "UPDATE sign_in_failures SET failures = failures - 1 WHERE email = ?1 AND window_start = ?2 AND failures > 0",
            vec![throttle_key(attempt).into(), window_start(now).into()],
        )
    })
}

/// Windows that have ended, for the scheduled sweep.
pub fn expired_failures(now: Now) -> Stmt {
    Stmt::new("DELETE FROM sign_in_failures WHERE window_start < ?1", vec![window_start(now).into()])
}

/// Each candidate's stored hash; a decoy when there is none, so that an unknown email takes
/// as long to refuse as a wrong password.
pub fn hashes(rows: &[Value]) -> Vec<Stored> {
    let stored: Vec<Stored> =
        rows.iter().map(|r| r.get("password_hash").and_then(Value::as_str).and_then(Stored::decode).unwrap_or_else(Stored::decoy)).collect();
    if stored.is_empty() {
        vec![Stored::decoy()]
    } else {
        stored
    }
}

/// The verdict once every candidate's hash was compared (`matched[i]` for `rows[i]`).
pub fn verdict(rows: &[Value], matched: &[bool]) -> Result<SignedIn, ApiError> {
    let winners: Vec<&Value> = rows.iter().zip(matched).filter(|(_, m)| **m).map(|(r, _)| r).collect();
    match winners.as_slice() {
        [one] => SignedIn::from_row(one).ok_or_else(|| ApiError::internal("User row is incomplete")),
        [] => Err(ApiError::unauthorized("Invalid email or password")),
        _ => Err(ApiError::new(ErrorCode::Conflict, "This email and password sign in to several tenants; send tenant_id")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(tenant: &str) -> Value {
        json!({"id": "u", "tenant_id": tenant, "email": "a@b.c", "full_name": "A", "role": "admin", "password_hash": "x"})
    }

    #[test]
    fn the_eleventh_counted_attempt_in_a_window_is_refused_until_it_ends() {
        let now = Now(WINDOW_MS * 100 + 60_000);
        assert!(throttle(&[json!({"failures": MAX_FAILURES})], now).is_ok(), "the tenth attempt is still evaluated");
        assert!(throttle(&[], now).is_ok());
        let e = throttle(&[json!({"failures": MAX_FAILURES + 1})], now).unwrap_err();
        assert_eq!((e.status(), e.headers[0].clone()), (429, ("Retry-After", "840".to_string())));
        let attempt = Attempt { email: " Admin@A.example ".into(), password: "x".into(), tenant_id: None };
        assert!(count_attempt(&attempt, now).sql.contains("RETURNING failures"), "counted before it is evaluated");
        assert_eq!(count_attempt(&attempt, now).params[0], Param::Text("admin@a.example".into()));
        assert!(uncount(&attempt, now, &verdict(&[], &[])).is_none(), "a wrong password stays counted");
        assert!(uncount(&attempt, now, &verdict(&[row("t1"), row("t2")], &[true, true])).is_some(), "an ambiguous sign-in is no guess");
        let signed_in = uncount(&attempt, now, &verdict(&[row("t1")], &[true])).expect("a success is no guess");
        assert_eq!(signed_in.params, count_attempt(&attempt, now).params);
    }

    #[test]
    fn bodies_are_validated() {
        let ok = parse(json!({"email": "a@b.c", "password": "pw"}).as_object().unwrap()).unwrap();
        assert_eq!((ok.email.as_str(), ok.tenant_id), ("a@b.c", None));
        assert_eq!(parse(json!({"email": 3}).as_object().unwrap()).unwrap_err().status(), 422);
        assert_eq!(parse(json!({"email": "a@b.c", "password": "p", "tenant_id": "x"}).as_object().unwrap()).unwrap_err().status(), 422);
    }

    #[test]
    fn exactly_one_match_signs_in() {
        let rows = [row("t1"), row("t2")];
        assert_eq!(verdict(&rows, &[false, true]).unwrap().tenant_id, "t2");
        assert_eq!(verdict(&rows, &[false, false]).unwrap_err().status(), 401);
        assert_eq!(verdict(&rows, &[true, true]).unwrap_err().status(), 409);
        assert_eq!(verdict(&[], &[false]).unwrap_err().status(), 401);
        assert_eq!(hashes(&[]).len(), 1);
    }
}
