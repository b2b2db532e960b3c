//! D1 access that counts its round trips, for the `Server-Timing` header and the budget of
//! two per request.

use eryxon_domain::protocol::sql::{classify_failure, Param, Stmt};
use eryxon_domain::ApiError;
use serde_json::Value;
use std::cell::Cell;
use wasm_bindgen::JsValue;
use worker::{console_error, D1Database, Date, Env};

pub struct Db {
    inner: D1Database,
    trips: Cell<u32>,
    millis: Cell<f64>,
    rows_read: Cell<u64>,
}

impl Db {
    pub fn open(env: &Env) -> Result<Db, ApiError> {
        let inner = env.d1("DB").map_err(|_| ApiError::internal("Database binding DB is missing"))?;
        Ok(Db { inner, trips: Cell::new(0), millis: Cell::new(0.0), rows_read: Cell::new(0) })
    }

    /// Runs the statements as one atomic batch: one round trip, all or nothing.
    pub async fn batch(&self, stmts: &[Stmt], request_id: &str) -> Result<Vec<Vec<Value>>, ApiError> {
        self.batch_or_text(stmts, request_id).await.map_err(|(e, _)| e)
    }

    /// [`Db::batch`], with the database's own words for a failure (to tell which constraint).
    pub async fn batch_or_text(&self, stmts: &[Stmt], request_id: &str) -> Result<Vec<Vec<Value>>, (ApiError, String)> {
        let prepared = stmts
            .iter()
            .map(|s| self.inner.prepare(&s.sql).bind(&s.params.iter().map(to_js).collect::<Vec<_>>()))
            .collect::<worker::Result<Vec<_>>>()
            .map_err(|e| failure(&e, request_id))?;
        let started = Date::now().as_millis();
        self.trips.set(self.trips.get() + 1);
        let outcome = self.inner.batch(prepared).await;
        self.millis.set(self.millis.get() + (Date::now().as_millis() - started) as f64);
        let results = outcome.map_err(|e| failure(&e, request_id))?;
        let read: u64 = results.iter().filter_map(|r| r.meta().ok().flatten()).filter_map(|m| m.rows_read).map(|n| n as u64).sum();
        self.rows_read.set(self.rows_read.get() + read);
        results.iter().map(|r| r.results::<Value>()).collect::<worker::Result<Vec<_>>>().map_err(|e| failure(&e, request_id))
    }

    pub fn round_trips(&self) -> u32 {
        self.trips.get()
    }

    pub fn millis(&self) -> f64 {
        self.millis.get()
    }

    /// Rows D1 read for this request, as the runtime reports them.
    pub fn rows_read(&self) -> u64 {
        self.rows_read.get()
    }
}

/// D1 binds every JS number as REAL; text must go as strings, absent values as null.
fn to_js(p: &Param) -> JsValue {
    match p {
        Param::Null => JsValue::NULL,
        Param::Text(s) => JsValue::from_str(s),
        Param::Int(i) => JsValue::from_f64(*i as f64),
        Param::Real(f) => JsValue::from_f64(*f),
    }
}

fn failure(e: &worker::Error, request_id: &str) -> (ApiError, String) {
    let text = error_text(e);
    let err = classify_failure(&text);
    if err.status() >= 500 {
        console_error!("[{request_id}] D1 failure: {text}");
    }
    (err, text)
}

/// Never formats a `D1Error` with Display: in worker 0.8.7 that throws inside wasm and the
/// request hangs.
fn error_text(e: &worker::Error) -> String {
    match e {
        worker::Error::D1(d) => d.cause(),
        worker::Error::UnknownJsError { message, cause, .. } => match cause {
            Some(c) => format!("{message} | {c:?}"),
            None => message.clone(),
        },
        other => format!("{other:?}"),
    }
}
