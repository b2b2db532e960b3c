//! The requests of a catalog entity ([`Entity`]): list, get, create, PATCH, DELETE. The
//! rules are the entity's (domain); this only sequences the round trips.

use crate::Answer;
use crate::{new_id, rows, Call, Reply};
use eryxon_domain::account::tenant::Caller;
use eryxon_domain::entities::entity::Entity;
use eryxon_domain::protocol::http::id_param;
use eryxon_domain::protocol::sql::{Scope, Stmt};
use eryxon_domain::resource::{Draft, ListReads, ListSpec, Planned, Shown};
use eryxon_domain::{resource, ApiError};
use serde_json::{Map, Value};

/// Routes a request of `/functions/v1/<entity function>`.
pub async fn serve(call: &Call, e: &Entity) -> Answer {
    crate::routes!(call, {
        ("", Get) if call.query.get("id").is_some() => get(call, e).await,
        ("", Get) => list(call, e).await,
        ("", Post) => create(call, e).await,
        ("", Patch) => patch(call, e).await,
        ("", Delete) => delete(call, e).await,
    })
}

async fn get(call: &Call, e: &Entity) -> Answer {
    let id = id_param(&call.query);
    let (_, found) = call.authenticate(|scope| id.as_ref().map(|id| vec![e.get(scope, id)]).unwrap_or_default()).await?;
    let id = id?;
    known_list_params(call, &e.list)?;
    Ok(Reply::ok(e.found(rows(&found, 0), &id)?))
}

/// `?id=` answers one record, but the list's parameters are the endpoint's known ones too: a
/// bad value of one is 400 beside `id` as on the list.
fn known_list_params(call: &Call, list: &ListSpec) -> Result<(), ApiError> {
    resource::parse_list(list, &call.query).map(|_| ())
}

async fn list(call: &Call, e: &Entity) -> Answer {
    list_of(call, &e.list, e.plural, |r| e.decode(r)).await
}

/// A list page of any entity: one round trip, rows shaped by `decode`.
pub async fn list_of(call: &Call, spec: &ListSpec, plural: &str, decode: impl Fn(&Value) -> Value) -> Answer {
    let query = resource::parse_list(spec, &call.query);
    let (_, found) = call.authenticate(|scope| query.as_ref().map(|q| q.stmts(spec, scope)).unwrap_or_default()).await?;
    let query = query?;
    let found = ListReads::rows(&found);
    let page = found.page.iter().map(decode).collect();
    let (data, meta) = query.page(plural, page, found.total);
    Ok(Reply::ok(data).with_meta(meta))
}

/// `GET ?id=`: the record as [`Shown`], in the authentication round trip.
pub async fn get_shown(call: &Call, shown: &Shown) -> Answer {
    let id = id_param(&call.query);
    let (_, found) = call.authenticate(|scope| id.as_ref().map(|id| (shown.reads)(scope, id)).unwrap_or_default()).await?;
    let id = id?;
    known_list_params(call, shown.list)?;
    Ok(Reply::ok((shown.data)(&found, &id)?))
}

/// `If-Match` on a change, part one: when the request carries it, the reads of the record as
/// shown, to add to the change's own reads in the authentication round trip.
pub fn if_match_reads(call: &Call, shown: &Shown, scope: Scope<'_>, id: &str) -> Vec<Stmt> {
    if call.is_conditional() {
        (shown.reads)(scope, id)
    } else {
        vec![]
    }
}

/// Part two: 412 unless the record those reads found still has the tag the client holds.
pub fn check_if_match(call: &Call, shown: &Shown, current: &[Vec<Value>], id: &str) -> Result<(), ApiError> {
    if !call.is_conditional() {
        return Ok(());
    }
    call.check_if_match((shown.data)(current, id).ok())
}

/// Part three: the same condition carried into the write (see `resource::if_match_condition`).
pub fn if_match_condition(call: &Call, table: &str, seen: Option<&Value>, tenant_id: &str, id: &str) -> Option<Stmt> {
    resource::if_match_condition(call.header("if-match"), table, seen, tenant_id, id)
}

/// Whether a write creates a record (201) or changes the one named by `?id=` (200).
#[derive(Clone, Copy)]
pub enum Writing<'a> {
    Create,
    /// A PATCH, conditional on `If-Match` against the record as shown.
    Update(&'a Shown),
}

