//! What most entities share, declared once: the columns a body may set, the references
//! (foreign keys) checked inside the authentication round trip, and lists with filters,
//! sorting and pagination. Entity modules declare their specs and add their own rules.

pub mod entity;
pub mod schema;

use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::fields::{self, Patch, Problem, Reader};
use crate::protocol::http::Query;
use crate::protocol::sql::{Param, Scope, Stmt};
use serde_json::{json, Map, Value};

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

/// What a column accepts.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text(usize, usize),
    Integer(i64, i64),
    Number(f64, f64),
    Boolean,
    OneOf(&'static [&'static str], &'static [(&'static str, &'static str)]),
    Date,
    /// A JSON object, stored as its text.
    Object,
    /// An array of strings, stored as its JSON text.
    StringList,
    /// The id of a row of this table in the caller's tenant.
    Ref(&'static str),
    /// A UUID that is not checked against a table here.
    Uuid,
    /// An absolute URL of at most 2048 characters (its host is judged by the caller).
    Url,
    /// Printable ASCII without spaces (a secret), of this many characters.
    Token(usize, usize),
    /// A non-empty array of these values (duplicates dropped), stored as its JSON text.
    Subset(&'static [&'static str]),
}

impl Kind {
    fn convert(self, v: &Value) -> Result<Param, Problem> {
        Ok(match self {
            Kind::Text(min, max) => fields::text(min, max)(v)?.into(),
            Kind::Integer(min, max) => fields::integer(min, max)(v)?.into(),
            Kind::Number(min, max) => fields::number(min, max)(v)?.into(),
            Kind::Boolean => v.as_bool().ok_or_else(|| (Constraint::TypeMismatch, format!("must be a boolean, got {}", fields::type_name(v))))?.into(),
            Kind::OneOf(allowed, aliases) => fields::one_of(allowed, aliases)(v)?.into(),
            Kind::Date => fields::date(v)?.into(),
            Kind::Object => fields::json_object(v)?.into(),
            Kind::StringList => fields::string_list(v)?.into(),
            Kind::Ref(_) => fields::reference(v)?.into(),
            Kind::Uuid => fields::uuid(v)?.into(),
            Kind::Url => fields::text(1, 2048)(v)?.into(),
            Kind::Token(min, max) => fields::token(min, max)(v)?.into(),
            Kind::Subset(allowed) => fields::subset(allowed)(v)?.into(),
        })
    }
}

/// Where a request body may set a column: the endpoint's create, its PATCH, inside a parent's
/// create (a part in a job, an operation in a part), or in an ERP sync item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Create,
    Patch,
    Nested,
    Sync,
}

impl Use {
    const fn bit(self) -> u8 {
        match self {
            Use::Create => 1,
            Use::Patch => 2,
            Use::Nested => 4,
            Use::Sync => 8,
        }
    }
}

/// A field a request body may set: the one declaration its parsing, nested creates, ERP sync,
/// the OpenAPI document and the MCP schemas are all derived from.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    pub required: bool,
    /// Whether the database column is NOT NULL though a body may leave it out (it has a
    /// default): `null` is refused rather than cleared.
    pub not_null: bool,
    /// The [`Use`]s that accept it (a bit each).
    on: u8,
    /// False for a field that is not a column of the table but names one (`cell_name`,
    /// `parent_part_number`): parsed into [`Values::unstored`], never written as given.
    pub stored: bool,
    /// Whether a nested create may leave a required field out (the write supplies it).
    pub defaulted_in_nested: bool,
    /// The values a create may give, where fewer than [`Kind::OneOf`] allows (a new batch is
    /// draft or ready; the lifecycle moves it on).
    pub created_as: Option<&'static [&'static str]>,
    /// What the document says about it beyond its type.
    pub doc: &'static str,
}

impl Column {
    /// Accepted everywhere: create, PATCH, nested and sync.
    pub const fn new(name: &'static str, kind: Kind) -> Column {
        Column { name, aliases: &[], kind, required: false, not_null: false, on: 0b1111, stored: true, defaulted_in_nested: false, created_as: None, doc: "" }
    }
    pub const fn required(mut self) -> Column {
        self.required = true;
        self
    }
    pub const fn not_null(mut self) -> Column {
        self.not_null = true;
        self
    }
    /// Set on create only, never changed by PATCH.
    pub const fn fixed(self) -> Column {
        self.without(Use::Patch)
    }
    /// Not written by ERP sync.
    pub const fn not_synced(self) -> Column {
        self.without(Use::Sync)
    }
    /// Not in a nested create.
    pub const fn not_nested(self) -> Column {
        self.without(Use::Nested)
    }
    /// The parent reference (`job_id` of a part): set by the endpoint's own create only, as a
    /// nested create and a sync name the parent their own way.
    pub const fn parent(self) -> Column {
        self.fixed().not_synced().not_nested()
    }
    pub const fn without(mut self, u: Use) -> Column {
        self.on &= !u.bit();
        self
    }
    pub const fn unstored(mut self) -> Column {
        self.stored = false;
        self
    }
    pub const fn defaulted_in_nested(mut self) -> Column {
        self.defaulted_in_nested = true;
        self
    }
    pub const fn alias(mut self, aliases: &'static [&'static str]) -> Column {
        self.aliases = aliases;
        self
    }
    pub const fn created_as(mut self, values: &'static [&'static str]) -> Column {
        self.created_as = Some(values);
        self
    }
    pub const fn doc(mut self, doc: &'static str) -> Column {
        self.doc = doc;
        self
    }
    pub const fn accepts(&self, u: Use) -> bool {
        self.on & u.bit() != 0
    }
    /// Whether a body of this use must give it.
    pub fn required_in(&self, u: Use) -> bool {
        self.required && !(u == Use::Nested && self.defaulted_in_nested) && u != Use::Patch
    }
    /// Whether a PATCH or a sync may not clear it.
    pub fn unclearable(&self) -> bool {
        self.required || self.not_null
    }
    /// The field's name and its aliases.
    pub fn names(&self) -> Vec<&'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied()).collect()
    }
}

