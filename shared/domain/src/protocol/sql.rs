//! SQL statements as plain data. The domain plans what to run; the edge crate binds these to
//! D1 and runs them, so every query can be read and tested here without a database.

/// A bound value. Text columns must get `Text`: D1 binds every JS number as REAL, which a
/// TEXT column would store as "4.0".
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
}

/// One SQL statement with its `?N` parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub sql: String,
    pub params: Vec<Param>,
    /// Whether it gives the delivery worker work (an event in the outbox, a delivery made
    /// pending again): a write that holds one tells the worker once it has committed (the
    /// edge's `Call::write`), so no caller has to remember to.
    pub for_delivery: bool,
}

/// A named set of statements for one batch, and the same names over the batch's results: the
/// statements go in field order (`stmts()`, as `Stmt`s) and their rows come back in it
/// (`rows()`, as `&[Value]`), so no reader counts positions.
///
/// ```ignore
/// read_set!(pub struct PartReads { current, refs, clash, parent });
/// let stmts = PartReads { current: get(..), refs: .., clash: .., parent: .. }.stmts();
/// let found = PartReads::rows(&results);
/// if found.current.is_empty() { /* 404 */ }
/// ```
#[macro_export]
macro_rules! read_set {
    ($(#[$m:meta])* $vis:vis struct $name:ident { $($(#[$fm:meta])* $field:ident),+ $(,)? }) => {
        $(#[$m])*
        $vis struct $name<T> { $($(#[$fm])* pub $field: T),+ }

        impl $name<$crate::protocol::sql::Stmt> {
            /// The statements, in field order.
            pub fn stmts(self) -> Vec<$crate::protocol::sql::Stmt> {
                vec![$(self.$field),+]
            }
        }

        impl<'a> $name<&'a [serde_json::Value]> {
            /// The rows of each statement (none for a statement the batch did not answer).
            pub fn rows(found: &'a [Vec<serde_json::Value>]) -> Self {
                Self::split(found).0
            }

            /// The set's rows, from the start of `found`, and the results of what followed it.
            pub fn split(found: &'a [Vec<serde_json::Value>]) -> (Self, &'a [Vec<serde_json::Value>]) {
                let len = [$(stringify!($field)),+].len();
                let (own, rest) = found.split_at(len.min(found.len()));
                let mut each = own.iter().map(Vec::as_slice);
                ($name { $($field: each.next().unwrap_or(&[])),+ }, rest)
            }
        }
    };
}

/// How a statement names the caller's tenant, always as parameter `?1` in the `{tenant}` slot.
///
/// Before authentication has answered, reads ride in the same D1 round trip as the key lookup
/// and name the tenant through the key's hash; a revoked or unknown key scopes them to nothing.
/// After it, writes name the tenant id directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    KeyHash(&'a str),
    Tenant(&'a str),
    /// An admin endpoint's reads: the tenant of the signed-in user, only while an active admin.
    Admin(&'a str),
}

impl Scope<'_> {
    fn expr(&self) -> &'static str {
        match self {
            Scope::KeyHash(_) => "(SELECT tenant_id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL)",
            Scope::Tenant(_) => "?1",
            Scope::Admin(_) => "(SELECT tenant_id FROM users WHERE id = ?1 AND role = 'admin' AND active = 1)",
        }
    }

    fn param(&self) -> Param {
        match self {
            Scope::KeyHash(v) | Scope::Tenant(v) | Scope::Admin(v) => Param::Text((*v).to_string()),
        }
    }
}

impl Stmt {
    pub fn new(sql: impl Into<String>, params: Vec<Param>) -> Stmt {
        Stmt { sql: sql.into(), params, for_delivery: false }
    }

    /// Marks a statement that gives the delivery worker work (see [`Stmt::for_delivery`]).
    pub fn for_delivery(mut self) -> Stmt {
        self.for_delivery = true;
        self
    }

    /// A read that returns no rows: it keeps a batch's result positions fixed when a request
    /// has nothing to check in that place.
    pub fn nothing(scope: Scope<'_>) -> Stmt {
        Stmt::scoped(scope, "SELECT 1 WHERE {tenant} IS NULL AND 0", vec![])
    }

    /// A statement whose SQL names the tenant as `{tenant}`; `params` are `?2` onwards.
    pub fn scoped(scope: Scope<'_>, sql: &str, params: Vec<Param>) -> Stmt {
        let mut all = Vec::with_capacity(params.len() + 1);
        all.push(scope.param());
        all.extend(params);
        Stmt { sql: sql.replace("{tenant}", scope.expr()), params: all, for_delivery: false }
    }
}

impl Param {
    /// The value as JSON (text stays text).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Param::Null => serde_json::Value::Null,
            Param::Text(s) => s.as_str().into(),
            Param::Int(i) => (*i).into(),
            Param::Real(f) => (*f).into(),
        }
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(v.to_string())
    }
}

impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(v)
    }
}

