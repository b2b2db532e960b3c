//! What most entities share, declared once: the columns a body may set, the references
//! (foreign keys) checked inside the authentication round trip, and lists with filters,
//! sorting and pagination. Entity modules declare their specs and add their own rules.

pub mod schema;

mod body;
mod column;
mod list;
mod shown;
mod write;

pub use body::*;
pub use column::*;
pub use list::*;
pub use shown::*;
pub use write::*;

use crate::protocol::error::ApiError;
use crate::protocol::sql::{Scope, Stmt};
use serde_json::Value;

/// A parsed create or PATCH body that knows what it must read in the authentication round trip.
pub trait Draft {
    /// Body fields it ignored, for `meta.ignored_fields`.
    fn ignored(&self) -> Vec<String>;
    /// Reads for the authentication round trip; `id` is the record a PATCH changes.
    fn preloads(&self, scope: Scope<'_>, id: Option<&str>) -> Vec<Stmt>;
}

/// A planned write that knows how to read its answer from what the write returned.
pub trait Planned {
    fn stmts(&self) -> &[Stmt];
    fn answer(&self, written: &[Vec<Value>]) -> Result<Value, ApiError>;
}

/// Implements [`Draft`] for a type whose inherent `preloads` and `ignored` field provide it.
macro_rules! delegate_draft {
    ($t:ty) => {
        impl $crate::resource::Draft for $t {
            fn ignored(&self) -> Vec<String> {
                self.ignored.clone()
            }

            fn preloads(&self, scope: $crate::protocol::sql::Scope<'_>, id: Option<&str>) -> Vec<$crate::protocol::sql::Stmt> {
                <$t>::preloads(self, scope, id)
            }
        }
    };
}
pub(crate) use delegate_draft;

/// Implements [`Planned`] for a type with a `stmts` field and an inherent `answer`.
macro_rules! delegate_planned {
    ($t:ty) => {
        impl $crate::resource::Planned for $t {
            fn stmts(&self) -> &[$crate::protocol::sql::Stmt] {
                &self.stmts
            }

            fn answer(&self, written: &[Vec<serde_json::Value>]) -> Result<serde_json::Value, $crate::ApiError> {
                <$t>::answer(self, written)
            }
        }
    };
}
pub(crate) use delegate_planned;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::Constraint;
    use crate::protocol::fields::Reader;
    use crate::protocol::http::Query;
    use crate::protocol::sql::Param;
    use serde_json::{json, Map};

    const COLS: &[Column] = &[
        Column::new("name", Kind::Text(1, 255)).required(),
        Column::new("cell_id", Kind::Ref("cells")),
        Column::new("done", Kind::Boolean),
        Column::new("part_id", Kind::Ref("parts")).required().fixed(),
    ];

    const SPEC: ListSpec = ListSpec {
        from: "things t",
        tenant: "t.tenant_id",
        id: "t.id",
        columns: "t.id, t.name",
        filters: &[
            Filter { param: "name", clause: "instr(lower(t.name), #) > 0", kind: FilterKind::Contains },
            Filter { param: "status", clause: "t.status = #", kind: FilterKind::OneOf(&["a", "b"], &[]) },
            Filter { param: "done", clause: "t.done = #", kind: FilterKind::Boolean },
        ],
        sorts: &[("created_at", "t.created_at"), ("name", "t.name")],
        default_desc: true,
    };

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn create_reads_required_optional_and_refs() {
        let b = obj(json!({"name": " Saw ", "cell_id": "c1", "done": true}));
        let mut errs = vec![];
        let v = parse_create(&Reader::root(&b, "thing"), COLS, Use::Create, "thing", 0, &mut errs);
        assert_eq!(errs.len(), 1, "part_id is required");
        assert_eq!((errs[0].field.as_str(), errs[0].constraint), ("part_id", Constraint::FkRequired));
        assert_eq!(v.text("name"), Some("Saw"));
        assert_eq!(v.get("done"), Some(&Param::Int(1)));
        assert_eq!(v.refs[0].table, "cells");
    }

