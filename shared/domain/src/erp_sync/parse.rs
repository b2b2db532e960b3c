//! Reading sync bodies: one item (`PUT .../sync`) or `{"items": [...]}` (`POST .../bulk-sync`),
//! each item flattened into records, parents before children, with what each references.

use super::specs::{Level, Spec};
use super::{DEFAULT_SOURCE, EXTERNAL_ID, EXTERNAL_SOURCE, MAX_ITEMS};
use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::fields::{self, Reader};
use crate::resource::{self, Column, Use, Values};
use serde_json::{json, Map, Value};

/// Which endpoint: the level of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    Cells,
    Jobs,
    Parts,
    Operations,
}

impl Root {
    /// The root whose `/sync` and `/bulk-sync` a function's paths hold: `api-jobs` -> Jobs.
    pub fn for_function(function: &str) -> Option<Root> {
        [Root::Cells, Root::Jobs, Root::Parts, Root::Operations].into_iter().find(|r| r.function() == function)
    }

    /// The function whose paths it syncs.
    pub fn function(self) -> &'static str {
        match self {
            Root::Cells => "api-cells",
            Root::Jobs => "api-jobs",
            Root::Parts => "api-parts",
            Root::Operations => "api-operations",
        }
    }

    pub fn level(self) -> Level {
        match self {
            Root::Cells => Level::Cell,
            Root::Jobs => Level::Job,
            Root::Parts => Level::Part,
            Root::Operations => Level::Operation,
        }
    }
}

/// Where a record's parent is.
#[derive(Debug, Clone, PartialEq)]
pub enum Parent {
    None,
    /// The record at this index of [`SyncRequest::recs`] (nested in the same item).
    Nested(usize),
    Id(String),
    External(String, String),
}

/// An operation's cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellRef {
    None,
    Id(String),
    Name(String),
}

#[derive(Debug, Clone)]
pub struct Rec {
    pub level: Level,
    pub item: usize,
    pub source: String,
    pub external_id: String,
    pub values: Values,
    pub parent: Parent,
    pub cell: CellRef,
    /// Where it sits in the body (`items[2].parts[0].`), for error paths.
    pub path: String,
    pub entity_index: usize,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub errors: Vec<FieldError>,
    /// Its records' indices in [`SyncRequest::recs`]; the first is the item itself.
    pub recs: Vec<usize>,
}

pub struct SyncRequest {
    pub root: Root,
    pub single: bool,
    pub items: Vec<Item>,
    pub recs: Vec<Rec>,
    pub ignored: Vec<String>,
}

/// A body of `PUT .../sync` (`single`) or `POST .../bulk-sync`.
pub fn parse(root: Root, single: bool, body: &Map<String, Value>) -> Result<SyncRequest, ApiError> {
    let mut req = SyncRequest { root, single, items: vec![], recs: vec![], ignored: vec![] };
    let top = Reader::root(body, Spec::of(root.level()).singular);
    if single {
        req.item(&top, root.level());
        return Ok(req);
    }
    let items = match body.get("items") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_ITEMS => items,
        other => {
            let e = FieldError::new(
                "items",
                Constraint::TypeMismatch,
                format!("items must be an array of 1 to {MAX_ITEMS} records"),
                other.cloned().unwrap_or(Value::Null),
            );
            return Err(ApiError::validation("sync", vec![e]));
        }
    };
    // An item that is not even an object means the client's serializer is broken: the whole
    // request is refused. Objects are then checked and answered one by one.
    let malformed: Vec<FieldError> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| !item.is_object())
        .map(|(i, item)| FieldError::new(format!("items[{i}]"), Constraint::TypeMismatch, "An item must be an object", item.clone()))
        .collect();
    if !malformed.is_empty() {
        return Err(ApiError::validation("sync", malformed));
    }
    req.ignored = top.unknown_keys(&["items"]);
    for (i, obj) in items.iter().filter_map(Value::as_object).enumerate() {
        let r = top.child(obj, "items", i, Spec::of(root.level()).singular);
        req.item(&r, root.level());
    }
    Ok(req)
}

impl SyncRequest {
    /// Reads one item (a record and its nested children).
    fn item(&mut self, r: &Reader<'_>, level: Level) {
        let at = self.items.len();
        self.items.push(Item { errors: vec![], recs: vec![] });
        let mut errs = vec![];
        self.record(r, level, at, Parent::None, None, &mut errs);
        self.items[at].errors = errs;
    }

