//! `api-parts`: list, read with operations, create (with nested operations), PATCH, DELETE.
//! (`PUT /sync` and `POST /bulk-sync` on this path are served by `api-sync`.)

use eryxon_domain::entities::parts;
use eryxon_edge::catalog::{self, Writing};
use eryxon_edge::{new_id, Answer, Call};

eryxon_edge::function!("api-parts", route);

async fn route(call: &Call) -> Answer {
    eryxon_edge::routes!(call, {
        ("", Get) if call.query.get("id").is_some() => catalog::get_shown(call, &parts::SHOWN).await,
        ("", Get) => catalog::list_of(call, &parts::LIST, "parts", parts::decode).await,
        ("", Post) => {
            catalog::write(
                call,
                Writing::Create,
                |b| parts::parse(b, false),
                |d, found, caller, now, id| d.plan(found, &caller.quota, &caller.tenant_id, now, id, new_id),
            )
            .await
        },
        ("", Patch) => {
            catalog::write(
                call,
                Writing::Update(&parts::SHOWN),
                |b| parts::parse(b, true),
                |d, found, caller, now, id| d.plan(found, &caller.quota, &caller.tenant_id, now, id, new_id),
            )
            .await
        },
        ("", Delete) => catalog::delete_by(call, "Part", parts::delete).await,
    })
}
