//! The success and error envelopes of the reference.

use crate::error::ApiError;
use serde_json::{json, Map, Value};

/// `{"success": true, "data": ..., "meta": {...}}`; `meta` is left out when empty.
pub fn success(data: Value, meta: Map<String, Value>) -> Value {
    let mut body = json!({ "success": true, "data": data });
    if !meta.is_empty() {
        body["meta"] = Value::Object(meta);
    }
    body
}

/// `{"success": false, "error": {"code", "message", "details"?, "statusCode"}}`.
pub fn error(err: &ApiError) -> Value {
    let mut e = json!({
        "code": err.code.as_str(),
        "message": err.message,
        "statusCode": err.status(),
    });
    if let Some(details) = &err.details {
        e["details"] = details.clone();
    }
    json!({ "success": false, "error": e })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Constraint, FieldError};

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
    fn success_leaves_out_empty_meta() {
        let body = success(json!({"a": 1}), Map::new());
        assert_eq!(body, json!({"success": true, "data": {"a": 1}}));
    }
}
