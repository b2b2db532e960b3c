//! The job status machine: not_started -> in_progress -> completed, with on_hold in between.
//! PATCH of `status` and the lifecycle actions obey the same rules.

use crate::protocol::sql::Param;
use crate::protocol::time;

pub const STATUSES: &[&str] = &["not_started", "in_progress", "on_hold", "completed"];

/// Whether a job may move from `from` to `to`. Staying put is always allowed.
pub fn can_move(from: &str, to: &str) -> bool {
    from == to || matches!((from, to), ("not_started", "in_progress") | ("in_progress", "on_hold") | ("on_hold", "in_progress") | ("in_progress", "completed"))
}

/// Column assignments a move sets: `started_at` the first time only, `paused_at` on hold and
/// cleared on resume, `resumed_at`, and on completion `completed_at` with `actual_duration`,
/// the wall-clock minutes since `started_at`.
pub fn stamps(from: &str, to: &str, now: &str, started_at: Option<&str>) -> Vec<(&'static str, Param)> {
    if from == to {
        return vec![];
    }
    match to {
        "in_progress" if from == "on_hold" => vec![("resumed_at", now.into()), ("paused_at", Param::Null)],
        "in_progress" => vec![("started_at", started_at.unwrap_or(now).into()), ("paused_at", Param::Null)],
        "on_hold" => vec![("paused_at", now.into())],
        "completed" => vec![("completed_at", now.into()), ("actual_duration", started_at.and_then(|s| time::minutes_between(s, now)).unwrap_or(0).into())],
        _ => vec![],
    }
}

/// Stamps for a job created directly in `status` (an ERP moving running work over).
pub fn initial_stamps(status: &str, now: &str) -> Vec<(&'static str, Param)> {
    match status {
        "in_progress" => vec![("started_at", now.into())],
        "on_hold" => vec![("started_at", now.into()), ("paused_at", now.into())],
        "completed" => vec![("started_at", now.into()), ("completed_at", now.into()), ("actual_duration", 0i64.into())],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_moves() {
        assert!(can_move("not_started", "in_progress"));
        assert!(can_move("in_progress", "on_hold"));
        assert!(can_move("on_hold", "in_progress"));
        assert!(can_move("in_progress", "completed"));
        assert!(can_move("completed", "completed"));
        for (from, to) in
            [("not_started", "completed"), ("completed", "in_progress"), ("on_hold", "completed"), ("not_started", "on_hold"), ("completed", "not_started")]
        {
            assert!(!can_move(from, to), "{from} -> {to}");
        }
    }

    #[test]
    fn completion_records_wall_clock_minutes() {
        let s = stamps("in_progress", "completed", "2026-01-15T16:30:00.000Z", Some("2026-01-15T10:00:00.000Z"));
        assert_eq!(s, vec![("completed_at", "2026-01-15T16:30:00.000Z".into()), ("actual_duration", Param::Int(390))]);
    }

    #[test]
    fn start_keeps_the_first_start_and_resume_clears_the_pause() {
        let now = "2026-01-16T08:00:00.000Z";
        assert_eq!(stamps("not_started", "in_progress", now, None)[0], ("started_at", now.into()));
        assert_eq!(stamps("on_hold", "in_progress", now, Some("x")), vec![("resumed_at", now.into()), ("paused_at", Param::Null)]);
        assert!(stamps("on_hold", "on_hold", now, None).is_empty());
    }
}
