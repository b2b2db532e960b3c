//! `api-webhooks`: webhook subscriptions (their secrets are shown once, at create and at
//! rotation, and never again), test events, deliveries, the attempt log, and redelivery.

use crate::auth::secrets::{Keyring, NONCE_BYTES};
use crate::delivery::events::API_VERSION;
use crate::delivery::events::{EventType, EVENT_TYPES};
use crate::delivery::url_guard;
use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::fields::Reader;
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::resource::{self, Column, Filter, FilterKind, Kind, ListSpec, Shown, Use, Values};
use serde_json::{json, Map, Value};

/// Columns answered: never the secret.
const RETURNING: &str = "id, url, events, active, description, disabled_reason, previous_secret_expires_at, created_at, updated_at";
/// The longest grace period of a rotation, in hours.
const MAX_GRACE_HOURS: i64 = 168;

pub const LIST: ListSpec = ListSpec {
    from: "webhooks w",
    tenant: "w.tenant_id",
    id: "w.id",
    columns: "w.id, w.url, w.events, w.active, w.description, w.disabled_reason, w.previous_secret_expires_at, w.created_at, w.updated_at",
    filters: &[
        Filter { param: "event_type", clause: "EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = #)", kind: FilterKind::OneOf(EVENT_TYPES, &[]) },
        Filter { param: "active", clause: "w.active = #", kind: FilterKind::Boolean },
    ],
    sorts: &[("created_at", "w.created_at"), ("url", "w.url"), ("updated_at", "w.updated_at")],
    default_desc: false,
};

pub const DELIVERIES: ListSpec = ListSpec {
    from: "webhook_deliveries d",
    tenant: "d.tenant_id",
    id: "d.id",
    columns: "d.id, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at, d.last_status_code, \
        d.last_error, d.delivered_at, d.created_at, d.updated_at",
    filters: &[
        Filter { param: "webhook_id", clause: "d.webhook_id = #", kind: FilterKind::Id },
        Filter { param: "event_id", clause: "d.event_id = #", kind: FilterKind::Id },
        Filter { param: "status", clause: "d.status = #", kind: FilterKind::OneOf(&["pending", "delivered", "failed"], &[]) },
        Filter { param: "event_type", clause: "d.event_type = #", kind: FilterKind::Exact },
    ],
    sorts: &[("created_at", "d.created_at"), ("updated_at", "d.updated_at")],
    default_desc: true,
};

pub const ATTEMPTS: ListSpec = ListSpec {
    from: "webhook_attempts a",
    tenant: "a.tenant_id",
    id: "a.id",
    columns: "a.id, a.delivery_id, a.webhook_id, a.event_id, a.attempt, a.status_code, a.duration_ms, a.error, a.created_at",
    filters: &[
        Filter { param: "webhook_id", clause: "a.webhook_id = #", kind: FilterKind::Id },
        Filter { param: "event_id", clause: "a.event_id = #", kind: FilterKind::Id },
        Filter { param: "delivery_id", clause: "a.delivery_id = #", kind: FilterKind::Id },
    ],
    sorts: &[("created_at", "a.created_at")],
    default_desc: true,
};

pub fn decode(row: &Value) -> Value {
    resource::decode(row, &["events"], &["active"])
}

pub fn get(scope: Scope<'_>, id: &str) -> Stmt {
    Stmt::scoped(scope, &format!("SELECT {RETURNING} FROM webhooks WHERE tenant_id = {{tenant}} AND id = ?2"), vec![id.into()])
}

/// `data.webhook` as GET answers it, for the GET and for If-Match.
pub const SHOWN: Shown = Shown {
    table: "webhooks",
    list: &LIST,
    reads: |scope, id| vec![get(scope, id)],
    data: |found, id| resource::one_row(found, id, "Webhook", "webhook", decode),
};

/// A parsed create or PATCH body.
pub struct Draft {
    values: Values,
    secret: Option<String>,
    errors: Vec<FieldError>,
    pub ignored: Vec<String>,
}

