//! Reading fields out of a JSON object while collecting every validation error, each with
//! its path (`parts[0].operations[1].cell_id`), entity type and index, in the reference's
//! constraint vocabulary.

use crate::protocol::error::{Constraint, FieldError};
use crate::protocol::time;
use serde_json::{Map, Value};

/// Why a value was refused: the constraint and the message tail after `"<Entity> <field> "`.
pub type Problem = (Constraint, String);

/// A field in a PATCH body: left out, set to null, or set to a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    Absent,
    Null,
    Set(T),
}

/// One JSON object being read: where it sits in the body and what entity it is.
pub struct Reader<'a> {
    obj: &'a Map<String, Value>,
    path: String,
    entity: &'static str,
    index: usize,
}

impl<'a> Reader<'a> {
    /// The request body itself, entity index 0.
    pub fn root(obj: &'a Map<String, Value>, entity: &'static str) -> Self {
        Reader { obj, path: String::new(), entity, index: 0 }
    }

    /// An element of an array field of this object, e.g. `parts[3]`.
    pub fn child(&self, obj: &'a Map<String, Value>, array: &str, index: usize, entity: &'static str) -> Reader<'a> {
        Reader { obj, path: format!("{}{array}[{index}].", self.path), entity, index }
    }

    /// The entity type and index errors on this object carry.
    pub fn entity(&self) -> (&'static str, usize) {
        (self.entity, self.index)
    }

    pub fn path_of(&self, name: &str) -> String {
        format!("{}{name}", self.path)
    }

    /// A field error on this object.
    pub fn error(&self, name: &str, constraint: Constraint, message: impl Into<String>, value: Value) -> FieldError {
        FieldError::new(self.path_of(name), constraint, message, value).on(self.entity, self.index)
    }

    /// The first of `names` (a field and its aliases) that is present, with its value.
    fn lookup(&self, names: &[&'static str]) -> Option<(&'static str, &'a Value)> {
        names.iter().find_map(|n| self.obj.get(*n).map(|v| (*n, v)))
    }

    /// A field that must be present and not null.
    pub fn required<T>(&self, errs: &mut Vec<FieldError>, names: &[&'static str], conv: impl Fn(&Value) -> Result<T, Problem>) -> Option<T> {
        match self.lookup(names) {
            None | Some((_, Value::Null)) => {
                errs.push(self.error(names[0], Constraint::NotNull, format!("Missing required field: {}", names[0]), Value::Null));
                None
            }
            Some((name, v)) => self.convert(errs, name, v, conv),
        }
    }

    /// A field that may be left out or null.
    pub fn optional<T>(&self, errs: &mut Vec<FieldError>, names: &[&'static str], conv: impl Fn(&Value) -> Result<T, Problem>) -> Option<T> {
        match self.lookup(names) {
            None | Some((_, Value::Null)) => None,
            Some((name, v)) => self.convert(errs, name, v, conv),
        }
    }

    /// A field of a PATCH body, where null clears the value.
    pub fn patch<T>(&self, errs: &mut Vec<FieldError>, names: &[&'static str], conv: impl Fn(&Value) -> Result<T, Problem>) -> Patch<T> {
        match self.lookup(names) {
            None => Patch::Absent,
            Some((_, Value::Null)) => Patch::Null,
            Some((name, v)) => self.convert(errs, name, v, conv).map_or(Patch::Absent, Patch::Set),
        }
    }

    fn convert<T>(&self, errs: &mut Vec<FieldError>, name: &str, v: &Value, conv: impl Fn(&Value) -> Result<T, Problem>) -> Option<T> {
        match conv(v) {
            Ok(t) => Some(t),
            Err((constraint, tail)) => {
                let message = format!("{} {name} {tail}", capitalized(self.entity));
                errs.push(self.error(name, constraint, message, v.clone()));
                None
            }
        }
    }

    /// A field's raw value, for nested arrays read by their own readers.
    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.obj.get(name)
    }

    /// Keys of this object that none of `known` names; they are ignored and reported back.
    pub fn unknown_keys(&self, known: &[&str]) -> Vec<String> {
        self.obj.keys().filter(|k| !known.contains(&k.as_str())).map(|k| self.path_of(k)).collect()
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The JSON type name used in messages: "string", "number", "object", ...
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn mismatch(expected: &str, v: &Value) -> Problem {
    (Constraint::TypeMismatch, format!("must be {expected}, got {}", type_name(v)))
}

/// A string, trimmed, of `min..=max` characters.
pub fn text(min: usize, max: usize) -> impl Fn(&Value) -> Result<String, Problem> {
    move |v| {
        let s = v.as_str().ok_or_else(|| mismatch("a string", v))?.trim();
        let n = s.chars().count();
        if n < min {
            return Err((Constraint::MinLength, format!("must be at least {min} character(s)")));
        }
        if n > max {
            return Err((Constraint::MaxLength, format!("must be at most {max} characters")));
        }
        Ok(s.to_string())
    }
}

/// A whole number within `min..=max`.
pub fn integer(min: i64, max: i64) -> impl Fn(&Value) -> Result<i64, Problem> {
    move |v| {
        let n = match v {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
                .ok_or_else(|| (Constraint::TypeMismatch, "must be an integer".to_string()))?,
            _ => return Err(mismatch("an integer", v)),
        };
        bounded(n as f64, min as f64, max as f64).map(|_| n)
    }
}

/// Any number within `min..=max`.
pub fn number(min: f64, max: f64) -> impl Fn(&Value) -> Result<f64, Problem> {
    move |v| {
        let n = v.as_f64().ok_or_else(|| mismatch("a number", v))?;
        bounded(n, min, max).map(|_| n)
    }
}

fn bounded(n: f64, min: f64, max: f64) -> Result<(), Problem> {
    if n < min {
        return Err((Constraint::MinValue, format!("must be >= {min}")));
    }
    if n > max {
        return Err((Constraint::MaxValue, format!("must be <= {max}")));
    }
    Ok(())
}

/// One of a fixed set of strings, with `aliases` mapped to what is stored.
pub fn one_of(allowed: &'static [&'static str], aliases: &'static [(&'static str, &'static str)]) -> impl Fn(&Value) -> Result<String, Problem> {
    move |v| {
        let s = v.as_str().ok_or_else(|| mismatch("a string", v))?;
        if let Some((_, to)) = aliases.iter().find(|(from, _)| *from == s) {
            return Ok((*to).to_string());
        }
        if allowed.contains(&s) {
            return Ok(s.to_string());
        }
        Err((Constraint::EnumConstraint, format!("must be one of: {}", allowed.join(", "))))
    }
}

/// An ISO 8601 date or RFC 3339 date-time.
pub fn date(v: &Value) -> Result<String, Problem> {
    let s = v.as_str().ok_or_else(|| mismatch("an ISO 8601 date string", v))?;
    time::parse_date_or_datetime(s).ok_or((Constraint::DateFormat, "must be ISO 8601 format (YYYY-MM-DD or RFC 3339)".into()))
}

/// A JSON object, kept as its JSON text.
pub fn json_object(v: &Value) -> Result<String, Problem> {
    match v {
        Value::Object(_) => Ok(v.to_string()),
        _ => Err(mismatch("an object", v)),
    }
}

/// An array of strings, kept as its JSON text.
pub fn string_list(v: &Value) -> Result<String, Problem> {
    match v {
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(v.to_string()),
        _ => Err(mismatch("an array of strings", v)),
    }
}

/// Printable ASCII without spaces, `min..=max` characters long, taken as given (not trimmed).
pub fn token(min: usize, max: usize) -> impl Fn(&Value) -> Result<String, Problem> {
    move |v| {
        let s = v.as_str().ok_or_else(|| mismatch("a string", v))?;
        if s.len() < min || s.len() > max {
            let c = if s.len() < min { Constraint::MinLength } else { Constraint::MaxLength };
            return Err((c, format!("must be {min} to {max} characters")));
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err((Constraint::PatternMismatch, "must be printable ASCII without spaces".into()));
        }
        Ok(s.to_string())
    }
}

/// A non-empty array of `allowed` values, duplicates dropped, kept as its JSON text.
pub fn subset(allowed: &'static [&'static str]) -> impl Fn(&Value) -> Result<String, Problem> {
    move |v| {
        let items = v.as_array().ok_or_else(|| (Constraint::TypeMismatch, format!("must be an array of values among: {}", allowed.join(", "))))?;
        if items.is_empty() {
            return Err((Constraint::MinLength, "must name at least one value".to_string()));
        }
        let mut out: Vec<&str> = vec![];
        for item in items {
            match item.as_str().and_then(|s| allowed.iter().find(|a| **a == s)) {
                Some(s) if !out.contains(s) => out.push(s),
                Some(_) => {}
                None => return Err((Constraint::EnumConstraint, format!("must hold values among: {}", allowed.join(", ")))),
            }
        }
        Ok(serde_json::json!(out).to_string())
    }
}

/// A reference to another record by id. Its existence is checked against the database later,
/// so any non-empty string is accepted here: a malformed id simply references nothing.
pub fn reference(v: &Value) -> Result<String, Problem> {
    match v.as_str().map(str::trim) {
        Some(s) if !s.is_empty() && s.len() <= 255 => Ok(s.to_string()),
        Some(_) => Err((Constraint::MinLength, "must be a non-empty id".into())),
        None => Err(mismatch("a string id", v)),
    }
}

/// A UUID (the `id` query parameter, path ids).
pub fn uuid(v: &Value) -> Result<String, Problem> {
    let s = v.as_str().ok_or_else(|| mismatch("a UUID string", v))?;
    uuid::Uuid::parse_str(s).map(|u| u.hyphenated().to_string()).map_err(|_| (Constraint::UuidFormat, "must be a valid UUID".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn required_missing_is_not_null_with_the_reference_message() {
        let o = obj(json!({}));
        let mut errs = vec![];
        let r = Reader::root(&o, "job");
        assert_eq!(r.required(&mut errs, &["job_number"], text(1, 255)), None);
        assert_eq!(errs[0].field, "job_number");
        assert_eq!(errs[0].message, "Missing required field: job_number");
        assert_eq!(errs[0].constraint, Constraint::NotNull);
        assert_eq!(errs[0].entity_type, Some("job"));
    }

    #[test]
    fn child_paths_and_messages_name_the_entity() {
        let o = obj(json!({"parts": [{"quantity": 0}]}));
        let part = o["parts"][0].as_object().unwrap();
        let mut errs = vec![];
        let root = Reader::root(&o, "job");
        let r = root.child(part, "parts", 0, "part");
        r.required(&mut errs, &["quantity"], integer(1, 1_000_000));
        assert_eq!(errs[0].field, "parts[0].quantity");
        assert_eq!(errs[0].message, "Part quantity must be >= 1");
        assert_eq!(errs[0].constraint, Constraint::MinValue);
        assert_eq!(errs[0].value, json!(0));
        assert_eq!((errs[0].entity_type, errs[0].entity_index), (Some("part"), Some(0)));
    }

    #[test]
    fn aliases_are_read_in_order() {
        let o = obj(json!({"customer_name": "ACME"}));
        let mut errs = vec![];
        let r = Reader::root(&o, "job");
        assert_eq!(r.optional(&mut errs, &["customer", "customer_name"], text(0, 255)), Some("ACME".into()));
    }

    #[test]
    fn type_mismatches_are_reported_not_coerced() {
        let o = obj(json!({"quantity": "5", "priority": 1.5, "metadata": [1]}));
        let mut errs = vec![];
        let r = Reader::root(&o, "part");
        assert_eq!(r.optional(&mut errs, &["quantity"], integer(1, 10)), None);
        assert_eq!(r.optional(&mut errs, &["priority"], integer(0, 100)), None);
        assert_eq!(r.optional(&mut errs, &["metadata"], json_object), None);
        assert!(errs.iter().all(|e| e.constraint == Constraint::TypeMismatch), "{errs:?}");
        assert_eq!(errs[0].message, "Part quantity must be an integer, got string");
    }

    #[test]
    fn integers_accept_whole_floats_and_refuse_huge_values() {
        let conv = integer(0, 100);
        assert_eq!(conv(&json!(5.0)), Ok(5));
        assert_eq!(conv(&json!(101)).unwrap_err().0, Constraint::MaxValue);
        assert_eq!(conv(&json!(1e300)).unwrap_err().0, Constraint::TypeMismatch);
        assert_eq!(conv(&json!(u64::MAX)).unwrap_err().0, Constraint::TypeMismatch);
    }

    #[test]
    fn patch_tells_absent_null_and_set_apart() {
        let o = obj(json!({"notes": null, "customer": "X"}));
        let mut errs = vec![];
        let r = Reader::root(&o, "job");
        assert_eq!(r.patch(&mut errs, &["notes"], text(0, 10)), Patch::Null);
        assert_eq!(r.patch(&mut errs, &["customer"], text(0, 10)), Patch::Set("X".into()));
        assert_eq!(r.patch(&mut errs, &["due_date"], date), Patch::Absent);
        assert!(errs.is_empty());
    }

    #[test]
    fn enums_map_aliases() {
        let conv = one_of(&["on_hold", "completed"], &[("paused", "on_hold")]);
        assert_eq!(conv(&json!("paused")), Ok("on_hold".into()));
        assert_eq!(conv(&json!("done")).unwrap_err().0, Constraint::EnumConstraint);
    }

    #[test]
    fn text_trims_and_bounds() {
        let conv = text(1, 3);
        assert_eq!(conv(&json!("  ab ")), Ok("ab".into()));
        assert_eq!(conv(&json!("   ")).unwrap_err().0, Constraint::MinLength);
        assert_eq!(conv(&json!("abcd")).unwrap_err().0, Constraint::MaxLength);
    }

    #[test]
    fn uuids_are_normalised() {
        assert_eq!(uuid(&json!("6F9619FF-8B86-D011-B42D-00C04FC964FF")), Ok("6f9619ff-8b86-d011-b42d-00c04fc964ff".into()));
        assert_eq!(uuid(&json!("abc-123")).unwrap_err().0, Constraint::UuidFormat);
    }

    #[test]
    fn unknown_keys_are_listed_with_paths() {
        let o = obj(json!({"job_number": "J", "colour": "red"}));
        let r = Reader::root(&o, "job");
        assert_eq!(r.unknown_keys(&["job_number"]), vec!["colour".to_string()]);
    }
}
