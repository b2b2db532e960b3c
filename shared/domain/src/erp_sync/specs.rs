//! What ERP sync writes at each level: the table, its natural key within its parent (a second
//! record there is a clash) and its events. The fields an item may set are the entity's own
//! declaration (those it accepts in [`Use::Sync`]), so whatever one path accepts the other
//! does too.

use crate::delivery::events::EventType;
use crate::resource::{self, Column, Use};

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
    /// The entity's fields, of which a sync item sets those accepted in [`Use::Sync`].
    pub fields: &'static [Column],
    /// Sync fields the matcher resolves itself rather than writing them as given (an
    /// operation's `cell_id` and `cell_name`).
    pub resolved: &'static [&'static str],
    /// The parent column (`job_id`, `part_id`), if any.
    pub parent: Option<&'static str>,
    /// The column unique within the parent (or the tenant): `job_number`, `part_number`, ...
    pub natural: &'static str,
    /// The events of a created and of a changed record, where the catalog has them.
    pub events: Option<(EventType, EventType)>,
}

pub const CELL: Spec = Spec {
    level: Level::Cell,
    singular: "cell",
    label: "Cell",
    table: "cells",
    fields: crate::entities::catalog::CELLS.columns,
    resolved: &[],
    parent: None,
    natural: "name",
    events: None,
};

pub const JOB: Spec = Spec {
    level: Level::Job,
    singular: "job",
    label: "Job",
    table: "jobs",
    fields: crate::entities::jobs::FIELDS,
    resolved: &[],
    parent: None,
    natural: "job_number",
    events: Some((EventType::JobCreated, EventType::JobUpdated)),
};

pub const PART: Spec = Spec {
    level: Level::Part,
    singular: "part",
    label: "Part",
    table: "parts",
    fields: crate::entities::parts::FIELDS,
    resolved: &[],
    parent: Some("job_id"),
    natural: "part_number",
    events: Some((EventType::PartCreated, EventType::PartUpdated)),
};

pub const OPERATION: Spec = Spec {
    level: Level::Operation,
    singular: "operation",
    label: "Operation",
    table: "operations",
    fields: crate::entities::operations::FIELDS,
    resolved: &["cell_id", "cell_name"],
    parent: Some("part_id"),
    natural: "sequence",
    events: None,
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

    /// The fields an item sets as given.
    pub fn columns(&self) -> Vec<Column> {
        resource::accepted(self.fields, Use::Sync).filter(|c| !self.resolved.contains(&c.name)).copied().collect()
    }

    /// Columns a new record gets that no item sets, with their initial values as SQL.
    pub fn defaults(&self) -> Vec<(&'static str, String)> {
        self.fields.iter().filter(|c| !c.accepts(Use::Sync)).filter_map(|c| Some((c.name, c.initial?.sql()))).collect()
    }

    /// What a new record holds in a column an item may set but left out, as SQL.
    pub fn fallback(&self, col: &str) -> Option<String> {
        resource::accepted(self.fields, Use::Sync).find(|c| c.name == col).and_then(|c| c.initial).map(|i| i.sql())
    }

    /// The columns a sync compares and writes, with the parent and, for operations, the cell.
    pub fn written_columns(&self) -> Vec<&'static str> {
        let mut cols: Vec<&'static str> = self.columns().iter().map(|c| c.name).collect();
        cols.extend(self.parent);
        if self.level == Level::Operation {
            cols.push("cell_id");
        }
        cols
    }
}
