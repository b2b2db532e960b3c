//! The success and error envelopes of the reference.

use crate::protocol::error::ApiError;
use serde_json::{json, Map, Value};

/// `{"success": true, "data": ..., "meta": {...}}`; `meta` is left out when empty.
pub fn success(data: Value, meta: Map<String, Value>) -> Value {
    let mut body = json!({ "success": true, "data": data });
    if !meta.is_empty() {
        body["meta"] = Value::Object(meta);
    }
    body
}

/// `{"success": false, "error": {"code", "message", "details"?, "statusCode"}}`. A 422
/// always carries at least one detail: a client reads what to fix from `details`, so one
/// without is given the message as a detail of the whole body.
pub fn error(err: &ApiError) -> Value {
    let mut e = json!({
        "code": err.code.as_str(),
        "message": err.message,
        "statusCode": err.status(),
    });
    if let Some(details) = &err.details {
        e["details"] = details.clone();
    }
    let empty = e.get("details").is_none_or(|d| d.as_array().is_some_and(Vec::is_empty));
    if err.code == crate::protocol::error::ErrorCode::ValidationError && empty {
        e["details"] = json!([{ "field": "body", "message": err.message, "value": null, "constraint": "TYPE_MISMATCH" }]);
    }
    json!({ "success": false, "error": e })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::{Constraint, FieldError};

    #[test]
    fn error_envelope_has_code_message_status_and_details() {
        let err = ApiError::validation(
            "job",
            vec![FieldError::new("job_number", Constraint::NotNull, "Missing required field: job_number", Value::Null).on("job", 0)],
        );
        let body = error(&err);
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(body["error"]["statusCode"], 422);
        assert_eq!(body["error"]["message"], "✗ 1 validation error(s) in job");
        let d = &body["error"]["details"][0];
        assert_eq!(d["constraint"], "NOT_NULL");
        assert_eq!(d["entityType"], "job");
        assert_eq!(d["entityIndex"], 0);
        assert!(d["value"].is_null());
    }

    #[test]
    fn every_validation_error_has_a_detail() {
        for err in [
            ApiError::new(crate::protocol::error::ErrorCode::ValidationError, "bare"),
            ApiError::validation("job", vec![]),
            ApiError::nothing_to_update("part"),
        ] {
            let details = error(&err)["error"]["details"].clone();
            assert!(details.as_array().is_some_and(|d| !d.is_empty()), "{}", err.message);
            assert!(details[0]["field"].is_string() && details[0]["constraint"].is_string());
        }
        assert_eq!(error(&crate::protocol::sql::classify_failure("NOT NULL constraint failed: jobs.status"))["error"]["details"][0]["field"], "status");
        assert_eq!(error(&crate::protocol::sql::classify_failure("CHECK constraint failed: status IN ('a')"))["error"]["details"][0]["field"], "status");
        assert!(error(&ApiError::conflict("x"))["error"].get("details").is_none(), "other errors keep theirs optional");
    }

    #[test]
    fn success_leaves_out_empty_meta() {
        let body = success(json!({"a": 1}), Map::new());
        assert_eq!(body, json!({"success": true, "data": {"a": 1}}));
    }
}
