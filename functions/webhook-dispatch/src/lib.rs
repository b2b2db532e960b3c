//! `webhook-dispatch`: delivers outbox events to webhook subscribers.
//!
//! A queue message names a tenant with work. A round: one round trip claims its undispatched
//! events, fans them out into deliveries and claims the due deliveries; these are POSTed
//! concurrently, signed, each with a timeout; one more round trip records every attempt. Rounds
//! follow each other while work is due at once; then the tenant is queued again for its next
//! due retry. A scheduled sweep re-queues tenants whose
//! work a lost message left behind. See `eryxon_domain::delivery::dispatch`.

use eryxon_domain::delivery::dispatch::{self, Attempt};
use eryxon_domain::delivery::signing::{self, Outcome};
use eryxon_domain::protocol::time::Now;
use eryxon_domain::{auth::sign_in, entities::deletions, entities::webhooks, protocol::idempotency};
use eryxon_edge::{error_response, keyring, new_id, ok_response, random_bytes, runtime_url, Db};
use futures_util::future::{join_all, select, Either};
use std::collections::BTreeSet;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::{
    console_error, event, Context, Date, Delay, Env, Fetch, Headers, MessageBatch, MessageBuilder, MessageExt, Method, Request, RequestInit, RequestRedirect,
    Response, ScheduleContext, ScheduledEvent,
};

/// How long a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a queue message may be delayed; a later retry is picked up by the next round.
const MAX_DELAY_SECONDS: i64 = 12 * 3600;

#[event(queue)]
async fn consume(batch: MessageBatch<String>, env: Env, _ctx: Context) -> worker::Result<()> {
    let messages = batch.messages()?;
    let tenants: BTreeSet<String> = messages.iter().map(|m| m.body().clone()).collect();
    let mut failed = BTreeSet::new();
    for tenant in &tenants {
        if let Err(e) = deliver(&env, tenant).await {
            console_error!("delivery round for tenant {tenant} failed: {e:?}");
            failed.insert(tenant.clone());
        }
    }
    for m in messages {
        if failed.contains(m.body()) {
            m.retry_with_options(&worker::QueueRetryOptionsBuilder::new().with_delay_seconds(10).build());
        } else {
            m.ack();
        }
    }
    Ok(())
}

/// Rounds of one invocation before the rest is left to a new message: enough to drain a burst,
/// few enough to stay well inside a consumer's time limit.
const MAX_ROUNDS: usize = 20;

/// A tenant's work: rounds while more is due at once, then one message for what comes later.
async fn deliver(env: &Env, tenant: &str) -> worker::Result<()> {
    let mut next = Some(0);
    for _ in 0..MAX_ROUNDS {
        next = round(env, tenant).await?;
        if next != Some(0) {
            break;
        }
    }
    if let Some(delay) = next {
        let message = MessageBuilder::new(tenant.to_string()).delay_seconds(delay.clamp(0, MAX_DELAY_SECONDS) as u32).build();
        env.queue("EVENTS")?.send(message).await?;
    }
    Ok(())
}

/// One round of a tenant's work; answers when to look again (0: at once), if ever.
async fn round(env: &Env, tenant: &str) -> worker::Result<Option<i64>> {
    let db = Db::open(env).map_err(|e| worker::Error::RustError(e.message))?;
    // Before anything is claimed: without the keys no delivery can be signed, and claimed rows
    // would only sit out their lease.
    let keys = keyring(env).map_err(api)?;
    let now_ms = Date::now().as_millis() as i64;
    let (now, lease) = (Now(now_ms).rfc3339(), Now(now_ms + dispatch::LEASE_SECONDS * 1000).rfc3339());
    let claim_token = new_id();
    let found = db.batch(&dispatch::claim(tenant, &now, &lease, &new_id(), &claim_token).stmts(), "dispatch").await.map_err(api)?;
    let claimed = dispatch::Claim::rows(&found);
    let attempts = dispatch::attempts(claimed.attempts, now_ms / 1000, &keys);
    let claimed_all = (attempts.len() as i64) < dispatch::CLAIM_LIMIT;
    let allow_local = runtime_url::local_webhooks_allowed(env);
    let done: Vec<(Attempt, dispatch::Result)> = join_all(attempts.into_iter().map(|a| send(a, allow_local))).await;
    let schedule = signing::schedule(env.var("ERYXON_WEBHOOK_SCHEDULE").ok().map(|v| v.to_string()).as_deref());
    if !done.is_empty() {
        db.batch(&dispatch::record(tenant, &claim_token, Date::now().as_millis() as i64, &done, &schedule, new_id), "dispatch").await.map_err(api)?;
    }
    let retry = done
        .iter()
        .filter(|(_, r)| signing::outcome(r.status) == Outcome::Retry)
        .filter_map(|(a, _)| schedule.get((a.number - 1) as usize).map(|s| i64::from(*s)))
        .min();
    let left = dispatch::next_round(claimed.left, now_ms, claimed_all);
    Ok([left, retry].into_iter().flatten().min())
}

