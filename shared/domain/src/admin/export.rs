//! `api-export`: a tenant's data as JSON (every entity, or those asked for) or CSV (one entity),
//! read page by page with a keyset cursor and written out as it is read, so the size of a
//! tenant never meets the worker's memory limit. Every column is named here: password hashes,
//! key hashes and webhook secrets are never selected, so they cannot leak.

use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::http::Query;
use crate::protocol::sql::{Param, Stmt};
use serde_json::{json, Map, Value};

/// Rows per D1 read: well under D1's response limits, few round trips for a large tenant.
pub const PAGE: i64 = 500;

/// One exported entity: its table, the columns shown, and the cursor's key columns (an index
/// leads with `tenant_id` and then these).
pub struct Exported {
    pub name: &'static str,
    table: &'static str,
    pub columns: &'static [&'static str],
    key: &'static [&'static str],
    /// Columns holding JSON text, exported as JSON in JSON and as text in CSV.
    json: &'static [&'static str],
    /// 0/1 columns, exported as booleans.
    bools: &'static [&'static str],
}

const ID: &[&str] = &["id"];

pub const ENTITIES: &[Exported] = &[
    Exported {
        name: "jobs",
        table: "jobs",
        columns: &[
            "id",
            "job_number",
            "customer",
            "status",
            "priority",
            "due_date",
            "due_date_override",
            "description",
            "notes",
            "metadata",
            "current_cell_id",
            "started_at",
            "paused_at",
            "resumed_at",
            "completed_at",
            "actual_duration",
            "external_source",
            "external_id",
            "created_at",
            "updated_at",
        ],
        key: ID,
        json: &["metadata"],
        bools: &[],
    },
    Exported {
        name: "parts",
        table: "parts",
        columns: &[
            "id",
            "job_id",
            "parent_part_id",
            "part_number",
            "material",
            "material_id",
            "quantity",
            "status",
            "current_cell_id",
            "description",
            "notes",
            "drawing_url",
            "step_file_url",
            "file_paths",
            "metadata",
            "started_at",
            "completed_at",
            "external_source",
            "external_id",
            "created_at",
            "updated_at",
        ],
        key: ID,
        json: &["file_paths", "metadata"],
        bools: &[],
    },
    Exported {
        name: "operations",
        table: "operations",
        columns: &[
            "id",
            "part_id",
            "cell_id",
            "assigned_operator_id",
            "operation_name",
            "sequence",
            "status",
            "estimated_time",
            "setup_time_minutes",
            "actual_time",
            "completion_percentage",
            "instructions",
            "notes",
            "started_at",
            "paused_at",
            "resumed_at",
            "completed_at",
            "external_source",
            "external_id",
            "created_at",
            "updated_at",
        ],
        key: ID,
        json: &[],
        bools: &[],
    },
    Exported {
        name: "substeps",
        table: "substeps",
        columns: &["id", "operation_id", "description", "sequence", "completed", "completed_at", "notes", "created_at", "updated_at"],
        key: ID,
        json: &[],
        bools: &["completed"],
    },
    Exported {
        name: "time_entries",
        table: "time_entries",
        columns: &["id", "operation_id", "operator_id", "start_time", "end_time", "duration", "time_type", "notes", "created_at"],
        key: ID,
        json: &[],
        bools: &[],
    },
    Exported {
        name: "batches",
        table: "batches",
        columns: &[
            "id",
            "batch_number",
            "batch_type",
            "status",
            "cell_id",
            "material",
            "thickness_mm",
            "parent_batch_id",
            "notes",
            "operator_id",
            "started_at",
            "completed_at",
            "actual_time",
            "created_at",
            "updated_at",
        ],
        key: ID,
        json: &[],
        bools: &[],
    },
    Exported {
        name: "batch_operations",
        table: "batch_operations",
        columns: &["batch_id", "operation_id", "position", "active", "added_at"],
        key: &["batch_id", "operation_id"],
        json: &[],
        bools: &["active"],
    },
    Exported {
        name: "issues",
        table: "issues",
        columns: &[
            "id",
            "operation_id",
            "issue_type",
            "ncr_number",
            "title",
            "description",
            "severity",
            "status",
            "ncr_category",
            "disposition",
            "root_cause",
            "corrective_action",
            "preventive_action",
            "affected_quantity",
            "verification_required",
            "reported_by_id",
            "resolved_by_id",
            "verified_by_id",
            "resolved_at",
            "verified_at",
            "resolution_notes",
            "created_at",
            "updated_at",
        ],
        key: ID,
        json: &[],
        bools: &["verification_required"],
    },
    Exported {
        name: "cells",
        table: "cells",
        columns: &["id", "name", "description", "active", "external_source", "external_id", "created_at", "updated_at"],
        key: ID,
        json: &[],
        bools: &["active"],
    },
    Exported { name: "materials", table: "materials", columns: &["id", "name", "description", "created_at", "updated_at"], key: ID, json: &[], bools: &[] },
    Exported {
        name: "operators",
        table: "users",
        columns: &["id", "full_name", "employee_id", "email", "role", "active", "created_at", "updated_at"],
        key: ID,
        json: &[],
        bools: &["active"],
    },
    Exported {
        name: "webhooks",
        table: "webhooks",
        columns: &["id", "url", "events", "active", "description", "disabled_reason", "created_at", "updated_at"],
        key: ID,
        json: &["events"],
        bools: &["active"],
    },
    // What a restore needs to go on numbering NCRs where this tenant left off.
    Exported { name: "ncr_sequences", table: "ncr_sequences", columns: &["year", "last"], key: &["year"], json: &[], bools: &[] },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// What was asked for: the format and the entities, in [`ENTITIES`] order.
pub struct Request {
    pub format: Format,
    pub entities: Vec<&'static Exported>,
}

/// `format=json|csv` (json by default) and `entities=jobs,parts` or `all` (the default);
/// CSV takes exactly one entity (`entity=` is accepted as well).
pub fn parse(q: &Query) -> Result<Request, ApiError> {
    let mut errs = vec![];
    let format = match q.get("format").unwrap_or("json") {
        "json" => Format::Json,
        "csv" => Format::Csv,
        other => {
            errs.push(FieldError::new("format", Constraint::EnumConstraint, "format must be one of: json, csv", json!(other)));
            Format::Json
        }
    };
    let (param, asked) = match (q.get("entity"), q.get("entities")) {
        (Some(e), _) => ("entity", e),
        (None, Some(e)) => ("entities", e),
        (None, None) => ("entities", "all"),
    };
    let names: Vec<&str> = asked.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let entities: Vec<&'static Exported> = if names == ["all"] {
        ENTITIES.iter().collect()
    } else {
        let unknown: Vec<&str> = names.iter().copied().filter(|n| !ENTITIES.iter().any(|e| e.name == *n)).collect();
        if !unknown.is_empty() || names.is_empty() {
            let all: Vec<&str> = ENTITIES.iter().map(|e| e.name).collect();
            errs.push(FieldError::new(
                param,
                Constraint::EnumConstraint,
                format!("{param} must be `all` or a comma list of: {}", all.join(", ")),
                json!(asked),
            ));
        }
        ENTITIES.iter().filter(|e| names.contains(&e.name)).collect()
    };
    if format == Format::Csv && entities.len() != 1 && errs.is_empty() {
        errs.push(FieldError::new(param, Constraint::EnumConstraint, "A CSV export holds one entity: send entity=<name>", json!(asked)));
    }
    if !errs.is_empty() {
        return Err(ApiError::bad_query(errs));
    }
    Ok(Request { format, entities })
}

