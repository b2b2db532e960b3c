//! Incremental sync for an ERP: every list takes `updated_since` (see
//! [`crate::resource::parse_list`]), and `GET /api-deletions?since=` lists what was deleted,
//! recorded by triggers for requests and cascades alike (migration 0009).

use crate::protocol::sql::Stmt;
use crate::protocol::time::Now;
use crate::resource::{Filter, FilterKind, ListSpec};

/// Entities whose deletions are recorded, as the `entity` column names them.
pub const ENTITIES: &[&str] = &["job", "part", "operation", "substep", "time_entry", "cell", "material", "operator", "issue", "batch", "webhook"];

/// Deletion records are kept this long (the contract promises 30 days).
const KEPT_DAYS: i64 = 90;

pub const DELETIONS: ListSpec = ListSpec {
    from: "deletions d",
    tenant: "d.tenant_id",
    id: "d.id",
    columns: "d.entity, d.id, d.deleted_at",
    filters: &[
        Filter { param: "since", clause: "d.deleted_at >= #", kind: FilterKind::Date },
        Filter { param: "entity", clause: "d.entity = #", kind: FilterKind::OneOf(ENTITIES, &[]) },
    ],
    sorts: &[("deleted_at", "d.deleted_at")],
    default_desc: false,
};

/// Deletion records past their keeping, for the scheduled sweep.
pub fn expired_deletions(now: Now) -> Stmt {
    Stmt::new("DELETE FROM deletions WHERE deleted_at < ?1", vec![Now(now.0 - KEPT_DAYS * 86_400_000).rfc3339().into()])
}
