//! The benchmark's ceiling: answers every request at once, with no database.

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::ok("{\"success\":true,\"data\":{}}")
}
