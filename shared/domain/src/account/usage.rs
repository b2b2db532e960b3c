//! What a tenant has used: authenticated requests per day, for the tenant and per API key,
//! today's standing against the daily limit, and quota use (`GET /api-usage`).

use crate::account::plans::{self, Quota, Standing};
use crate::protocol::error::{ApiError, Constraint, FieldError};
use crate::protocol::http::Query;
use crate::protocol::sql::{Scope, Stmt};
use crate::protocol::time::{self, Now};
use serde_json::{json, Value};

/// The longest range one request may ask for.
const MAX_DAYS: i64 = 366;

/// The requested days: `from` and `to` (`YYYY-MM-DD`, inclusive), by default the last 30.
pub fn range(q: &Query, now: Now) -> Result<(String, String), ApiError> {
    let today = plans::day(now);
    let day = |name: &str, default: String| match q.get(name) {
        None => Ok(default),
        Some(v) if v.len() == 10 && time::days_before(v, 0).is_some() => Ok(v.to_string()),
        Some(v) => Err(FieldError::new(name, Constraint::DateFormat, format!("{name} must be a date (YYYY-MM-DD)"), json!(v))),
    };
    let to = day("to", today.clone());
    let from = day("from", time::days_before(&today, 29).unwrap_or(today));
    let errors: Vec<FieldError> = [&from, &to].iter().filter_map(|r| r.as_ref().err().cloned()).collect();
    if !errors.is_empty() {
        return Err(ApiError::bad_query(errors));
    }
    let (from, to) = (from.unwrap_or_default(), to.unwrap_or_default());
    if from > to || time::days_before(&to, MAX_DAYS).is_some_and(|earliest| from < earliest) {
        let e = FieldError::new("from", Constraint::MinValue, format!("from must be on or before to, at most {MAX_DAYS} days earlier"), json!(from));
        return Err(ApiError::bad_query(vec![e]));
    }
    Ok((from, to))
}

crate::read_set!(
    /// The requests of each day in the range: the tenant's, and each key's.
    pub struct UsageReads { days, key_days }
);

/// The reads of [`UsageReads`], for the authentication round trip.
pub fn reads(scope: Scope<'_>, from: &str, to: &str) -> Vec<Stmt> {
    UsageReads {
        days: Stmt::scoped(
            scope,
            "SELECT day, requests FROM usage_daily WHERE tenant_id = {tenant} AND day >= ?2 AND day <= ?3 ORDER BY day",
            vec![from.into(), to.into()],
        ),
        key_days: Stmt::scoped(
            scope,
            "SELECT k.id AS key_id, k.key_prefix, k.name, k.mode, u.day, u.requests FROM key_usage_daily u \
             JOIN api_keys k ON k.id = u.key_id WHERE k.tenant_id = {tenant} AND u.day >= ?2 AND u.day <= ?3 \
             ORDER BY k.key_prefix, u.day",
            vec![from.into(), to.into()],
        ),
    }
    .stmts()
}

/// The answer: never a key or its hash, only its prefix and name.
pub fn answer(plan: &str, standing: Option<&Standing>, quota: &Quota, found: &[Vec<Value>], range: (&str, &str)) -> Value {
    let UsageReads { days, key_days } = UsageReads::rows(found);
    let mut keys: Vec<Value> = vec![];
    for row in key_days {
        let day = json!({ "day": row["day"], "requests": row["requests"] });
        match keys.iter_mut().find(|k| k["key_id"] == row["key_id"]) {
            Some(k) => k["days"].as_array_mut().into_iter().for_each(|d| d.push(day.clone())),
            None => keys.push(json!({ "key_id": row["key_id"], "key_prefix": row["key_prefix"], "name": row["name"], "mode": row["mode"], "days": [day] })),
        }
    }
    json!({
        "usage": {
            "plan": plan,
            "from": range.0,
            "to": range.1,
            "today": standing.map(|s| json!({ "requests": s.used, "limit": s.limit, "remaining": s.remaining(), "resets_at": s.resets_at })),
            "quota": {
                "jobs": { "used": quota.jobs, "limit": quota.max_jobs },
                "parts": { "used": quota.parts, "limit": quota.max_parts },
            },
            "days": days,
            "keys": keys,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Query {
        Query::from_url(&format!("http://x/api-usage?{s}"))
    }

    #[test]
    fn default_range_is_the_last_thirty_days() {
        let now = Now(1_768_471_200_000);
        assert_eq!(range(&q(""), now).unwrap(), ("2025-12-17".to_string(), "2026-01-15".to_string()));
        assert_eq!(range(&q("from=2026-01-01&to=2026-01-02"), now).unwrap().0, "2026-01-01");
        assert_eq!(range(&q("from=2026-02-01&to=2026-01-02"), now).unwrap_err().status(), 400);
        assert_eq!(range(&q("from=2024-01-01&to=2026-01-02"), now).unwrap_err().status(), 400);
        assert_eq!(range(&q("to=yesterday"), now).unwrap_err().details.unwrap()[0]["constraint"], "DATE_FORMAT");
    }

    #[test]
    fn keys_are_grouped_with_their_days() {
        let rows = vec![
            json!({"key_id": "k1", "key_prefix": "ery_live_aaaa", "name": "erp", "mode": "live", "day": "2026-01-14", "requests": 3}),
            json!({"key_id": "k1", "key_prefix": "ery_live_aaaa", "name": "erp", "mode": "live", "day": "2026-01-15", "requests": 5}),
        ];
        let a = answer("free", None, &Quota::default(), &[vec![], rows], ("a", "b"));
        assert_eq!(a["usage"]["keys"][0]["days"].as_array().unwrap().len(), 2);
        assert!(a["usage"]["today"].is_null());
    }
}
