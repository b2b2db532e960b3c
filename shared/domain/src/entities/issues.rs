//! Quality issues and non-conformance reports (NCRs).
//!
//! Status machine: open -> in_progress -> resolved -> closed, where an issue may also go from
//! open straight to resolved or closed, from in_progress back to open or on to closed, and from
//! resolved back to in_progress (the fix did not hold). closed is final. Resolving stamps
//! `resolved_at` (and `resolved_by_id` when given); leaving resolved clears both. Setting
//! `verified_by_id` stamps `verified_at` and, on an NCR, emits `ncr.verified`. An NCR that
//! requires verification cannot be closed before it is verified (409).
//!
//! NCR numbers are `NCR-<year>-<NNNN>`, per tenant and year, from a counter incremented inside
//! the same atomic write as the NCR. A given `ncr_number` must be unused (409); one of the
//! standard form moves that year's counter past it, so generated numbers never collide with it.

use crate::delivery::events::{Event, EventType};
use crate::protocol::error::{ApiError, FieldError};
use crate::protocol::fields::Reader;
use crate::protocol::sql::{Param, Scope, Stmt};
use crate::resource::{self, Column, Filter, FilterKind, Initial, Kind, ListSpec, Shown, Use, Values};
use serde_json::{json, Map, Value};

pub const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];
pub const STATUSES: &[&str] = &["open", "in_progress", "resolved", "closed"];
pub const TYPES: &[&str] = &["general", "ncr"];
pub const NCR_CATEGORIES: &[&str] = &["material", "process", "equipment", "design", "supplier", "documentation", "other"];
pub const DISPOSITIONS: &[&str] = &["use_as_is", "rework", "repair", "scrap", "return_to_supplier"];
const TEXT: usize = 100_000;

pub const FIELDS: &[Column] = &[
    Column::new("operation_id", Kind::Ref("operations")).required().fixed(),
    Column::new("title", Kind::Text(1, 255)).required(),
    Column::new("description", Kind::Text(1, TEXT)),
    Column::new("severity", Kind::OneOf(SEVERITIES, &[])).not_null().initially(Initial::Text("medium")),
    Column::new("status", Kind::OneOf(STATUSES, &[])).not_null().initially(Initial::Text("open")),
    Column::new("issue_type", Kind::OneOf(TYPES, &[])).fixed().initially(Initial::Text("general")),
    Column::new("ncr_number", Kind::Text(1, 64)).fixed(),
    Column::new("ncr_category", Kind::OneOf(NCR_CATEGORIES, &[])),
    Column::new("disposition", Kind::OneOf(DISPOSITIONS, &[])).alias(&["ncr_disposition"]),
    Column::new("root_cause", Kind::Text(0, TEXT)),
    Column::new("corrective_action", Kind::Text(0, TEXT)),
    Column::new("preventive_action", Kind::Text(0, TEXT)),
    Column::new("affected_quantity", Kind::Integer(0, 1_000_000_000)),
    Column::new("verification_required", Kind::Boolean).not_null(),
    Column::new("reported_by_id", Kind::Ref("users")),
    Column::new("resolved_by_id", Kind::Ref("users")),
    Column::new("verified_by_id", Kind::Ref("users")),
    Column::new("resolution_notes", Kind::Text(0, TEXT)),
];

const RETURNING: &str = "id, operation_id, issue_type, ncr_number, title, description, severity, status, ncr_category, \
    disposition, root_cause, corrective_action, preventive_action, affected_quantity, verification_required, \
    reported_by_id, resolved_by_id, verified_by_id, resolved_at, verified_at, resolution_notes, created_at, updated_at";

