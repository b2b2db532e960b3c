//! Jobs: the ERP's orders, with their parts and operations.

pub mod create;
pub mod read;
pub mod status;
pub mod update;

/// Job columns as listed and returned, in the order of the reference's examples.
const JOB_FIELDS: &[&str] = &[
    "id", "job_number", "customer", "status", "priority", "due_date", "due_date_override", "description", "notes",
    "metadata", "current_cell_id", "started_at", "paused_at", "resumed_at", "completed_at", "actual_duration",
    "created_at", "updated_at",
];

/// The job columns, qualified by `alias` (as in `j.id`) or bare when it is empty.
pub(crate) fn job_columns(alias: &str) -> String {
    let dot = if alias.is_empty() { String::new() } else { format!("{alias}.") };
    JOB_FIELDS.iter().map(|f| format!("{dot}{f}")).collect::<Vec<_>>().join(", ")
}

/// Columns that hold JSON text and are returned as JSON.
pub(crate) const JSON_COLUMNS: &[&str] = &["metadata", "file_paths"];

/// Deletes a job; its parts and operations (and what hangs off them) go with it through
/// `ON DELETE CASCADE`, in the same statement.
pub fn delete(tenant_id: &str, id: &str) -> crate::sql::Stmt {
    crate::sql::Stmt::new("DELETE FROM jobs WHERE id = ?1 AND tenant_id = ?2 RETURNING id", vec![id.into(), tenant_id.into()])
}