/// What a webhook body may set. A PATCH changes all but the secret, which only rotation does.
pub const FIELDS: &[Column] = &[
    Column::new("url", Kind::Url).required().doc("https, a public host (not private, loopback or link-local); no redirects are followed"),
    Column::new("events", Kind::Subset(EVENT_TYPES)).required(),
    Column::new("active", Kind::Boolean).not_null(),
    Column::new("description", Kind::Text(0, 1000)),
    Column::new("secret", Kind::Token(24, 256)).fixed().unstored().doc("Your own signing secret (printable ASCII); one is generated when left out"),
];

/// The body of rotate-secret.
pub const ROTATION: &[Column] =
    &[Column::new("grace_period_hours", Kind::Integer(0, MAX_GRACE_HOURS)).doc("How long the old secret keeps signing too (default 24)")];

/// Reads a body. URLs are judged as `parse_url` (the runtime's WHATWG parser) reads them;
/// `allow_local` lets http://127.0.0.1 receive (local development and tests).
pub fn parse(body: &Map<String, Value>, patch: bool, parse_url: url_guard::Parser, allow_local: bool) -> Draft {
    let r = Reader::root(body, "webhook");
    let mut errors = vec![];
    let values = resource::parse_body(&r, FIELDS, "webhook", patch, &mut errors);
    if let Some(url) = values.text("url") {
        if let Err(m) = url_guard::check(url, parse_url, allow_local) {
            errors.push(r.error("url", Constraint::PatternMismatch, format!("Webhook url {m}"), json!(url)));
        }
    }
    let secret = values.unstored_text("secret").map(str::to_string);
    // In the order of the fields, as the checks after parsing came last.
    errors.sort_by_key(|e| FIELDS.iter().position(|c| c.name == e.field));
    let ignored = resource::ignored(&r, FIELDS, if patch { Use::Patch } else { Use::Create }, &[]);
    Draft { values, secret, errors, ignored }
}

impl Draft {
    /// The insert; the secret is the given one or `generated`, stored as `seal` makes it (see
    /// [`crate::auth::secrets`]) and answered in clear this once.
    pub fn plan_create(
        self,
        tenant_id: &str,
        now: &str,
        id: String,
        generated: String,
        seal: impl FnOnce(&str) -> Result<String, ApiError>,
    ) -> Result<(Stmt, String), ApiError> {
        if !self.errors.is_empty() {
            return Err(ApiError::validation("webhook", self.errors));
        }
        let secret = self.secret.unwrap_or(generated);
        let mut sets: Vec<(&'static str, Param)> = vec![("id", id.into()), ("tenant_id", tenant_id.into()), ("secret", seal(&secret)?.into())];
        sets.extend(self.values.sets);
        sets.push(("created_at", now.into()));
        sets.push(("updated_at", now.into()));
        Ok((resource::insert("webhooks", &sets, RETURNING), secret))
    }

    /// The update; switching a webhook back on clears why it was disabled.
    pub fn plan_update(mut self, tenant_id: &str, now: &str, id: &str) -> Result<Stmt, ApiError> {
        if !self.errors.is_empty() {
            return Err(ApiError::validation("webhook", self.errors));
        }
        if self.values.sets.is_empty() {
            let allowed: Vec<&str> = resource::accepted(FIELDS, Use::Patch).map(|c| c.name).collect();
            return Err(ApiError::nothing_to_update("webhook").with_allowed(&allowed));
        }
        if self.values.get("active") == Some(&Param::Int(1)) {
            self.values.set("disabled_reason", Param::Null);
        }
        self.values.sets.push(("updated_at", now.into()));
        Ok(resource::update("webhooks", id, tenant_id, &self.values.sets, None, RETURNING))
    }
}

/// Rotation: a new secret (`sealed`, as stored) signs from now on; the old one also signs for
/// `grace_hours`.
pub fn rotate(body: &Map<String, Value>, tenant_id: &str, id: &str, now_ms: i64, sealed: &str) -> Result<Stmt, ApiError> {
    let r = Reader::root(body, "webhook");
    let mut errors = vec![];
    let hours = match resource::parse_create(&r, ROTATION, Use::Create, "webhook", 0, &mut errors).get("grace_period_hours") {
        Some(Param::Int(h)) => *h,
        _ => 24,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation("webhook", errors));
    }
    let now = crate::protocol::time::Now(now_ms).rfc3339();
    let until = crate::protocol::time::Now(now_ms + hours * 3_600_000).rfc3339();
    Ok(Stmt::new(
        format!(
            "UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = ?3, secret = ?4, updated_at = ?5 \
                 WHERE id = ?1 AND tenant_id = ?2 RETURNING {RETURNING}"
        ),
        vec![id.into(), tenant_id.into(), until.into(), sealed.into(), now.into()],
    ))
}

