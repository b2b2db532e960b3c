//! JSON Schema of what the declarations accept: a column's value, a body of one use, a list's
//! query parameters. The OpenAPI document (`tools/openapi`) and the MCP tools' input schemas
//! are made of these, so neither can say something the parsers do not do.

use crate::resource::{self, Column, Filter, FilterKind, Kind, ListSpec, Use, DEFAULT_LIMIT, MAX_LIMIT, UPDATED_SINCE};
use serde_json::{json, Map, Value};

/// Text is trimmed before its length is checked (Rust's whitespace), so a required text needs
/// a character outside that set.
const NON_BLANK: &str = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

pub fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

pub fn text(min: usize, max: usize) -> Value {
    let mut s = json!({ "type": "string", "minLength": min, "maxLength": max });
    if min > 0 {
        s["pattern"] = json!(NON_BLANK);
    }
    s
}

/// YYYY-MM-DD or an RFC 3339 instant.
pub fn date() -> Value {
    json!({ "type": "string", "anyOf": [{ "format": "date" }, { "format": "date-time" }], "description": "YYYY-MM-DD or RFC 3339", "examples": ["2026-12-31"] })
}

pub fn nullable(s: Value) -> Value {
    json!({ "anyOf": [s, { "type": "null" }] })
}

fn one_of(allowed: &[&str], aliases: &[(&str, &str)]) -> Value {
    let values: Vec<&str> = allowed.iter().copied().chain(aliases.iter().map(|(a, _)| *a)).collect();
    json!({ "type": "string", "enum": values })
}

/// What a value of this kind must be.
pub fn kind(k: Kind) -> Value {
    match k {
        Kind::Text(min, max) => text(min, max),
        Kind::Integer(min, max) => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::Number(min, max) => json!({ "type": "number", "minimum": min, "maximum": max }),
        Kind::Boolean => json!({ "type": "boolean" }),
        Kind::OneOf(allowed, aliases) => one_of(allowed, aliases),
        Kind::Date => date(),
        Kind::Object => json!({ "type": "object" }),
        Kind::StringList => json!({ "type": "array", "items": { "type": "string" } }),
        // Any non-empty id is read; ids the API hands out are UUIDs.
        Kind::Ref(_) | Kind::Uuid => uuid(),
        Kind::Token(min, max) => json!({ "type": "string", "minLength": min, "maxLength": max, "pattern": "^[!-~]*$" }),
        Kind::Url => json!({ "type": "string", "format": "uri", "pattern": "^https://", "maxLength": resource::MAX_URL }),
        Kind::Subset(allowed) => json!({ "type": "array", "minItems": 1, "items": { "type": "string", "enum": allowed } }),
    }
}

/// A column's schema, with its description (and, for an alias, whose).
pub fn column(c: &Column) -> Value {
    let mut s = kind(c.kind);
    let mut about = vec![];
    if !c.doc.is_empty() {
        about.push(c.doc.to_string());
    }
    if let Kind::Ref(table) = c.kind {
        about.push(format!("An id of the tenant's {}", table.replace("users", "operators")));
    }
    if !about.is_empty() {
        s["description"] = json!(about.join(". "));
    }
    s
}

/// The fields of a body of use `u`, aliases included (each documented as the field it names),
/// with `children` (nested arrays) added.
pub fn body(cols: &[Column], u: Use, children: &[(&str, Value)]) -> Value {
    let mut props = Map::new();
    let mut required = vec![];
    for c in resource::accepted(cols, u) {
        let mut s = column(c);
        if let (Use::Create | Use::Nested, Some(values)) = (u, c.created_as) {
            s["enum"] = json!(values);
        }
        if let (Use::Create | Use::Nested, Some(initial)) = (u, c.initial) {
            s["default"] = match (c.kind, initial) {
                (Kind::Boolean, resource::Initial::Int(n)) => json!(n != 0),
                _ => initial.param().to_json(),
            };
        }
        // A create may give null for what it may leave out; a PATCH or sync clears with null.
        let s = match u {
            Use::Create | Use::Nested if c.required_in(u) => s,
            Use::Patch | Use::Sync if c.unclearable() => s,
            _ => nullable(s),
        };
        if c.required_in(u) && matches!(u, Use::Create | Use::Nested) {
            required.push(c.name);
        }
        for alias in c.aliases {
            let mut a = s.clone();
            a["description"] = json!(format!("The same as {}", c.name));
            props.insert((*alias).into(), a);
        }
        props.insert(c.name.into(), s);
    }
    for (name, s) in children {
        props.insert((*name).into(), s.clone());
    }
    let mut out = json!({ "type": "object", "properties": props, "required": required, "additionalProperties": true });
    if u == Use::Patch {
        // At least one field; others are ignored and listed in meta.ignored_fields.
        let any: Vec<Value> = resource::accepted(cols, u).flat_map(|c| c.names()).map(|n| json!({ "required": [n] })).collect();
        out["anyOf"] = Value::Array(any);
    }
    out
}

/// An array of `items`.
pub fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// A list filter's schema.
pub fn filter(f: &Filter) -> Value {
    match f.kind {
        FilterKind::Exact => text(1, 255),
        FilterKind::Id => uuid(),
        FilterKind::Contains => json!({ "type": "string", "maxLength": 255 }),
        FilterKind::OneOf(allowed, aliases) => one_of(allowed, aliases),
        FilterKind::Boolean => json!({ "type": "boolean" }),
        FilterKind::Date => date(),
    }
}

