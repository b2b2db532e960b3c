//! Plans: daily request limits and quotas, per plan with per-tenant overrides, and what a
//! deployment that switches them off (self-hosted) gets instead: no limits at all.
//!
//! | plan       | requests/day | jobs   | parts   |
//! |------------|-------------:|-------:|--------:|
//! | free       | 100          | 50     | 500     |
//! | pro        | 1,000        | 1,000  | 20,000  |
//! | premium    | 10,000       | 10,000 | 200,000 |
//! | enterprise | unlimited    | unlimited | unlimited |
//!
//! Jobs and parts count the records a tenant holds now (deleting frees quota).

use crate::auth::api_key::PresentedKey;
use crate::protocol::error::{ApiError, ErrorCode};
use crate::protocol::sql::{Param, Stmt};
use crate::protocol::time::Now;
use serde_json::{json, Value};

const DAY_SECONDS: i64 = 86_400;

/// A tenant's limits; `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    pub daily_requests: Option<i64>,
    pub jobs: Option<i64>,
    pub parts: Option<i64>,
}

/// The plan's defaults, replaced by the tenant's overrides where it has them.
pub fn limits(plan: &str, overrides: Limits, enforced: bool) -> Limits {
    if !enforced {
        return Limits::default();
    }
    let (requests, jobs, parts) = match plan {
        "enterprise" => (None, None, None),
        "premium" => (Some(10_000), Some(10_000), Some(200_000)),
        "pro" => (Some(1_000), Some(1_000), Some(20_000)),
        _ => (Some(100), Some(50), Some(500)),
    };
    Limits { daily_requests: overrides.daily_requests.or(requests), jobs: overrides.jobs.or(jobs), parts: overrides.parts.or(parts) }
}

/// The UTC calendar day requests are counted in.
pub fn day(now: Now) -> String {
    now.rfc3339()[..10].to_string()
}

/// Counts one authenticated request for the key's tenant and for the key, in the
/// authentication round trip. Both only count for a valid, unrevoked key: failed
/// authentications never use up a tenant's requests. The first returns the tenant's count;
/// the second also stamps when the key was last used (`now`, RFC 3339).
pub fn count_request(key: &PresentedKey, now: Now) -> [Stmt; 2] {
    let day = day(now);
    let params = || vec![Param::from(key.hash.as_str()), day.as_str().into()];
    [
        Stmt::new(
            "INSERT INTO usage_daily (tenant_id, day, requests) SELECT tenant_id, ?2, 1 FROM api_keys \
             WHERE key_hash = ?1 AND revoked_at IS NULL ON CONFLICT (tenant_id, day) DO UPDATE SET requests = requests + 1 \
             RETURNING requests",
            params(),
        ),
        Stmt::new(
            "INSERT INTO key_usage_daily (key_id, day, requests, last_used_at) SELECT id, ?2, 1, ?3 FROM api_keys \
             WHERE key_hash = ?1 AND revoked_at IS NULL \
             ON CONFLICT (key_id, day) DO UPDATE SET requests = requests + 1, last_used_at = excluded.last_used_at",
            vec![Param::from(key.hash.as_str()), day.as_str().into(), now.rfc3339().into()],
        ),
    ]
}

/// Where a caller stands against the daily limit after this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub limit: i64,
    pub used: i64,
    /// Seconds until the next UTC midnight.
    pub resets_in: i64,
    /// The next UTC midnight, seconds since the epoch.
    pub resets_at: i64,
}

impl Standing {
    pub fn new(limit: i64, used: i64, now: Now) -> Standing {
        let secs = now.0.div_euclid(1000);
        let resets_at = (secs.div_euclid(DAY_SECONDS) + 1) * DAY_SECONDS;
        Standing { limit, used, resets_in: resets_at - secs, resets_at }
    }

