//! `api-webhooks`: subscriptions (GET, POST, PATCH, DELETE), `POST /rotate-secret?id=`,
//! `POST /test?id=`, `GET /deliveries`, `GET /logs` (every attempt), `POST /redeliver?id=`.

use eryxon_domain::delivery::events::EventType;
use eryxon_domain::protocol::http::id_param;
use eryxon_domain::{delivery::signing, entities::webhooks, ApiError};
use eryxon_edge::{catalog, new_id, random_bytes, rows, runtime_url, Answer, Call, Reply};
use serde_json::json;

eryxon_edge::function!("api-webhooks", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("", Get) if call.query.get("id").is_some() => catalog::get_shown(call, &webhooks::SHOWN).await,
        ("", Get) => catalog::list_of(call, &webhooks::LIST, "webhooks", webhooks::decode).await,
        ("", Post) => create(call).await,
        ("", Patch) => patch(call).await,
        ("", Delete) => catalog::delete_by(call, "Webhook", |t, id| eryxon_domain::resource::delete("webhooks", t, id)).await,
        ("deliveries", Get) => catalog::list_of(call, &webhooks::DELIVERIES, "deliveries", Clone::clone).await,
        ("logs", Get) => catalog::list_of(call, &webhooks::ATTEMPTS, "attempts", Clone::clone).await,
        ("rotate-secret", Post) => rotate(call).await,
        ("test", Post) => send_test(call).await,
        ("redeliver", Post) => redeliver(call).await,
    })
}

/// The secret is answered here and at rotation only.
async fn create(call: &Call) -> Answer {
    let draft = call.json_body().map(|body| webhooks::parse(&body, false, runtime_url::parse, call.local_webhooks_allowed()));
    let (caller, _) = call.authenticate(|_| vec![]).await?;
    let draft = draft?;
    let ignored = draft.ignored.clone();
    let generated = signing::new_secret(&random_bytes()?);
    let (stmt, secret) = draft.plan_create(&caller.tenant_id, &call.now().rfc3339(), new_id(), generated, |s| call.seal(s))?;
    let written = call.write(&[stmt]).await?;
    let row = rows(&written, 0).first().ok_or_else(|| ApiError::conflict("The webhook could not be stored; retry"))?;
    let mut webhook = webhooks::decode(row);
    webhook["secret"] = json!(secret);
    Ok(Reply::created(json!({ "webhook": webhook })).ignoring(ignored))
}

async fn patch(call: &Call) -> Answer {
    let id = id_param(&call.query);
    let draft = call.json_body().map(|body| webhooks::parse(&body, true, runtime_url::parse, call.local_webhooks_allowed()));
    let shown = &webhooks::SHOWN;
    let (caller, found) = call.authenticate(|scope| id.as_ref().map(|id| catalog::if_match_reads(call, shown, scope, id)).unwrap_or_default()).await?;
    let (id, draft) = (id?, draft?);
    catalog::check_if_match(call, shown, &found, &id)?;
    let condition = catalog::if_match_condition(call, shown.table, rows(&found, 0).first(), &caller.tenant_id, &id);
    let ignored = draft.ignored.clone();
    let stmt = draft.plan_update(&caller.tenant_id, &call.now().rfc3339(), &id)?;
    let written = call.write_when(condition, &[stmt]).await?;
    let row = rows(&written, 0).first().ok_or_else(|| ApiError::not_found("Webhook", &id))?;
    Ok(Reply::ok(json!({ "webhook": webhooks::decode(row) })).ignoring(ignored))
}

/// A new secret (answered this once); the old one keeps signing for the grace period.
async fn rotate(call: &Call) -> Answer {
    let id = id_param(&call.query);
    let body = call.optional_json_body();
    let (caller, _) = call.authenticate(|_| vec![]).await?;
    let (id, body) = (id?, body?);
    let secret = signing::new_secret(&random_bytes()?);
    let stmt = webhooks::rotate(&body, &caller.tenant_id, &id, call.now().0, &call.seal(&secret)?)?;
    let written = call.write(&[stmt]).await?;
    let row = rows(&written, 0).first().ok_or_else(|| ApiError::not_found("Webhook", &id))?;
    let mut webhook = webhooks::decode(row);
    webhook["secret"] = json!(secret);
    Ok(Reply::ok(json!({ "webhook": webhook })))
}

/// A `webhook.test` event for this webhook alone, delivered like any other.
async fn send_test(call: &Call) -> Answer {
    let id = id_param(&call.query);
    let (caller, _) = call.authenticate(|_| vec![]).await?;
    let id = id?;
    let event_id = new_id();
    let stmts = [webhooks::test_event(&caller.tenant_id, &id, &call.now().rfc3339(), &event_id)];
    if rows(&call.write(&stmts).await?, 0).is_empty() {
        return Err(ApiError::not_found("Webhook", &id).into());
    }
    Ok(Reply::created(json!({ "event_id": event_id, "event_type": EventType::WebhookTest.as_str(), "webhook_id": id })))
}

/// A failed (or delivered) delivery goes out again, with a fresh retry schedule.
async fn redeliver(call: &Call) -> Answer {
    let id = id_param(&call.query);
    let (caller, found) = call.authenticate(|scope| id.as_ref().map(|id| vec![webhooks::delivery(scope, id)]).unwrap_or_default()).await?;
    let id = id?;
    let stmts = [webhooks::redeliver(rows(&found, 0), &caller.tenant_id, &id, &call.now().rfc3339())?];
    let written = call.write(&stmts).await?;
    let row = rows(&written, 0).first().cloned().ok_or_else(|| ApiError::conflict("The delivery changed while this request ran; retry"))?;
    Ok(Reply::ok(json!({ "delivery": row })))
}
