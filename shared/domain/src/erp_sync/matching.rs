//! Matching sync records to what the database holds, and deciding what to write.

use super::parse::{CellRef, Parent, Rec, SyncRequest};
use super::specs::{Level, Spec};
use crate::account::plans::Quota;
use crate::delivery::events::Event;
use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::sql::Param;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// What the first round trip found, by level, indexed (a bulk sync matches thousands).
struct Existing<'a> {
    rows: HashMap<Level, &'a [Value]>,
    by_key: HashMap<(Level, &'a str, &'a str), &'a Value>,
    by_id: HashMap<(Level, &'a str), &'a Value>,
    /// By parent id (empty for none) and natural key as [`natural_text`] writes it.
    by_natural: HashMap<(Level, String, String), &'a Value>,
}

impl<'a> Existing<'a> {
    fn new(rows: HashMap<Level, &'a [Value]>) -> Existing<'a> {
        let mut e = Existing { rows, by_key: HashMap::new(), by_id: HashMap::new(), by_natural: HashMap::new() };
        for (&level, list) in &e.rows {
            let spec = Spec::of(level);
            for r in list.iter() {
                if let (Some(s), Some(x)) = (r["external_source"].as_str(), r["external_id"].as_str()) {
                    e.by_key.insert((level, s, x), r);
                }
                if let Some(id) = r["id"].as_str() {
                    e.by_id.insert((level, id), r);
                }
                let parent = spec.parent.and_then(|c| r[c].as_str()).unwrap_or_default().to_string();
                if let Some(n) = param_of(&r[spec.natural]) {
                    e.by_natural.insert((level, parent, natural_text(level, &n)), r);
                }
            }
        }
        e
    }

    fn by_key(&self, level: Level, source: &str, ext: &str) -> Option<&'a Value> {
        self.by_key.get(&(level, source, ext)).copied()
    }

    fn by_id(&self, level: Level, id: &str) -> Option<&'a Value> {
        self.by_id.get(&(level, id)).copied()
    }

    /// A record of `level` in `parent` (if the level has one) whose natural key is `natural`.
    fn by_natural(&self, spec: &Spec, parent: Option<&str>, natural: &Param) -> Option<&'a Value> {
        let parent = if spec.parent.is_some() { parent.unwrap_or_default() } else { "" };
        self.by_natural.get(&(spec.level, parent.to_string(), natural_text(spec.level, natural))).copied()
    }
}

/// The decision: rows to insert and update per level, new cells, events, and each item's answer.
#[derive(Default)]
pub struct Outcome {
    inserts: HashMap<Level, Vec<Value>>,
    updates: HashMap<Level, Vec<Value>>,
    pub new_cells: HashMap<String, Value>,
    pub events: Vec<Value>,
    pub results: Vec<Value>,
    pub created_jobs: i64,
    pub created_parts: i64,
    pub errors: usize,
}

impl Outcome {
    pub fn rows(&self, level: Level) -> (&[Value], &[Value]) {
        fn get(m: &HashMap<Level, Vec<Value>>, level: Level) -> &[Value] {
            m.get(&level).map(Vec::as_slice).unwrap_or(&[])
        }
        (get(&self.inserts, level), get(&self.updates, level))
    }

    pub fn within(&self, quota: &Quota) -> Result<(), ApiError> {
        quota.check(self.created_jobs, self.created_parts)
    }

    /// The same quota as a condition of the write itself, so that parallel syncs cannot
    /// together overshoot what each one checked with [`Outcome::within`].
    pub fn quota_held(&self, quota: &Quota, tenant_id: &str) -> Option<crate::protocol::sql::Stmt> {
        quota.held(tenant_id, self.created_jobs, self.created_parts)
    }

    /// Whether anything is to be written.
    pub fn writes(&self) -> bool {
        self.inserts.values().chain(self.updates.values()).any(|v| !v.is_empty())
    }