    pub fn remaining(&self) -> i64 {
        (self.limit - self.used).max(0)
    }

    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }

    /// The IETF `RateLimit-Policy` / `RateLimit` fields and the common `X-RateLimit-*` ones.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RateLimit-Policy", format!("\"daily\";q={};w={DAY_SECONDS}", self.limit)),
            ("RateLimit", format!("\"daily\";r={};t={}", self.remaining(), self.resets_in)),
            ("X-RateLimit-Limit", self.limit.to_string()),
            ("X-RateLimit-Remaining", self.remaining().to_string()),
            ("X-RateLimit-Reset", self.resets_at.to_string()),
        ]
    }

    /// 429 with `Retry-After` until the day turns.
    pub fn refusal(&self, plan: &str) -> ApiError {
        let mut e = ApiError::new(
            ErrorCode::RateLimitExceeded,
            format!("Rate limit exceeded: the {plan} plan allows {} requests per day; the limit resets at midnight UTC", self.limit),
        )
        .with_details(json!({ "limit": self.limit, "remaining": 0, "retryAfter": self.resets_in }));
        e.headers.push(("Retry-After", self.resets_in.to_string()));
        e
    }
}

/// The tenant's quota limits and what it holds now, read in the authentication round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quota {
    pub max_jobs: Option<i64>,
    pub max_parts: Option<i64>,
    pub jobs: i64,
    pub parts: i64,
}

impl Quota {
    /// 402 when adding `jobs` and `parts` would go over a limit.
    pub fn check(&self, jobs: i64, parts: i64) -> Result<(), ApiError> {
        over("jobs", "Job", self.jobs, jobs, self.max_jobs).or_else(|| over("parts", "Part", self.parts, parts, self.max_parts)).map_or(Ok(()), Err)
    }

    /// The SQL condition (parameters from `?first`) under which an insert adding `jobs` and
    /// `parts` stays within the limits: re-checked inside the atomic write, so concurrent
    /// creates cannot overshoot. `?tenant` names the tenant parameter.
    pub fn guard(&self, tenant: usize, first: usize, jobs: i64, parts: i64) -> (String, Vec<Param>) {
        let mut sql = vec![];
        let mut params = vec![];
        for (col, limit, adding) in [("jobs", self.max_jobs, jobs), ("parts", self.max_parts, parts)] {
            if let (Some(limit), true) = (limit, adding > 0) {
                let n = first + params.len();
                sql.push(format!("(SELECT {col} FROM tenant_usage WHERE tenant_id = ?{tenant}) + ?{n} <= ?{}", n + 1));
                params.extend([Param::Int(adding), Param::Int(limit)]);
            }
        }
        if sql.is_empty() {
            ("1".into(), params)
        } else {
            (sql.join(" AND "), params)
        }
    }

    /// The quota carried into a write as a whole (see `sql::Condition`): at the head of its
    /// batch, before any insert moves the counters, the batch fails (402) unless `jobs` and
    /// `parts` more still fit. For writes made of several set-based inserts (ERP sync), where
    /// one guarded insert cannot hold the rest back. `None` when nothing is limited.
    pub fn held(&self, tenant_id: &str, jobs: i64, parts: i64) -> Option<Stmt> {
        let (guard, params) = self.guard(1, 2, jobs, parts);
        (guard != "1").then(|| crate::protocol::sql::Condition::Quota.unless(&guard, std::iter::once(Param::from(tenant_id)).chain(params).collect()))
    }

    /// Reads the tenant's usage at the end of a write whose guarded insert did nothing.
    pub fn probe(tenant_id: &str) -> Stmt {
        Stmt::new("SELECT jobs, parts FROM tenant_usage WHERE tenant_id = ?1", vec![tenant_id.into()])
    }

    /// Why a guarded insert did nothing: 402 when the probe shows the quota full, else `None`
    /// (the other reason, a taken number).
    pub fn explain(&self, probe: &[Value], jobs: i64, parts: i64) -> Option<ApiError> {
        let row = probe.first()?;
        let now = Quota { jobs: row["jobs"].as_i64().unwrap_or(0), parts: row["parts"].as_i64().unwrap_or(0), ..*self };
        now.check(jobs, parts).err()
    }
}

