//! Reading the raw parts of a request: method, path, query string, request id and body.

use crate::protocol::error::{ApiError, ErrorCode};
use serde_json::{Map, Value};

/// Largest request body we read (CONTRACT.md): larger is 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Put,
    Delete,
    Options,
    Other,
}

impl Method {
    pub fn parse(s: &str) -> Method {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

/// The part of the path after `/<function>`: `""` for the resource itself, `"start"` for
/// `/api-job-lifecycle/start`. `None` when the path does not name this function at all.
pub fn action<'a>(path: &'a str, function: &str) -> Option<&'a str> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    segments.by_ref().find(|s| *s == function)?;
    let rest: Vec<&str> = segments.collect();
    match rest.as_slice() {
        [] => Some(""),
        [one] => Some(one),
        _ => None,
    }
}

/// A strong entity tag of a response body: 128 bits of its SHA-256.
pub fn etag(body: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("\"{}\"", hex::encode(&Sha256::digest(body.as_bytes())[..16]))
}

/// Whether an `If-None-Match` (`weak`: weak comparison) or `If-Match` header names `etag`.
pub fn etag_listed(header: &str, etag: &str, weak: bool) -> bool {
    lists_any(header) || header.split(',').map(str::trim).any(|t| t == etag || (weak && t.strip_prefix("W/") == Some(etag)))
}

/// Whether an `If-Match` / `If-None-Match` list holds `*`, which any current version meets.
pub fn lists_any(header: &str) -> bool {
    header.split(',').map(str::trim).any(|t| t == "*")
}

/// `If-Match` on a change: 412 unless the record, as a GET answers it now, has that tag.
/// Without a record the change answers 404 itself, even to `If-Match: *`: RFC 9110 13.2.1
/// has a server ignore preconditions when the answer without them would not be a 2xx.
pub fn check_if_match(header: Option<&str>, current_body: Option<&str>) -> Result<(), ApiError> {
    let (Some(expected), Some(body)) = (header, current_body) else { return Ok(()) };
    match etag_listed(expected, &etag(body), false) {
        true => Ok(()),
        false => Err(ApiError::new(
            crate::protocol::error::ErrorCode::PreconditionFailed,
            "The record changed since the ETag in If-Match was read; GET it again and retry",
        )),
    }
}

/// Query parameters in order, percent-decoded; later duplicates do not replace earlier ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses everything after the first `?` of a URL (or nothing when there is none).
    pub fn from_url(url: &str) -> Query {
        let raw = url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let raw = raw.split('#').next().unwrap_or("");
        Query(form_urlencoded::parse(raw.as_bytes()).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Echo a sane inbound `X-Request-Id`; anything else gets a fresh id from the caller.
pub fn request_id(inbound: Option<&str>, mint: impl FnOnce() -> String) -> String {
    match inbound {
        Some(id) if !id.is_empty() && id.len() <= 200 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)) => id.to_string(),
        _ => mint(),
    }
}

/// Rejects a declared body size over the limit before the body is read.
pub fn check_declared_length(content_length: Option<&str>) -> Result<(), ApiError> {
    match content_length.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(n) if n > MAX_BODY_BYTES as u64 => Err(too_large()),
        _ => Ok(()),
    }
}

/// A function's routes: each action it serves (what follows its name in the path, `""` for
/// the resource itself) with a method. Declared once per function, by `eryxon_edge::routes!`.
pub type RouteTable = [(&'static str, Method)];

/// Why no route of `table` serves `method` on `action`: 404 for an action the table does not
/// name (or a path that does not name the function), else 405 with `Allow` listing that
/// action's methods and OPTIONS.
pub fn no_route(path: &str, action: Option<&str>, method: Method, table: &RouteTable) -> ApiError {
    let Some(action) = action else { return ApiError::route_not_found(path) };
    let mut allowed: Vec<&str> = vec![];
    for (a, m) in table {
        if *a == action && !allowed.contains(&m.as_str()) {
            allowed.push(m.as_str());
        }
    }
    if allowed.is_empty() {
        return ApiError::route_not_found(path);
    }
    allowed.push(Method::Options.as_str());
    ApiError::method_not_allowed(method.as_str(), &allowed)
}

/// Adds a chunk of a body being read, refusing (413) as soon as the bytes read pass the limit,
/// whatever `Content-Length` said or whether it was sent at all (a chunked body).
pub fn read_within_limit(body: &mut Vec<u8>, chunk: &[u8]) -> Result<(), ApiError> {
    if body.len() + chunk.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    body.extend_from_slice(chunk);
    Ok(())
}

/// Parses a request body that must be one JSON object.
pub fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::bad_request("Request body is required: send a JSON object"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::bad_request(format!("Request body must be a JSON object, got {}", crate::protocol::fields::type_name(&other)))),
        Err(e) => Err(ApiError::bad_request(format!("Invalid JSON in request body: {e}"))),
    }
}

