//! Reading a body by its columns into [`Values`], and checking the references it makes.

use super::{accepted, Column, Kind, Use};
use crate::protocol::error::{Constraint, FieldError};
use crate::protocol::fields::{Patch, Reader};
use crate::protocol::sql::{Param, Scope, Stmt};
use serde_json::{json, Map, Value};

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
        match (value, c.initial) {
            (Some(p), _) => {
                note_ref(r, c, &p, entity, index, &mut out.refs);
                out.put(c, p);
            }
            (None, Some(initial)) if errs.len() == before => out.put(c, initial.param()),
            (None, _) => {}
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
