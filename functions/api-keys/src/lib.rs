//! `api-keys` (admin session): `GET` lists the tenant's keys, `POST {name, mode}` creates one
//! and shows it once, `DELETE ?id=` revokes one. API keys cannot call this endpoint.

use eryxon_domain::api_key::{self, RANDOM_BYTES};
use eryxon_domain::http::id_param;
use eryxon_domain::{key_admin, ApiError};
use eryxon_edge::{new_id, random_bytes, rows, Call, Reply};
use serde_json::{json, Value};

eryxon_edge::function!("api-keys", route);

async fn route(call: &Call) -> Result<Reply, ApiError> {
    eryxon_edge::routes!(call, {
        ("", Get) => list(call).await,
        ("", Post) => create(call).await,
        ("", Delete) => revoke(call).await,
    })
}

async fn list(call: &Call) -> Result<Reply, ApiError> {
    let (_, found) = call.authenticate_admin(|scope| vec![key_admin::list(scope)]).await?;
    let keys: Vec<Value> = rows(&found, 0).iter().map(key_admin::view).collect();
    Ok(Reply::ok(json!({ "api_keys": keys })))
}

async fn create(call: &Call) -> Result<Reply, ApiError> {
    let req = call.json_body().and_then(|b| key_admin::parse_create(&b));
    let (admin, _) = call.authenticate_admin(|_| vec![]).await?;
    let req = req?;
    let random: [u8; RANDOM_BYTES] = random_bytes()?;
    let key = api_key::mint(req.mode, &random);
    let (id, now) = (new_id(), call.now().rfc3339());
    call.write(&[key_admin::create(&admin.tenant_id, &id, &req, &key, &admin.user_id, &now)]).await?;
    let row = key_admin::written_row(&id, &req, &key, &admin.user_id, &now);
    Ok(Reply::created(json!({ "api_key": key_admin::created(&row, &key) })).ignoring(req.ignored))
}

async fn revoke(call: &Call) -> Result<Reply, ApiError> {
    let id = id_param(&call.query);
    let (admin, found) = call.authenticate_admin(|scope| id.as_ref().map(|id| vec![key_admin::one(scope, id)]).unwrap_or_default()).await?;
    let id = id?;
    if rows(&found, 0).is_empty() {
        return Err(ApiError::not_found("API key", &id));
    }
    let written = call.write(&key_admin::revoke(&admin.tenant_id, &id, &call.now().rfc3339())).await?;
    let row = rows(&written, 1).first().ok_or_else(|| ApiError::not_found("API key", &id))?;
    Ok(Reply::ok(json!({ "api_key": key_admin::view(row) })))
}
