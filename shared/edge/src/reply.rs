//! Turning a handler's outcome into an HTTP response: the envelope, and the headers every
//! response carries (request id, round trips, CORS).

use eryxon_domain::{protocol::envelope, ApiError};
use serde_json::{Map, Value};
use worker::{Headers, Response};

/// What a handler answers: its reply, or why it stopped first.
pub type Answer = Result<Reply, Stop>;

/// Why a handler stopped before its own reply.
#[derive(Debug)]
pub enum Stop {
    /// Refused, in the error envelope.
    Refused(ApiError),
    /// A retry of a request that already finished under the same Idempotency-Key: its stored
    /// answer, sent again as it was (not an error: the client gets what the first one got).
    Replayed { status: u16, body: String },
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Stop {
        Stop::Refused(e)
    }
}

/// A successful answer: status, `data` and `meta`, or a body streamed as it is produced.
pub struct Reply {
    pub status: u16,
    pub data: Value,
    pub meta: Map<String, Value>,
    pub stream: Option<Streamed>,
}

/// A body written while it is sent (an export), with its type and download name.
pub struct Streamed {
    pub content_type: &'static str,
    pub file_name: String,
    /// Builds the response around the stream. Boxed so that only a worker that streams links
    /// the stream plumbing (`wasm-streams`): every other worker stays as small as before.
    respond: Box<dyn FnOnce(Headers) -> worker::Result<Response>>,
}

impl Streamed {
    pub fn new<S>(content_type: &'static str, file_name: String, chunks: S) -> Streamed
    where
        S: futures_util::Stream<Item = Result<Vec<u8>, worker::Error>> + 'static,
    {
        Streamed { content_type, file_name, respond: Box::new(move |h| Ok(Response::from_stream(chunks)?.with_headers(h))) }
    }
}

impl Reply {
    pub fn ok(data: Value) -> Reply {
        Reply { status: 200, data, meta: Map::new(), stream: None }
    }

    pub fn created(data: Value) -> Reply {
        Reply { status: 201, data, meta: Map::new(), stream: None }
    }

    pub fn streamed(body: Streamed) -> Reply {
        Reply { status: 200, data: Value::Null, meta: Map::new(), stream: Some(body) }
    }

    pub fn with_meta(mut self, meta: Map<String, Value>) -> Reply {
        self.meta.extend(meta);
        self
    }

    /// Body fields the endpoint does not know are ignored, and said so in `meta.ignored_fields`.
    pub fn ignoring(mut self, fields: Vec<String>) -> Reply {
        if !fields.is_empty() {
            self.meta.insert("ignored_fields".into(), fields.into());
        }
        self
    }
}

const EXPOSED: &str = "Request-Id, X-Request-Id, Server-Timing, Allow, Retry-After, RateLimit-Policy, RateLimit, \
    X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, ETag, Idempotent-Replayed, Content-Disposition";

/// Headers every response carries.
pub(crate) fn base_headers(request_id: &str) -> Headers {
    let h = Headers::new();
    let _ = h.set("Content-Type", "application/json; charset=utf-8");
    let _ = h.set("Cache-Control", "no-store");
    let _ = h.set("Request-Id", request_id);
    let _ = h.set("X-Request-Id", request_id);
    let _ = h.set("Access-Control-Allow-Origin", "*");
    let _ = h.set("Access-Control-Expose-Headers", EXPOSED);
    h
}

/// The answer to a CORS preflight: API keys are bearer tokens, never cookies, so any origin
/// may call.
pub(crate) fn preflight(request_id: &str) -> worker::Result<Response> {
    let h = base_headers(request_id);
    h.set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")?;
    h.set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Request-Id")?;
    h.set("Access-Control-Max-Age", "86400")?;
    Ok(Response::empty()?.with_status(204).with_headers(h))
}

pub(crate) fn streamed(status: u16, body: Streamed, headers: Headers) -> worker::Result<Response> {
    headers.set("Content-Type", body.content_type)?;
    headers.set("Content-Disposition", &format!("attachment; filename=\"{}\"", body.file_name))?;
    Ok((body.respond)(headers)?.with_status(status))
}

pub(crate) fn json(status: u16, body: &Value, headers: Headers) -> worker::Result<Response> {
    Ok(Response::ok(body.to_string())?.with_status(status).with_headers(headers))
}

/// An error in the envelope, for answers given before a [`crate::Call`] exists.
pub fn error_response(err: &ApiError, request_id: &str) -> worker::Result<Response> {
    let h = base_headers(request_id);
    for (name, value) in &err.headers {
        h.set(name, value)?;
    }
    json(err.status(), &envelope::error(err), h)
}

/// A success in the envelope, for answers given without a [`crate::Call`].
pub fn ok_response(data: Value, request_id: &str) -> worker::Result<Response> {
    json(200, &envelope::success(data, Map::new()), base_headers(request_id))
}

pub(crate) fn success_body(reply: Reply) -> Value {
    envelope::success(reply.data, reply.meta)
}