pub const LIST: ListSpec = ListSpec {
    from: "issues i JOIN operations o ON o.id = i.operation_id JOIN parts p ON p.id = o.part_id",
    tenant: "i.tenant_id",
    id: "i.id",
    columns: "i.id, i.operation_id, o.operation_name, p.part_number, p.job_id, i.issue_type, i.ncr_number, i.title, \
        i.description, i.severity, i.status, i.ncr_category, i.disposition, i.root_cause, i.corrective_action, \
        i.preventive_action, i.affected_quantity, i.verification_required, i.reported_by_id, i.resolved_by_id, \
        i.verified_by_id, i.resolved_at, i.verified_at, i.resolution_notes, i.created_at, i.updated_at",
    filters: &[
        Filter { param: "issue_type", clause: "i.issue_type = #", kind: FilterKind::OneOf(TYPES, &[]) },
        Filter { param: "severity", clause: "i.severity = #", kind: FilterKind::OneOf(SEVERITIES, &[]) },
        Filter { param: "status", clause: "i.status = #", kind: FilterKind::OneOf(STATUSES, &[]) },
        Filter { param: "operation_id", clause: "i.operation_id = #", kind: FilterKind::Id },
        Filter { param: "job_id", clause: "p.job_id = #", kind: FilterKind::Id },
        Filter { param: "ncr_number", clause: "i.ncr_number = #", kind: FilterKind::Exact },
        Filter { param: "created_from", clause: "i.created_at >= #", kind: FilterKind::Date },
        Filter { param: "created_to", clause: "i.created_at < #", kind: FilterKind::Date },
        Filter { param: "search", clause: "instr(lower(i.title), #) > 0", kind: FilterKind::Contains },
    ],
    sorts: &[("created_at", "i.created_at"), ("updated_at", "i.updated_at"), ("status", "i.status"), ("ncr_number", "i.ncr_number")],
    default_desc: true,
};

pub fn decode(row: &Value) -> Value {
    resource::decode(row, &[], &["verification_required"])
}

/// One issue with its operation's name and its part and job, read in the authentication round trip.
pub fn get(scope: Scope<'_>, id: &str) -> Stmt {
    Stmt::scoped(scope, &format!("SELECT {} FROM {} WHERE i.tenant_id = {{tenant}} AND i.id = ?2", LIST.columns, LIST.from), vec![id.into()])
}

/// `data.issue` as GET answers it, for the GET and for If-Match.
pub const SHOWN: Shown =
    Shown { table: "issues", list: &LIST, reads: |scope, id| vec![get(scope, id)], data: |found, id| resource::one_row(found, id, "Issue", "issue", decode) };

/// Whether an issue may move from `from` to `to` (staying put is always allowed).
pub fn can_move(from: &str, to: &str) -> bool {
    from == to
        || matches!(
            (from, to),
            ("open", "in_progress" | "resolved" | "closed") | ("in_progress", "open" | "resolved" | "closed") | ("resolved", "in_progress" | "closed")
        )
}

crate::read_set!(
    /// Round trip one of a create or PATCH: the current row (PATCH), which references exist,
    /// and an issue holding the given NCR number.
    struct IssueReads { current, refs, clash }
);

/// A parsed create or PATCH body.
pub struct Draft {
    values: Values,
    errors: Vec<FieldError>,
    pub ignored: Vec<String>,
}

pub fn parse(body: &Map<String, Value>, patch: bool) -> Draft {
    let r = Reader::root(body, "issue");
    let mut errors = vec![];
    let values = resource::parse_body(&r, FIELDS, "issue", patch, &mut errors);
    let ignored = resource::ignored(&r, FIELDS, if patch { Use::Patch } else { Use::Create }, &[]);
    Draft { values, errors, ignored }
}

/// A given number of the standard form: its year and sequence number.
fn standard_number(n: &str) -> Option<(i64, i64)> {
    let rest = n.strip_prefix("NCR-")?;
    let (year, seq) = rest.split_once('-')?;
    let ok = year.len() == 4 && seq.len() >= 4 && year.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit());
    let (year, seq): (i64, i64) = ok.then(|| Some((year.parse().ok()?, seq.parse().ok()?))).flatten()?;
    // Beyond this a counter could not go on (`last + 1` near i64::MAX overflows into a real):
    // such a number is kept as given but does not move the year's counter.
    (seq <= MAX_SEQUENCE).then_some((year, seq))
}

