//! What every operation of the document shares: the success and error envelopes, the
//! headers, and the shape of one operation.

use eryxon_domain::resource::schema;
use serde_json::{json, Map, Value};

pub fn obj(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": true })
}

pub fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub fn body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

/// A JSON success envelope whose `data` is `data`, answered with `status`.
pub fn success(status: &str, description: &str, data: Value) -> Map<String, Value> {
    let envelope = json!({ "type": "object", "required": ["success", "data"], "properties": { "success": { "const": true }, "data": data, "meta": { "type": "object" } } });
    let mut m = Map::new();
    m.insert(status.into(), json!({ "description": description, "content": { "application/json": { "schema": envelope } } }));
    m
}

pub fn not_modified() -> (String, Value) {
    ("304".into(), json!({ "description": "Not modified (If-None-Match matched the ETag)" }))
}

/// Every error an operation may answer, in the error envelope.
pub const ERRORS: &[(&str, &str)] = &[
    ("400", "Malformed request: JSON, query parameters (field details), Idempotency-Key"),
    ("401", "Missing, malformed, unknown or revoked credential"),
    ("402", "A plan quota would be exceeded (QUOTA_EXCEEDED)"),
    ("403", "The credential may not do this (FORBIDDEN)"),
    ("404", "No such record in the tenant, or no such route"),
    ("405", "Method not allowed (the Allow header lists the allowed ones)"),
    ("409", "Conflict: duplicate, state violation, concurrent change, Idempotency-Key in use"),
    ("412", "If-Match did not match the current ETag (PRECONDITION_FAILED)"),
    ("413", "Body over 1 MiB"),
    ("422", "Validation failed: every field error in details"),
    ("429", "Daily request limit reached, or too many failed sign-ins for an email (Retry-After)"),
    ("default", "Any other error, in the same envelope"),
];

fn error_of(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema_ref("Error") } } })
}

/// A stored record as answers show it: its id, and whatever else it holds.
pub fn record() -> Value {
    obj(json!({ "id": schema::uuid(), "created_at": { "type": "string" }, "updated_at": { "type": "string" } }), &["id"])
}

/// `data.<name>`: one record.
pub fn one(name: &str) -> Value {
    obj(json!({ name: record() }), &[name])
}

/// `data.<plural>` and `data.pagination`: a page of records.
pub fn page(plural: &str, item: Value) -> Value {
    let pagination =
        obj(json!({ "limit": { "type": "integer" }, "offset": { "type": "integer" }, "total": { "type": ["integer", "null"] } }), &["limit", "offset"]);
    obj(json!({ plural: { "type": "array", "items": item }, "pagination": pagination }), &[plural, "pagination"])
}

pub fn idempotency_key() -> Value {
    json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]*\\S[\\x20-\\x7e]*$" },
        "description": "Retries with the same key and body answer the first answer again (24 hours)",
    })
}

pub fn if_match() -> Value {
    json!({ "name": "If-Match", "in": "header", "required": false, "schema": { "type": "string" }, "description": "The ETag last read: 412 if the record changed since" })
}

pub fn id_param(what: &str) -> Value {
    json!({ "name": "id", "in": "query", "required": true, "schema": schema::uuid(), "description": format!("The {what}'s id") })
}

/// Which credential an operation takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    ApiKey,
    Session,
    None,
}

/// One operation: its summary and tag, parameters, body and answers (the errors added).
pub struct Op {
    pub summary: String,
    pub tag: &'static str,
    pub params: Vec<Value>,
    pub body: Option<Value>,
    pub responses: Map<String, Value>,
    pub credential: Credential,
}

impl Op {
    pub fn new(summary: impl Into<String>, tag: &'static str, responses: Map<String, Value>) -> Op {
        Op { summary: summary.into(), tag, params: vec![], body: None, responses, credential: Credential::ApiKey }
    }

    pub fn params(mut self, params: impl IntoIterator<Item = Value>) -> Op {
        self.params.extend(params);
        self
    }

    pub fn body(mut self, schema: Value) -> Op {
        self.body = Some(body(schema));
        self
    }

    pub fn credential(mut self, c: Credential) -> Op {
        self.credential = c;
        self
    }

    pub fn render(self) -> Value {
        let mut responses = self.responses;
        for (status, description) in ERRORS {
            responses.entry(status.to_string()).or_insert_with(|| error_of(description));
        }
        let security = match self.credential {
            Credential::ApiKey => json!([{ "apiKey": [] }]),
            Credential::Session => json!([{ "session": [] }]),
            Credential::None => json!([]),
        };
        let mut op = json!({ "summary": self.summary, "tags": [self.tag], "parameters": self.params });
        if let Some(b) = self.body {
            op["requestBody"] = b;
        }
        op["responses"] = Value::Object(responses);
        op["security"] = security;
        op
    }
}

pub fn article(word: &str) -> String {
    let an = word.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {word}", if an { "an" } else { "a" })
}
