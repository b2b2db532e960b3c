//! What ERP sync writes at each level: the columns an item may set, the table, its natural
//! key within its parent (a second record there is a clash) and its events. Limits are those
//! of the create endpoints, so whatever one path accepts the other does too.

use crate::resource::{Column, Kind};

/// The levels of the hierarchy a sync touches, parents first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Cell,
    Job,
    Part,
    Operation,
}

pub struct Spec {
    pub level: Level,
    pub singular: &'static str,
    pub label: &'static str,
    pub table: &'static str,
    pub columns: &'static [Column],
    /// The parent column (`job_id`, `part_id`), if any.
    pub parent: Option<&'static str>,
    /// The column unique within the parent (or the tenant): `job_number`, `part_number`, ...
    pub natural: &'static str,
    /// The events of a created and of a changed record, where the catalog has them.
    pub events: Option<(&'static str, &'static str)>,
    /// Columns a new record gets that no item sets: (column, SQL value).
    pub defaults: &'static [(&'static str, &'static str)],
    /// What a new record holds in a column an item may set but left out (the column's
    /// NOT NULL default): (column, SQL value).
    pub fallbacks: &'static [(&'static str, &'static str)],
}

pub const CELL: Spec = Spec {
    level: Level::Cell,
    singular: "cell",
    label: "Cell",
    table: "cells",
    columns: &[
        Column::new("name", Kind::Text(1, 255)).required(),
        Column::new("description", Kind::Text(0, 100_000)),
        Column::new("active", Kind::Boolean).not_null(),
    ],
    parent: None,
    natural: "name",
    events: None,
    defaults: &[],
    fallbacks: &[("active", "1")],
};

pub const JOB: Spec = Spec {
    level: Level::Job,
    singular: "job",
    label: "Job",
    table: "jobs",
    columns: &[
        Column::new("job_number", Kind::Text(1, 255)).required(),
        Column::new("customer", Kind::Text(0, 255)),
        Column::new("priority", Kind::Integer(0, 100)),
        Column::new("due_date", Kind::Date),
        Column::new("due_date_override", Kind::Date),
        Column::new("description", Kind::Text(0, 100_000)),
        Column::new("notes", Kind::Text(0, 100_000)),
        Column::new("metadata", Kind::Object),
    ],
    parent: None,
    natural: "job_number",
    events: Some(("job.created", "job.updated")),
    defaults: &[("status", "'not_started'")],
    fallbacks: &[],
};

pub const PART: Spec = Spec {
    level: Level::Part,
    singular: "part",
    label: "Part",
    table: "parts",
    columns: &[
        Column::new("part_number", Kind::Text(1, 255)).required(),
        Column::new("quantity", Kind::Integer(1, 1_000_000_000)).required(),
        Column::new("material", Kind::Text(0, 255)),
        Column::new("description", Kind::Text(0, 100_000)),
        Column::new("notes", Kind::Text(0, 100_000)),
        Column::new("drawing_url", Kind::Text(0, 2048)),
        Column::new("step_file_url", Kind::Text(0, 2048)),
        Column::new("metadata", Kind::Object),
    ],
    parent: Some("job_id"),
    natural: "part_number",
    events: Some(("part.created", "part.updated")),
    defaults: &[("status", "'not_started'")],
    fallbacks: &[],
};

pub const OPERATION: Spec = Spec {
    level: Level::Operation,
    singular: "operation",
    label: "Operation",
    table: "operations",
    columns: &[
        Column::new("operation_name", Kind::Text(1, 255)).required(),
        Column::new("sequence", Kind::Integer(1, 1_000_000)).required(),
        Column::new("estimated_time", Kind::Number(0.0, 1e9)),
        Column::new("setup_time_minutes", Kind::Number(0.0, 1e9)),
        Column::new("instructions", Kind::Text(0, 100_000)),
        Column::new("notes", Kind::Text(0, 100_000)),
    ],
    parent: Some("part_id"),
    natural: "sequence",
    events: None,
    defaults: &[("status", "'not_started'")],
    fallbacks: &[],
};

impl Spec {
    pub fn of(level: Level) -> &'static Spec {
        match level {
            Level::Cell => &CELL,
            Level::Job => &JOB,
            Level::Part => &PART,
            Level::Operation => &OPERATION,
        }
    }

    /// The columns a sync compares and writes, with the parent and, for operations, the cell.
    pub fn written_columns(&self) -> Vec<&'static str> {
        let mut cols: Vec<&'static str> = self.columns.iter().map(|c| c.name).collect();
        cols.extend(self.parent);
        if self.level == Level::Operation {
            cols.push("cell_id");
        }
        cols
    }
}
