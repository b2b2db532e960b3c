//! The edge layer: carries a request from the Workers runtime to the domain and back.
//! No business rule lives here.
//!
//! A function's `fetch` reads a [`Call`], routes on its method and action, authenticates
//! (one D1 round trip that also runs the handler's reads), writes (one atomic batch), and
//! answers with [`Call::respond`].

mod call;
pub mod catalog;
mod crypto;
pub mod erp;
pub use crypto::pbkdf2_sha256;
mod db;
pub use db::Db;
mod reply;
pub mod runtime_url;

pub use call::{keyring, new_id, random_bytes, Call};
/// The rows of result set `i` (empty when there is none).
pub use eryxon_domain::resource::at as rows;
pub use reply::{error_response, ok_response, Answer, Reply, Stop, Streamed};

/// A function's entry point: reads the request as a [`Call`] (preflights and oversized bodies
/// are answered there), hands it to `route`, and answers in the envelope.
/// `eryxon_edge::function!("api-jobs", route);` where `async fn route(&Call) -> Answer`.
#[macro_export]
macro_rules! function {
    ($function:literal, $route:path) => {
        #[::worker::event(fetch)]
        async fn fetch(req: ::worker::Request, env: ::worker::Env, ctx: ::worker::Context) -> ::worker::Result<::worker::Response> {
            let call = match $crate::Call::read(req, env, $function).await {
                Ok(call) => call.with_context(ctx),
                Err(early) => return early,
            };
            let outcome = match call.declared() {
                Ok(()) => $route(&call).await,
                Err(refused) => Err(refused.into()),
            };
            call.respond(outcome)
        }
    };
}

/// A function's handlers: each `(action, Method)` of its routes (declared in
/// `eryxon_domain::protocol::routes`, which [`function!`] has already held the request to) with an
/// optional guard and the handler that serves it.
///
/// ```ignore
/// eryxon_edge::routes!(call, {
///     ("", Get) if call.query.get("id").is_some() => get(call).await,
///     ("", Get) => list(call).await,
///     ("logs", Get) => logs(call).await,
/// })
/// ```
#[macro_export]
macro_rules! routes {
    ($call:expr, { $( ($action:literal, $method:ident) $(if $guard:expr)? => $handler:expr ),+ $(,)? }) => {{
        let call: &$crate::Call = $call;
        match (call.action.as_deref(), call.method) {
            $( (Some($action), ::eryxon_domain::protocol::http::Method::$method) $(if $guard)? => $handler, )+
            _ => Err(call.refuse().into()),
        }
    }};
}
