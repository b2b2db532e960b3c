//! Events and their delivery to webhooks.

pub mod dispatch;
pub mod events;
pub mod signing;
pub mod url_guard;
