//! Catalog entities (cells, materials, operators, substeps): a declarative spec, and the
//! plans of their list, get, create, PATCH and DELETE. Each request is the authentication
//! round trip with its reads, then at most one atomic write.

use crate::delivery::events::{Event, EventType};
use crate::protocol::error::{ApiError, FieldError};
use crate::protocol::fields::Reader;
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::resource::{self, Column, ListSpec, Use, Values};
use serde_json::{json, Map, Value};

/// Which write an event hook is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Create,
    Update,
}

pub struct Entity {
    /// `data.<singular>` of single answers, and message wording.
    pub singular: &'static str,
    /// `data.<plural>` of lists.
    pub plural: &'static str,
    pub label: &'static str,
    pub table: &'static str,
    pub columns: &'static [Column],
    pub list: ListSpec,
    /// Columns returned (bare names, for `RETURNING` and single reads).
    pub returning: &'static str,
    pub bool_cols: &'static [&'static str],
    /// A column unique per tenant, with the column that scopes it further (if any): a clash is 409.
    pub unique: Option<(&'static str, Option<&'static str>)>,
    /// Reads that find uses of a record (`?2` is its id); any row refuses its DELETE with 409.
    pub uses: &'static [(&'static str, &'static str)],
    /// Adjusts what a write sets (stamps such as `completed_at`).
    pub on_write: Option<fn(Write, &mut Values, &str)>,
    /// The event a write emits, if any.
    pub event: Option<fn(Write, &Values) -> Option<EventType>>,
    /// Rows an API key may not change or delete: a condition (SQL on the row) every write
    /// needs, and why a row that fails it is refused.
    pub guard: Option<Guard>,
}

/// See [`Entity::guard`].
pub struct Guard {
    pub sql: &'static str,
    pub reason: &'static str,
}

crate::read_set!(
    /// Round trip one of a create or PATCH: the current row (PATCH), which of the body's
    /// references exist, and a record holding its unique value.
    pub struct Reads { current, refs, clash }
);

crate::read_set!(
    /// Round trip one of a DELETE: the record and whether the guard refuses it; the reads of
    /// its uses follow, one per [`Entity::uses`].
    pub struct DeleteReads { record, refused }
);

/// A parsed body, with what was wrong with it so far.
pub struct Draft {
    values: Values,
    errors: Vec<FieldError>,
    pub ignored: Vec<String>,
}

impl Entity {
    pub fn decode(&self, row: &Value) -> Value {
        resource::decode(row, &["metadata"], self.bool_cols)
    }

    /// One record, read in the authentication round trip.
    pub fn get(&self, scope: Scope<'_>, id: &str) -> Stmt {
        Stmt::scoped(scope, &format!("SELECT {} FROM {} WHERE tenant_id = {{tenant}} AND id = ?2", self.returning, self.table), vec![id.into()])
    }

    pub fn found(&self, rows: &[Value], id: &str) -> Result<Value, ApiError> {
        rows.first().map(|r| json!({ self.singular: self.decode(r) })).ok_or_else(|| ApiError::not_found(self.label, id))
    }

    pub fn parse_create(&self, body: &Map<String, Value>) -> Draft {
        let r = Reader::root(body, self.singular);
        let mut errors = vec![];
        let values = resource::parse_create(&r, self.columns, Use::Create, self.singular, 0, &mut errors);
        Draft { values, errors, ignored: resource::ignored(&r, self.columns, Use::Create, &[]) }
    }

    pub fn parse_patch(&self, body: &Map<String, Value>) -> Draft {
        let r = Reader::root(body, self.singular);
        let mut errors = vec![];
        let values = resource::parse_patch(&r, self.columns, Use::Patch, self.singular, &mut errors);
        Draft { values, errors, ignored: resource::ignored(&r, self.columns, Use::Patch, &[]) }
    }

    /// Reads for a create (`id` None) or a PATCH: the current row, the references, a clash.
    pub fn preloads(&self, draft: &Draft, scope: Scope<'_>, id: Option<&str>) -> Vec<Stmt> {
        let current = match id {
            Some(id) => self.get(scope, id),
            None => Stmt::nothing(scope),
        };
        Reads { current, refs: resource::check_refs(scope, &draft.values.refs), clash: self.clash(draft, scope, id) }.stmts()
    }

    fn clash(&self, draft: &Draft, scope: Scope<'_>, id: Option<&str>) -> Stmt {
        let none = || Stmt::nothing(scope);
        let Some((col, within)) = self.unique else { return none() };
        let Some(value) = draft.values.get(col).cloned() else { return none() };
        let mut sql = format!("SELECT id FROM {} WHERE tenant_id = {{tenant}} AND {col} = ?2 AND id IS NOT ?3", self.table);
        let mut params = vec![value, id.map(Param::from).unwrap_or(Param::Null)];
        if let Some(w) = within {
            match draft.values.get(w) {
                Some(p) => {
                    sql.push_str(&format!(" AND {w} = ?4"));
                    params.push(p.clone());
                }
                // A PATCH that does not move the record keeps it within its current scope.
                None => sql.push_str(&format!(" AND {w} = (SELECT {w} FROM {} WHERE id = ?3)", self.table)),
            }
        }
        Stmt::scoped(scope, &sql, params)
    }