fn over(kind: &str, label: &str, used: i64, adding: i64, limit: Option<i64>) -> Option<ApiError> {
    let limit = limit?;
    (adding > 0 && used + adding > limit).then(|| {
        ApiError::new(ErrorCode::QuotaExceeded, format!("{label} limit exceeded ({used}/{limit})"))
            .with_details(json!({ "limitType": kind, "currentUsage": used, "limit": limit }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_defaults_overrides_and_the_switch() {
        assert_eq!(limits("free", Limits::default(), true), Limits { daily_requests: Some(100), jobs: Some(50), parts: Some(500) });
        assert_eq!(limits("pro", Limits::default(), true).daily_requests, Some(1_000));
        assert_eq!(limits("premium", Limits::default(), true).daily_requests, Some(10_000));
        assert_eq!(limits("enterprise", Limits::default(), true), Limits::default());
        assert_eq!(limits("free", Limits { daily_requests: Some(5), ..Default::default() }, true).daily_requests, Some(5));
        assert_eq!(limits("free", Limits::default(), false), Limits::default());
    }

    #[test]
    fn standing_counts_down_to_midnight_utc() {
        let now = Now(1_768_471_200_000); // 2026-01-15T10:00:00Z
        let s = Standing::new(100, 63, now);
        assert_eq!((s.remaining(), s.resets_in, s.exceeded()), (37, 14 * 3600, false));
        assert_eq!(s.headers()[1].1, "\"daily\";r=37;t=50400");
        assert_eq!(s.headers()[0].1, "\"daily\";q=100;w=86400");
        let over = Standing::new(100, 101, now);
        assert!(over.exceeded());
        let e = over.refusal("free");
        assert_eq!((e.status(), e.headers[0].0), (429, "Retry-After"));
        assert_eq!(day(now), "2026-01-15");
    }

    #[test]
    fn quota_refuses_with_the_reference_message() {
        let q = Quota { max_jobs: Some(50), max_parts: Some(500), jobs: 50, parts: 10 };
        let e = q.check(1, 1).unwrap_err();
        assert_eq!((e.status(), e.message.as_str()), (402, "Job limit exceeded (50/50)"));
        assert_eq!(e.details.unwrap(), json!({"limitType": "jobs", "currentUsage": 50, "limit": 50}));
        let q = Quota { jobs: 1, ..q };
        assert_eq!(q.check(1, 491).unwrap_err().message, "Part limit exceeded (10/500)");
        assert!(q.check(1, 490).is_ok());
        assert!(Quota::default().check(1_000, 1_000_000).is_ok());
    }

    #[test]
    fn guard_is_sql_only_for_limited_counts() {
        let q = Quota { max_jobs: Some(50), max_parts: None, jobs: 0, parts: 0 };
        let (sql, params) = q.guard(2, 10, 1, 5);
        assert_eq!(sql, "(SELECT jobs FROM tenant_usage WHERE tenant_id = ?2) + ?10 <= ?11");
        assert_eq!(params, vec![Param::Int(1), Param::Int(50)]);
        assert_eq!(Quota::default().guard(2, 10, 1, 5).0, "1");
        assert!(q.explain(&[json!({"jobs": 50, "parts": 0})], 1, 0).is_some());
        assert!(q.explain(&[json!({"jobs": 3, "parts": 0})], 1, 0).is_none());
    }

    #[test]
    fn a_held_quota_is_a_condition_of_the_whole_write() {
        let q = Quota { max_jobs: Some(50), max_parts: Some(500), jobs: 0, parts: 0 };
        let s = q.held("t", 2, 4).unwrap();
        assert_eq!(
            s.sql,
            "INSERT INTO write_conditions (failed) SELECT 'quota' WHERE NOT COALESCE(((SELECT jobs FROM tenant_usage WHERE tenant_id = ?1) + ?2 <= ?3 \
             AND (SELECT parts FROM tenant_usage WHERE tenant_id = ?1) + ?4 <= ?5), 0)"
        );
        assert_eq!(s.params, vec![Param::Text("t".into()), Param::Int(2), Param::Int(50), Param::Int(4), Param::Int(500)]);
        assert!(q.held("t", 0, 0).is_none(), "nothing added, nothing to hold");
        assert!(Quota::default().held("t", 5, 5).is_none(), "no limits");
    }
}
