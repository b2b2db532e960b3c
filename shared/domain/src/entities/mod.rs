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

    /// The columns of `table` that are NOT NULL with a default, from the migrations.
    fn defaulted(table: &str) -> Vec<String> {
        let sql = include_str!("../../../../migrations/0001_foundation.sql");
        let start = sql.find(&format!("CREATE TABLE {table} (")).expect("the table is in the first migration");
        let body = &sql[start..start + sql[start..].find("\n);").expect("its end")];
        body.lines().filter(|l| l.contains("NOT NULL DEFAULT")).filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect()
    }

    /// A nested create and a sync write every field they accept, given or null: a NOT NULL
    /// column among them needs a value the declaration supplies, or the insert fails.
    #[test]
    fn set_based_inserts_never_write_null_into_a_defaulted_column() {
        let cases: [(&str, &[Column], Use); 6] = [
            ("jobs", super::jobs::FIELDS, Use::Create),
            ("jobs", super::jobs::FIELDS, Use::Sync),
            ("parts", super::parts::FIELDS, Use::Nested),
            ("parts", super::parts::FIELDS, Use::Sync),
            ("operations", super::operations::FIELDS, Use::Nested),
            ("cells", super::catalog::CELLS.columns, Use::Sync),
        ];
        for (table, fields, u) in cases {
            let defaulted = defaulted(table);
            assert!(!defaulted.is_empty(), "{table}");
            for c in accepted(fields, u).filter(|c| c.stored && defaulted.contains(&c.name.to_string())) {
                assert!(c.initial.is_some() || c.required_in(u), "{table}.{} is NOT NULL DEFAULT and {u:?} may leave it out", c.name);
            }
        }
    }
}
