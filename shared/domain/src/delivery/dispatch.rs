//! How the delivery worker works through a tenant's events: claim undispatched events and fan
//! them out to their subscribers, claim the deliveries that are due, attempt them, record every
//! attempt, and say when to look again.
//!
//! Queue messages carry only a tenant id ("this tenant has work"); the outbox is the truth. A
//! lost message costs nothing: the scheduled sweep finds tenants with stale undispatched events
//! or overdue deliveries and enqueues them again.

use crate::auth::secrets::Keyring;
use crate::delivery::signing::{self, Outcome};
use crate::protocol::sql::{Param, Stmt};
use serde_json::{json, Value};

/// Events and deliveries taken per round.
pub const CLAIM_LIMIT: i64 = 100;
/// How long a claim holds before another consumer may take the rows.
pub const LEASE_SECONDS: i64 = 120;
/// Undispatched events or overdue deliveries older than this are swept up again.
pub const SWEEP_AFTER_SECONDS: i64 = 60;

/// A new UUID v4 in SQL, for rows created by set-based statements.
pub const SQL_UUID: &str = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || \
    substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

crate::read_set!(
    /// The dispatcher's one round trip, in order: claim undispatched events, fan them out into
    /// deliveries, mark them dispatched, claim the due deliveries, read them with what an
    /// attempt needs ([`attempts`]), and what work is left ([`next_round`]).
    pub struct Claim { events, fanned_out, dispatched, deliveries, attempts, left }
);

/// One round trip: claim up to [`CLAIM_LIMIT`] undispatched events, fan them out into
/// deliveries (a test event to its one webhook, others to each active subscriber of their
/// type that existed when the event happened, Stripe's rule, however far behind the queue
/// is), mark them dispatched, claim the due deliveries, and read them with what an attempt
/// needs; last, what work is left.
pub fn claim(tenant_id: &str, now: &str, lease_until: &str, event_token: &str, delivery_token: &str) -> Claim<Stmt> {
    let t = || Param::from(tenant_id);
    Claim {
        events: Stmt::new(
            "UPDATE events SET claim_token = ?3, claimed_until = ?4 WHERE id IN (SELECT id FROM events WHERE tenant_id = ?1 \
             AND dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?2) ORDER BY created_at, id LIMIT ?5)",
            vec![t(), now.into(), event_token.into(), lease_until.into(), Param::Int(CLAIM_LIMIT)],
        ),
        fanned_out: Stmt::new(
            format!(
                "INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at) \
                 SELECT {SQL_UUID}, e.tenant_id, w.id, e.id, e.event_type, 'pending', 0, ?2, ?2, ?2 FROM events e JOIN webhooks w \
                 ON w.tenant_id = e.tenant_id AND w.active = 1 AND (CASE WHEN e.webhook_id IS NOT NULL THEN w.id = e.webhook_id \
                 ELSE e.created_at >= w.created_at AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = e.event_type) END) \
                 WHERE e.claim_token = ?1 ORDER BY e.created_at, e.id ON CONFLICT DO NOTHING"
            ),
            vec![event_token.into(), now.into()],
        ),
        dispatched: Stmt::new("UPDATE events SET dispatched_at = ?2, claim_token = NULL WHERE claim_token = ?1", vec![event_token.into(), now.into()]),
        deliveries: Stmt::new(
            "UPDATE webhook_deliveries SET claim_token = ?3, claimed_until = ?4 WHERE id IN (SELECT id FROM webhook_deliveries \
             WHERE tenant_id = ?1 AND status = 'pending' AND next_attempt_at <= ?2 AND (claimed_until IS NULL OR claimed_until < ?2) \
             ORDER BY next_attempt_at, id LIMIT ?5)",
            vec![t(), now.into(), delivery_token.into(), lease_until.into(), Param::Int(CLAIM_LIMIT)],
        ),
        attempts: Stmt::new(
            "SELECT d.id, d.attempts, d.event_id, d.webhook_id, e.event_type, e.payload, w.url, w.secret, \
             CASE WHEN w.previous_secret_expires_at > ?2 THEN w.previous_secret END AS previous_secret \
             FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.claim_token = ?1 ORDER BY e.created_at, d.id",
            vec![delivery_token.into(), now.into()],
        ),
        left: Stmt::new(
            "SELECT (SELECT COUNT(*) FROM events WHERE tenant_id = ?1 AND dispatched_at IS NULL) AS undispatched, \
             (SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE tenant_id = ?1 AND status = 'pending' AND claim_token IS NOT ?2 \
             AND (claimed_until IS NULL OR claimed_until < ?3)) AS next_due",
            vec![t(), delivery_token.into(), now.into()],
        ),
    }
}

