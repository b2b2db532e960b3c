//! Jobs: the ERP's orders, with their parts and operations.

pub mod create;
pub mod read;
pub mod status;
pub mod update;

use crate::resource::{schema, Column, Initial, Kind, Use};
use status::STATUSES;

/// What a job body may set: the job's create, its PATCH and its ERP sync are read by these.
pub const FIELDS: &[Column] = &[
    Column::new("job_number", Kind::Text(1, 255)).required().fixed(),
    Column::new("customer", Kind::Text(0, 255)).alias(&["customer_name"]),
    Column::new("due_date", Kind::Date),
    Column::new("due_date_override", Kind::Date),
    Column::new("priority", Kind::Integer(0, 100)),
    Column::new("description", Kind::Text(0, 100_000)),
    Column::new("notes", Kind::Text(0, 100_000)),
    Column::new("metadata", Kind::Object),
    Column::new("current_cell_id", Kind::Ref("cells")).fixed().not_synced(),
    // A PATCH moves the status through the status machine (update.rs), a sync never does.
    Column::new("status", Kind::OneOf(STATUSES, &[])).not_null().not_synced().initially(Initial::Text("not_started")),
];

/// The operations a new part nests, as JSON Schema (OpenAPI, MCP).
pub fn new_part_operations() -> serde_json::Value {
    schema::array(schema::body(crate::entities::operations::FIELDS, Use::Nested, &[]))
}

/// The parts a new job nests, each with its operations (at least one part).
pub fn new_job_parts() -> serde_json::Value {
    let mut parts = schema::array(schema::body(crate::entities::parts::FIELDS, Use::Nested, &[("operations", new_part_operations())]));
    parts["minItems"] = serde_json::json!(1);
    parts
}

/// Job columns as listed and returned, in the order of the reference's examples.
pub(crate) const JOB_COLUMNS: &str = "j.id, j.job_number, j.customer, j.status, j.priority, j.due_date, \
    j.due_date_override, j.description, j.notes, j.metadata, j.current_cell_id, j.started_at, j.paused_at, \
    j.resumed_at, j.completed_at, j.actual_duration, j.created_at, j.updated_at, j.external_source, j.external_id";

/// The job columns without their `j.` (for `RETURNING`, which takes no alias).
pub(crate) fn bare_job_columns() -> String {
    JOB_COLUMNS.replace("j.", "")
}

/// Columns that hold JSON text and are returned as JSON.
pub(crate) const JSON_COLUMNS: &[&str] = &["metadata", "file_paths"];

/// Deletes a job; its parts and operations (and what hangs off them) go with it through
/// `ON DELETE CASCADE`, in the same statement.
pub fn delete(tenant_id: &str, id: &str) -> crate::protocol::sql::Stmt {
    crate::protocol::sql::Stmt::new("DELETE FROM jobs WHERE id = ?1 AND tenant_id = ?2 RETURNING id", vec![id.into(), tenant_id.into()])
}