    /// 422 with every error, 404 for a PATCH of no record, 409 for a clash.
    pub fn check(&self, draft: Draft, found: &[Vec<Value>], id: Option<&str>) -> Result<Values, ApiError> {
        let found = Reads::rows(found);
        if let Some(id) = id {
            if found.current.is_empty() {
                return Err(ApiError::not_found(self.label, id));
            }
        }
        let mut errors = draft.errors;
        errors.extend(resource::missing_refs(&draft.values.refs, found.refs));
        if !errors.is_empty() {
            return Err(ApiError::validation(self.singular, errors));
        }
        if id.is_some() && draft.values.sets.is_empty() {
            return Err(ApiError::nothing_to_update(self.singular));
        }
        if !found.clash.is_empty() {
            return Err(self.duplicate(&draft.values));
        }
        Ok(draft.values)
    }

    fn duplicate(&self, values: &Values) -> ApiError {
        let (col, _) = self.unique.unwrap_or(("id", None));
        let shown = values.shown().get(col).cloned().unwrap_or(Value::Null);
        ApiError::conflict(format!("{} with {col} {shown} already exists", self.label))
    }

    /// The insert (and its event): `RETURNING` the new row; no row back means a clash (409).
    pub fn plan_create(&self, mut values: Values, tenant_id: &str, now: &str, id: String, event_id: String) -> Vec<Stmt> {
        if let Some(hook) = self.on_write {
            hook(Write::Create, &mut values, now);
        }
        let mut sets: Vec<(&'static str, Param)> = vec![("id", id.clone().into()), ("tenant_id", tenant_id.into())];
        sets.extend(values.sets.iter().cloned());
        sets.push(("created_at", now.into()));
        sets.push(("updated_at", now.into()));
        let mut stmts = vec![resource::insert(self.table, &sets, self.returning)];
        stmts.extend(self.event_stmt(Write::Create, &values, tenant_id, now, &id, event_id, "EXISTS (SELECT 1 FROM {t} WHERE id = ?6)"));
        stmts
    }

    /// The update (and its event): `RETURNING` the row.
    pub fn plan_update(&self, mut values: Values, tenant_id: &str, now: &str, id: &str, event_id: String) -> Vec<Stmt> {
        if let Some(hook) = self.on_write {
            hook(Write::Update, &mut values, now);
        }
        let mut sets = values.sets.clone();
        sets.push(("updated_at", now.into()));
        let mut update = resource::update(self.table, id, tenant_id, &sets, None, self.returning);
        if let Some(g) = &self.guard {
            update.sql = update.sql.replace(" RETURNING ", &format!(" AND {} RETURNING ", g.sql));
        }
        let mut stmts = vec![update];
        stmts.extend(self.event_stmt(Write::Update, &values, tenant_id, now, id, event_id, "changes() = 1"));
        stmts
    }

    #[allow(clippy::too_many_arguments)]
    fn event_stmt(&self, w: Write, values: &Values, tenant_id: &str, now: &str, id: &str, event_id: String, guard: &str) -> Option<Stmt> {
        let event_type = self.event.and_then(|f| f(w, values))?;
        let mut data = Map::new();
        data.insert(format!("{}_id", self.singular), json!(id));
        data.extend(values.shown());
        let event = Event { id: event_id, event_type, tenant_id: tenant_id.into(), timestamp: now.into(), data: Value::Object(data) };
        let guard = guard.replace("{t}", self.table);
        let params = if guard.contains("?6") { vec![id.into()] } else { vec![] };
        Some(event.insert_when(&guard, params))
    }

    /// The answer to a write: the returned row, or 409 when a clash stopped the insert.
    pub fn written(&self, rows: &[Value], values_for_message: Option<&Values>) -> Result<Value, ApiError> {
        match rows.first() {
            Some(row) => Ok(json!({ self.singular: self.decode(row) })),
            None => Err(values_for_message.map_or_else(
                || match &self.guard {
                    Some(g) => ApiError::conflict(format!("The {} was not changed: {}, or it changed while this request ran", self.singular, g.reason)),
                    None => ApiError::conflict(format!("The {} changed while this request ran; retry", self.singular)),
                },
                |v| self.duplicate(v),
            )),
        }
    }

    /// Reads before a DELETE: the record, whether the guard refuses it, and each of its uses.
    pub fn delete_preloads(&self, scope: Scope<'_>, id: &str) -> Vec<Stmt> {
        let refused = match &self.guard {
            Some(g) => {
                Stmt::scoped(scope, &format!("SELECT 1 FROM {} WHERE tenant_id = {{tenant}} AND id = ?2 AND NOT ({})", self.table, g.sql), vec![id.into()])
            }
            None => Stmt::nothing(scope),
        };
        let mut stmts = DeleteReads { record: self.get(scope, id), refused }.stmts();
        stmts.extend(self.uses.iter().map(|(_, sql)| Stmt::scoped(scope, sql, vec![id.into()])));
        stmts
    }

    /// 404 for no record, 409 naming what still uses it, else the delete.
    pub fn plan_delete(&self, found: &[Vec<Value>], tenant_id: &str, id: &str) -> Result<Stmt, ApiError> {
        let (found, uses) = DeleteReads::split(found);
        if found.record.is_empty() {
            return Err(ApiError::not_found(self.label, id));
        }
        if let (Some(g), false) = (&self.guard, found.refused.is_empty()) {
            return Err(ApiError::new(crate::protocol::error::ErrorCode::Forbidden, format!("{} {id} cannot be deleted: {}", self.label, g.reason)));
        }
        let used: Vec<&str> = self.uses.iter().zip(uses).filter(|(_, rows)| !rows.is_empty()).map(|((what, _), _)| *what).collect();
        if !used.is_empty() {
            return Err(ApiError::conflict(format!("{} {id} is still used by {}; reassign those first", self.label, used.join(" and "))));
        }
        Ok(resource::delete(self.table, tenant_id, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{Filter, FilterKind, Kind};

    const THINGS: Entity = Entity {
        singular: "thing",
        plural: "things",
        label: "Thing",
        table: "things",
        columns: &[Column::new("name", Kind::Text(1, 255)).required(), Column::new("cell_id", Kind::Ref("cells"))],
        list: ListSpec {
            from: "things t",
            tenant: "t.tenant_id",
            id: "t.id",
            columns: "t.id, t.name",
            filters: &[Filter { param: "name", clause: "t.name = #", kind: FilterKind::Exact }],
            sorts: &[("name", "t.name")],
            default_desc: false,
        },
        returning: "id, name, cell_id, done",
        bool_cols: &["done"],
        unique: Some(("name", None)),
        uses: &[("widgets", "SELECT 1 FROM widgets WHERE tenant_id = {tenant} AND thing_id = ?2 LIMIT 1")],
        on_write: None,
        event: Some(|w, _| (w == Write::Create).then_some(EventType::StepAdded)),
        guard: None,
    };

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn create_checks_refs_then_clashes() {
        let d = THINGS.parse_create(&body(json!({"name": "A", "cell_id": "c1"})));
        let pre = THINGS.preloads(&d, Scope::KeyHash("h"), None);
        assert_eq!(pre.len(), 3);
        assert!(pre[2].sql.contains("name = ?2 AND id IS NOT ?3"));
        let e = THINGS.check(d, &[vec![], vec![], vec![]], None).unwrap_err();
        assert_eq!(e.details.unwrap()[0]["constraint"], "FK_CONSTRAINT");
        let d = THINGS.parse_create(&body(json!({"name": "A"})));
        let e = THINGS.check(d, &[vec![], vec![], vec![json!({"id": "x"})]], None).unwrap_err();
        assert_eq!((e.status(), e.message.as_str()), (409, "Thing with name \"A\" already exists"));
    }

    #[test]
    fn create_plans_the_insert_and_its_event() {
        let d = THINGS.parse_create(&body(json!({"name": "A"})));
        let v = THINGS.check(d, &[vec![], vec![], vec![]], None).unwrap();
        let s = THINGS.plan_create(v, "t", "now", "id1".into(), "e1".into());
        assert!(s[0].sql.starts_with("INSERT INTO things (id, tenant_id, name, created_at, updated_at)"));
        assert!(s[1].sql.contains("INSERT INTO events"));
        assert!(s[1].sql.ends_with("WHERE EXISTS (SELECT 1 FROM things WHERE id = ?6)"));
    }

    #[test]
    fn patch_of_nothing_or_of_a_missing_record() {
        let d = THINGS.parse_patch(&body(json!({"colour": 1})));
        assert_eq!(d.ignored, vec!["colour".to_string()]);
        assert_eq!(THINGS.check(d, &[vec![json!({"id": "x"})], vec![], vec![]], Some("x")).unwrap_err().status(), 422);
        let d = THINGS.parse_patch(&body(json!({"name": "B"})));
        assert_eq!(THINGS.check(d, &[vec![], vec![], vec![]], Some("x")).unwrap_err().status(), 404);
    }

    #[test]
    fn delete_is_refused_while_used() {
        let e = THINGS.plan_delete(&[vec![json!({"id": "x"})], vec![], vec![json!({"1": 1})]], "t", "x").unwrap_err();
        assert_eq!(e.status(), 409);
        assert!(e.message.contains("still used by widgets"));
        assert!(THINGS.plan_delete(&[vec![json!({"id": "x"})], vec![], vec![]], "t", "x").is_ok());
        assert_eq!(THINGS.plan_delete(&[vec![], vec![], vec![]], "t", "x").unwrap_err().status(), 404);
    }

    #[test]
    fn answers_decode_flags() {
        let v = THINGS.written(&[json!({"id": "x", "done": 1})], None).unwrap();
        assert_eq!(v["thing"]["done"], true);
        assert_eq!(THINGS.written(&[], None).unwrap_err().status(), 409);
    }
}