    #[test]
    fn patch_skips_fixed_columns_and_refuses_clearing_required_ones() {
        let b = obj(json!({"name": null, "cell_id": null, "part_id": "p"}));
        let mut errs = vec![];
        let v = parse_patch(&Reader::root(&b, "thing"), COLS, Use::Patch, "thing", &mut errs);
        assert_eq!(errs[0].constraint, Constraint::NotNull);
        assert_eq!(v.sets, vec![("cell_id", Param::Null)]);
    }

    #[test]
    fn patch_refuses_null_for_not_null_columns_with_field_details() {
        const FLAGS: &[Column] = &[Column::new("active", Kind::Boolean).not_null()];
        let b = obj(json!({"active": null}));
        let mut errs = vec![];
        let v = parse_patch(&Reader::root(&b, "thing"), FLAGS, Use::Patch, "thing", &mut errs);
        assert_eq!((errs[0].field.as_str(), errs[0].constraint), ("active", Constraint::NotNull));
        assert!(v.sets.is_empty(), "nothing reaches the database's NOT NULL");
    }

    #[test]
    fn refs_are_checked_in_one_statement_and_missing_ones_named() {
        let refs = vec![
            Ref { path: "cell_id".into(), name: "cell_id", table: "cells", id: "c1".into(), entity: "op", index: 0 },
            Ref { path: "assigned_operator_id".into(), name: "assigned_operator_id", table: "users", id: "u1".into(), entity: "op", index: 0 },
        ];
        let s = check_refs(Scope::Tenant("t"), &refs);
        assert!(s.sql.contains("UNION ALL"));
        assert_eq!(s.params.len(), 3);
        let errs = missing_refs(&refs, &[json!({"tbl": "cells", "id": "c1"})]);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].message, "Foreign key assigned_operator_id references non-existent record: u1");
        assert_eq!(check_refs(Scope::Tenant("t"), &[]), Stmt::nothing(Scope::Tenant("t")));
    }

    #[test]
    fn partial_match_filters_take_any_text_up_to_the_column_length() {
        let q = |s: &str| parse_list(&SPEC, &Query::from_url(&format!("x?name={s}")));
        let long = q(&"%_A".repeat(85)).unwrap();
        assert_eq!(long.stmts(&SPEC, Scope::Tenant("t"))[0].params[1], Param::Text("%_a".repeat(85)), "literal, ASCII-folded");
        assert_eq!(q(&"a".repeat(256)).unwrap_err().status(), 400);
        assert!(!q("").unwrap().stmts(&SPEC, Scope::Tenant("t"))[0].sql.contains("instr"));
    }

    #[test]
    fn updated_since_filters_and_orders_by_change() {
        const SYNCED: ListSpec = ListSpec { sorts: &[("created_at", "j.created_at"), ("updated_at", "j.updated_at")], ..SPEC };
        let q = parse_list(&SYNCED, &Query::from_url("x?updated_since=2026-01-15T10:00:00%2B01:00")).unwrap();
        let s = &q.stmts(&SYNCED, Scope::Tenant("t"))[0];
        assert!(s.sql.contains("j.updated_at >= ?2") && s.sql.contains("ORDER BY j.updated_at ASC"), "{}", s.sql);
        assert_eq!(s.params[1], Param::Text("2026-01-15T09:00:00.000Z".into()));
        let sorted = parse_list(&SYNCED, &Query::from_url("x?updated_since=2026-01-15&sort_by=created_at")).unwrap();
        assert!(sorted.stmts(&SYNCED, Scope::Tenant("t"))[0].sql.contains("ORDER BY j.created_at DESC"));
        assert_eq!(parse_list(&SYNCED, &Query::from_url("x?updated_since=yesterday")).unwrap_err().status(), 400);
        assert_eq!(parse_list(&SPEC, &Query::from_url("x?updated_since=2026-01-15")).unwrap_err().status(), 400, "no updated_at on this list");
    }

    #[test]
    fn list_query_builds_filters_sort_and_page() {
        let q = Query::from_url("http://x/?name=a_b&status=b&done=true&sort_by=name&sort_order=asc&limit=10&offset=5&other=1");
        let lq = parse_list(&SPEC, &q).unwrap();
        let s = lq.stmts(&SPEC, Scope::Tenant("t"));
        assert_eq!(
            s[0].sql,
            "SELECT t.id, t.name FROM things t WHERE t.tenant_id = ?1 AND instr(lower(t.name), ?2) > 0 AND t.status = ?3 AND t.done = ?4 ORDER BY t.name ASC, t.id ASC LIMIT ?5 OFFSET ?6"
        );
        assert_eq!(s[0].params[1], Param::Text("a_b".into()));
        assert_eq!(s[1].params.len(), 4);
        let c = lq.children(&SPEC, Scope::Tenant("t"), "SELECT x FROM kids k WHERE k.thing_id IN ({page})");
        assert!(c.sql.contains("k.thing_id IN (SELECT t.id FROM things t WHERE"));
    }

    #[test]
    fn list_query_refuses_bad_values_and_can_skip_the_count() {
        let e = parse_list(&SPEC, &Query::from_url("http://x/?status=c&done=maybe&sort_by=x&limit=0")).unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(e.details.unwrap().as_array().unwrap().len(), 4);
        let lq = parse_list(&SPEC, &Query::from_url("http://x/?include_count=false")).unwrap();
        let (data, _) = lq.page("things", vec![], &[json!({"total": null})]);
        assert!(data["pagination"]["total"].is_null());
        assert!(lq.stmts(&SPEC, Scope::Tenant("t"))[1].params.len() == 1);
    }

    #[test]
    fn if_match_is_carried_into_the_write_unless_any_version_meets_it() {
        let seen = json!({"updated_at": "2026-01-01T00:00:00.000Z"});
        let c = if_match_condition(Some("\"abc\""), "jobs", Some(&seen), "t", "j").expect("a tag names a version");
        assert!(c.sql.contains("FROM jobs WHERE id = ?1 AND tenant_id = ?2 AND updated_at = ?3"));
        assert_eq!(c.params[2], Param::Text("2026-01-01T00:00:00.000Z".into()));
        assert!(if_match_condition(None, "jobs", Some(&seen), "t", "j").is_none());
        assert!(if_match_condition(Some("*"), "jobs", Some(&seen), "t", "j").is_none());
        assert!(if_match_condition(Some("\"abc\", *"), "jobs", Some(&seen), "t", "j").is_none(), "as etag_listed reads a list with *");
        assert!(if_match_condition(Some("\"abc\""), "jobs", None, "t", "j").is_none(), "no record: the write answers 404");
    }

    #[test]
    fn an_action_parameter_is_read_by_its_declaration() {
        const QUERY: &[Column] = &[Column::new("operator_id", Kind::Ref("users")), Column::new("user_id", Kind::Ref("users"))];
        let q = |s: &str| Query::from_url(&format!("x?{s}"));
        assert_eq!(action_param(&q("user_id=u1"), QUERY).unwrap(), Some("u1"));
        assert_eq!(action_param(&q("operator_id=o1&user_id=u1"), QUERY).unwrap(), Some("o1"), "the first declared wins");
        assert_eq!(action_param(&q("operator_id="), QUERY).unwrap(), None);
        let e = action_param(&q(&format!("user_id={}", "x".repeat(300))), QUERY).unwrap_err();
        assert_eq!((e.status(), e.details.unwrap()[0]["field"].as_str()), (400, Some("user_id")));
    }

    #[test]
    fn update_numbers_its_assignments_after_the_condition() {
        let s = update("cells", "i", "t", &[("name", "x".into())], Some(("status = ?3", "a".into())), "id");
        assert_eq!(s.sql, "UPDATE cells SET name = ?4 WHERE id = ?1 AND tenant_id = ?2 AND status = ?3 RETURNING id");
        let s = update("cells", "i", "t", &[("name", "x".into())], None, "id");
        assert_eq!(s.sql, "UPDATE cells SET name = ?3 WHERE id = ?1 AND tenant_id = ?2 RETURNING id");
    }

    #[test]
    fn decode_turns_json_text_and_flags_into_json() {
        let row = decode(&json!({"m": "{\"a\":1}", "done": 1.0, "x": "t"}), &["m"], &["done"]);
        assert_eq!(row, json!({"m": {"a": 1}, "done": true, "x": "t"}));
    }
}