/// A POST or PATCH: the key check with every read the draft needs (round trip one; with
/// `If-Match`, the record as shown too), the plan, one atomic write (round trip two), its
/// answer, and its events handed to the queue.
pub async fn write<D: Draft, P: Planned>(
    call: &Call,
    writing: Writing<'_>,
    parse: impl FnOnce(&Map<String, Value>) -> D,
    plan: impl FnOnce(D, &[Vec<Value>], &Caller, &str, Option<&str>) -> Result<P, ApiError>,
) -> Answer {
    let id = match writing {
        Writing::Create => Ok(None),
        Writing::Update(_) => id_param(&call.query).map(Some),
    };
    let shown = match writing {
        Writing::Update(shown) => Some(shown),
        Writing::Create => None,
    };
    let draft = call.json_body().map(|body| parse(&body));
    let (caller, [found, current]) = call
        .authenticate_each(|scope| match (&id, &draft) {
            (Ok(id), Ok(d)) => {
                [d.preloads(scope, id.as_deref()), shown.zip(id.as_deref()).map(|(s, id)| if_match_reads(call, s, scope, id)).unwrap_or_default()]
            }
            _ => [vec![], vec![]],
        })
        .await?;
    let (id, draft) = (id?, draft?);
    let mut condition = None;
    if let (Some(shown), Some(id)) = (shown, id.as_deref()) {
        check_if_match(call, shown, &current, id)?;
        condition = if_match_condition(call, shown.table, rows(&current, 0).first(), &caller.tenant_id, id);
    }
    let ignored = draft.ignored();
    let planned = plan(draft, &found, &caller, &call.now().rfc3339(), id.as_deref())?;
    let written = call.write_when(condition, planned.stmts()).await?;
    let answer = planned.answer(&written)?;
    let reply = match writing {
        Writing::Create => Reply::created(answer),
        Writing::Update(_) => Reply::ok(answer),
    };
    Ok(reply.ignoring(ignored))
}

/// A DELETE by `?id=` whose statement `RETURNING id` (404 when nothing was deleted).
pub async fn delete_by(call: &Call, label: &str, plan: impl Fn(&str, &str) -> Stmt) -> Answer {
    let id = id_param(&call.query);
    let (caller, _) = call.authenticate(|_| vec![]).await?;
    let id = id?;
    if rows(&call.write(&[plan(&caller.tenant_id, &id)]).await?, 0).is_empty() {
        return Err(ApiError::not_found(label, &id).into());
    }
    Ok(deleted(&id))
}

fn deleted(id: &str) -> Reply {
    Reply::ok(serde_json::json!({ "id": id, "deleted": true }))
}

async fn create(call: &Call, e: &Entity) -> Answer {
    let draft = call.json_body().map(|body| e.parse_create(&body));
    let (caller, found) = call.authenticate(|scope| draft.as_ref().map(|d| e.preloads(d, scope, None)).unwrap_or_default()).await?;
    let draft = draft?;
    let ignored = draft.ignored.clone();
    let values = e.check(draft, &found, None)?;
    let stmts = e.plan_create(values.clone(), &caller.tenant_id, &call.now().rfc3339(), new_id(), new_id());
    let written = call.write(&stmts).await?;
    let answer = e.written(rows(&written, 0), Some(&values))?;
    Ok(Reply::created(answer).ignoring(ignored))
}

async fn patch(call: &Call, e: &Entity) -> Answer {
    let id = id_param(&call.query);
    let draft = call.json_body().map(|body| e.parse_patch(&body));
    let (caller, [found, shown]) = call
        .authenticate_each(|scope| match (&id, &draft) {
            (Ok(id), Ok(d)) => [e.preloads(d, scope, Some(id)), call.is_conditional().then(|| e.get(scope, id)).into_iter().collect()],
            _ => [vec![], vec![]],
        })
        .await?;
    let (id, draft) = (id?, draft?);
    let mut condition = None;
    if call.is_conditional() {
        let current = shown.into_iter().next().unwrap_or_default();
        call.check_if_match(e.found(&current, &id).ok())?;
        condition = if_match_condition(call, e.table, current.first(), &caller.tenant_id, &id);
    }
    let ignored = draft.ignored.clone();
    let values = e.check(draft, &found, Some(&id))?;
    let stmts = e.plan_update(values, &caller.tenant_id, &call.now().rfc3339(), &id, new_id());
    let written = call.write_when(condition, &stmts).await?;
    let answer = e.written(rows(&written, 0), None)?;
    Ok(Reply::ok(answer).ignoring(ignored))
}

async fn delete(call: &Call, e: &Entity) -> Answer {
    let id = id_param(&call.query);
    let (caller, found) = call.authenticate(|scope| id.as_ref().map(|id| e.delete_preloads(scope, id)).unwrap_or_default()).await?;
    let id = id?;
    let stmt = e.plan_delete(&found, &caller.tenant_id, &id)?;
    if rows(&call.write(&[stmt]).await?, 0).is_empty() {
        return Err(ApiError::not_found(e.label, &id).into());
    }
    Ok(deleted(&id))
}

/// A whole catalog worker: `eryxon_edge::catalog_worker!("api-cells", eryxon_domain::entities::catalog::CELLS);`
#[macro_export]
macro_rules! catalog_worker {
    ($function:literal, $entity:path) => {
        async fn route(call: &$crate::Call) -> $crate::Answer {
            $crate::catalog::serve(call, &$entity).await
        }
        $crate::function!($function, route);
    };
}
