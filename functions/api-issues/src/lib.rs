//! `api-issues`: quality issues and NCRs: list, read, create (NCR numbers generated in the
//! same write), PATCH through the status machine, DELETE.

use eryxon_domain::entities::issues;
use eryxon_edge::catalog::{self, Writing};
use eryxon_edge::{new_id, Answer, Call};

eryxon_edge::function!("api-issues", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("", Get) if call.query.get("id").is_some() => catalog::get_shown(call, &issues::SHOWN).await,
        ("", Get) => catalog::list_of(call, &issues::LIST, "issues", issues::decode).await,
        ("", Post) => {
            catalog::write(call, Writing::Create, |b| issues::parse(b, false), |d, found, caller, now, id| d.plan(found, &caller.tenant_id, now, id, new_id))
                .await
        },
        ("", Patch) => {
            catalog::write(
                call,
                Writing::Update(&issues::SHOWN),
                |b| issues::parse(b, true),
                |d, found, caller, now, id| d.plan(found, &caller.tenant_id, now, id, new_id),
            )
            .await
        },
        ("", Delete) => catalog::delete_by(call, "Issue", issues::delete).await,
    })
}