impl Exported {
    /// One page of the tenant's rows after `cursor` (the previous page's last key values).
    pub fn page(&self, tenant_id: &str, cursor: Option<&[Value]>) -> Stmt {
        let key = self.key.join(", ");
        let mut params = vec![Param::from(tenant_id)];
        let after = match cursor {
            None => String::new(),
            Some(values) => {
                let slots: Vec<String> = (0..values.len()).map(|i| format!("?{}", i + 2)).collect();
                params.extend(values.iter().map(|v| Param::from(v.as_str().unwrap_or_default())));
                format!(" AND ({key}) > ({})", slots.join(", "))
            }
        };
        let columns = self.columns.join(", ");
        Stmt::new(format!("SELECT {columns} FROM {} WHERE tenant_id = ?1{after} ORDER BY {key} LIMIT {PAGE}", self.table), params)
    }

    /// The cursor after `row`.
    pub fn cursor(&self, row: &Value) -> Vec<Value> {
        self.key.iter().map(|k| row.get(*k).cloned().unwrap_or(Value::Null)).collect()
    }

    /// A row as exported: JSON columns parsed, 0/1 columns as booleans, in column order.
    pub fn shaped(&self, row: &Value) -> Map<String, Value> {
        self.columns
            .iter()
            .map(|c| {
                let v = row.get(*c).cloned().unwrap_or(Value::Null);
                let v = match &v {
                    Value::String(s) if self.json.contains(c) => serde_json::from_str(s).unwrap_or(v),
                    Value::Number(n) if self.bools.contains(c) => Value::Bool(n.as_i64() == Some(1)),
                    _ => v,
                };
                (c.to_string(), v)
            })
            .collect()
    }

