//! One incoming request, read once, with the round trips it may make.

use crate::db::Db;
use crate::reply::{self, Answer, Reply, Stop};
use eryxon_domain::account::plans::{self, Standing};
use eryxon_domain::account::tenant::{self, Caller, KeyReads};
use eryxon_domain::auth::secrets::Keyring;
use eryxon_domain::auth::session::{self, Admin, AdminReads};
use eryxon_domain::protocol::http::{self, Method, Query};
use eryxon_domain::protocol::idempotency::{self, Previous};
use eryxon_domain::protocol::routes;
use eryxon_domain::protocol::sql::{Scope, Stmt};
use eryxon_domain::protocol::time::Now;
use eryxon_domain::{auth::api_key, protocol::envelope, ApiError};
use serde_json::{Map, Value};
use std::cell::RefCell;
use worker::{console_error, Context, Date, Env, Request, Response};

pub struct Call {
    /// The function the path names (`api-jobs` also for its `/sync`, which `api-sync` serves).
    pub function: &'static str,
    pub method: Method,
    /// What follows the function's name in the path (`""` for the resource itself); `None`
    /// when the path does not name this function.
    pub action: Option<String>,
    pub query: Query,
    pub request_id: String,
    path: String,
    authorization: Option<String>,
    /// Request headers, lower-case names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    env: Env,
    db: Option<Db>,
    started: u64,
    /// Whether plan limits apply (a self-hosted deployment sets `ERYXON_PLAN_LIMITS = "off"`).
    limits_enforced: bool,
    /// The caller's daily standing once authenticated, for the rate-limit headers.
    standing: RefCell<Option<Standing>>,
    /// The caller's tenant once authenticated, for the delivery queue.
    tenant: RefCell<Option<String>>,
    /// Test stack only: leave the queue out, as if the send had been lost.
    skip_queue: bool,
    /// A POST's `Idempotency-Key` with the request's fingerprint.
    idempotency: Option<(String, String)>,
    /// Whether this request's write claimed the key (its answer is then stored).
    claimed: std::cell::Cell<bool>,
    /// For work after the response (storing an idempotent answer).
    ctx: Option<Context>,
}

impl Call {
    /// Reads the request; preflights and oversized bodies are answered here already.
    pub async fn read(mut req: Request, env: Env, function: &'static str) -> Result<Call, worker::Result<Response>> {
        let started = Date::now().as_millis();
        let header = |name: &str| req.headers().get(name).ok().flatten();
        let request_id = http::request_id(header("x-request-id").as_deref(), new_id);
        // The JS request's own method string: worker's `Method` turns methods it does not know
        // (QUERY, PROPFIND, ...) into GET, which would answer them as reads.
        let method = Method::parse(&req.inner().method());
        if method == Method::Options {
            return Err(reply::preflight(&request_id));
        }
        let authorization = header("authorization");
        let headers: Vec<(String, String)> = req.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        let started = test_clock(&env, header("x-eryxon-test-now").as_deref()).unwrap_or(started);
        let skip_queue = test_clock(&env, Some("1970-01-01T00:00:00Z")).is_some() && header("x-eryxon-test-skip-queue").as_deref() == Some("1");
        let mut body = Vec::new();
        if matches!(method, Method::Post | Method::Put | Method::Patch) {
            if let Err(e) = http::check_declared_length(header("content-length").as_deref()) {
                return Err(reply::error_response(&e, &request_id));
            }
            body = match read_body(&mut req).await {
                Ok(b) => b,
                Err(e) => return Err(reply::error_response(&e, &request_id)),
            };
        }
        // The full URL is read from the JS request: worker's own `url()` pulls in the `url`
        // crate, which costs more wasm than this whole layer.
        let url = req.inner().url();
        let path = req.path();
        let idempotency_key = idempotency::key(headers.iter().find(|(k, _)| k == idempotency::HEADER).map(|(_, v)| v.as_str()));
        let idempotency = match (method == Method::Post).then_some(idempotency_key) {
            Some(Err(e)) => return Err(reply::error_response(&e, &request_id)),
            Some(Ok(Some(key))) => {
                let path_and_query = url.find("/functions/").map_or(url.as_str(), |i| &url[i..]);
                Some((key, idempotency::fingerprint(method.as_str(), path_and_query, &body)))
            }
            _ => None,
        };
        Ok(Call {
            function,
            method,
            action: http::action(&path, function).map(str::to_string),
            query: Query::from_url(&url),
            request_id,
            path,
            authorization,
            headers,
            body,
            db: Db::open(&env).ok(),
            limits_enforced: env.var("ERYXON_PLAN_LIMITS").map(|v| v.to_string() != "off").unwrap_or(true),
            standing: RefCell::new(None),
            tenant: RefCell::new(None),
            skip_queue,
            idempotency,
            claimed: std::cell::Cell::new(false),
            ctx: None,
            env,
            started,
        })
    }

