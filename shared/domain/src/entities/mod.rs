//! The entity endpoints, one module each, each beginning with its declaration: the fields
//! its bodies may set (`FIELDS`) and how it is listed (`LIST`).

pub mod batches;
pub mod catalog;
pub mod deletions;
pub mod entity;
pub mod issues;
pub mod jobs;
pub mod nested;
pub mod operations;
pub mod parts;
pub mod time_entries;
pub mod webhooks;

#[cfg(test)]
mod tests {
    use crate::resource::{accepted, Column, Use};

    /// Every migration, in order.
    fn migrations() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut files: Vec<_> = std::fs::read_dir(dir).expect("migrations/").map(|e| e.expect("an entry").path()).collect();
        files.sort();
        files.iter().map(|f| std::fs::read_to_string(f).expect("a migration")).collect()
    }

    /// The columns of `table` that are NOT NULL with a default, with the default's SQL text,
    /// as the last migration that (re)creates it defines them.
    fn defaulted(table: &str) -> Vec<(String, String)> {
        let all = migrations();
        let sql = all.iter().rev().find(|m| m.contains(&format!("CREATE TABLE {table} ("))).expect("a migration creates the table");
        let start = sql.find(&format!("CREATE TABLE {table} (")).expect("the table");
        let body = &sql[start..start + sql[start..].find("\n);").expect("its end")];
        body.lines()
            .filter_map(|l| {
                let (_, default) = l.split_once("NOT NULL DEFAULT ")?;
                let value = default.split(|c: char| c.is_whitespace() || c == ',').next()?;
                Some((l.split_whitespace().next()?.to_string(), value.to_string()))
            })
            .collect()
    }

    /// A create that leaves a NOT NULL column out gets the declared initial value, which must
    /// be the database's own default; and a nested create or a sync writes every field it
    /// accepts, given or null, so a NOT NULL column among them needs one.
    #[test]
    fn initial_values_are_the_database_defaults_and_set_based_inserts_never_write_null() {
        // (table, fields, use, whether its insert writes every field of that use)
        let cases: [(&str, &[Column], Use, bool); 12] = [
            ("jobs", super::jobs::FIELDS, Use::Create, true),
            ("jobs", super::jobs::FIELDS, Use::Sync, true),
            ("parts", super::parts::FIELDS, Use::Nested, true),
            ("parts", super::parts::FIELDS, Use::Sync, true),
            ("operations", super::operations::FIELDS, Use::Nested, true),
            ("operations", super::operations::FIELDS, Use::Sync, true),
            ("cells", super::catalog::CELLS.columns, Use::Sync, true),
            ("issues", super::issues::FIELDS, Use::Create, false),
            ("batches", super::batches::FIELDS, Use::Create, false),
            ("users", super::catalog::OPERATORS.columns, Use::Create, false),
            ("substeps", super::catalog::SUBSTEPS.columns, Use::Create, false),
            ("webhooks", super::webhooks::FIELDS, Use::Create, false),
        ];
        for (table, fields, u, writes_every_field) in cases {
            let defaulted = defaulted(table);
            assert!(!defaulted.is_empty(), "{table}");
            for c in fields.iter().filter(|c| c.stored) {
                let default = defaulted.iter().find(|(name, _)| name == c.name).map(|(_, d)| d.as_str());
                if let Some(initial) = c.initial {
                    let default = default.unwrap_or_else(|| panic!("{table}.{} declares an initial value the database has no default for", c.name));
                    assert_eq!(initial.sql(), default, "{table}.{}: the declared initial value is the database's default", c.name);
                }
                if default.is_some() && c.accepts(u) && writes_every_field {
                    assert!(c.initial.is_some() || c.required_in(u), "{table}.{} is NOT NULL DEFAULT and {u:?} may leave it out", c.name);
                }
            }
            assert!(accepted(fields, u).next().is_some());
        }
    }
}