impl From<&String> for Param {
    fn from(v: &String) -> Param {
        Param::Text(v.clone())
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(v)
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Param {
        Param::Real(v)
    }
}

impl From<bool> for Param {
    fn from(v: bool) -> Param {
        Param::Int(v as i64)
    }
}

impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(v: Option<T>) -> Param {
        v.map(Into::into).unwrap_or(Param::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_puts_the_tenant_first() {
        let s = Stmt::scoped(Scope::Tenant("t1"), "SELECT 1 FROM jobs WHERE tenant_id = {tenant} AND id = ?2", vec!["j".into()]);
        assert_eq!(s.sql, "SELECT 1 FROM jobs WHERE tenant_id = ?1 AND id = ?2");
        assert_eq!(s.params, vec![Param::Text("t1".into()), Param::Text("j".into())]);
    }

    #[test]
    fn key_scope_resolves_the_tenant_through_an_unrevoked_key() {
        let s = Stmt::scoped(Scope::KeyHash("h"), "SELECT 1 FROM jobs WHERE tenant_id = {tenant}", vec![]);
        assert!(s.sql.contains("FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL"));
        assert_eq!(s.params, vec![Param::Text("h".into())]);
    }

    #[test]
    fn a_failed_condition_is_its_own_answer() {
        let s = Condition::IfMatch.unless("EXISTS (SELECT 1 FROM jobs WHERE id = ?1)", vec!["j".into()]);
        assert_eq!(s.sql, "INSERT INTO write_conditions (failed) SELECT 'if_match' WHERE NOT COALESCE((EXISTS (SELECT 1 FROM jobs WHERE id = ?1)), 0)");
        assert_eq!(classify_failure("D1_ERROR: CHECK constraint failed: if_match_failed: SQLITE_CONSTRAINT").status(), 412);
        assert_eq!(classify_failure("CHECK constraint failed: quota_exceeded").status(), 402);
        assert_eq!(classify_failure("CHECK constraint failed: record_changed").status(), 409);
        assert_eq!(classify_failure("CHECK constraint failed: status IN ('a')").status(), 422);
    }

    #[test]
    fn options_become_null() {
        assert_eq!(Param::from(None::<String>), Param::Null);
        assert_eq!(Param::from(Some(3i64)), Param::Int(3));
        assert_eq!(Param::from(true), Param::Int(1));
    }
}

/// A condition a write carries into its own batch (see migration 0012): checked at commit, not
/// in an earlier round trip, so no concurrent request can slip between check and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// The record still has the version `If-Match` named (412 otherwise).
    IfMatch,
    /// A plan quota still has room (402 otherwise).
    Quota,
    /// A record the write was planned from is unchanged since it was read (409 otherwise).
    Unchanged,
}

impl Condition {
    fn value(self) -> &'static str {
        match self {
            Condition::IfMatch => "if_match",
            Condition::Quota => "quota",
            Condition::Unchanged => "changed",
        }
    }

    /// The name of the CHECK that refuses its row: what SQLite's error says.
    fn constraint(self) -> &'static str {
        match self {
            Condition::IfMatch => "if_match_failed",
            Condition::Quota => "quota_exceeded",
            Condition::Unchanged => "record_changed",
        }
    }

    /// A statement that fails the whole batch unless `holds` (SQL, its parameters numbered
    /// from `?1`) is true when the batch runs; unknown (NULL) fails it too.
    pub fn unless(self, holds: &str, params: Vec<Param>) -> Stmt {
        Stmt::new(format!("INSERT INTO write_conditions (failed) SELECT '{}' WHERE NOT COALESCE(({holds}), 0)", self.value()), params)
    }

    fn refusal(self) -> crate::protocol::error::ApiError {
        use crate::protocol::error::{ApiError, ErrorCode};
        match self {
            Condition::IfMatch => {
                ApiError::new(ErrorCode::PreconditionFailed, "The record changed since the ETag in If-Match was read; GET it again and retry")
            }
            Condition::Quota => ApiError::new(ErrorCode::QuotaExceeded, "The plan's quota filled while this request ran; nothing was written"),
            Condition::Unchanged => {
                ApiError::conflict("A record this request changes was changed by another request meanwhile; nothing was written. Retry the request")
            }
        }
    }
}