/// The columns of `cols` a body of use `u` may set.
pub fn accepted(cols: &[Column], u: Use) -> impl Iterator<Item = &Column> {
    cols.iter().filter(move |c| c.accepts(u))
}

/// A record as its GET answers it: the reads, and the `data` they make. The GET answers with
/// it and a PATCH checks `If-Match` against it, so both see the same representation.
pub struct Shown {
    /// The record's table (with `id`, `tenant_id` and `updated_at`), for [`still_as_read`].
    pub table: &'static str,
    /// The endpoint's list: its parameters are checked beside `?id=` too.
    pub list: &'static ListSpec,
    pub reads: fn(Scope<'_>, &str) -> Vec<Stmt>,
    pub data: fn(&[Vec<Value>], &str) -> Result<Value, ApiError>,
}

/// `If-Match` (the header, if sent) carried into the write, so that of two changes holding one
/// tag only the first commits: the condition that the row of `table` is still as round trip
/// one read it (`seen`). None without `If-Match`, or when it lists `*` (any version meets it).
pub fn if_match_condition(if_match: Option<&str>, table: &str, seen: Option<&Value>, tenant_id: &str, id: &str) -> Option<Stmt> {
    if if_match.is_none_or(crate::protocol::http::lists_any) {
        return None;
    }
    still_as_read(table, seen, tenant_id, id)
}

/// The `If-Match` condition on a row of `table` as round trip one read it (`seen`, with its
/// `updated_at`); none when it was not found (the write then answers 404 itself).
pub fn still_as_read(table: &str, seen: Option<&Value>, tenant_id: &str, id: &str) -> Option<Stmt> {
    let seen = seen?.get("updated_at")?.as_str()?;
    let holds = format!("EXISTS (SELECT 1 FROM {table} WHERE id = ?1 AND tenant_id = ?2 AND updated_at = ?3)");
    Some(crate::protocol::sql::Condition::IfMatch.unless(&holds, vec![id.into(), tenant_id.into(), seen.into()]))
}

/// `{key: shape(row)}` of the one row the first read found, or 404 naming `label`: the `data`
/// of a [`Shown`] whose GET reads one row.
pub fn one_row(found: &[Vec<Value>], id: &str, label: &str, key: &str, shape: fn(&Value) -> Value) -> Result<Value, ApiError> {
    let row = at(found, 0).first().ok_or_else(|| ApiError::not_found(label, id))?;
    Ok(json!({ key: shape(row) }))
}

/// The rows of the `i`th read of a round trip (none when it is missing).
pub fn at(found: &[Vec<Value>], i: usize) -> &[Value] {
    found.get(i).map_or(&[], Vec::as_slice)
}

/// A reference a body makes, checked against its table within the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub path: String,
    pub name: &'static str,
    pub table: &'static str,
    pub id: String,
    pub entity: &'static str,
    pub index: usize,
}