fn too_large() -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("Request body is larger than {} bytes", MAX_BODY_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_route_table_answers_404_and_405_with_allow() {
        const TABLE: &RouteTable = &[("", Method::Get), ("", Method::Get), ("", Method::Post), ("logs", Method::Get)];
        let e = no_route("/functions/v1/api-x", Some(""), Method::Delete, TABLE);
        assert_eq!((e.status(), e.headers[0].clone()), (405, ("Allow", "GET, POST, OPTIONS".to_string())), "each method once");
        assert_eq!(no_route("/functions/v1/api-x/logs", Some("logs"), Method::Post, TABLE).headers[0].1, "GET, OPTIONS");
        assert_eq!(no_route("/functions/v1/api-x/nope", Some("nope"), Method::Get, TABLE).status(), 404);
        assert_eq!(no_route("/elsewhere", None, Method::Get, TABLE).status(), 404);
    }

    #[test]
    fn a_body_is_refused_once_the_bytes_read_pass_the_limit() {
        let mut body = vec![];
        read_within_limit(&mut body, &vec![b' '; MAX_BODY_BYTES - 1]).unwrap();
        read_within_limit(&mut body, b"x").unwrap();
        assert_eq!(body.len(), MAX_BODY_BYTES, "exactly the limit is read");
        assert_eq!(read_within_limit(&mut body, b"y").unwrap_err().status(), 413);
        assert_eq!(body.len(), MAX_BODY_BYTES, "and nothing past it is kept");
    }

    #[test]
    fn action_is_what_follows_the_function_name() {
        assert_eq!(action("/functions/v1/api-jobs", "api-jobs"), Some(""));
        assert_eq!(action("/functions/v1/api-jobs/", "api-jobs"), Some(""));
        assert_eq!(action("/api-jobs", "api-jobs"), Some(""));
        assert_eq!(action("/functions/v1/api-job-lifecycle/start", "api-job-lifecycle"), Some("start"));
        assert_eq!(action("/functions/v1/api-jobs/a/b", "api-jobs"), None);
        assert_eq!(action("/functions/v1/api-parts", "api-jobs"), None);
    }

    #[test]
    fn etags_compare_strong_and_weak() {
        let t = etag("{}");
        assert_eq!(t.len(), 34);
        assert!(etag_listed(&format!("\"x\", {t}"), &t, false) && etag_listed("*", &t, false));
        assert!(etag_listed(&format!("W/{t}"), &t, true) && !etag_listed(&format!("W/{t}"), &t, false));
        assert!(check_if_match(None, Some("{}")).is_ok() && check_if_match(Some(&t), Some("{}")).is_ok());
        assert_eq!(check_if_match(Some(&t), Some("{\"a\":1}")).unwrap_err().status(), 412);
        assert!(check_if_match(Some(&t), None).is_ok() && check_if_match(Some("*"), None).is_ok(), "no record: 404, not 412");
    }

    #[test]
    fn query_decodes_and_keeps_first_value() {
        let q = Query::from_url("http://x/functions/v1/api-jobs?customer=ACME%20Corp&status=a&status=b&x=1+2#frag");
        assert_eq!(q.get("customer"), Some("ACME Corp"));
        assert_eq!(q.get("status"), Some("a"));
        assert_eq!(q.get("x"), Some("1 2"));
        assert_eq!(q.get("missing"), None);
        assert_eq!(Query::from_url("http://x/y").get("a"), None);
    }

    #[test]
    fn request_id_echoes_only_sane_values() {
        assert_eq!(request_id(Some("abc-1.2:3_x"), || "new".into()), "abc-1.2:3_x");
        assert_eq!(request_id(Some("bad id"), || "new".into()), "new");
        assert_eq!(request_id(Some(""), || "new".into()), "new");
        assert_eq!(request_id(Some(&"a".repeat(201)), || "new".into()), "new");
        assert_eq!(request_id(None, || "new".into()), "new");
    }

    #[test]
    fn body_must_be_a_json_object() {
        assert!(json_object(br#"{"a":1}"#).is_ok());
        let e = json_object(b"{not json").unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.message.starts_with("Invalid JSON in request body"));
        assert_eq!(json_object(b"[1,2]").unwrap_err().message, "Request body must be a JSON object, got array");
        assert_eq!(json_object(b"  ").unwrap_err().status(), 400);
        assert_eq!(json_object(&vec![b' '; MAX_BODY_BYTES + 1]).unwrap_err().status(), 413);
    }

    #[test]
    fn declared_length_over_limit_is_413() {
        assert!(check_declared_length(Some("10")).is_ok());
        assert!(check_declared_length(None).is_ok());
        assert_eq!(check_declared_length(Some("1048577")).unwrap_err().status(), 413);
    }
}

/// The `?id=` of a single-record request: required, and a UUID (400 with details otherwise).
pub fn id_param(q: &Query) -> Result<String, ApiError> {
    use crate::protocol::error::{Constraint, FieldError};
    match q.get("id").map(str::trim) {
        None | Some("") => Err(ApiError::bad_query(vec![FieldError::new("id", Constraint::NotNull, "Missing required query parameter: id", Value::Null)])),
        Some(v) => crate::protocol::fields::uuid(&Value::from(v))
            .map_err(|(c, m)| ApiError::bad_query(vec![FieldError::new("id", c, format!("id {m}"), Value::from(v))])),
    }
}

#[cfg(test)]
mod id_tests {
    use super::*;

    #[test]
    fn id_param_requires_a_uuid() {
        let ok = Query::from_url("http://x/api-jobs?id=6F9619FF-8B86-D011-B42D-00C04FC964FF");
        assert_eq!(id_param(&ok).unwrap(), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
        let e = id_param(&Query::from_url("http://x/api-jobs?id=abc")).unwrap_err();
        assert_eq!((e.status(), e.details.unwrap()[0]["constraint"].as_str()), (400, Some("UUID_FORMAT")));
        assert_eq!(id_param(&Query::from_url("http://x/api-jobs")).unwrap_err().status(), 400);
    }
}
