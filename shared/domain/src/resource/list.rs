//! Lists: filters, sorting, pagination and incremental sync, parsed from the query string.

use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::fields::{self, Problem, Reader};
use crate::protocol::http::Query;
use crate::protocol::sql::{Param, Scope, Stmt};
use serde_json::{json, Map, Value};

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

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

/// The value of the first of `cols` a query gives (an action's parameter, such as the
/// operator of a start), checked by its declared kind (400 naming it); none when left out or
/// empty.
pub fn action_param<'a>(q: &'a Query, cols: &[super::Column]) -> Result<Option<&'a str>, ApiError> {
    let Some((c, v)) = cols.iter().find_map(|c| q.get(c.name).map(|v| (c, v))) else { return Ok(None) };
    if v.is_empty() {
        return Ok(None);
    }
    match c.kind.convert(&Value::String(v.into())) {
        Ok(_) => Ok(Some(v)),
        Err((constraint, tail)) => Err(ApiError::bad_query(vec![FieldError::new(c.name, constraint, format!("Query {} {tail}", c.name), json!(v))])),
    }
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
