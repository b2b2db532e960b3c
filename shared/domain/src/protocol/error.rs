//! The one error type every endpoint answers with, and the field-level validation detail.

use serde::Serialize;
use serde_json::Value;

/// The reference's machine-readable error codes, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    QuotaExceeded,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    ValidationError,
    RateLimitExceeded,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::QuotaExceeded => "QUOTA_EXCEEDED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::PreconditionFailed => "PRECONDITION_FAILED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::RateLimitExceeded => "RATE_LIMIT_EXCEEDED",
            ErrorCode::Internal => "INTERNAL_ERROR",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::QuotaExceeded => 402,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::ValidationError => 422,
            ErrorCode::RateLimitExceeded => 429,
            ErrorCode::Internal => 500,
        }
    }
}

/// The reference's constraint vocabulary for field-level validation errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Constraint {
    NotNull,
    FkConstraint,
    FkRequired,
    UuidFormat,
    TypeMismatch,
    MinValue,
    MaxValue,
    MinLength,
    MaxLength,
    PatternMismatch,
    EnumConstraint,
    DateFormat,
    UniqueConstraint,
    CircularReference,
}

/// One field that failed validation, in the reference's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    pub field: String,
    pub message: String,
    pub value: Value,
    pub constraint: Constraint,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_index: Option<usize>,
}

/// What a request failed with: becomes the error envelope and its status code.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<Value>,
    /// Extra response headers (for example `Allow` on a 405).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), details: None, headers: Vec::new() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// `<Entity> with ID <id> not found`, the reference's wording. A row of another tenant
    /// gets exactly this answer too, so that it is indistinguishable from a missing one.
    pub fn not_found(entity: &str, id: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{entity} with ID {id} not found"))
    }

    pub fn route_not_found(path: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("No route for {path}"))
    }

    pub fn method_not_allowed(method: &str, allowed: &[&str]) -> Self {
        let mut e = Self::new(ErrorCode::MethodNotAllowed, format!("Method {method} is not allowed here; allowed: {}", allowed.join(", ")));
        e.headers.push(("Allow", allowed.join(", ")));
        e
    }

    /// 422 with every field error at once; `entity` names what was validated ("job").
    pub fn validation(entity: &str, errors: Vec<FieldError>) -> Self {
        let message = format!("✗ {} validation error(s) in {entity}", errors.len());
        Self::new(ErrorCode::ValidationError, message).with_details(errors)
    }

    /// 422 for a PATCH that names no field it may change, with a detail that says so.
    pub fn nothing_to_update(entity: &str) -> Self {
        let message = format!("No updatable fields given for {entity}");
        let detail = FieldError::new("body", Constraint::NotNull, message.clone(), Value::Object(Default::default()));
        Self::new(ErrorCode::ValidationError, message).with_details(vec![detail])
    }

    /// Names the fields a PATCH may change, in the message and in its detail.
    pub fn with_allowed(mut self, allowed: &[&str]) -> Self {
        let list = allowed.join(", ");
        self.message = format!("{}; allowed: {list}", self.message);
        if let Some(Value::Array(details)) = &mut self.details {
            for d in details {
                if let Some(m) = d.get_mut("message") {
                    *m = Value::String(format!("{}; allowed: {list}", m.as_str().unwrap_or_default()));
                }
            }
        }
        self
    }

    /// 400 for malformed query parameters, with the same field-level details as a 422.
    pub fn bad_query(errors: Vec<FieldError>) -> Self {
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        let message = format!("Invalid query parameter(s): {}", fields.join(", "));
        Self::bad_request(message).with_details(errors)
    }

    pub fn with_details(mut self, details: impl Serialize) -> Self {
        self.details = serde_json::to_value(details).ok();
        self
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl FieldError {
    pub fn new(field: impl Into<String>, constraint: Constraint, message: impl Into<String>, value: Value) -> Self {
        FieldError { field: field.into(), message: message.into(), value, constraint, entity_type: None, entity_index: None }
    }

    pub fn on(mut self, entity_type: &'static str, entity_index: usize) -> Self {
        self.entity_type = Some(entity_type);
        self.entity_index = Some(entity_index);
        self
    }
}