/// One claimed delivery, ready to attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub delivery_id: String,
    pub event_id: String,
    pub webhook_id: String,
    pub url: String,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
    /// This attempt's number, from 1.
    pub number: i64,
    /// Why the delivery cannot be signed (its secret does not open with the deployment's keys):
    /// it is then never sent.
    pub unsigned: Option<String>,
}

/// The attempts of the claimed deliveries, signed at `timestamp` (seconds) with their
/// webhooks' secrets as `keys` open them.
pub fn attempts(rows: &[Value], timestamp: i64, keys: &Keyring) -> Vec<Attempt> {
    rows.iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            let body = s("payload");
            // The previous secret of a rotation only adds a signature: one that does not open
            // (a retired key) is left out rather than holding the delivery back.
            let opened = keys.open(&s("secret")).map(|secret| (secret, r["previous_secret"].as_str().and_then(|p| keys.open(p).ok())));
            let (headers, unsigned) = match opened {
                Ok((secret, previous)) => (signing::signed_headers(&secret, previous.as_deref(), &s("event_id"), &s("event_type"), timestamp, &body), None),
                Err(e) => (vec![], Some(e.message)),
            };
            let number = r["attempts"].as_i64().unwrap_or(0) + 1;
            Attempt { delivery_id: s("id"), event_id: s("event_id"), webhook_id: s("webhook_id"), url: s("url"), body, headers, number, unsigned }
        })
        .collect()
}

/// What happened to one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Result {
    pub status: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The URL guard refused the webhook's URL: nothing was sent, and nothing will be.
    pub blocked: bool,
}

impl Result {
    /// The answer of a receiver, or why none came (network error, timeout).
    pub fn answered(status: std::result::Result<u16, String>, duration_ms: i64) -> Result {
        match status {
            Ok(status) => Result { status: Some(status), duration_ms, error: None, blocked: false },
            Err(error) => Result { status: None, duration_ms, error: Some(error), blocked: false },
        }
    }
}

/// The URL guard again, before each attempt: a webhook whose URL is not (or no longer) allowed
/// is sent nothing, and its delivery fails at once with the reason; one whose secret does not
/// open is sent nothing either, and tried again on schedule.
pub fn guard(a: &Attempt, parse: crate::delivery::url_guard::Parser, allow_local: bool) -> Option<Result> {
    if let Err(why) = crate::delivery::url_guard::check(&a.url, parse, allow_local) {
        return Some(Result { status: None, duration_ms: 0, error: Some(format!("not sent: the URL {why}")), blocked: true });
    }
    // A secret that does not open is the deployment's configuration, which can be mended:
    // tried again on the schedule, like a receiver that is down.
    let unsigned = a.unsigned.as_ref()?;
    Some(Result { status: None, duration_ms: 0, error: Some(format!("not sent: {unsigned}")), blocked: false })
}

