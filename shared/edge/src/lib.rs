//! The edge layer: carries a request from the Workers runtime to the domain and back.
//! No business rule lives here.
//!
//! A function's `fetch` reads a [`Call`], routes on its method and action, authenticates
//! (one D1 round trip that also runs the handler's reads), writes (one atomic batch), and
//! answers with [`Call::respond`].

pub mod catalog;
mod call;
mod db;
pub use db::Db;
mod reply;

pub use call::{new_id, random_bytes, rows, Call};
pub use reply::{error_response, ok_response, Reply};
