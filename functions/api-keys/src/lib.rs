//! `api-keys` (admin session): `GET` lists the tenant's keys, `POST {name, mode}` creates one
//! and shows it once, `DELETE ?id=` revokes one. API keys cannot call this endpoint.

use eryxon_domain::auth::api_key::{self, RANDOM_BYTES};
use eryxon_domain::protocol::http::id_param;
use eryxon_domain::{admin::keys, ApiError};
use eryxon_edge::{new_id, random_bytes, rows, Answer, Call, Reply};
use serde_json::{json, Value};

eryxon_edge::function!("api-keys", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("", Get) => list(call).await,
        ("", Post) => create(call).await,
        ("", Delete) => revoke(call).await,
    })
}

async fn list(call: &Call) -> Answer {
    let (_, found) = call.authenticate_admin(|scope| vec![keys::list(scope)]).await?;
    let keys: Vec<Value> = rows(&found, 0).iter().map(keys::view).collect();
    Ok(Reply::ok(json!({ "api_keys": keys })))
}

async fn create(call: &Call) -> Answer {
    let req = call.json_body().and_then(|b| keys::parse_create(&b));
    let (admin, _) = call.authenticate_admin(|_| vec![]).await?;
    let req = req?;
    let random: [u8; RANDOM_BYTES] = random_bytes()?;
    let key = api_key::mint(req.mode, &random);
    let (id, now) = (new_id(), call.now().rfc3339());
    call.write(&[keys::create(&admin.tenant_id, &id, &req, &key, &admin.user_id, &now)]).await?;
    let row = keys::written_row(&id, &req, &key, &admin.user_id, &now);
    Ok(Reply::created(json!({ "api_key": keys::created(&row, &key) })).ignoring(req.ignored))
}

async fn revoke(call: &Call) -> Answer {
    let id = id_param(&call.query);
    let (admin, found) = call.authenticate_admin(|scope| id.as_ref().map(|id| vec![keys::one(scope, id)]).unwrap_or_default()).await?;
    let id = id?;
    if rows(&found, 0).is_empty() {
        return Err(ApiError::not_found("API key", &id).into());
    }
    let written = call.write(&keys::revoke(&admin.tenant_id, &id, &call.now().rfc3339())).await?;
    let row = keys::Revocation::rows(&written).key.first().ok_or_else(|| ApiError::not_found("API key", &id))?;
    Ok(Reply::ok(json!({ "api_key": keys::view(row) })))
}