/// What a failed write batch means for the caller, from SQLite's error text. Validation and
/// the preloads normally catch these first; reaching one means the data changed meanwhile.
pub fn classify_failure(text: &str) -> crate::protocol::error::ApiError {
    use crate::protocol::error::{ApiError, Constraint, ErrorCode, FieldError};
    let conditions = [Condition::IfMatch, Condition::Quota, Condition::Unchanged];
    if let Some(failed) = conditions.into_iter().find(|c| text.contains(c.constraint())) {
        return failed.refusal();
    }
    if text.contains("UNIQUE constraint failed") || text.contains("PRIMARY KEY constraint failed") {
        ApiError::conflict("A record with the same unique value already exists")
    } else if text.contains("FOREIGN KEY constraint failed") {
        // Reached only when the data changed between the checks and the write (they name what
        // refers to what): the change cannot be retried as it is, so no retry is suggested.
        ApiError::conflict("Nothing was written: another record refers to this one, or a record this one refers to is gone")
    } else if text.contains("CHECK constraint failed") || text.contains("NOT NULL constraint failed") {
        // SQLite names the column: "NOT NULL constraint failed: jobs.status", "CHECK constraint
        // failed: status IN (...)".
        let after = text.split("constraint failed:").nth(1).unwrap_or_default().trim();
        let column = after.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).next().unwrap_or_default();
        let field = column.rsplit('.').next().filter(|f| !f.is_empty()).unwrap_or("body");
        let (constraint, rule) =
            if text.contains("NOT NULL") { (Constraint::NotNull, "cannot be null") } else { (Constraint::EnumConstraint, "is not allowed for this field") };
        let message = format!("A value is not allowed for its field: {field} {rule}");
        ApiError::new(ErrorCode::ValidationError, message.clone()).with_details(vec![FieldError::new(field, constraint, message, serde_json::Value::Null)])
    } else if text.contains("pattern too complex") {
        ApiError::bad_request("A search term is too long")
    } else if text.contains("SQLITE_TOOBIG") || text.contains("too many SQL variables") {
        ApiError::new(ErrorCode::PayloadTooLarge, "The request is too large to store in one write")
    } else {
        ApiError::internal("Database error")
    }
}

/// The statement with its parameters written in as SQL literals, for tools that can only run
/// SQL text (such as `wrangler d1 execute --file`).
pub fn render_literal(stmt: &Stmt) -> String {
    let mut out = String::with_capacity(stmt.sql.len());
    let mut chars = stmt.sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        let param = digits.parse::<usize>().ok().and_then(|n| stmt.params.get(n.wrapping_sub(1)));
        match param {
            Some(Param::Null) | None => out.push_str("NULL"),
            Some(Param::Text(s)) => out.push_str(&format!("'{}'", s.replace('\'', "''"))),
            Some(Param::Int(i)) => out.push_str(&i.to_string()),
            Some(Param::Real(f)) => out.push_str(&f.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod literal_tests {
    use super::*;

    #[test]
    fn render_literal_quotes_and_numbers_params() {
        let s = Stmt::new(
            "INSERT INTO t VALUES (?1, ?2, ?10, ?3)",
            vec!["it's".into(), 5i64.into(), Param::Null, "a".into(), "b".into(), "c".into(), "d".into(), "e".into(), "f".into(), "ten".into()],
        );
        assert_eq!(render_literal(&s), "INSERT INTO t VALUES ('it''s', 5, 'ten', NULL)");
    }

    #[test]
    fn failures_map_to_statuses() {
        assert_eq!(classify_failure("UNIQUE constraint failed: jobs.job_number: SQLITE_CONSTRAINT").status(), 409);
        assert_eq!(classify_failure("FOREIGN KEY constraint failed: SQLITE_CONSTRAINT").status(), 409);
        assert_eq!(classify_failure("CHECK constraint failed: status").status(), 422);
        assert_eq!(classify_failure("network lost").status(), 500);
    }
}