/// Webhook secrets the sweep can seal under the current key: stored in clear before sealing
/// existed, or sealed under the previous key of a rotation. A value under a key no longer
/// configured is not selected (it can only wait for its key), so it can never fill the page.
/// Each case is a range of an indexed column (migration 0015): a sealed value begins
/// `sealed:`, so a clear one sorts below `sealed:` or from `sealed;` on, and one under the
/// previous key lies between its prefix and the prefix with `:` raised to `;`. The sweep then
/// reads what it seals, not every webhook, every minute.
pub fn unsealed(keys: &Keyring) -> Stmt {
    let previous = keys.previous_prefix();
    let upper = previous.as_ref().map(|p| format!("{};", p.trim_end_matches(':')));
    let ranges: Vec<String> = ["secret", "previous_secret"]
        .iter()
        .flat_map(|c| [format!("{c} < 'sealed:'"), format!("{c} >= 'sealed;'"), format!("{c} >= ?1 AND {c} < ?2")])
        .map(|range| format!("SELECT id FROM webhooks WHERE {range}"))
        .collect();
    Stmt::new(
        format!("SELECT id, secret, previous_secret FROM webhooks WHERE id IN ({}) LIMIT 100", ranges.join(" UNION ")),
        vec![Param::from(previous), Param::from(upper)],
    )
}

/// The sweep's write: each of those secrets sealed anew under the current key, unless the
/// row changed meanwhile (a rotation's own write wins). `None` when there is nothing to do.
pub fn reseal(rows: &[Value], keys: &Keyring, mut nonce: impl FnMut() -> Result<[u8; NONCE_BYTES], ApiError>) -> Result<Option<Stmt>, ApiError> {
    let mut items = vec![];
    for r in rows {
        let mut seal = |stored: Option<&str>| -> Result<Value, ApiError> {
            match stored {
                Some(v) if keys.is_current(v) => Ok(json!(v)),
                // Sealed under a key no longer configured: left as it is (it waits for its
                // key), never a reason not to seal the row's other secret.
                Some(v) => match keys.open(v) {
                    Ok(plain) => Ok(json!(keys.seal(&plain, &nonce()?))),
                    Err(_) => Ok(json!(v)),
                },
                None => Ok(Value::Null),
            }
        };
        let (secret, previous) = (r["secret"].as_str(), r["previous_secret"].as_str());
        let (new_secret, new_previous) = (seal(secret)?, seal(previous)?);
        if new_secret.as_str() != secret || new_previous.as_str() != previous {
            items.push(json!({ "id": r["id"], "old": secret, "old_previous": previous, "secret": new_secret, "previous": new_previous }));
        }
    }
    if items.is_empty() {
        return Ok(None);
    }
    Ok(Some(Stmt::new(
        "UPDATE webhooks SET secret = j.value ->> '$.secret', previous_secret = j.value ->> '$.previous' FROM json_each(?1) AS j \
         WHERE webhooks.id = j.value ->> '$.id' AND webhooks.secret = j.value ->> '$.old' \
         AND webhooks.previous_secret IS j.value ->> '$.old_previous'",
        vec![json!(items).to_string().into()],
    )))
}