/// The values a body sets, and the references among them.
#[derive(Debug, Default, Clone)]
pub struct Values {
    pub sets: Vec<(&'static str, Param)>,
    pub refs: Vec<Ref>,
    /// Fields that name a column rather than being one ([`Column::stored`]).
    pub unstored: Vec<(&'static str, Param)>,
    /// The columns among `sets` that hold JSON text.
    pub(crate) json: Vec<&'static str>,
}

impl Values {
    pub fn get(&self, col: &str) -> Option<&Param> {
        self.sets.iter().find(|(c, _)| *c == col).map(|(_, p)| p)
    }

    pub fn text(&self, col: &str) -> Option<&str> {
        match self.get(col) {
            Some(Param::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// An unstored field's text (`cell_name`, `parent_part_number`).
    pub fn unstored_text(&self, name: &str) -> Option<&str> {
        match self.unstored.iter().find(|(n, _)| *n == name) {
            Some((_, Param::Text(s))) => Some(s),
            _ => None,
        }
    }

    /// Puts `value` unless the body gave the column.
    pub fn or_default(&mut self, col: &'static str, value: Param) {
        if self.get(col).is_none() {
            self.sets.push((col, value));
        }
    }

    fn put(&mut self, c: &Column, p: Param) {
        if matches!(c.kind, Kind::Object | Kind::StringList) {
            self.json.push(c.name);
        }
        if c.stored {
            self.sets.push((c.name, p));
        } else {
            self.unstored.push((c.name, p));
        }
    }

    pub fn set(&mut self, col: &'static str, p: Param) {
        match self.sets.iter_mut().find(|(c, _)| *c == col) {
            Some(slot) => slot.1 = p,
            None => self.sets.push((col, p)),
        }
    }

    /// The values as a JSON object, for responses and events.
    pub fn shown(&self) -> Map<String, Value> {
        self.sets
            .iter()
            .map(|(c, p)| {
                // JSON columns (metadata, file_paths) hold JSON text; show it as JSON.
                let v = match p {
                    Param::Text(s) if self.json.contains(c) => serde_json::from_str(s).unwrap_or_else(|_| json!(s)),
                    other => other.to_json(),
                };
                ((*c).to_string(), v)
            })
            .collect()
    }
}

/// Reads a create body (`u` is [`Use::Create`] or [`Use::Nested`]): the columns it requires
/// must be there, the others may be.
pub fn parse_create(r: &Reader<'_>, cols: &[Column], u: Use, entity: &'static str, index: usize, errs: &mut Vec<FieldError>) -> Values {
    let mut out = Values::default();
    for c in accepted(cols, u) {
        let names = c.names();
        let conv = |v: &Value| c.kind.convert(v);
        let before = errs.len();
        let value = if c.required_in(u) { r.required(errs, &names, conv) } else { r.optional(errs, &names, conv) };
        // A missing required reference is the reference's FK_REQUIRED, not NOT_NULL.
        if let (Kind::Ref(_), Some(e)) = (c.kind, errs.get_mut(before)) {
            if e.constraint == Constraint::NotNull {
                e.constraint = Constraint::FkRequired;
                e.message = format!("Missing required foreign key: {} is required", c.name);
            }
        }
        if let (Some(allowed), Some(Param::Text(given))) = (c.created_as, &value) {
            if !allowed.contains(&given.as_str()) {
                let message = format!("A new {entity} has {} {}, not {given}", c.name, allowed.join(" or "));
                errs.push(r.error(c.name, Constraint::EnumConstraint, message, json!(given)));
                continue;
            }
        }
        if let Some(p) = value {
            note_ref(r, c, &p, entity, index, &mut out.refs);
            out.put(c, p);
        }
    }
    out
}

/// Reads a PATCH body or a sync item (`u` is [`Use::Patch`] or [`Use::Sync`]): only what it
/// accepts, where `null` clears (a required or NOT NULL column cannot be cleared).
pub fn parse_patch(r: &Reader<'_>, cols: &[Column], u: Use, entity: &'static str, errs: &mut Vec<FieldError>) -> Values {
    let mut out = Values::default();
    for c in accepted(cols, u) {
        match r.patch(errs, &c.names(), |v: &Value| c.kind.convert(v)) {
            Patch::Absent => {}
            Patch::Null if c.unclearable() => errs.push(r.error(c.name, Constraint::NotNull, format!("{} cannot be null", c.name), Value::Null)),
            Patch::Null => out.put(c, Param::Null),
            Patch::Set(p) => {
                note_ref(r, c, &p, entity, 0, &mut out.refs);
                out.put(c, p);
            }
        }
    }
    out
}

/// Reads a create body ([`parse_create`]) or a PATCH body ([`parse_patch`]).
pub fn parse_body(r: &Reader<'_>, cols: &[Column], entity: &'static str, patch: bool, errs: &mut Vec<FieldError>) -> Values {
    if patch {
        parse_patch(r, cols, Use::Patch, entity, errs)
    } else {
        parse_create(r, cols, Use::Create, entity, 0, errs)
    }
}

/// The names a body of use `u` may give (for `meta.ignored_fields`): its columns' and `extra`.
pub fn known_names(cols: &[Column], u: Use, extra: &[&'static str]) -> Vec<&'static str> {
    accepted(cols, u).flat_map(|c| c.names()).chain(extra.iter().copied()).collect()
}

/// What `meta.ignored_fields` reports of a body of use `u`: keys none of its fields name,
/// among them fields the entity has but this use does not accept (a PATCH of a fixed column).
pub fn ignored(r: &Reader<'_>, cols: &[Column], u: Use, extra: &[&'static str]) -> Vec<String> {
    r.unknown_keys(&known_names(cols, u, extra))
}

fn note_ref(r: &Reader<'_>, c: &Column, p: &Param, entity: &'static str, index: usize, refs: &mut Vec<Ref>) {
    if let (Kind::Ref(table), Param::Text(id)) = (c.kind, p) {
        refs.push(Ref { path: r.path_of(c.name), name: c.name, table, id: id.clone(), entity, index });
    }
}

/// One statement that tells which referenced ids exist in the tenant, whatever their tables:
/// rows of (`tbl`, `id`). Table names come from static specs, never from input.
pub fn check_refs(scope: Scope<'_>, refs: &[Ref]) -> Stmt {
    let mut tables: Vec<&str> = refs.iter().map(|r| r.table).collect();
    tables.sort_unstable();
    tables.dedup();
    if tables.is_empty() {
        return Stmt::nothing(scope);
    }
    let mut params = vec![];
    let parts: Vec<String> = tables
        .iter()
        .map(|t| {
            let ids: Vec<&str> = refs.iter().filter(|r| r.table == *t).map(|r| r.id.as_str()).collect();
            params.push(json!(ids).to_string().into());
            format!("SELECT '{t}' AS tbl, id FROM {t} WHERE tenant_id = {{tenant}} AND id IN (SELECT value FROM json_each(?{}))", params.len() + 1)
        })
        .collect();
    Stmt::scoped(scope, &parts.join(" UNION ALL "), params)
}

/// FK_CONSTRAINT errors for the references [`check_refs`] did not find.
pub fn missing_refs(refs: &[Ref], found: &[Value]) -> Vec<FieldError> {
    // A set, not a scan per reference: a nested create names thousands.
    let present: std::collections::HashSet<(&str, &str)> = found.iter().filter_map(|f| Some((f["tbl"].as_str()?, f["id"].as_str()?))).collect();
    let exists = |r: &Ref| present.contains(&(r.table, r.id.as_str()));
    refs.iter()
        .filter(|r| !exists(r))
        .map(|r| {
            FieldError::new(r.path.clone(), Constraint::FkConstraint, format!("Foreign key {} references non-existent record: {}", r.name, r.id), json!(r.id))
                .on(r.entity, r.index)
        })
        .collect()
}

/// A list filter: the query parameter, its SQL clause (`#` is where its value goes), and
/// how its value is read.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub param: &'static str,
    pub clause: &'static str,
    pub kind: FilterKind,
}

#[derive(Debug, Clone, Copy)]
pub enum FilterKind {
    Exact,
    /// A record's id: a UUID, or the request is refused (400 naming the parameter) rather
    /// than answered with an empty page.
    Id,
    Contains,
    OneOf(&'static [&'static str], &'static [(&'static str, &'static str)]),
    Boolean,
    /// An ISO 8601 date or RFC 3339 date-time.
    Date,
}

/// How an entity is listed.
#[derive(Debug, Clone, Copy)]
pub struct ListSpec {
    /// `FROM` clause, joins included.
    pub from: &'static str,
    /// The tenant column of the listed table, e.g. `p.tenant_id`.
    pub tenant: &'static str,
    /// The listed table's id column, the sort's tiebreak.
    pub id: &'static str,
    pub columns: &'static str,
    pub filters: &'static [Filter],
    /// `sort_by` values and the SQL they sort by; the first is the default.
    pub sorts: &'static [(&'static str, &'static str)],
    pub default_desc: bool,
}

crate::read_set!(
    /// A list's reads: the page, and its total (`include_count`).
    pub struct ListReads { page, total }
);

/// A validated list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    clauses: Vec<(&'static str, Param)>,
    sort: &'static str,
    pub descending: bool,
    pub limit: u32,
    pub offset: u32,
    pub count: bool,
}

/// Reads a list's query: filters, `sort_by`, `sort_order`, `limit` (default 100, capped at
/// 1000), `offset`, `include_count` (default true). A bad value of a known parameter is 400
/// with every such field; unknown parameters are ignored.
pub fn parse_list(spec: &ListSpec, q: &Query) -> Result<ListQuery, ApiError> {
    let mut errs = vec![];
    let mut map = Map::new();
    for name in spec.filters.iter().map(|f| f.param).chain(["sort_by", "sort_order", "limit", "offset", "include_count", UPDATED_SINCE]) {
        if let Some(v) = q.get(name) {
            map.insert(name.into(), Value::String(v.into()));
        }
    }
    let r = Reader::root(&map, "query");
    let mut clauses = vec![];
    for f in spec.filters {
        let value = match f.kind {
            FilterKind::Exact => r.optional(&mut errs, &[f.param], fields::text(1, 255)).map(Param::from),
            FilterKind::Id => r.optional(&mut errs, &[f.param], fields::uuid).map(Param::from),
            FilterKind::Contains => r.optional(&mut errs, &[f.param], contains_needle).filter(|s| !s.is_empty()).map(Param::from),
            FilterKind::OneOf(allowed, aliases) => r.optional(&mut errs, &[f.param], fields::one_of(allowed, aliases)).map(Param::from),
            FilterKind::Boolean => r.optional(&mut errs, &[f.param], flag).map(Param::from),
            FilterKind::Date => r.optional(&mut errs, &[f.param], fields::date).map(Param::from),
        };
        if let Some(p) = value {
            clauses.push((f.clause, p));
        }
    }
    // Incremental sync: rows changed at or after an instant, by default in the order of change.
    let updated = spec.sorts.iter().find(|(name, _)| *name == "updated_at").map(|(_, sql)| *sql);
    let since = r.optional(&mut errs, &[UPDATED_SINCE], |v: &Value| match updated {
        Some(_) => fields::date(v),
        None => Err((Constraint::EnumConstraint, "is not available on this list (its records have no updated_at)".into())),
    });
    if let (Some(since), Some(column)) = (since.as_ref(), updated) {
        clauses.push((UPDATED_SINCE_CLAUSES.iter().find(|(c, _)| *c == column).map_or("1", |(_, clause)| *clause), Param::from(since.as_str())));
    }
    let sort_by = r.optional(&mut errs, &["sort_by"], |v: &Value| {
        let s = v.as_str().unwrap_or_default();
        match spec.sorts.iter().find(|(name, _)| *name == s) {
            Some((_, sql)) => Ok(*sql),
            None => Err((Constraint::EnumConstraint, format!("must be one of: {}", spec.sorts.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")))),
        }
    });
    let order = r.optional(&mut errs, &["sort_order"], fields::one_of(&["asc", "desc"], &[]));
    let limit = r.optional(&mut errs, &["limit"], numeric(1, u32::MAX as i64));
    let offset = r.optional(&mut errs, &["offset"], numeric(0, u32::MAX as i64));
    let count = r.optional(&mut errs, &["include_count"], flag);
    if !errs.is_empty() {
        return Err(ApiError::bad_query(errs));
    }
    let by_change = since.is_some() && sort_by.is_none();
    let sort = match (sort_by, by_change) {
        (Some(s), _) => s,
        (None, true) => updated.unwrap_or(spec.sorts[0].1),
        (None, false) => spec.sorts[0].1,
    };
    Ok(ListQuery {
        clauses,
        sort,
        descending: order.map_or(spec.default_desc && !by_change, |o| o == "desc"),
        limit: limit.map_or(DEFAULT_LIMIT, |l| l.min(MAX_LIMIT as i64) as u32),
        offset: offset.unwrap_or(0) as u32,
        count: count.unwrap_or(true),
    })
}

/// Every list's incremental-sync parameter.
pub const UPDATED_SINCE: &str = "updated_since";

/// Filter clauses are `'static`: one per `updated_at` column a list sorts by.
const UPDATED_SINCE_CLAUSES: &[(&str, &str)] = &[
    ("j.updated_at", "j.updated_at >= #"),
    ("p.updated_at", "p.updated_at >= #"),
    ("o.updated_at", "o.updated_at >= #"),
    ("c.updated_at", "c.updated_at >= #"),
    ("m.updated_at", "m.updated_at >= #"),
    ("u.updated_at", "u.updated_at >= #"),
    ("s.updated_at", "s.updated_at >= #"),
    ("i.updated_at", "i.updated_at >= #"),
    ("b.updated_at", "b.updated_at >= #"),
    ("w.updated_at", "w.updated_at >= #"),
    ("d.updated_at", "d.updated_at >= #"),
];

/// The needle of a partial-match filter, matched with `instr(lower(column), needle)`: no
/// wildcards to escape, and no length limit (D1 refuses LIKE patterns over 50 bytes). SQLite's
/// `lower()` folds ASCII only, so the needle is folded the same way.
fn contains_needle(v: &Value) -> Result<String, Problem> {
    Ok(fields::text(0, 255)(v)?.to_ascii_lowercase())
}

/// Query-string numbers and booleans arrive as text.
fn numeric(min: i64, max: i64) -> impl Fn(&Value) -> Result<i64, Problem> {
    move |v| {
        let parsed = v.as_str().and_then(|s| s.trim().parse::<i64>().ok()).map(Value::from).unwrap_or_else(|| v.clone());
        fields::integer(min, max)(&parsed)
    }
}

fn flag(v: &Value) -> Result<bool, Problem> {
    match v.as_str() {
        Some("true") | Some("1") => Ok(true),
        Some("false") | Some("0") => Ok(false),
        _ => Err((Constraint::TypeMismatch, "must be true or false".into())),
    }
}

impl ListQuery {
    /// `WHERE` and `ORDER BY ... LIMIT ... OFFSET` with their parameters (from `?2`), and the
    /// number of parameters the `WHERE` alone uses.
    fn sql(&self, spec: &ListSpec) -> (String, String, Vec<Param>, usize) {
        let mut filter = format!("{} = {{tenant}}", spec.tenant);
        let mut params = vec![];
        for (clause, p) in &self.clauses {
            params.push(p.clone());
            filter.push_str(" AND ");
            filter.push_str(&clause.replace('#', &format!("?{}", params.len() + 1)));
        }
        let filtered = params.len();
        let dir = if self.descending { "DESC" } else { "ASC" };
        let tail = format!("ORDER BY {} {dir}, {} {dir} LIMIT ?{} OFFSET ?{}", self.sort, spec.id, filtered + 2, filtered + 3);
        params.push(Param::Int(self.limit as i64));
        params.push(Param::Int(self.offset as i64));
        (filter, tail, params, filtered)
    }

    /// The page and its total: two reads for the authentication round trip.
    pub fn stmts(&self, spec: &ListSpec, scope: Scope<'_>) -> Vec<Stmt> {
        self.reads(spec, scope).stmts()
    }

    /// [`Self::stmts`] by name, for a list that reads more beside them (a page's children).
    pub fn reads(&self, spec: &ListSpec, scope: Scope<'_>) -> ListReads<Stmt> {
        let (filter, tail, params, filtered) = self.sql(spec);
        let count = if self.count {
            format!("SELECT COUNT(*) AS total FROM {} WHERE {filter}", spec.from)
        } else {
            "SELECT NULL AS total WHERE {tenant} IS NOT NULL OR 1".to_string()
        };
        let count_params = if self.count { params[..filtered].to_vec() } else { vec![] };
        ListReads {
            page: Stmt::scoped(scope, &format!("SELECT {} FROM {} WHERE {filter} {tail}", spec.columns, spec.from), params),
            total: Stmt::scoped(scope, &count, count_params),
        }
    }

    /// A read of the page's children: `sql` names the page's ids as `{page}`, e.g.
    /// `SELECT ... FROM parts p WHERE p.job_id IN ({page})`.
    pub fn children(&self, spec: &ListSpec, scope: Scope<'_>, sql: &str) -> Stmt {
        let (filter, tail, params, _) = self.sql(spec);
        let page = format!("SELECT {} FROM {} WHERE {filter} {tail}", spec.id, spec.from);
        Stmt::scoped(scope, &sql.replace("{page}", &page), params)
    }

    /// The pagination of the answer; `total` is null when the count was not asked for.
    pub fn page(&self, key: &str, rows: Vec<Value>, total_rows: &[Value]) -> (Value, Map<String, Value>) {
        let total = total_rows.first().and_then(|r| r.get("total")).cloned().unwrap_or(Value::Null);
        let pagination = json!({ "limit": self.limit, "offset": self.offset, "total": total });
        let mut data = Map::new();
        data.insert(key.into(), Value::Array(rows));
        data.insert("pagination".into(), pagination.clone());
        let mut meta = Map::new();
        meta.insert("pagination".into(), pagination);
        (Value::Object(data), meta)
    }
}

/// `INSERT INTO table (cols) ... RETURNING returning`, with `ON CONFLICT DO NOTHING` so that a
/// unique clash answers with no row instead of an error.
pub fn insert(table: &str, sets: &[(&'static str, Param)], returning: &str) -> Stmt {
    insert_when(table, sets, ("1".into(), vec![]), returning)
}

/// [`insert`] that only inserts when `guard` holds (its parameters follow the values').
pub fn insert_when(table: &str, sets: &[(&'static str, Param)], guard: (String, Vec<Param>), returning: &str) -> Stmt {
    let names: Vec<&str> = sets.iter().map(|(n, _)| *n).collect();
    let slots: Vec<String> = (1..=sets.len()).map(|i| format!("?{i}")).collect();
    let mut params: Vec<Param> = sets.iter().map(|(_, p)| p.clone()).collect();
    params.extend(guard.1);
    Stmt::new(
        format!("INSERT INTO {table} ({}) SELECT {} WHERE {} ON CONFLICT DO NOTHING RETURNING {returning}", names.join(", "), slots.join(", "), guard.0),
        params,
    )
}

/// `UPDATE table SET ... WHERE id = ?1 AND tenant_id = ?2 [AND extra] RETURNING returning`;
/// `extra` may use `?3` for `extra_param`.
pub fn update(table: &str, id: &str, tenant_id: &str, sets: &[(&'static str, Param)], extra: Option<(&str, Param)>, returning: &str) -> Stmt {
    let mut params: Vec<Param> = vec![id.into(), tenant_id.into()];
    let mut cond = String::from("id = ?1 AND tenant_id = ?2");
    if let Some((sql, p)) = extra {
        params.push(p);
        cond.push_str(" AND ");
        cond.push_str(sql);
    }
    let base = params.len();
    let assignments: Vec<String> = sets.iter().enumerate().map(|(i, (c, _))| format!("{c} = ?{}", base + i + 1)).collect();
    params.extend(sets.iter().map(|(_, p)| p.clone()));
    Stmt::new(format!("UPDATE {table} SET {} WHERE {cond} RETURNING {returning}", assignments.join(", ")), params)
}

/// `DELETE FROM table WHERE id = ?1 AND tenant_id = ?2 RETURNING id`.
pub fn delete(table: &str, tenant_id: &str, id: &str) -> Stmt {
    Stmt::new(format!("DELETE FROM {table} WHERE id = ?1 AND tenant_id = ?2 RETURNING id"), vec![id.into(), tenant_id.into()])
}

/// A parsed create or PATCH body that knows what it must read in the authentication round trip.
pub trait Draft {
    /// Body fields it ignored, for `meta.ignored_fields`.
    fn ignored(&self) -> Vec<String>;
    /// Reads for the authentication round trip; `id` is the record a PATCH changes.
    fn preloads(&self, scope: Scope<'_>, id: Option<&str>) -> Vec<Stmt>;
}

/// A planned write that knows how to read its answer from what the write returned.
pub trait Planned {
    fn stmts(&self) -> &[Stmt];
    fn answer(&self, written: &[Vec<Value>]) -> Result<Value, ApiError>;
}

/// Implements [`Draft`] for a type whose inherent `preloads` and `ignored` field provide it.
macro_rules! delegate_draft {
    ($t:ty) => {
        impl $crate::resource::Draft for $t {
            fn ignored(&self) -> Vec<String> {
                self.ignored.clone()
            }

            fn preloads(&self, scope: $crate::protocol::sql::Scope<'_>, id: Option<&str>) -> Vec<$crate::protocol::sql::Stmt> {
                <$t>::preloads(self, scope, id)
            }
        }
    };
}
pub(crate) use delegate_draft;

/// Implements [`Planned`] for a type with a `stmts` field and an inherent `answer`.
macro_rules! delegate_planned {
    ($t:ty) => {
        impl $crate::resource::Planned for $t {
            fn stmts(&self) -> &[$crate::protocol::sql::Stmt] {
                &self.stmts
            }

            fn answer(&self, written: &[Vec<serde_json::Value>]) -> Result<serde_json::Value, $crate::ApiError> {
                <$t>::answer(self, written)
            }
        }
    };
}
pub(crate) use delegate_planned;

/// A database row as the API returns it: JSON text columns become JSON, 0/1 flags booleans.
pub fn decode(row: &Value, json_cols: &[&str], bool_cols: &[&str]) -> Value {
    let mut row = row.clone();
    if let Some(obj) = row.as_object_mut() {
        for col in json_cols {
            if let Some(Value::String(text)) = obj.get(*col) {
                let parsed = serde_json::from_str(text).unwrap_or(Value::Null);
                obj.insert((*col).to_string(), parsed);
            }
        }
        for col in bool_cols {
            if let Some(n) = obj.get(*col).and_then(Value::as_f64) {
                obj.insert((*col).to_string(), Value::Bool(n != 0.0));
            }
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[Column] = &[
        Column::new("name", Kind::Text(1, 255)).required(),
        Column::new("cell_id", Kind::Ref("cells")),
        Column::new("done", Kind::Boolean),
        Column::new("part_id", Kind::Ref("parts")).required().fixed(),
    ];

    const SPEC: ListSpec = ListSpec {
        from: "things t",
        tenant: "t.tenant_id",
        id: "t.id",
        columns: "t.id, t.name",
        filters: &[
            Filter { param: "name", clause: "instr(lower(t.name), #) > 0", kind: FilterKind::Contains },
            Filter { param: "status", clause: "t.status = #", kind: FilterKind::OneOf(&["a", "b"], &[]) },
            Filter { param: "done", clause: "t.done = #", kind: FilterKind::Boolean },
        ],
        sorts: &[("created_at", "t.created_at"), ("name", "t.name")],
        default_desc: true,
    };

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn create_reads_required_optional_and_refs() {
        let b = obj(json!({"name": " Saw ", "cell_id": "c1", "done": true}));
        let mut errs = vec![];
        let v = parse_create(&Reader::root(&b, "thing"), COLS, Use::Create, "thing", 0, &mut errs);
        assert_eq!(errs.len(), 1, "part_id is required");
        assert_eq!((errs[0].field.as_str(), errs[0].constraint), ("part_id", Constraint::FkRequired));
        assert_eq!(v.text("name"), Some("Saw"));
        assert_eq!(v.get("done"), Some(&Param::Int(1)));
        assert_eq!(v.refs[0].table, "cells");
    }

    #[test]
    fn patch_skips_fixed_columns_and_refuses_clearing_required_ones() {
        let b = obj(json!({"name": null, "cell_id": null, "part_id": "p"}));
        let mut errs = vec![];
        let v = parse_patch(&Reader::root(&b, "thing"), COLS, Use::Patch, "thing", &mut errs);
        assert_eq!(errs[0].constraint, Constraint::NotNull);
        assert_eq!(v.sets, vec![("cell_id", Param::Null)]);
    }

    #[test]
    fn patch_refuses_null_for_not_null_columns_with_field_details() {
        const FLAGS: &[Column] = &[Column::new("active", Kind::Boolean).not_null()];
        let b = obj(json!({"active": null}));
        let mut errs = vec![];
        let v = parse_patch(&Reader::root(&b, "thing"), FLAGS, Use::Patch, "thing", &mut errs);
        assert_eq!((errs[0].field.as_str(), errs[0].constraint), ("active", Constraint::NotNull));
        assert!(v.sets.is_empty(), "nothing reaches the database's NOT NULL");
    }

    #[test]
    fn refs_are_checked_in_one_statement_and_missing_ones_named() {
        let refs = vec![
            Ref { path: "cell_id".into(), name: "cell_id", table: "cells", id: "c1".into(), entity: "op", index: 0 },
            Ref { path: "assigned_operator_id".into(), name: "assigned_operator_id", table: "users", id: "u1".into(), entity: "op", index: 0 },
        ];
        let s = check_refs(Scope::Tenant("t"), &refs);
        assert!(s.sql.contains("UNION ALL"));
        assert_eq!(s.params.len(), 3);
        let errs = missing_refs(&refs, &[json!({"tbl": "cells", "id": "c1"})]);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].message, "Foreign key assigned_operator_id references non-existent record: u1");
        assert_eq!(check_refs(Scope::Tenant("t"), &[]), Stmt::nothing(Scope::Tenant("t")));
    }

    #[test]
    fn partial_match_filters_take_any_text_up_to_the_column_length() {
        let q = |s: &str| parse_list(&SPEC, &Query::from_url(&format!("x?name={s}")));
        let long = q(&"%_A".repeat(85)).unwrap();
        assert_eq!(long.stmts(&SPEC, Scope::Tenant("t"))[0].params[1], Param::Text("%_a".repeat(85)), "literal, ASCII-folded");
        assert_eq!(q(&"a".repeat(256)).unwrap_err().status(), 400);
        assert!(!q("").unwrap().stmts(&SPEC, Scope::Tenant("t"))[0].sql.contains("instr"));
    }

    #[test]
    fn updated_since_filters_and_orders_by_change() {
        const SYNCED: ListSpec = ListSpec { sorts: &[("created_at", "j.created_at"), ("updated_at", "j.updated_at")], ..SPEC };
        let q = parse_list(&SYNCED, &Query::from_url("x?updated_since=2026-01-15T10:00:00%2B01:00")).unwrap();
        let s = &q.stmts(&SYNCED, Scope::Tenant("t"))[0];
        assert!(s.sql.contains("j.updated_at >= ?2") && s.sql.contains("ORDER BY j.updated_at ASC"), "{}", s.sql);
        assert_eq!(s.params[1], Param::Text("2026-01-15T09:00:00.000Z".into()));
        let sorted = parse_list(&SYNCED, &Query::from_url("x?updated_since=2026-01-15&sort_by=created_at")).unwrap();
        assert!(sorted.stmts(&SYNCED, Scope::Tenant("t"))[0].sql.contains("ORDER BY j.created_at DESC"));
        assert_eq!(parse_list(&SYNCED, &Query::from_url("x?updated_since=yesterday")).unwrap_err().status(), 400);
        assert_eq!(parse_list(&SPEC, &Query::from_url("x?updated_since=2026-01-15")).unwrap_err().status(), 400, "no updated_at on this list");
    }

    #[test]
    fn list_query_builds_filters_sort_and_page() {
        let q = Query::from_url("http://x/?name=a_b&status=b&done=true&sort_by=name&sort_order=asc&limit=10&offset=5&other=1");
        let lq = parse_list(&SPEC, &q).unwrap();
        let s = lq.stmts(&SPEC, Scope::Tenant("t"));
        assert_eq!(
            s[0].sql,
            "SELECT t.id, t.name FROM things t WHERE t.tenant_id = ?1 AND instr(lower(t.name), ?2) > 0 AND t.status = ?3 AND t.done = ?4 ORDER BY t.name ASC, t.id ASC LIMIT ?5 OFFSET ?6"
        );
        assert_eq!(s[0].params[1], Param::Text("a_b".into()));
        assert_eq!(s[1].params.len(), 4);
        let c = lq.children(&SPEC, Scope::Tenant("t"), "SELECT x FROM kids k WHERE k.thing_id IN ({page})");
        assert!(c.sql.contains("k.thing_id IN (SELECT t.id FROM things t WHERE"));
    }

    #[test]
    fn list_query_refuses_bad_values_and_can_skip_the_count() {
        let e = parse_list(&SPEC, &Query::from_url("http://x/?status=c&done=maybe&sort_by=x&limit=0")).unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(e.details.unwrap().as_array().unwrap().len(), 4);
        let lq = parse_list(&SPEC, &Query::from_url("http://x/?include_count=false")).unwrap();
        let (data, _) = lq.page("things", vec![], &[json!({"total": null})]);
        assert!(data["pagination"]["total"].is_null());
        assert!(lq.stmts(&SPEC, Scope::Tenant("t"))[1].params.len() == 1);
    }

    #[test]
    fn if_match_is_carried_into_the_write_unless_any_version_meets_it() {
        let seen = json!({"updated_at": "2026-01-01T00:00:00.000Z"});
        let c = if_match_condition(Some("\"abc\""), "jobs", Some(&seen), "t", "j").expect("a tag names a version");
        assert!(c.sql.contains("FROM jobs WHERE id = ?1 AND tenant_id = ?2 AND updated_at = ?3"));
        assert_eq!(c.params[2], Param::Text("2026-01-01T00:00:00.000Z".into()));
        assert!(if_match_condition(None, "jobs", Some(&seen), "t", "j").is_none());
        assert!(if_match_condition(Some("*"), "jobs", Some(&seen), "t", "j").is_none());
        assert!(if_match_condition(Some("\"abc\", *"), "jobs", Some(&seen), "t", "j").is_none(), "as etag_listed reads a list with *");
        assert!(if_match_condition(Some("\"abc\""), "jobs", None, "t", "j").is_none(), "no record: the write answers 404");
    }

    #[test]
    fn update_numbers_its_assignments_after_the_condition() {
        let s = update("cells", "i", "t", &[("name", "x".into())], Some(("status = ?3", "a".into())), "id");
        assert_eq!(s.sql, "UPDATE cells SET name = ?4 WHERE id = ?1 AND tenant_id = ?2 AND status = ?3 RETURNING id");
        let s = update("cells", "i", "t", &[("name", "x".into())], None, "id");
        assert_eq!(s.sql, "UPDATE cells SET name = ?3 WHERE id = ?1 AND tenant_id = ?2 RETURNING id");
    }

    #[test]
    fn decode_turns_json_text_and_flags_into_json() {
        let row = decode(&json!({"m": "{\"a\":1}", "done": 1.0, "x": "t"}), &["m"], &["done"]);
        assert_eq!(row, json!({"m": {"a": 1}, "done": true, "x": "t"}));
    }
}