    /// Counts of item outcomes.
    pub fn summary(&self) -> Value {
        let count = |s: &str| self.results.iter().filter(|r| r["status"] == s).count();
        json!({ "created": count("created"), "updated": count("updated"), "unchanged": count("unchanged"), "error": count("error") })
    }
}

/// One item's writes, kept apart until the whole item is known to be valid.
#[derive(Default)]
struct Draft {
    inserts: Vec<(Level, Value)>,
    updates: Vec<(Level, Value)>,
    cells: HashMap<String, Value>,
    events: Vec<Value>,
    records: Vec<Value>,
    // Sets, so that an item of thousands of records is checked in linear time.
    keys: HashSet<(Level, String, String)>,
    naturals: HashSet<(Level, String, String)>,
    errors: Vec<FieldError>,
    created_jobs: i64,
    created_parts: i64,
}

/// Matches every item's records and decides what to write. `found` is what [`super::reads`]
/// returned: cells, jobs, parts, operations.
pub fn classify(req: &SyncRequest, found: &[Vec<Value>], tenant_id: &str, now: &str, mint: &mut dyn FnMut() -> String) -> Outcome {
    let empty: &[Value] = &[];
    let at = |i: usize| found.get(i).map(Vec::as_slice).unwrap_or(empty);
    let existing = Existing::new(HashMap::from([(Level::Cell, at(0)), (Level::Job, at(1)), (Level::Part, at(2)), (Level::Operation, at(3))]));
    let mut out = Outcome::default();
    let mut claimed_keys: HashSet<(Level, String, String)> = HashSet::new();
    let mut claimed_naturals: HashSet<(Level, String, String)> = HashSet::new();
    let mut resolved: HashMap<usize, String> = HashMap::new();
    let mut new_cells: HashMap<String, Value> = HashMap::new();
    for item in &req.items {
        let mut d = Draft { errors: item.errors.clone(), ..Draft::default() };
        let mut item_resolved: HashMap<usize, String> = HashMap::new();
        if d.errors.is_empty() {
            for &ri in &item.recs {
                let rec = &req.recs[ri];
                let ctx = Ctx {
                    existing: &existing,
                    claimed_keys: &claimed_keys,
                    claimed_naturals: &claimed_naturals,
                    resolved: &resolved,
                    new_cells: &new_cells,
                    tenant_id,
                    now,
                };
                match ctx.record(rec, &item_resolved, &mut d, mint) {
                    Ok(id) => {
                        item_resolved.insert(ri, id);
                    }
                    Err(e) => {
                        d.errors.push(e);
                        break;
                    }
                }
            }
        }
        let first = item.recs.first().map(|&ri| &req.recs[ri]);
        let mut result = json!({
            "index": out.results.len(),
            "external_source": first.map(|r| r.source.clone()),
            "external_id": first.map(|r| r.external_id.clone()),
        });
        if !d.errors.is_empty() {
            result["status"] = "error".into();
            result["errors"] = json!(d.errors);
            out.errors += 1;
            out.results.push(result);
            continue;
        }
        let root_status = d.records.first().map(|r| r["status"].clone()).unwrap_or(Value::Null);
        let any_change = d.records.iter().any(|r| r["status"] != "unchanged");
        result["status"] = if root_status == "created" {
            "created".into()
        } else if any_change {
            "updated".into()
        } else {
            "unchanged".into()
        };
        result["id"] = d.records.first().map(|r| r["id"].clone()).unwrap_or(Value::Null);
        result["records"] = json!(d.records);
        out.results.push(result);
        for (l, v) in d.inserts {
            out.inserts.entry(l).or_default().push(v);
        }
        for (l, v) in d.updates {
            out.updates.entry(l).or_default().push(v);
        }
        for (name, cell) in d.cells {
            new_cells.entry(name).or_insert(cell);
        }
        out.events.extend(d.events);
        out.created_jobs += d.created_jobs;
        out.created_parts += d.created_parts;
        claimed_keys.extend(d.keys);
        claimed_naturals.extend(d.naturals);
        resolved.extend(item_resolved);
    }
    out.new_cells = new_cells;
    out
}