    /// Lets the call schedule work after its response (the function's `Context`).
    pub fn with_context(mut self, ctx: Context) -> Call {
        self.ctx = Some(ctx);
        self
    }

    /// Refuses a route `eryxon_domain::protocol::routes` does not declare for this function: 404 for an
    /// unknown path, 405 with `Allow` for another method.
    pub fn declared(&self) -> Result<(), ApiError> {
        routes::refusal(&self.path, self.function, self.action.as_deref(), self.method).map_or(Ok(()), Err)
    }

    /// Why none of the function's handlers serves this request: a route the table declares
    /// that reached a worker which does not serve it (a deployment's misrouting) is 404, as
    /// is an unknown path; another method is 405.
    pub fn refuse(&self) -> ApiError {
        match routes::refusal(&self.path, self.function, self.action.as_deref(), self.method) {
            Some(refused) => refused,
            None => ApiError::route_not_found(&self.path),
        }
    }

    /// A request header (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The raw request body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The request body as a JSON object (400 / 413 otherwise).
    pub fn json_body(&self) -> Result<Map<String, Value>, ApiError> {
        http::json_object(&self.body)
    }

    /// The body as a JSON object where a body is optional: none is an empty object.
    pub fn optional_json_body(&self) -> Result<Map<String, Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        self.json_body()
    }

    /// Round trip one: checks the API key and, in the same batch, runs `reads`, which name the
    /// tenant through the key (see [`Scope::KeyHash`]). Returns the caller and the reads' rows.
    /// The same batch counts the request against the tenant's daily limit (429 when over).
    pub async fn authenticate(&self, reads: impl FnOnce(Scope<'_>) -> Vec<Stmt>) -> Result<(Caller, Vec<Vec<Value>>), Stop> {
        let key = api_key::from_authorization(self.authorization.as_deref()).map_err(ApiError::unauthorized)?;
        let scope = Scope::KeyHash(&key.hash);
        let [requests_today, key_requests] = plans::count_request(&key, self.now());
        let own = KeyReads { lookup: tenant::lookup(&key), requests_today, key_requests, idempotency: self.idempotency_lookup(scope) };
        let results = self.db()?.batch(&[own.stmts(), reads(scope)].concat(), &self.request_id).await?;
        let (own, theirs) = KeyReads::split(&results);
        let caller = tenant::authenticate(&key, &own, self.limits_enforced, self.now())?;
        self.replay_if_answered(own.idempotency)?;
        self.tenant.replace(Some(caller.tenant_id.clone()));
        if let Some(standing) = &caller.standing {
            self.standing.replace(Some(standing.clone()));
            if standing.exceeded() {
                return Err(standing.refusal(&caller.plan).into());
            }
        }
        Ok((caller, theirs.to_vec()))
    }

    /// [`Call::authenticate`] with reads in groups (a draft's own reads, and what `If-Match`
    /// compares with): each group's rows come back as that group.
    pub async fn authenticate_each<const N: usize>(&self, reads: impl FnOnce(Scope<'_>) -> [Vec<Stmt>; N]) -> Result<(Caller, [Vec<Vec<Value>>; N]), Stop> {
        let mut lens = [0; N];
        let (caller, found) = self
            .authenticate(|scope| {
                let groups = reads(scope);
                for (len, group) in lens.iter_mut().zip(&groups) {
                    *len = group.len();
                }
                groups.concat()
            })
            .await?;
        let mut rest = found.into_iter();
        Ok((caller, lens.map(|len| rest.by_ref().take(len).collect())))
    }

    /// Round trip one of an admin endpoint: verifies the session token (signature, expiry,
    /// claims) and, in one batch, reads its user and runs `reads`, which name the tenant
    /// through that user only while they are an active admin (see [`Scope::Admin`]). Admin
    /// requests are not counted against the plan's daily limit.
    pub async fn authenticate_admin(&self, reads: impl FnOnce(Scope<'_>) -> Vec<Stmt>) -> Result<(Admin, Vec<Vec<Value>>), Stop> {
        let token = session::from_authorization(self.authorization.as_deref())?;
        let secret = self.session_secret()?;
        let verified = session::verify(token, secret.as_bytes(), self.now())?;
        let scope = Scope::Admin(&verified.user_id);
        let own = AdminReads { user: session::lookup(&verified), idempotency: self.idempotency_lookup(scope) };
        let results = self.db()?.batch(&[own.stmts(), reads(scope)].concat(), &self.request_id).await?;
        let (own, theirs) = AdminReads::split(&results);
        let admin = session::authorize(&verified, own.user)?;
        self.replay_if_answered(own.idempotency)?;
        self.tenant.replace(Some(admin.tenant_id.clone()));
        Ok((admin, theirs.to_vec()))
    }

    /// The `Idempotency-Key` record's read, for the authentication round trip (a read of
    /// nothing without the header).
    fn idempotency_lookup(&self, scope: Scope<'_>) -> Stmt {
        self.idempotency.as_ref().map_or_else(|| Stmt::nothing(scope), |(k, _)| idempotency::lookup(scope, k, self.now()))
    }

    /// What that read means: a finished record of the same request stops the handler with its
    /// stored answer (opened from its sealed form); another request's is 422; one still
    /// running is 409.
    fn replay_if_answered(&self, record: &[Value]) -> Result<(), Stop> {
        let Some((_, fingerprint)) = &self.idempotency else { return Ok(()) };
        match idempotency::previous(record, fingerprint)? {
            Previous::Replay { status, body } => Err(Stop::Replayed { status, body: self.keyring()?.open(&body)? }),
            _ => Ok(()),
        }
    }

    /// The deployment's session-token secret (`wrangler secret put ERYXON_JWT_SECRET`).
    pub fn session_secret(&self) -> Result<String, ApiError> {
        session::secret(self.setting("ERYXON_JWT_SECRET"))
    }

    /// Reads for an endpoint that checks its caller itself (sign-in): one round trip.
    pub async fn read_unauthenticated(&self, stmts: &[Stmt]) -> Result<Vec<Vec<Value>>, ApiError> {
        self.db()?.batch(stmts, &self.request_id).await
    }

    /// A database handle of its own, for work that outlives the handler (a streamed body).
    pub fn open_db(&self) -> Result<Db, ApiError> {
        Db::open(&self.env)
    }

    /// One atomic write batch. The first write of a request with an `Idempotency-Key` also
    /// claims the key, in the same batch (see [`idempotency`]).
    /// Once it has committed, a write that recorded events tells the delivery worker (the event
    /// rows were written in the same atomic batch as their change, so a lost notice only delays
    /// delivery until the scheduled sweep).
    pub async fn write(&self, stmts: &[Stmt]) -> Result<Vec<Vec<Value>>, ApiError> {
        self.commit(vec![], stmts).await
    }

    /// [`Call::write`] under a condition carried into the same batch (see `sql::Condition`):
    /// the batch commits only if it holds then. The results are those of `stmts`.
    pub async fn write_when(&self, condition: Option<Stmt>, stmts: &[Stmt]) -> Result<Vec<Vec<Value>>, ApiError> {
        self.commit(condition.into_iter().collect(), stmts).await
    }

    /// One atomic batch of `before` (conditions, the Idempotency-Key's claim) then `stmts`,
    /// answering the results of `stmts`; once committed, a write for the delivery worker
    /// ([`Stmt::for_delivery`]) tells it, so that no handler has to.
    async fn commit(&self, mut before: Vec<Stmt>, stmts: &[Stmt]) -> Result<Vec<Vec<Value>>, ApiError> {
        let tenant = self.tenant.borrow().clone();
        let claim = match (&self.idempotency, tenant) {
            (Some((key, fingerprint)), Some(tenant)) if !self.claimed.get() => Some(idempotency::claim(&tenant, key, fingerprint, self.now())),
            _ => None,
        };
        if claim.is_some() {
            // A key is claimed only where its answer can be stored (sealed): else every retry
            // would meet a claim without an answer, 409, for a day.
            self.keyring()?;
        }
        let claims = claim.is_some();
        before.splice(0..0, claim.into_iter().flatten());
        let ahead = before.len();
        let all = [before, stmts.to_vec()].concat();
        let mut results = match self.db()?.batch_or_text(&all, &self.request_id).await {
            Ok(results) => results,
            Err((_, text)) if claims && idempotency::is_taken(&text) => return Err(idempotency::in_progress()),
            Err((e, _)) => return Err(e),
        };
        self.claimed.set(self.claimed.get() || claims);
        if stmts.iter().any(|s| s.for_delivery) {
            self.publish_tenant().await;
        }
        Ok(results.split_off(ahead))
    }

    /// Tells the delivery worker that the caller's tenant has work.
    async fn publish_tenant(&self) {
        if self.skip_queue {
            return;
        }
        let tenant = self.tenant.borrow().clone();
        if let (Some(tenant), Ok(queue)) = (tenant, self.env.queue("EVENTS")) {
            if let Err(e) = queue.send(tenant).await {
                console_error!("[{}] queue send failed; the sweep will deliver: {e:?}", self.request_id);
            }
        }
    }

    /// The deployment's keys for secrets at rest (`ERYXON_SECRETS_KEY`, and during a rotation
    /// `ERYXON_SECRETS_KEY_PREVIOUS`).
    pub fn keyring(&self) -> Result<Keyring, ApiError> {
        keyring(&self.env)
    }

    /// `plain` as D1 may hold it: sealed under the current key with a fresh random nonce.
    pub fn seal(&self, plain: &str) -> Result<String, ApiError> {
        Ok(self.keyring()?.seal(plain, &random_bytes()?))
    }

    /// Whether this deployment lets webhooks deliver to local addresses (see
    /// [`crate::runtime_url::local_webhooks_allowed`]).
    pub fn local_webhooks_allowed(&self) -> bool {
        crate::runtime_url::local_webhooks_allowed(&self.env)
    }

    /// A deployment setting (a `[vars]` entry or secret), if set.
    pub fn setting(&self, name: &str) -> Option<String> {
        self.env.var(name).ok().map(|v| v.to_string())
    }

    pub fn now(&self) -> Now {
        Now(self.started as i64)
    }

    /// The final response: the envelope and the headers every response carries.
    pub fn respond(&self, outcome: Answer) -> worker::Result<Response> {
        let h = self.headers_out()?;
        let outcome = match outcome {
            Err(Stop::Replayed { status, body }) => {
                h.set(idempotency::REPLAYED_HEADER, "true")?;
                return Ok(Response::ok(body)?.with_status(status).with_headers(h));
            }
            Err(Stop::Refused(e)) => Err((e.status(), e)),
            Ok(r) => Ok((r.status, r)),
        };
        if self.claimed.get() {
            self.store_answer(&outcome);
        }
        match outcome.map(|(_, r)| r).map_err(|(_, e)| e) {
            Ok(mut r) => {
                if let Some(body) = r.stream.take() {
                    return reply::streamed(r.status, body, h);
                }
                let status = r.status;
                let body = reply::success_body(r).to_string();
                if self.method == Method::Get && status == 200 {
                    // Conditional GET: the tag is the body's hash, so it changes exactly when
                    // what a client would read changes (nested parts included).
                    let tag = http::etag(&body);
                    h.set("ETag", &tag)?;
                    if self.header("if-none-match").is_some_and(|v| http::etag_listed(v, &tag, true)) {
                        return Ok(Response::empty()?.with_status(304).with_headers(h));
                    }
                }
                Ok(Response::ok(body)?.with_status(status).with_headers(h))
            }
            Err(e) => {
                if e.status() >= 500 {
                    console_error!("[{}] {} {}: {}", self.request_id, self.method.as_str(), self.path, e.message);
                }
                for (name, value) in &e.headers {
                    h.set(name, value)?;
                }
                reply::json(e.status(), &envelope::error(&e), h)
            }
        }
    }

    /// `If-Match` on a change: 412 unless `current` (the record's `data` as its GET answers
    /// it, read in the authentication round trip) still has the tag the client holds.
    pub fn check_if_match(&self, current: Option<Value>) -> Result<(), ApiError> {
        let body = current.map(|data| envelope::success(data, Map::new()).to_string());
        http::check_if_match(self.header("if-match"), body.as_deref())
    }

    /// Whether the request is conditional on the record (`If-Match`), so that its reads must
    /// include the record as a GET shows it.
    pub fn is_conditional(&self) -> bool {
        self.header("if-match").is_some()
    }

    /// Stores the answer of a request that claimed an `Idempotency-Key`, after the response.
    fn store_answer(&self, outcome: &Result<(u16, Reply), (u16, ApiError)>) {
        let (status, body) = match outcome {
            Ok((status, r)) if r.stream.is_none() => (*status, envelope::success(r.data.clone(), r.meta.clone()).to_string()),
            Ok(_) => return,
            Err((status, e)) => (*status, envelope::error(e).to_string()),
        };
        let (Some((key, _)), Some(tenant), Some(ctx), Ok(db)) = (&self.idempotency, self.tenant.borrow().clone(), &self.ctx, self.open_db()) else {
            return;
        };
        // Stored sealed: an answer may carry a secret shown once (a new API key, a webhook secret).
        let body = match self.seal(&body) {
            Ok(sealed) => sealed,
            Err(e) => return console_error!("[{}] the idempotent answer is not stored: {}", self.request_id, e.message),
        };
        let stmt = idempotency::store(&tenant, key, status, &body);
        let request_id = self.request_id.clone();
        ctx.wait_until(async move {
            if let Err(e) = db.batch(&[stmt], &request_id).await {
                console_error!("[{request_id}] storing the idempotent answer failed: {}", e.message);
            }
        });
    }

    /// A response of any JSON body (another protocol's, such as JSON-RPC), with the headers
    /// every response carries; `None` is an empty body.
    pub fn respond_json(&self, status: u16, body: Option<&Value>) -> worker::Result<Response> {
        let h = self.headers_out()?;
        match body {
            Some(b) => reply::json(status, b, h),
            None => Ok(Response::empty()?.with_status(status).with_headers(h)),
        }
    }

    fn headers_out(&self) -> worker::Result<worker::Headers> {
        let h = reply::base_headers(&self.request_id);
        let (trips, d1_ms, rows) = self.db.as_ref().map_or((0, 0.0, 0), |db| (db.round_trips(), db.millis(), db.rows_read()));
        let total = Date::now().as_millis().saturating_sub(self.started);
        h.set(
            "Server-Timing",
            &format!("d1-rt;dur={trips};desc=\"D1 round trips\", d1-rows;dur={rows};desc=\"D1 rows read\", d1;dur={d1_ms};desc=\"D1 time\", total;dur={total}"),
        )?;
        if let Some(standing) = self.standing.borrow().as_ref() {
            for (name, value) in standing.headers() {
                h.set(name, &value)?;
            }
        }
        Ok(h)
    }

    /// Sends a request to another function of this deployment by its service binding, as the
    /// caller (same key, request id and test headers): that function's rules, limits and
    /// events apply exactly as if the caller had sent it.
    pub async fn forward(&self, function: &str, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), ApiError> {
        let binding = eryxon_domain::protocol::routes::binding_name(function).ok_or_else(|| ApiError::internal(format!("No binding for {function}")))?;
        let service = self.env.service(&binding).map_err(|_| ApiError::internal(format!("Service binding {binding} is missing")))?;
        let h = worker::Headers::new();
        for name in ["authorization", "x-eryxon-test-now"] {
            if let Some(v) = self.header(name) {
                let _ = h.set(name, v);
            }
        }
        let _ = h.set("x-request-id", &self.request_id);
        let _ = h.set("content-type", "application/json");
        let mut init = worker::RequestInit::new();
        init.with_method(worker::Method::from(method.to_string())).with_headers(h);
        if let Some(b) = body {
            init.with_body(Some(wasm_bindgen::JsValue::from_str(&b.to_string())));
        }
        let url = format!("https://eryxon.internal/functions/v1/{path}");
        let req = Request::new_with_init(&url, &init).map_err(|e| ApiError::internal(format!("{e:?}")))?;
        let mut resp = service.fetch_request(req).await.map_err(|e| ApiError::internal(format!("{function} did not answer: {e:?}")))?;
        let status = resp.status_code();
        let json = resp.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, json))
    }

    fn db(&self) -> Result<&Db, ApiError> {
        self.db.as_ref().ok_or_else(|| ApiError::internal("Database binding DB is missing"))
    }
}