/// The largest NCR sequence a given number may move the counter to: a billion NCRs a year.
const MAX_SEQUENCE: i64 = 999_999_999;

crate::resource::delegate_draft!(Draft);

crate::resource::delegate_planned!(Planned);

impl Draft {
    /// Reads in the authentication round trip: the current issue (PATCH), the references, and
    /// an issue already holding the given NCR number.
    pub fn preloads(&self, scope: Scope<'_>, id: Option<&str>) -> Vec<Stmt> {
        let nothing = || Stmt::nothing(scope);
        let current = id.map_or_else(nothing, |id| {
            Stmt::scoped(
                scope,
                "SELECT id, issue_type, ncr_number, status, verification_required, verified_by_id, verified_at, resolved_at \
                 FROM issues WHERE tenant_id = {tenant} AND id = ?2",
                vec![id.into()],
            )
        });
        let clash = match self.values.get("ncr_number") {
            Some(n) => Stmt::scoped(scope, "SELECT id FROM issues WHERE tenant_id = {tenant} AND ncr_number = ?2", vec![n.clone()]),
            None => nothing(),
        };
        IssueReads { current, refs: resource::check_refs(scope, &self.values.refs), clash }.stmts()
    }

    /// 404 / 422 / 409, then the write with its event(s).
    pub fn plan(mut self, found: &[Vec<Value>], tenant_id: &str, now: &str, id: Option<&str>, mut mint: impl FnMut() -> String) -> Result<Planned, ApiError> {
        let found = IssueReads::rows(found);
        let current = match id {
            Some(id) => Some(found.current.first().ok_or_else(|| ApiError::not_found("Issue", id))?.clone()),
            None => None,
        };
        self.errors.extend(resource::missing_refs(&self.values.refs, found.refs));
        if !self.errors.is_empty() {
            return Err(ApiError::validation("issue", self.errors));
        }
        if id.is_some() && self.values.sets.is_empty() {
            return Err(ApiError::nothing_to_update("issue"));
        }
        if !found.clash.is_empty() {
            return Err(ApiError::conflict(format!("NCR number {} already exists", self.values.text("ncr_number").unwrap_or_default())));
        }
        let empty = json!({});
        let cur = current.as_ref().unwrap_or(&empty);
        let from = cur["status"].as_str().unwrap_or("open").to_string();
        let to = self.values.text("status").unwrap_or(&from).to_string();
        if !can_move(&from, &to) {
            return Err(ApiError::conflict(format!("Cannot change issue status from {from} to {to}")));
        }
        self.stamp(cur, &from, &to, now);
        self.check_closing(cur, &to)?;
        let stmts = match id {
            None => self.plan_create(tenant_id, now, &mut mint),
            Some(id) => self.plan_update(cur, tenant_id, now, id, &from, &mut mint),
        };
        let row = stmts.iter().position(|s| s.sql.contains(&format!("RETURNING {RETURNING}"))).unwrap_or(0);
        Ok(Planned { stmts, row })
    }

    /// `resolved_at` follows resolving, `verified_at` follows `verified_by_id`.
    fn stamp(&mut self, cur: &Value, from: &str, to: &str, now: &str) {
        if to == "resolved" && from != "resolved" {
            self.values.set("resolved_at", now.into());
        }
        if from == "resolved" && to != "resolved" {
            self.values.set("resolved_at", Param::Null);
            if self.values.get("resolved_by_id").is_none() {
                self.values.set("resolved_by_id", Param::Null);
            }
        }
        match self.values.get("verified_by_id") {
            Some(Param::Text(who)) if cur["verified_by_id"].as_str() != Some(who) => self.values.set("verified_at", now.into()),
            Some(Param::Null) => self.values.set("verified_at", Param::Null),
            _ => {}
        }
    }