/// One write recording every attempt: the attempt log, each delivery's new state (delivered;
/// retried after the schedule's next delay; failed when the schedule is used up or the
/// receiver refused), and webhooks disabled by a 410. Each is written only while the round
/// still holds its claim (`claim_token`): a round that outlived its lease, whose deliveries
/// another round took over, records nothing over that round's work, and a delivery deleted
/// meanwhile (its webhook was) is skipped rather than failing the whole record.
pub fn record(tenant_id: &str, claim_token: &str, now_ms: i64, done: &[(Attempt, Result)], schedule: &[u32], mut mint: impl FnMut() -> String) -> Vec<Stmt> {
    let now = crate::protocol::time::Now(now_ms).rfc3339();
    let rows: Vec<Value> = done
        .iter()
        .map(|(a, r)| {
            let outcome = if r.blocked { Outcome::Refused } else { signing::outcome(r.status) };
            let retry_in = schedule.get((a.number - 1) as usize).copied();
            let (status, next) = match (outcome, retry_in) {
                (Outcome::Delivered, _) => ("delivered", None),
                (Outcome::Retry, Some(secs)) => ("pending", Some(crate::protocol::time::Now(now_ms + i64::from(secs) * 1000).rfc3339())),
                _ => ("failed", None),
            };
            let error = r.error.clone().or_else(|| match outcome {
                Outcome::Gone => Some("the receiver answered 410 Gone: webhook disabled".into()),
                Outcome::Refused if r.status.is_some_and(|s| (300..400).contains(&s)) => {
                    Some(format!("the receiver answered {}, a redirect; redirects are never followed", r.status.unwrap_or(0)))
                }
                Outcome::Refused => Some(format!("the receiver refused the delivery ({})", r.status.unwrap_or(0))),
                Outcome::Retry if retry_in.is_none() => Some("no attempts left".into()),
                _ => None,
            });
            json!({
                "attempt_id": mint(), "delivery_id": a.delivery_id, "event_id": a.event_id, "webhook_id": a.webhook_id,
                "attempt": a.number, "status_code": r.status, "duration_ms": r.duration_ms, "error": error,
                "status": status, "next_attempt_at": next, "gone": outcome == Outcome::Gone,
            })
        })
        .collect();
    let rows = json!(rows).to_string();
    vec![
        // The webhooks first and the deliveries last: the claim is released by the last one.
        Stmt::new(
            "UPDATE webhooks SET active = 0, disabled_reason = 'The receiver answered 410 Gone', updated_at = ?1 \
             WHERE tenant_id = ?3 AND id IN (SELECT j.value ->> '$.webhook_id' FROM json_each(?2) AS j \
             JOIN webhook_deliveries d ON d.id = j.value ->> '$.delivery_id' AND d.claim_token = ?4 WHERE j.value ->> '$.gone')",
            vec![now.clone().into(), rows.clone().into(), tenant_id.into(), claim_token.into()],
        ),
        Stmt::new(
            "INSERT INTO webhook_attempts (id, tenant_id, delivery_id, webhook_id, event_id, attempt, status_code, duration_ms, error, created_at) \
             SELECT j.value ->> '$.attempt_id', ?1, j.value ->> '$.delivery_id', j.value ->> '$.webhook_id', j.value ->> '$.event_id', \
             j.value ->> '$.attempt', j.value ->> '$.status_code', j.value ->> '$.duration_ms', j.value ->> '$.error', ?2 FROM json_each(?3) AS j \
             JOIN webhook_deliveries d ON d.id = j.value ->> '$.delivery_id' AND d.claim_token = ?4",
            vec![tenant_id.into(), now.clone().into(), rows.clone().into(), claim_token.into()],
        ),
        Stmt::new(
            "UPDATE webhook_deliveries SET status = j.value ->> '$.status', attempts = j.value ->> '$.attempt', \
             next_attempt_at = j.value ->> '$.next_attempt_at', last_status_code = j.value ->> '$.status_code', \
             last_error = j.value ->> '$.error', delivered_at = CASE WHEN j.value ->> '$.status' = 'delivered' THEN ?1 END, \
             claim_token = NULL, claimed_until = NULL, updated_at = ?1 \
             FROM json_each(?2) AS j WHERE webhook_deliveries.id = j.value ->> '$.delivery_id' AND webhook_deliveries.claim_token = ?3",
            vec![now.into(), rows.into(), claim_token.into()],
        ),
    ]
}