/// The time a request claims in `X-Eryxon-Test-Now`, honoured only where the deployment sets
/// the binding `ERYXON_TEST_CLOCK = "enabled"`: the local test stack does, to test minutes and
/// timestamps without sleeping; no deployed configuration does, so no client can move time.
/// The same binding alone lets `X-Eryxon-Test-Skip-Queue: 1` leave out the queue send, so the
/// tests can prove the sweep delivers what a lost message left behind.
fn test_clock(env: &Env, claimed: Option<&str>) -> Option<u64> {
    let enabled = env.var("ERYXON_TEST_CLOCK").map(|v| v.to_string() == "enabled").unwrap_or(false);
    enabled.then(|| claimed.and_then(eryxon_domain::protocol::time::parse_instant)).flatten().and_then(|ms| u64::try_from(ms).ok())
}

/// The body, read as a stream and given up as soon as it passes the limit: a chunked body (no
/// `Content-Length`) or one that lies about its length is never read whole.
async fn read_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(body); // no body at all
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("Could not read the request body"))?;
        http::read_within_limit(&mut body, &chunk)?;
    }
    Ok(body)
}

/// The deployment's keys for secrets at rest, from its settings.
pub fn keyring(env: &Env) -> Result<Keyring, ApiError> {
    let setting = |name: &str| env.var(name).ok().map(|v| v.to_string());
    Keyring::from_settings(setting("ERYXON_SECRETS_KEY").as_deref(), setting("ERYXON_SECRETS_KEY_PREVIOUS").as_deref())
}

/// `N` random bytes from the runtime's cryptographic source (secrets, keys, nonces).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::internal("No secure random source"))?;
    Ok(bytes)
}

/// A new random id (UUID v4) for rows, events and requests.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}
