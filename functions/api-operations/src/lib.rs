//! `api-operations`: list with the reference's filters and sorts, read with part and job
//! numbers, create (cell by id or name), PATCH, DELETE. Status moves through the lifecycle.
//! (`PUT /sync` and `POST /bulk-sync` on this path are served by `api-sync`.)

use eryxon_domain::http::Method;
use eryxon_domain::{operations, ApiError};
use eryxon_edge::catalog::{self, Writing};
use eryxon_edge::{new_id, Call, Reply};
use serde_json::Value;

eryxon_edge::function!("api-operations", route);

async fn route(call: &Call) -> Result<Reply, ApiError> {
    if call.action.as_deref() != Some("") {
        return Err(call.no_route());
    }
    match call.method {
        Method::Get if call.query.get("id").is_some() => catalog::get_shown(call, &operations::SHOWN).await,
        Method::Get => catalog::list_of(call, &operations::LIST, "operations", Value::clone).await,
        Method::Post => {
            catalog::write(
                call,
                Writing::Create,
                |b| operations::parse(b, false),
                |d, found, caller, now, id| d.plan(found, &caller.tenant_id, now, id, new_id),
            )
            .await
        }
        Method::Patch => {
            catalog::write(
                call,
                Writing::Update(&operations::SHOWN),
                |b| operations::parse(b, true),
                |d, found, caller, now, id| d.plan(found, &caller.tenant_id, now, id, new_id),
            )
            .await
        }
        Method::Delete => catalog::delete_by(call, "Operation", operations::delete).await,
        m => Err(ApiError::method_not_allowed(m.as_str(), &["GET", "POST", "PATCH", "DELETE", "OPTIONS"])),
    }
}