struct Ctx<'a> {
    existing: &'a Existing<'a>,
    claimed_keys: &'a HashSet<(Level, String, String)>,
    claimed_naturals: &'a HashSet<(Level, String, String)>,
    resolved: &'a HashMap<usize, String>,
    new_cells: &'a HashMap<String, Value>,
    tenant_id: &'a str,
    now: &'a str,
}

impl Ctx<'_> {
    /// Matches one record, adds its writes to the item's draft and returns its id.
    fn record(&self, rec: &Rec, item_resolved: &HashMap<usize, String>, d: &mut Draft, mint: &mut dyn FnMut() -> String) -> Result<String, FieldError> {
        let spec = Spec::of(rec.level);
        let key = (rec.level, rec.source.clone(), rec.external_id.clone());
        if self.claimed_keys.contains(&key) || d.keys.contains(&key) {
            return Err(rec.error(
                "external_id",
                Constraint::UniqueConstraint,
                format!("external_id {} appears twice in this request", rec.external_id),
                json!(rec.external_id),
            ));
        }
        let parent = self.parent(rec, item_resolved)?;
        let by_key = self.existing.by_key(rec.level, &rec.source, &rec.external_id);
        if let (Some(e), Some(col), Some(p)) = (by_key, spec.parent, parent.as_deref()) {
            if e[col] != p {
                return Err(rec.error(
                    col,
                    Constraint::FkConstraint,
                    format!("{} {} belongs to another {}; it cannot move", spec.label, rec.external_id, &col[..col.len() - 3]),
                    json!(p),
                ));
            }
        }
        let natural = rec.values.get(spec.natural).cloned().or_else(|| by_key.and_then(|e| param_of(&e[spec.natural])));
        let holder = natural.as_ref().and_then(|n| self.existing.by_natural(spec, parent.as_deref(), n));
        let current = match (by_key, holder) {
            (Some(e), Some(h)) if h["id"] != e["id"] => return Err(self.clash(rec, spec, h)),
            (Some(e), _) => Some((e, false)),
            (None, Some(h)) if h["external_id"].is_null() => Some((h, true)),
            (None, Some(h)) => return Err(self.clash(rec, spec, h)),
            (None, None) => None,
        };
        if let Some(n) = &natural {
            let nat = (rec.level, parent.clone().unwrap_or_default(), natural_text(rec.level, n));
            if self.claimed_naturals.contains(&nat) || d.naturals.contains(&nat) {
                return Err(rec.error(
                    spec.natural,
                    Constraint::UniqueConstraint,
                    format!("{} {} appears twice in this request", spec.natural, natural_text(rec.level, n)),
                    n.to_json(),
                ));
            }
            d.naturals.insert(nat);
        }
        d.keys.insert(key);
        if current.is_none() {
            if let Some(c) = spec.columns().into_iter().find(|c| c.required && rec.values.get(c.name).is_none()) {
                return Err(rec.error(
                    c.name,
                    Constraint::NotNull,
                    format!("Missing required field: {} (a new {} needs it)", c.name, spec.singular),
                    Value::Null,
                ));
            }
        }
        let (cell_id, cell_name) = self.cell(rec, d, mint)?;
        let id = current.map(|(e, _)| e["id"].as_str().unwrap_or_default().to_string()).unwrap_or_else(&mut *mint);
        let mut row = Map::new();
        let mut changed: Map<String, Value> = Map::new();
        for col in spec.written_columns() {
            let given = match col {
                "job_id" | "part_id" => parent.clone().map(Param::Text),
                "cell_id" => match (&cell_id, &cell_name) {
                    (Some(id), _) => Some(Param::Text(id.clone())),
                    (None, Some(_)) => Some(Param::Null),
                    (None, None) => None,
                },
                _ => rec.values.get(col).cloned(),
            };
            let before = current.map(|(e, _)| e[col].clone());
            let value = match (&given, &before) {
                (Some(p), _) => p.to_json(),
                (None, Some(b)) => b.clone(),
                (None, None) => Value::Null,
            };
            let differs = match (&given, &before) {
                (Some(p), Some(b)) => !same(p, b, false) || (col == "cell_id" && cell_name.is_some() && cell_id.is_none()),
                (Some(p), None) => *p != Param::Null,
                (None, _) => false,
            };
            if differs {
                changed.insert(col.to_string(), value.clone());
            }
            row.insert(col.to_string(), value);
        }
        row.insert("id".into(), json!(id));
        row.insert("external_source".into(), json!(rec.source));
        row.insert("external_id".into(), json!(rec.external_id));
        if let Some(name) = &cell_name {
            row.insert("cell_name".into(), json!(name));
        }
        let status = match current {
            None => "created",
            Some((_, true)) => "updated",
            Some(_) if !changed.is_empty() => "updated",
            Some(_) => "unchanged",
        };
        d.records.push(json!({ "entity": spec.singular, "external_id": rec.external_id, "id": id, "status": status }));
        match status {
            "created" => {
                d.inserts.push((rec.level, Value::Object(row.clone())));
                d.created_jobs += i64::from(rec.level == Level::Job);
                d.created_parts += i64::from(rec.level == Level::Part);
                self.event(spec, true, &id, rec, row, d, mint);
            }
            "updated" => {
                // Only what the item changes is written, so a field another request changed
                // meanwhile is left as it is; `was` holds what those fields were when read, a
                // condition of the write (see `plan`): changed meanwhile, the sync is refused.
                let mut update: Map<String, Value> = row.into_iter().filter(|(k, _)| changed.contains_key(k) || KEPT.contains(&k.as_str())).collect();
                // The ERP identity is always checked: two syncs adopting one record by its natural
                // key at once must not both commit, the second re-keying the first's record.
                let checked = changed.keys().map(String::as_str).chain(["external_source", "external_id"]);
                let was: Map<String, Value> = checked.map(|k| (k.to_string(), current.map(|(e, _)| e[k].clone()).unwrap_or_default())).collect();
                update.insert("was".into(), Value::Object(was));
                d.updates.push((rec.level, Value::Object(update)));
                self.event(spec, false, &id, rec, changed, d, mint);
            }
            _ => {}
        }
        Ok(id)
    }

    fn clash(&self, rec: &Rec, spec: &Spec, holder: &Value) -> FieldError {
        let natural = &holder[spec.natural];
        let shown = natural.as_str().map(str::to_string).unwrap_or_else(|| natural.to_string());
        let message = match holder["external_id"].as_str() {
            Some(other) => format!("{} {shown} already exists with external_id {other}", spec.natural),
            None => format!("{} {shown} already exists", spec.natural),
        };
        rec.error(spec.natural, Constraint::UniqueConstraint, message, natural.clone())
    }

    /// The parent's id: nested in this item, by id, or by external id (in the database or
    /// made by an earlier item of this request).
    fn parent(&self, rec: &Rec, item_resolved: &HashMap<usize, String>) -> Result<Option<String>, FieldError> {
        let Some(col) = Spec::of(rec.level).parent else { return Ok(None) };
        let parent_level = if rec.level == Level::Part { Level::Job } else { Level::Part };
        let (field, missing) = match &rec.parent {
            Parent::None => return Ok(None),
            Parent::Nested(i) => {
                let found = item_resolved.get(i).or_else(|| self.resolved.get(i)).cloned();
                return Ok(found);
            }
            Parent::Id(id) => match self.existing.by_id(parent_level, id) {
                Some(_) => return Ok(Some(id.clone())),
                None => (col.to_string(), id.clone()),
            },
            Parent::External(source, ext) => match self.existing.by_key(parent_level, source, ext) {
                Some(p) => return Ok(p["id"].as_str().map(str::to_string)),
                None => (format!("{}_external_id", &col[..col.len() - 3]), ext.clone()),
            },
        };
        Err(rec.error(&field, Constraint::FkConstraint, format!("Foreign key {field} references non-existent record: {missing}"), json!(missing)))
    }

    /// An operation's cell: an existing id, or a name (an existing cell, or one this write makes).
    fn cell(&self, rec: &Rec, d: &mut Draft, mint: &mut dyn FnMut() -> String) -> Result<(Option<String>, Option<String>), FieldError> {
        match &rec.cell {
            CellRef::None => Ok((None, None)),
            CellRef::Id(id) => match self.existing.by_id(Level::Cell, id) {
                Some(_) => Ok((Some(id.clone()), None)),
                None => Err(rec.error("cell_id", Constraint::FkConstraint, format!("Foreign key cell_id references non-existent record: {id}"), json!(id))),
            },
            CellRef::Name(name) => {
                let lower = crate::entities::catalog::cell_name_key(name);
                if let Some(c) = self.existing.by_natural(&super::specs::CELL, None, &Param::Text(name.clone())) {
                    return Ok((c["id"].as_str().map(str::to_string), None));
                }
                if !self.new_cells.contains_key(&lower) && !d.cells.contains_key(&lower) {
                    d.cells.insert(lower, json!({ "id": mint(), "name": name }));
                }
                Ok((None, Some(name.clone())))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn event(&self, spec: &Spec, created: bool, id: &str, rec: &Rec, fields: Map<String, Value>, d: &mut Draft, mint: &mut dyn FnMut() -> String) {
        let Some((on_create, on_update)) = spec.events else { return };
        let mut data = Map::new();
        data.insert(format!("{}_id", spec.singular), json!(id));
        data.insert("external_source".into(), json!(rec.source));
        data.insert("external_id".into(), json!(rec.external_id));
        for (k, v) in fields {
            if !matches!(k.as_str(), "id" | "external_source" | "external_id" | "cell_name") {
                data.insert(k, json_column(v));
            }
        }
        let event = Event {
            id: mint(),
            event_type: if created { on_create } else { on_update },
            tenant_id: self.tenant_id.to_string(),
            timestamp: self.now.to_string(),
            data: Value::Object(data),
        };
        d.events.push(json!({ "id": event.id, "event_type": event.event_type.as_str(), "payload": event.payload().to_string() }));
    }
}

/// Whether a given value equals what the database holds (numbers by value, JSON text by
/// content, names without regard to ASCII case where the column ignores it).
fn same(given: &Param, held: &Value, nocase: bool) -> bool {
    match (given, held) {
        (Param::Null, Value::Null) => true,
        (Param::Int(i), Value::Number(n)) => n.as_f64() == Some(*i as f64),
        (Param::Real(f), Value::Number(n)) => n.as_f64() == Some(*f),
        (Param::Text(a), Value::String(b)) if a == b => true,
        (Param::Text(a), Value::String(b)) if nocase => a.eq_ignore_ascii_case(b),
        (Param::Text(a), Value::String(b)) if a.starts_with('{') => serde_json::from_str::<Value>(a).ok() == serde_json::from_str::<Value>(b).ok(),
        _ => false,
    }
}

fn param_of(v: &Value) -> Option<Param> {
    match v {
        Value::String(s) => Some(Param::Text(s.clone())),
        Value::Number(n) => n.as_i64().map(Param::Int).or(n.as_f64().map(Param::Real)),
        _ => None,
    }
}

/// What an update row always carries beside the changed columns: the record, its ERP identity
/// (an adopted record takes it on), and the name of a cell the write creates.
const KEPT: &[&str] = &["id", "external_source", "external_id", "cell_name"];

/// A natural key as compared: cell names ignore ASCII case (the column's NOCASE), the others not.
fn natural_text(level: Level, p: &Param) -> String {
    match p {
        Param::Text(s) if level == Level::Cell => crate::entities::catalog::cell_name_key(s),
        Param::Text(s) => s.clone(),
        other => other.to_json().to_string(),
    }
}

/// JSON columns (metadata) hold JSON text; events show them as JSON.
fn json_column(v: Value) -> Value {
    match &v {
        Value::String(s) if s.starts_with('{') => serde_json::from_str(s).unwrap_or(v),
        _ => v,
    }
}