/// A test event for one webhook, delivered like any other.
pub fn test_event(tenant_id: &str, webhook_id: &str, now: &str, event_id: &str) -> Stmt {
    let payload = json!({
        "id": event_id, "event_type": EventType::WebhookTest.as_str(), "timestamp": now, "tenant_id": tenant_id, "api_version": API_VERSION,
        "data": { "webhook_id": webhook_id, "message": "A test delivery from Eryxon Flow" },
    });
    Stmt::new(
        "INSERT INTO events (id, tenant_id, event_type, payload, created_at, webhook_id) SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
         WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?6 AND tenant_id = ?2) RETURNING id",
        vec![event_id.into(), tenant_id.into(), EventType::WebhookTest.as_str().into(), payload.to_string().into(), now.into(), webhook_id.into()],
    )
    .for_delivery()
}

/// Redelivery of a delivered or failed delivery (read by [`delivery`]): pending again from
/// now, with a fresh schedule; the log keeps every earlier attempt. One still pending is 409.
pub fn redeliver(found: &[Value], tenant_id: &str, delivery_id: &str, now: &str) -> Result<Stmt, ApiError> {
    let current = found.first().ok_or_else(|| ApiError::not_found("Delivery", delivery_id))?;
    if current["status"] == "pending" {
        return Err(ApiError::conflict(format!("Delivery {delivery_id} is still pending; it will be attempted on schedule")));
    }
    Ok(Stmt::new(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?3, claim_token = NULL, claimed_until = NULL, updated_at = ?3 \
         WHERE id = ?1 AND tenant_id = ?2 AND status <> 'pending' RETURNING id, webhook_id, event_id, event_type, status, next_attempt_at",
        vec![delivery_id.into(), tenant_id.into(), now.into()],
    )
    .for_delivery())
}