/// Seconds until this tenant has work again (0: now), or `None` when it has none.
pub fn next_round(left: &[Value], now_ms: i64, claimed_all: bool) -> Option<i64> {
    let row = left.first()?;
    if row["undispatched"].as_i64().unwrap_or(0) > 0 || !claimed_all {
        return Some(0);
    }
    let due = crate::protocol::time::parse_instant(row["next_due"].as_str()?)?;
    Some(((due - now_ms).max(0) + 999) / 1000)
}

/// The tenants with work the queue may have lost, for the scheduled sweep.
pub fn stale_tenants(now_ms: i64) -> Stmt {
    let cutoff = crate::protocol::time::Now(now_ms - SWEEP_AFTER_SECONDS * 1000).rfc3339();
    Stmt::new(
        "SELECT tenant_id FROM events WHERE dispatched_at IS NULL AND created_at < ?1 \
         UNION SELECT tenant_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at < ?1",
        vec![cutoff.into()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(n: i64) -> Attempt {
        Attempt {
            delivery_id: "d".into(),
            event_id: "e".into(),
            webhook_id: "w".into(),
            url: "u".into(),
            body: "{}".into(),
            headers: vec![],
            number: n,
            unsigned: None,
        }
    }

    fn rows_of(s: &Stmt) -> Value {
        match &s.params[2] {
            Param::Text(t) => serde_json::from_str(t).unwrap(),
            _ => panic!(),
        }
    }

    #[test]
    fn failures_follow_the_schedule_then_fail() {
        let fail = Result { status: Some(503), duration_ms: 5, error: None, blocked: false };
        let s = record("t", "c", 0, &[(attempt(1), fail.clone())], &[10, 60], || "a".into());
        let r = &rows_of(&s[1])[0];
        assert_eq!((r["status"].as_str(), r["next_attempt_at"].as_str()), (Some("pending"), Some("1970-01-01T00:00:10.000Z")));
        let s = record("t", "c", 0, &[(attempt(3), fail)], &[10, 60], || "a".into());
        assert_eq!(rows_of(&s[1])[0]["status"], "failed");
        let gone = record("t", "c", 0, &[(attempt(1), Result { status: Some(410), duration_ms: 1, error: None, blocked: false })], &[10], || "a".into());
        assert_eq!((rows_of(&gone[1])[0]["status"].as_str(), rows_of(&gone[1])[0]["gone"].as_bool()), (Some("failed"), Some(true)));
        let ok = record("t", "c", 0, &[(attempt(2), Result { status: Some(204), duration_ms: 1, error: None, blocked: false })], &[10], || "a".into());
        assert_eq!(rows_of(&ok[1])[0]["status"], "delivered");
        let refused = record("t", "c", 0, &[(attempt(1), Result { status: Some(400), duration_ms: 1, error: None, blocked: false })], &[10], || "a".into());
        assert_eq!(rows_of(&refused[1])[0]["status"], "failed");
        let redirected = record("t", "c", 0, &[(attempt(1), Result::answered(Ok(302), 1))], &[10], || "a".into());
        let row = &rows_of(&redirected[1])[0];
        assert_eq!(row["status"], "failed", "a redirect is a failed attempt, not followed");
        assert!(row["error"].as_str().unwrap().contains("redirect"));
    }

    #[test]
    fn a_url_the_guard_refuses_is_never_sent_nor_retried() {
        let mut a = attempt(1);
        a.url = "https://0x7f.1/hook".into();
        let blocked = guard(&a, crate::testing::whatwg, false).expect("loopback in hex is refused");
        let row = &rows_of(&record("t", "c", 0, &[(a.clone(), blocked)], &[10, 60], || "a".into())[1])[0];
        assert_eq!((row["status"].as_str(), row["status_code"].as_u64()), (Some("failed"), None));
        assert!(row["error"].as_str().unwrap().starts_with("not sent: the URL must not point at a private"));
        a.url = "https://erp.example.com/hook".into();
        assert!(guard(&a, crate::testing::whatwg, false).is_none());
    }

    #[test]
    fn an_attempt_is_recorded_only_under_the_claim_that_made_it() {
        let s = record("t", "claim-1", 0, &[(attempt(1), Result::answered(Ok(204), 1))], &[10], || "a".into());
        for stmt in &s {
            assert!(stmt.sql.contains("claim_token = ?"), "{}", stmt.sql);
            assert!(stmt.params.contains(&Param::Text("claim-1".into())));
        }
        assert!(s.last().unwrap().sql.contains("claim_token = NULL"), "the claim is released last");
        let fan_out = &claim("t", "now", "lease", "e", "d").fanned_out.sql;
        assert!(fan_out.contains("e.created_at >= w.created_at"), "a webhook receives only what happens after it is registered");
    }

    #[test]
    fn attempts_are_signed_with_the_event_id_as_webhook_id() {
        let rows = vec![
            json!({"id": "d", "attempts": 2, "event_id": "e1", "webhook_id": "w", "event_type": "job.created", "payload": "{\"a\":1}", "url": "https://erp.example.com/hook", "secret": "whsec_c2VjcmV0", "previous_secret": null}),
        ];
        let keys = Keyring::from_settings(Some(&"ab".repeat(32)), None).unwrap();
        let a = &attempts(&rows, 1_700_000_000, &keys)[0];
        assert_eq!(a.number, 3);
        assert!(a.headers.contains(&("webhook-id", "e1".to_string())));
        assert!(a.headers.contains(&("X-Eryxon-Signature", signing::reference_signature("whsec_c2VjcmV0", "{\"a\":1}"))));
        let mut sealed = rows[0].clone();
        sealed["secret"] = json!(keys.seal("whsec_c2VjcmV0", &[9; crate::auth::secrets::NONCE_BYTES]));
        let b = &attempts(&[sealed.clone()], 1_700_000_000, &keys)[0];
        assert_eq!(b.headers, a.headers, "a sealed secret signs exactly as the clear one did");
        let other = Keyring::from_settings(Some(&"cd".repeat(32)), None).unwrap();
        let c = &attempts(&[sealed], 1_700_000_000, &other)[0];
        assert!(c.unsigned.is_some() && c.headers.is_empty(), "a secret that does not open signs nothing");
        let unsent = guard(c, crate::testing::whatwg, true).expect("and is not sent");
        assert!(!unsent.blocked && signing::outcome(unsent.status) == Outcome::Retry, "but tried again once the keys are mended");
    }

    #[test]
    fn next_round_says_when_to_look_again() {
        assert_eq!(next_round(&[json!({"undispatched": 3, "next_due": null})], 0, true), Some(0));
        assert_eq!(next_round(&[json!({"undispatched": 0, "next_due": null})], 0, false), Some(0), "more due than one claim took");
        assert_eq!(next_round(&[json!({"undispatched": 0, "next_due": "1970-01-01T00:00:10.500Z"})], 0, true), Some(11));
        assert_eq!(next_round(&[json!({"undispatched": 0, "next_due": null})], 0, true), None);
    }

    #[test]
    fn claim_reads_only_its_own_rows() {
        let s = claim("t", "now", "lease", "ev", "dl");
        assert!(s.fanned_out.sql.contains("WHERE e.claim_token = ?1"));
        assert!(s.attempts.sql.contains("WHERE d.claim_token = ?1"));
        assert_eq!(s.stmts().len(), 6);
    }
}