    /// 409 for closing an NCR that requires verification and is not verified.
    fn check_closing(&self, cur: &Value, to: &str) -> Result<(), ApiError> {
        let required = match self.values.get("verification_required") {
            Some(p) => *p == Param::Int(1),
            None => cur["verification_required"].as_f64() == Some(1.0),
        };
        let verified = match self.values.get("verified_by_id") {
            Some(p) => *p != Param::Null,
            None => !cur["verified_at"].is_null() && cur.get("verified_at").is_some(),
        };
        if to == "closed" && required && !verified {
            let name = cur["ncr_number"].as_str().or(self.values.text("ncr_number")).unwrap_or("this issue");
            return Err(ApiError::conflict(format!("{name} requires verification before it can be closed: set verified_by_id first")));
        }
        Ok(())
    }

    fn plan_create(self, tenant_id: &str, now: &str, mint: &mut impl FnMut() -> String) -> Vec<Stmt> {
        let issue_id = mint();
        let is_ncr = self.values.text("issue_type") == Some("ncr");
        let year: i64 = now[..4].parse().unwrap_or(1970);
        let mut stmts = vec![];
        let mut sets: Vec<(&'static str, Param)> = vec![("id", issue_id.clone().into()), ("tenant_id", tenant_id.into())];
        sets.extend(self.values.sets.iter().cloned());
        sets.push(("created_at", now.into()));
        sets.push(("updated_at", now.into()));
        let number_sql = match (is_ncr, self.values.text("ncr_number")) {
            (true, None) => {
                stmts.push(Stmt::new(
                    "INSERT INTO ncr_sequences (tenant_id, year, last) VALUES (?1, ?2, 1) ON CONFLICT (tenant_id, year) DO UPDATE SET last = last + 1",
                    vec![tenant_id.into(), year.into()],
                ));
                Some(format!("printf('NCR-%d-%04d', {year}, (SELECT last FROM ncr_sequences WHERE tenant_id = ?2 AND year = {year}))"))
            }
            (_, Some(given)) => {
                if let Some((y, n)) = standard_number(given) {
                    stmts.push(Stmt::new(
                        "INSERT INTO ncr_sequences (tenant_id, year, last) VALUES (?1, ?2, ?3) ON CONFLICT (tenant_id, year) DO UPDATE SET last = MAX(last, excluded.last)",
                        vec![tenant_id.into(), y.into(), n.into()],
                    ));
                }
                None
            }
            (false, None) => None,
        };
        let names: Vec<&str> = sets.iter().map(|(n, _)| *n).chain(number_sql.as_ref().map(|_| "ncr_number")).collect();
        let mut slots: Vec<String> = (1..=sets.len()).map(|i| format!("?{i}")).collect();
        slots.extend(number_sql);
        stmts.push(Stmt::new(
            format!("INSERT INTO issues ({}) VALUES ({}) ON CONFLICT DO NOTHING RETURNING {RETURNING}", names.join(", "), slots.join(", ")),
            sets.into_iter().map(|(_, p)| p).collect(),
        ));
        let event_type = if is_ncr { EventType::NcrCreated } else { EventType::IssueCreated };
        let mut data = Map::new();
        data.insert("issue_id".into(), json!(issue_id));
        data.extend(self.values.shown());
        // A generated number is read from the row just written, inside the same write.
        let event = Event { id: mint(), event_type, tenant_id: tenant_id.into(), timestamp: now.into(), data: Value::Object(data) };
        stmts.push(event.insert_filled_when(
            &[("ncr_number", "SELECT ncr_number FROM issues WHERE id = ?6")],
            "EXISTS (SELECT 1 FROM issues WHERE id = ?6)",
            vec![issue_id.clone().into()],
        ));
        stmts
    }

    fn plan_update(self, cur: &Value, tenant_id: &str, now: &str, id: &str, from: &str, mint: &mut impl FnMut() -> String) -> Vec<Stmt> {
        let mut sets = self.values.sets.clone();
        sets.push(("updated_at", now.into()));
        let mut stmts = vec![resource::update("issues", id, tenant_id, &sets, Some(("status = ?3", from.into())), RETURNING)];
        let newly_verified = matches!(self.values.get("verified_by_id"), Some(Param::Text(who)) if cur["verified_by_id"].as_str() != Some(who));
        if cur["issue_type"] == "ncr" && newly_verified {
            let data = json!({
                "issue_id": id, "ncr_number": cur["ncr_number"], "verified_by_id": self.values.get("verified_by_id").map(Param::to_json),
                "verified_at": now, "status": self.values.text("status").unwrap_or(from),
            });
            let event = Event { id: mint(), event_type: EventType::NcrVerified, tenant_id: tenant_id.into(), timestamp: now.into(), data };
            stmts.push(event.insert_when("changes() = 1", vec![]));
        }
        stmts
    }
}

/// A planned write, and which of its statements returns the issue.
#[derive(Debug)]
pub struct Planned {
    pub stmts: Vec<Stmt>,
    row: usize,
}

impl Planned {
    /// The answer from the issue row; none means its NCR number was taken meanwhile (create)
    /// or the issue changed meanwhile (PATCH): 409.
    pub fn answer(&self, written: &[Vec<Value>]) -> Result<Value, ApiError> {
        let row = written.get(self.row).and_then(|r| r.first());
        row.map(|r| json!({ "issue": decode(r) }))
            .ok_or_else(|| ApiError::conflict("The issue changed, or its NCR number was taken, while this request ran; retry"))
    }
}

/// The DELETE of an issue.
pub fn delete(tenant_id: &str, id: &str) -> Stmt {
    resource::delete("issues", tenant_id, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ids;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn op_found() -> Vec<Value> {
        vec![json!({"tbl": "operations", "id": "op"}), json!({"tbl": "users", "id": "u"})]
    }

    #[test]
    fn reference_ncr_example_numbers_itself_in_the_same_write() {
        let d = parse(
            &body(json!({
                "operation_id": "op", "title": "Dimensional Out of Tolerance", "description": "Part hole diameter measured 0.505\", spec is 0.500\" ±0.002\"",
                "severity": "high", "issue_type": "ncr", "ncr_category": "process", "affected_quantity": 5, "disposition": "rework",
                "root_cause": "Tool wear - end mill exceeded replacement interval", "corrective_action": "Replaced tool, re-machined 5 parts",
                "preventive_action": "Implemented tool life tracking in system", "verification_required": true, "reported_by_id": "u"
            })),
            false,
        );
        assert!(d.ignored.is_empty());
        let p = d.plan(&[vec![], op_found(), vec![]], "t", "2026-01-15T14:30:00.000Z", None, ids()).unwrap();
        assert_eq!(p.row, 1);
        let s = &p.stmts;
        assert!(s[0].sql.starts_with("INSERT INTO ncr_sequences"));
        assert!(s[1].sql.contains("printf('NCR-%d-%04d', 2026, (SELECT last FROM ncr_sequences WHERE tenant_id = ?2 AND year = 2026))"));
        assert!(s[2].sql.contains("json_set(?4, '$.data.ncr_number', (SELECT ncr_number FROM issues WHERE id = ?6))"));
        assert!(s[2].params.contains(&Param::Text("ncr.created".into())));
    }

    #[test]
    fn status_machine() {
        for (from, to, ok) in [
            ("open", "in_progress", true),
            ("open", "resolved", true),
            ("open", "closed", true),
            ("in_progress", "open", true),
            ("in_progress", "resolved", true),
            ("resolved", "closed", true),
            ("resolved", "in_progress", true),
            ("resolved", "open", false),
            ("closed", "open", false),
            ("closed", "resolved", false),
            ("closed", "closed", true),
        ] {
            assert_eq!(can_move(from, to), ok, "{from} -> {to}");
        }
    }

    #[test]
    fn closing_an_unverified_ncr_that_needs_verification_is_409() {
        let cur = vec![
            json!({"id": "i", "issue_type": "ncr", "ncr_number": "NCR-2026-0001", "status": "resolved", "verification_required": 1, "verified_at": null, "verified_by_id": null}),
        ];
        let d = parse(&body(json!({"status": "closed"})), true);
        let e = d.plan(&[cur.clone(), vec![], vec![]], "t", "now", Some("i"), ids()).unwrap_err();
        assert_eq!((e.status(), e.message.starts_with("NCR-2026-0001 requires verification")), (409, true));
        let d = parse(&body(json!({"status": "closed", "verified_by_id": "u"})), true);
        let s = d.plan(&[cur, op_found(), vec![]], "t", "now", Some("i"), ids()).unwrap().stmts;
        assert!(s[1].params.contains(&Param::Text("ncr.verified".into())));
    }

    #[test]
    fn resolving_stamps_and_reopening_clears() {
        let cur = vec![json!({"id": "i", "issue_type": "general", "status": "in_progress", "verification_required": 0, "verified_at": null})];
        let d = parse(&body(json!({"status": "resolved", "resolved_by_id": "u"})), true);
        let s = d.plan(&[cur, op_found(), vec![]], "t", "now", Some("i"), ids()).unwrap().stmts;
        assert!(s[0].sql.contains("resolved_at = ?"));
        let back = vec![json!({"id": "i", "issue_type": "general", "status": "resolved", "verification_required": 0})];
        let d = parse(&body(json!({"status": "in_progress"})), true);
        let s = d.plan(&[back, vec![], vec![]], "t", "now", Some("i"), ids()).unwrap().stmts;
        assert!(s[0].sql.contains("resolved_at = ?") && s[0].sql.contains("resolved_by_id = ?"));
        assert_eq!(s.len(), 1, "no event for a general issue");
    }

    #[test]
    fn a_given_standard_number_moves_the_counter_past_it() {
        assert_eq!(standard_number("NCR-2026-0042"), Some((2026, 42)));
        assert_eq!(standard_number("NCR-2026-42"), None);
        assert_eq!(standard_number("QA-7"), None);
        assert_eq!(standard_number("NCR-2026-9223372036854775807"), None, "a counter could not go on from there");
        assert_eq!(standard_number("NCR-2026-99999999999999999999"), None, "nor from past i64");
        assert_eq!(standard_number("NCR-2026-999999999"), Some((2026, MAX_SEQUENCE)));
        let d = parse(&body(json!({"operation_id": "op", "title": "t", "issue_type": "ncr", "ncr_number": "NCR-2026-0042"})), false);
        let s = d.plan(&[vec![], op_found(), vec![]], "t", "2026-03-01T00:00:00.000Z", None, ids()).unwrap().stmts;
        assert!(s[0].sql.contains("MAX(last, excluded.last)"));
        let d = parse(&body(json!({"operation_id": "op", "title": "t", "issue_type": "ncr", "ncr_number": "NCR-2026-0042"})), false);
        assert_eq!(d.plan(&[vec![], op_found(), vec![json!({"id": "x"})]], "t", "now", None, ids()).unwrap_err().status(), 409);
    }

    #[test]
    fn enums_name_their_values() {
        let d = parse(&body(json!({"operation_id": "op", "title": "t", "severity": "urgent", "ncr_category": "x", "ncr_disposition": "burn"})), false);
        let e = d.plan(&[vec![], op_found(), vec![]], "t", "now", None, ids()).unwrap_err();
        let d = e.details.unwrap();
        assert_eq!(d[0]["message"], "Issue severity must be one of: low, medium, high, critical");
        assert!(d.as_array().unwrap().iter().all(|x| x["constraint"] == "ENUM_CONSTRAINT"));
        assert_eq!(d.as_array().unwrap().len(), 3);
    }
}