/// The delivery as read before a redelivery (404 / 409 for one still pending).
pub fn delivery(scope: Scope<'_>, id: &str) -> Stmt {
    Stmt::scoped(scope, "SELECT id, status FROM webhook_deliveries WHERE tenant_id = {tenant} AND id = ?2", vec![id.into()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::whatwg;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn reference_create_example() {
        let d = parse(
            &body(json!({"url": "https://your-erp.com/webhooks/eryxon", "events": ["job.created", "job.completed", "ncr.created"], "active": true})),
            false,
            whatwg,
            false,
        );
        let (s, secret) = d.plan_create("t", "now", "w".into(), "whsec_generated".into(), |s| Ok(format!("sealed({s})"))).unwrap();
        assert_eq!(secret, "whsec_generated");
        assert!(s.params.contains(&Param::Text("sealed(whsec_generated)".into())), "only the sealed form is stored");
        assert!(!s.params.contains(&Param::Text("whsec_generated".into())));
        assert!(s.params.contains(&Param::Text("[\"job.created\",\"job.completed\",\"ncr.created\"]".into())));
        assert!(!RETURNING.contains("secret,") && !RETURNING.starts_with("secret"));
    }

    #[test]
    fn urls_events_and_secrets_are_checked() {
        let d = parse(&body(json!({"url": "http://10.0.0.1/x", "events": ["job.created", "job.deleted"], "secret": "short"})), false, whatwg, false);
        let e = d.plan_create("t", "now", "w".into(), "g".into(), |s| Ok(s.to_string())).unwrap_err();
        let got: Vec<String> =
            e.details.unwrap().as_array().unwrap().iter().map(|d| format!("{}:{}", d["field"].as_str().unwrap(), d["constraint"].as_str().unwrap())).collect();
        assert_eq!(got, vec!["url:PATTERN_MISMATCH", "events:ENUM_CONSTRAINT", "secret:MIN_LENGTH"]);
        let spaced = parse(&body(json!({"url": "https://a.example", "events": ["job.created"], "secret": "a secret with spaces in it"})), false, whatwg, false);
        assert_eq!(spaced.errors[0].constraint, Constraint::PatternMismatch);
        assert!(parse(&body(json!({"url": "http://127.0.0.1:9/x", "events": ["job.created"]})), false, whatwg, true).errors.is_empty());
        assert_eq!(parse(&body(json!({"url": "https://a.example", "events": []})), false, whatwg, false).errors[0].constraint, Constraint::MinLength);
    }

    #[test]
    fn the_sweep_seals_what_is_in_clear_or_under_the_previous_key() {
        let old = Keyring::from_settings(Some(&"11".repeat(32)), None).unwrap();
        let keys = Keyring::from_settings(Some(&"22".repeat(32)), Some(&"11".repeat(32))).unwrap();
        let prefix = keys.previous_prefix().unwrap();
        assert_eq!(unsealed(&keys).params, vec![Param::Text(prefix.clone()), Param::Text(format!("{};", &prefix[..prefix.len() - 1]))]);
        assert!(unsealed(&keys).sql.contains("secret < 'sealed:'") && unsealed(&keys).sql.contains("previous_secret >= ?1 AND previous_secret < ?2"));
        assert_eq!(unsealed(&old).params, vec![Param::Null, Param::Null], "no rotation: clear values only");
        let under_old = old.seal("whsec_b2xk", &[1; NONCE_BYTES]);
        let rows = vec![
            json!({"id": "w1", "secret": "whsec_clear", "previous_secret": null}),
            json!({"id": "w2", "secret": keys.seal("whsec_bmV3", &[2; NONCE_BYTES]), "previous_secret": under_old}),
        ];
        let stmt = reseal(&rows, &keys, || Ok([3; NONCE_BYTES])).unwrap().unwrap();
        let Param::Text(items) = &stmt.params[0] else { panic!() };
        let items: Vec<Value> = serde_json::from_str(items).unwrap();
        assert!(keys.is_current(items[0]["secret"].as_str().unwrap()) && items[0]["previous"].is_null());
        assert_eq!(keys.open(items[0]["secret"].as_str().unwrap()).unwrap(), "whsec_clear");
        assert_eq!(items[1]["secret"], rows[1]["secret"], "already current: kept");
        assert_eq!(keys.open(items[1]["previous"].as_str().unwrap()).unwrap(), "whsec_b2xk");
        assert!(!items[0]["secret"].as_str().unwrap().contains("whsec_clear"), "the clear secret is gone");
        assert!(reseal(&[], &keys, || Ok([0; NONCE_BYTES])).unwrap().is_none());
        let lost = Keyring::from_settings(Some(&"33".repeat(32)), None).unwrap().seal("whsec_lost", &[4; NONCE_BYTES]);
        let stuck = vec![json!({"id": "w3", "secret": lost, "previous_secret": null})];
        assert!(reseal(&stuck, &keys, || Ok([5; NONCE_BYTES])).unwrap().is_none(), "a secret under an unknown key is skipped, not an error");
        let half = vec![json!({"id": "w4", "secret": "whsec_clear", "previous_secret": stuck[0]["secret"]})];
        let Param::Text(items) = &reseal(&half, &keys, || Ok([6; NONCE_BYTES])).unwrap().unwrap().params[0] else { panic!() };
        let items: Vec<Value> = serde_json::from_str(items).unwrap();
        assert!(keys.is_current(items[0]["secret"].as_str().unwrap()), "the clear secret is sealed");
        assert_eq!(items[0]["previous"], stuck[0]["secret"], "beside a previous one that waits for its key");
    }

    #[test]
    fn only_a_finished_delivery_is_redelivered() {
        assert_eq!(redeliver(&[], "t", "d", "now").unwrap_err().status(), 404);
        assert_eq!(redeliver(&[json!({"status": "pending"})], "t", "d", "now").unwrap_err().status(), 409);
        assert!(redeliver(&[json!({"status": "failed"})], "t", "d", "now").unwrap().sql.starts_with("UPDATE webhook_deliveries"));
    }

    #[test]
    fn patch_and_rotation() {
        let s = parse(&body(json!({"active": true})), true, whatwg, false).plan_update("t", "now", "w").unwrap();
        assert!(s.sql.contains("disabled_reason = ?"));
        assert_eq!(parse(&body(json!({"secret": "x"})), true, whatwg, false).plan_update("t", "now", "w").unwrap_err().status(), 422);
        let r = rotate(&body(json!({"grace_period_hours": 2})), "t", "w", 0, "whsec_new").unwrap();
        assert_eq!(r.params[2], Param::Text("1970-01-01T02:00:00.000Z".into()));
        assert_eq!(rotate(&body(json!({"grace_period_hours": 500})), "t", "w", 0, "x").unwrap_err().status(), 422);
    }
}