    fn record(&mut self, r: &Reader<'_>, level: Level, item: usize, parent: Parent, inherited: Option<&str>, errs: &mut Vec<FieldError>) {
        let spec = Spec::of(level);
        let external_id = r.required(errs, &["external_id"], fields::text(EXTERNAL_ID.0, EXTERNAL_ID.1)).unwrap_or_default();
        let source = r
            .optional(errs, &["external_source"], fields::text(EXTERNAL_SOURCE.0, EXTERNAL_SOURCE.1))
            .or(inherited.map(str::to_string))
            .unwrap_or_else(|| DEFAULT_SOURCE.into());
        let columns = spec.columns();
        let values = resource::parse_patch(r, &columns, Use::Sync, spec.singular, errs);
        let mut known: Vec<&str> = resource::known_names(&columns, Use::Sync, &["external_id", "external_source"]);
        let parent = match (level, parent) {
            (Level::Part, Parent::None) => {
                known.extend(["job_id", "job_external_id", "job_external_source"]);
                self.parent_ref(r, "job", &source, errs)
            }
            (Level::Operation, Parent::None) => {
                known.extend(["part_id", "part_external_id", "part_external_source"]);
                self.parent_ref(r, "part", &source, errs)
            }
            (_, p) => p,
        };
        let cell = if level == Level::Operation {
            // The fields the matcher resolves itself, read by their declaration; a cell id is
            // compared with stored ids, so it is read as a UUID (and lower-cased) here.
            let own: Vec<Column> = spec.fields.iter().filter(|c| spec.resolved.contains(&c.name)).map(|c| c.kind_in_sync()).collect();
            let resolved = resource::parse_patch(r, &own, Use::Sync, spec.singular, errs);
            known.extend(spec.resolved);
            match (resolved.text("cell_id"), resolved.unstored_text("cell_name")) {
                (Some(id), _) => CellRef::Id(id.to_string()),
                (None, Some(name)) => CellRef::Name(name.to_string()),
                _ => CellRef::None,
            }
        } else {
            CellRef::None
        };
        let children = match level {
            Level::Job => Some(("parts", Level::Part)),
            Level::Part => Some(("operations", Level::Operation)),
            _ => None,
        };
        known.extend(children.map(|(name, _)| name));
        self.ignored.extend(r.unknown_keys(&known));
        let me = self.recs.len();
        let (_, entity_index) = r.entity();
        self.recs.push(Rec { level, item, source: source.clone(), external_id, values, parent, cell, path: r.path_of(""), entity_index });
        self.items[item].recs.push(me);
        let Some((array, child_level)) = children else { return };
        let Some(list) = r.raw(array) else { return };
        let Value::Array(list) = list else {
            errs.push(r.error(array, Constraint::TypeMismatch, format!("{array} must be an array"), list.clone()));
            return;
        };
        for (i, child) in list.iter().enumerate() {
            match child.as_object() {
                Some(obj) => {
                    let cr = r.child(obj, array, i, Spec::of(child_level).singular);
                    self.record(&cr, child_level, item, Parent::Nested(me), Some(&source), errs);
                }
                None => errs.push(r.error(&format!("{array}[{i}]"), Constraint::TypeMismatch, "must be an object", child.clone())),
            }
        }
    }

    /// A root part's job, or a root operation's part: by id or by external id.
    fn parent_ref(&self, r: &Reader<'_>, parent: &str, source: &str, errs: &mut Vec<FieldError>) -> Parent {
        let id_field: &'static str = if parent == "job" { "job_id" } else { "part_id" };
        let ext_field: &'static str = if parent == "job" { "job_external_id" } else { "part_external_id" };
        let src_field: &'static str = if parent == "job" { "job_external_source" } else { "part_external_source" };
        let before = errs.len();
        let id = r.optional(errs, &[id_field], fields::uuid);
        let ext = r.optional(errs, &[ext_field], fields::text(EXTERNAL_ID.0, EXTERNAL_ID.1));
        let src = r.optional(errs, &[src_field], fields::text(EXTERNAL_SOURCE.0, EXTERNAL_SOURCE.1)).unwrap_or_else(|| source.to_string());
        match (id, ext) {
            (Some(id), _) => Parent::Id(id),
            (None, Some(ext)) => Parent::External(src, ext),
            (None, None) => {
                // Only this record's own errors: a scan of all would be quadratic in a large request.
                if !errs[before..].iter().any(|e| e.field.ends_with(id_field) || e.field.ends_with(ext_field)) {
                    errs.push(r.error(
                        id_field,
                        Constraint::FkRequired,
                        format!("Missing required foreign key: {id_field} or {ext_field} is required"),
                        Value::Null,
                    ));
                }
                Parent::None
            }
        }
    }

    /// `[source, external_id]` pairs the items use at `level`, as records or as parents.
    pub fn keys(&self, level: Level) -> Vec<[String; 2]> {
        let parent_level = |l: Level| match l {
            Level::Part => Some(Level::Job),
            Level::Operation => Some(Level::Part),
            _ => None,
        };
        let mut keys: Vec<[String; 2]> = vec![];
        for r in &self.recs {
            if r.level == level {
                keys.push([r.source.clone(), r.external_id.clone()]);
            }
            if let (Parent::External(s, e), Some(l)) = (&r.parent, parent_level(r.level)) {
                if l == level {
                    keys.push([s.clone(), e.clone()]);
                }
            }
        }
        keys
    }

    /// Natural keys the items name at `level` (job numbers; cell names, operations' too).
    pub fn naturals(&self, level: Level) -> Vec<String> {
        let mut out = vec![];
        for r in &self.recs {
            if r.level == level {
                out.extend(r.values.text(Spec::of(level).natural).map(str::to_string));
            }
            if let (Level::Cell, CellRef::Name(n)) = (level, &r.cell) {
                out.push(n.clone());
            }
        }
        out
    }

    /// Ids the items name at `level` (a root part's `job_id`, an operation's `cell_id`, ...).
    pub fn ids(&self, level: Level) -> Vec<String> {
        let mut out = vec![];
        for r in &self.recs {
            match (&r.parent, r.level, level) {
                (Parent::Id(id), Level::Part, Level::Job) | (Parent::Id(id), Level::Operation, Level::Part) => out.push(id.clone()),
                _ => {}
            }
            if let (Level::Cell, CellRef::Id(id)) = (level, &r.cell) {
                out.push(id.clone());
            }
        }
        out
    }
}

impl Rec {
    /// A field error at this record.
    pub fn error(&self, field: &str, constraint: Constraint, message: impl Into<String>, value: Value) -> FieldError {
        FieldError::new(format!("{}{field}", self.path), constraint, message, value).on(Spec::of(self.level).singular, self.entity_index)
    }

    pub fn key_json(&self) -> Value {
        json!([self.source, self.external_id])
    }
}