/// What a filter does, in words.
pub fn filter_description(f: &Filter) -> String {
    let what = f.param.strip_suffix("_id").unwrap_or(f.param).replace('_', " ");
    match f.kind {
        FilterKind::Id => format!("Only those of this {what}"),
        FilterKind::Contains if f.param == "search" => "Contains this text (case-insensitive), in any of the searched fields".into(),
        FilterKind::Contains => format!("{} contains this text (case-insensitive)", capitalized(&what)),
        FilterKind::Exact => format!("{} equals", capitalized(&what)),
        FilterKind::OneOf(..) => format!("Only those with this {what}"),
        FilterKind::Boolean => format!("Only those with {what} true or false"),
        FilterKind::Date => format!("Only those with {what} at or after this instant"),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// A query parameter.
pub fn param(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description })
}

/// Paging, sorting, the count, incremental sync and the filters of a list.
pub fn list_params(spec: &ListSpec) -> Vec<Value> {
    let sorts: Vec<&str> = spec.sorts.iter().map(|(n, _)| *n).collect();
    let mut out = vec![
        param(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": u32::MAX }),
            &format!("Rows per page (default {DEFAULT_LIMIT}; more than {MAX_LIMIT} is capped to {MAX_LIMIT})"),
        ),
        param("offset", json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX }), "Rows to skip"),
        param("sort_by", json!({ "type": "string", "enum": sorts }), &format!("Sort column (default {})", sorts[0])),
        param(
            "sort_order",
            json!({ "type": "string", "enum": ["asc", "desc"] }),
            if spec.default_desc { "Sort direction (default desc)" } else { "Sort direction (default asc)" },
        ),
        param("include_count", json!({ "type": "boolean" }), "Whether pagination.total is counted (default true)"),
    ];
    if sorts.contains(&"updated_at") {
        out.push(param(UPDATED_SINCE, date(), "Only records changed at or after this instant (ordered by change unless sort_by is given)"));
    }
    out.extend(spec.filters.iter().map(|f| param(f.param, filter(f), &filter_description(f))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[Column] = &[
        Column::new("name", Kind::Text(1, 255)).required(),
        Column::new("minutes", Kind::Number(0.0, 10.0)).alias(&["mins"]),
        Column::new("active", Kind::Boolean).not_null(),
        Column::new("parent_id", Kind::Ref("things")).required().parent(),
    ];

    #[test]
    fn a_create_requires_what_the_parser_requires_and_lets_the_rest_be_null() {
        let s = body(COLS, Use::Create, &[]);
        assert_eq!(s["required"], json!(["name", "parent_id"]));
        assert_eq!(s["properties"]["name"]["pattern"], NON_BLANK);
        assert_eq!(s["properties"]["minutes"]["anyOf"][1]["type"], "null");
        assert_eq!(s["properties"]["mins"]["description"], "The same as minutes");
    }

    #[test]
    fn a_patch_needs_one_field_and_cannot_clear_required_ones() {
        let s = body(COLS, Use::Patch, &[]);
        assert!(s["properties"].get("parent_id").is_none(), "fixed");
        assert_eq!(s["properties"]["name"]["type"], "string", "a required field cannot be cleared: no null");
        assert_eq!(s["properties"]["minutes"]["anyOf"][1]["type"], "null", "an optional one can");
        assert_eq!(s["properties"]["active"]["type"], "boolean", "NOT NULL: no null");
        assert_eq!(s["anyOf"].as_array().unwrap().len(), 4, "an alias alone is a PATCH too");
        assert!(body(COLS, Use::Sync, &[])["properties"].get("parent_id").is_none());
    }

    #[test]
    fn a_create_documents_initial_values_as_defaults() {
        const FLAGS: &[Column] = &[
            Column::new("active", Kind::Boolean).not_null().initially(resource::Initial::Int(1)),
            Column::new("status", Kind::OneOf(&["a", "b"], &[])).initially(resource::Initial::Text("a")),
        ];
        let s = body(FLAGS, Use::Create, &[]);
        assert_eq!(s["properties"]["active"]["anyOf"][0]["default"], true);
        assert_eq!(s["properties"]["status"]["anyOf"][0]["default"], "a");
        assert!(body(FLAGS, Use::Patch, &[])["properties"]["active"].get("default").is_none(), "a PATCH has no default");
    }

    #[test]
    fn list_parameters_come_from_the_spec() {
        const LIST: ListSpec = ListSpec {
            from: "things t",
            tenant: "t.tenant_id",
            id: "t.id",
            columns: "t.id",
            filters: &[Filter { param: "job_id", clause: "t.job_id = #", kind: FilterKind::Id }],
            sorts: &[("created_at", "t.created_at"), ("updated_at", "t.updated_at")],
            default_desc: false,
        };
        let names: Vec<String> = list_params(&LIST).iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
        for f in LIST.filters {
            assert!(names.iter().any(|n| n == f.param), "{}", f.param);
        }
        assert!(names.iter().any(|n| n == UPDATED_SINCE));
    }
}
