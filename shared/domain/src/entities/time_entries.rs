//! Time entries as integrators read them to book labour: by operation, operator, part, job,
//! open or closed, and a date range on the start (`from` inclusive, `to` exclusive; a date
//! means its whole day). Entries are written only by the operation lifecycle.

use crate::protocol::sql::{Scope, Stmt};
use crate::resource::{self, Filter, FilterKind, ListSpec, Shown};
use serde_json::Value;

const FROM: &str = "time_entries t JOIN operations o ON o.id = t.operation_id JOIN parts p ON p.id = o.part_id \
    JOIN jobs j ON j.id = p.job_id LEFT JOIN users u ON u.id = t.operator_id";
const COLUMNS: &str = "t.id, t.operation_id, o.operation_name, p.id AS part_id, p.part_number, j.id AS job_id, j.job_number, \
    t.operator_id, u.full_name AS operator_name, u.employee_id, t.start_time, t.end_time, t.duration, t.time_type, t.notes, t.created_at";

pub const LIST: ListSpec = ListSpec {
    from: FROM,
    tenant: "t.tenant_id",
    id: "t.id",
    columns: COLUMNS,
    filters: &[
        Filter { param: "operation_id", clause: "t.operation_id = #", kind: FilterKind::Id },
        Filter { param: "operator_id", clause: "t.operator_id = #", kind: FilterKind::Id },
        Filter { param: "user_id", clause: "t.operator_id = #", kind: FilterKind::Id },
        Filter { param: "part_id", clause: "p.id = #", kind: FilterKind::Id },
        Filter { param: "job_id", clause: "j.id = #", kind: FilterKind::Id },
        Filter { param: "from", clause: "t.start_time >= #", kind: FilterKind::Date },
        Filter { param: "to", clause: "t.start_time < #", kind: FilterKind::Date },
        Filter { param: "open", clause: "(t.end_time IS NULL) = #", kind: FilterKind::Boolean },
    ],
    sorts: &[("start_time", "t.start_time"), ("end_time", "t.end_time"), ("duration", "t.duration")],
    default_desc: false,
};

/// One entry, read in the authentication round trip.
/// `data.time_entry` as GET answers it.
pub const SHOWN: Shown = Shown {
    table: "time_entries",
    list: &LIST,
    reads: |scope, id| vec![get(scope, id)],
    data: |found, id| resource::one_row(found, id, "Time entry", "time_entry", Value::clone),
};

pub fn get(scope: Scope<'_>, id: &str) -> Stmt {
    Stmt::scoped(scope, &format!("SELECT {COLUMNS} FROM {FROM} WHERE t.tenant_id = {{tenant}} AND t.id = ?2"), vec![id.into()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::http::Query;
    use crate::protocol::sql::Param;
    use crate::resource::parse_list;

    #[test]
    fn date_range_and_operator_filters() {
        let q = parse_list(&LIST, &Query::from_url("http://x/?job_id=00000000-0000-4000-8000-00000000000a&from=2026-01-15&to=2026-01-16T00:00:00Z&operator_id=00000000-0000-4000-8000-00000000000b")).unwrap();
        let s = q.stmts(&LIST, Scope::Tenant("t"));
        assert!(s[0].sql.contains("t.operator_id = ?2 AND j.id = ?3 AND t.start_time >= ?4 AND t.start_time < ?5"), "{}", s[0].sql);
        assert_eq!(s[0].params[3], Param::Text("2026-01-15".into()));
        assert_eq!(s[0].params[4], Param::Text("2026-01-16T00:00:00.000Z".into()));
        assert_eq!(parse_list(&LIST, &Query::from_url("http://x/?from=yesterday")).unwrap_err().status(), 400);
    }
}