/// POSTs one delivery, signed, giving up after [`TIMEOUT`]; but only to a URL the guard still
/// allows, as the runtime parses it.
async fn send(a: Attempt, allow_local: bool) -> (Attempt, dispatch::Result) {
    if let Some(blocked) = dispatch::guard(&a, runtime_url::parse, allow_local) {
        return (a, blocked);
    }
    let started = Date::now().as_millis();
    let outcome = match request(&a) {
        Err(e) => Err(format!("invalid request: {e:?}")),
        Ok(req) => match select(Box::pin(Fetch::Request(req).send()), Box::pin(Delay::from(TIMEOUT))).await {
            Either::Left((Ok(resp), _)) => Ok(resp.status_code()),
            Either::Left((Err(e), _)) => Err(format!("network error: {e:?}")),
            Either::Right(_) => Err(format!("timed out after {} s", TIMEOUT.as_secs())),
        },
    };
    let duration_ms = (Date::now().as_millis() - started) as i64;
    (a, dispatch::Result::answered(outcome, duration_ms))
}

fn request(a: &Attempt) -> worker::Result<Request> {
    let headers = Headers::new();
    for (name, value) in &a.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    // A redirect is answered as it is (a failed attempt): following it could carry the signed
    // POST to a host the guard never saw.
    init.with_method(Method::Post).with_headers(headers).with_body(Some(JsValue::from_str(&a.body))).with_redirect(RequestRedirect::Manual);
    Request::new_with_init(&a.url, &init)
}

/// Re-queues every tenant whose work a lost message left behind, and drops expired
/// idempotency records, deletion records and sign-in throttle windows.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(e) = sweep(&env).await {
        console_error!("sweep failed: {e:?}");
    }
}

async fn sweep(env: &Env) -> worker::Result<usize> {
    let db = Db::open(env).map_err(|e| worker::Error::RustError(e.message))?;
    let now = Date::now().as_millis() as i64;
    // The same scheduled run forgets what has outlived its promise.
    let stmts = [dispatch::stale_tenants(now), idempotency::expired(Now(now)), deletions::expired_deletions(Now(now)), sign_in::expired_failures(Now(now))];
    let found = db.batch(&stmts, "sweep").await.map_err(api)?;
    let tenants: Vec<String> = found.first().into_iter().flatten().filter_map(|r| r["tenant_id"].as_str().map(str::to_string)).collect();
    let queue = env.queue("EVENTS")?;
    for tenant in &tenants {
        queue.send(tenant.clone()).await?;
    }
    // Then it seals webhook secrets not yet under the current key (stored in clear before
    // sealing, or during a rotation); a failure there is logged and tried again next minute.
    if let Err(e) = seal_secrets(env, &db).await {
        console_error!("webhook secrets are not sealed: {e:?}");
    }
    Ok(tenants.len())
}

/// One page of the webhook secrets the sweep can seal, sealed under the current key.
async fn seal_secrets(env: &Env, db: &Db) -> worker::Result<()> {
    let keys = keyring(env).map_err(api)?;
    let unsealed = db.batch(&[webhooks::unsealed(&keys)], "sweep").await.map_err(api)?;
    if let Some(reseal) = webhooks::reseal(unsealed.first().map(Vec::as_slice).unwrap_or(&[]), &keys, random_bytes).map_err(api)? {
        db.batch(&[reseal], "sweep").await.map_err(api)?;
    }
    Ok(())
}

/// The test stack alone (binding `ERYXON_TEST_CLOCK`) may run the sweep on demand, at
/// `/functions/v1/webhook-dispatch/sweep`; everywhere else this worker answers no requests.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let testing = env.var("ERYXON_TEST_CLOCK").map(|v| v.to_string() == "enabled").unwrap_or(false);
    let request_id = new_id();
    if testing && req.path().ends_with("/sweep") {
        return ok_response(serde_json::json!({ "tenants": sweep(&env).await? }), &request_id);
    }
    error_response(&eryxon_domain::ApiError::route_not_found(&req.path()), &request_id)
}

fn api(e: eryxon_domain::ApiError) -> worker::Error {
    worker::Error::RustError(e.message)
}
