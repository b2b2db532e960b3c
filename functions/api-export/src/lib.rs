//! `api-export` (admin session): `GET ?format=json|csv&entities=...` streams the tenant's data.
//! The first round trip checks the session and reads the tenant; each further one reads a
//! page of one entity, written out before the next is read, so memory stays flat however
//! large the tenant. Once the body has begun, a failed read ends it early: the client sees a
//! truncated document (invalid JSON, or a CSV without its last rows), never a silent gap.

use eryxon_domain::account::plans;
use eryxon_domain::admin::export::{self, Exported, Format};
use eryxon_edge::{rows, Answer, Call, Db, Reply, Streamed};
use futures_util::stream::{self, StreamExt};
use serde_json::{Map, Value};

eryxon_edge::function!("api-export", route);

async fn route(call: &Call) -> Answer {
    let req = export::parse(&call.query);
    let (admin, found) = call.authenticate_admin(|scope| vec![export::tenant_read(scope)]).await?;
    let req = req?;
    let tenant = rows(&found, 0).first().cloned().unwrap_or(Value::Null);
    let file_name = export::file_name(&admin.tenant_id, &plans::day(call.now()), &req);
    let pages = Pages { db: call.open_db()?, request_id: call.request_id.clone(), tenant_id: admin.tenant_id };
    Ok(Reply::streamed(match req.format {
        Format::Csv => Streamed::new("text/csv; charset=utf-8", file_name, pages.csv(req.entities[0])),
        Format::Json => Streamed::new("application/json; charset=utf-8", file_name, pages.json(req.entities, tenant, call.now().rfc3339())),
    }))
}

/// Reads an entity page by page for the tenant.
struct Pages {
    db: Db,
    request_id: String,
    tenant_id: String,
}

/// Where one entity's reading stands.
enum Cursor {
    Start,
    After(Vec<Value>),
    Done,
}

impl Pages {
    /// The next page of `entity` after `cursor`, and the cursor after it.
    async fn next(&self, entity: &'static Exported, cursor: Cursor) -> Result<(Vec<Value>, Cursor), worker::Error> {
        let after = match &cursor {
            Cursor::Done => return Ok((vec![], Cursor::Done)),
            Cursor::Start => None,
            Cursor::After(key) => Some(key.as_slice()),
        };
        let mut found = self.db.batch(&[entity.page(&self.tenant_id, after)], &self.request_id).await.map_err(|e| worker::Error::RustError(e.message))?;
        let page = found.pop().unwrap_or_default();
        let next = match page.last() {
            Some(last) if page.len() as i64 == export::PAGE => Cursor::After(entity.cursor(last)),
            _ => Cursor::Done,
        };
        Ok((page, next))
    }

    /// Every row of one entity as CSV lines, after its header.
    fn csv(self, entity: &'static Exported) -> impl futures_util::Stream<Item = Result<Vec<u8>, worker::Error>> {
        let header = stream::once(async move { Ok(entity.csv_header().into_bytes()) });
        let body = stream::try_unfold((self, Cursor::Start), move |(pages, cursor)| async move {
            if matches!(cursor, Cursor::Done) {
                return Ok(None);
            }
            let (page, next) = pages.next(entity, cursor).await?;
            let text: String = page.iter().map(|r| entity.csv_line(r)).collect();
            Ok(Some((text.into_bytes(), (pages, next))))
        });
        header.chain(body)
    }

    /// The JSON envelope with each entity's rows, and their counts at the end.
    fn json(self, entities: Vec<&'static Exported>, tenant: Value, exported_at: String) -> impl futures_util::Stream<Item = Result<Vec<u8>, worker::Error>> {
        struct State {
            pages: Pages,
            entities: std::vec::IntoIter<&'static Exported>,
            current: Option<(&'static Exported, Cursor, i64)>,
            counts: Map<String, Value>,
            finished: bool,
        }
        let opening = export::json_opening(&tenant, &exported_at);
        let state = State { pages: self, entities: entities.into_iter(), current: None, counts: Map::new(), finished: false };
        let body = stream::try_unfold(state, |mut s| async move {
            if s.finished {
                return Ok(None);
            }
            let Some((entity, cursor, count)) = s.current.take() else {
                return Ok(Some(match s.entities.next() {
                    Some(e) => {
                        s.current = Some((e, Cursor::Start, 0));
                        (export::json_entity_opening(e).into_bytes(), s)
                    }
                    None => {
                        s.finished = true;
                        (export::json_closing(&s.counts).into_bytes(), s)
                    }
                }));
            };
            if matches!(cursor, Cursor::Done) {
                s.counts.insert(entity.name.into(), count.into());
                return Ok(Some((b"]".to_vec(), s)));
            }
            let (page, next) = s.pages.next(entity, cursor).await?;
            let text = export::json_rows(entity, &page, count == 0);
            s.current = Some((entity, next, count + page.len() as i64));
            Ok(Some((text.into_bytes(), s)))
        });
        stream::once(async move { Ok(opening.into_bytes()) }).chain(body)
    }
}