    /// The CSV header line.
    pub fn csv_header(&self) -> String {
        let mut line = self.columns.join(",");
        line.push_str("\r\n");
        line
    }

    /// A row as a CSV line (RFC 4180): JSON columns as their JSON text, null as empty.
    pub fn csv_line(&self, row: &Value) -> String {
        let shaped = self.shaped(row);
        let cells: Vec<String> = shaped.values().map(csv_cell).collect();
        let mut line = cells.join(",");
        line.push_str("\r\n");
        line
    }
}

/// A CSV cell. Text a spreadsheet would run as a formula (beginning with `=`, `+`, `-`, `@`,
/// a tab or a carriage return) is neutralised as OWASP recommends: a leading `'` makes it
/// text. Numbers are numbers, never formulas, and keep their sign.
fn csv_cell(v: &Value) -> String {
    let text = match v {
        Value::Null => return String::new(),
        Value::String(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The JSON document is written in pieces: the opening, each entity's rows as they are read,
/// and the closing with the counts. Together they are one envelope:
/// `{"success":true,"data":{"tenant":{..},"exported_at":..,"jobs":[..],..},"meta":{"counts":{..}}}`.
pub fn json_opening(tenant: &Value, exported_at: &str) -> String {
    format!("{{\"success\":true,\"data\":{{\"tenant\":{tenant},\"exported_at\":{}", json!(exported_at))
}

/// Opens an entity's array.
pub fn json_entity_opening(entity: &Exported) -> String {
    format!(",{}:[", json!(entity.name))
}

/// A page of rows; `first` is whether these are the entity's first rows.
pub fn json_rows(entity: &Exported, rows: &[Value], first: bool) -> String {
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        if !(first && i == 0) {
            out.push(',');
        }
        out.push_str(&Value::Object(entity.shaped(row)).to_string());
    }
    out
}

pub fn json_closing(counts: &Map<String, Value>) -> String {
    format!("}},\"meta\":{{\"counts\":{}}}}}", Value::Object(counts.clone()))
}

/// The tenant's own row, for the export's heading.
pub fn tenant_read(scope: crate::protocol::sql::Scope<'_>) -> Stmt {
    Stmt::scoped(scope, "SELECT id, name, plan, created_at FROM tenants WHERE id = {tenant}", vec![])
}

/// The download's file name.
pub fn file_name(tenant_id: &str, day: &str, req: &Request) -> String {
    match (req.format, req.entities.first()) {
        (Format::Csv, Some(e)) => format!("eryxon-export-{tenant_id}-{day}-{}.csv", e.name),
        _ => format!("eryxon-export-{tenant_id}-{day}.json"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(s: &str) -> Query {
        Query::from_url(&format!("https://x/functions/v1/api-export?{s}"))
    }

    #[test]
    fn queries_choose_format_and_entities() {
        let all = parse(&query("")).unwrap();
        assert_eq!((all.format, all.entities.len()), (Format::Json, ENTITIES.len()));
        let some = parse(&query("entities=parts,jobs")).unwrap();
        assert_eq!(some.entities.iter().map(|e| e.name).collect::<Vec<_>>(), ["jobs", "parts"]);
        assert_eq!(parse(&query("format=csv&entity=jobs")).unwrap().format, Format::Csv);
        for bad in ["format=xml", "entities=jobs,secrets", "format=csv", "format=csv&entities=jobs,parts", "entities="] {
            assert_eq!(parse(&query(bad)).err().map(|e| e.status()), Some(400), "{bad}");
        }
    }

    #[test]
    fn no_secret_column_is_ever_selected() {
        for e in ENTITIES {
            let sql = e.page("t", None).sql;
            for secret in ["password_hash", "key_hash", "secret", "transition_id", "claim_token"] {
                assert!(!sql.contains(secret), "{} selects {secret}", e.name);
            }
        }
    }

    #[test]
    fn pages_continue_after_the_cursor() {
        let bo = ENTITIES.iter().find(|e| e.name == "batch_operations").unwrap();
        let s = bo.page("t", Some(&[json!("b1"), json!("o1")]));
        assert!(s.sql.ends_with("WHERE tenant_id = ?1 AND (batch_id, operation_id) > (?2, ?3) ORDER BY batch_id, operation_id LIMIT 500"));
        assert_eq!(s.params.len(), 3);
        assert_eq!(bo.cursor(&json!({"batch_id": "b", "operation_id": "o", "position": 1})), vec![json!("b"), json!("o")]);
    }

    #[test]
    fn csv_quotes_what_needs_it_and_json_columns_parse() {
        let jobs = &ENTITIES[0];
        let row = json!({"id": "j1", "job_number": "A,1", "customer": "say \"hi\"", "priority": 5, "metadata": "{\"a\":1}"});
        let line = jobs.csv_line(&row);
        assert!(line.starts_with("j1,\"A,1\",\"say \"\"hi\"\"\",,5,"), "{line}");
        assert!(line.contains("\"{\"\"a\"\":1}\""));
        assert_eq!(jobs.shaped(&row)["metadata"], json!({"a": 1}));
        assert_eq!(jobs.csv_header().split(',').count(), jobs.columns.len());
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_run_are_neutralised() {
        for (given, cell) in [
            ("=1+2", "'=1+2"),
            ("+SUM(A1)", "'+SUM(A1)"),
            ("-2+3", "'-2+3"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
        ] {
            assert_eq!(csv_cell(&json!(given)), cell, "{given}");
        }
        assert_eq!(csv_cell(&json!("\rx")), "\"'\rx\"", "quoted too, for the carriage return");
        assert_eq!(csv_cell(&json!(-5)), "-5", "a number keeps its sign");
        assert_eq!(csv_cell(&json!("a-b=c")), "a-b=c", "only a leading character matters");
    }

    #[test]
    fn a_restore_has_the_erp_identities_and_the_ncr_counters() {
        for name in ["jobs", "parts", "operations", "cells"] {
            let e = ENTITIES.iter().find(|e| e.name == name).unwrap();
            assert!(e.columns.contains(&"external_source") && e.columns.contains(&"external_id"), "{name}");
        }
        assert!(ENTITIES.iter().any(|e| e.name == "ncr_sequences"));
    }

    #[test]
    fn the_json_pieces_make_one_document() {
        let jobs = &ENTITIES[0];
        let mut doc = json_opening(&json!({"id": "t"}), "2026-01-01T00:00:00.000Z");
        doc += &json_entity_opening(jobs);
        doc += &json_rows(jobs, &[json!({"id": "a"})], true);
        doc += &json_rows(jobs, &[json!({"id": "b"}), json!({"id": "c"})], false);
        doc += "]";
        doc += &json_closing(&json!({"jobs": 3}).as_object().cloned().unwrap());
        let v: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!((v["data"]["jobs"].as_array().map(Vec::len), v["meta"]["counts"]["jobs"].as_i64()), (Some(3), Some(3)));
    }
}
