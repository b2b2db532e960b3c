//! The entity endpoints, one module each, each beginning with its declaration: the fields
//! its bodies may set (`FIELDS`) and how it is listed (`LIST`).

pub mod batches;
pub mod catalog;
pub mod deletions;
pub mod issues;
pub mod jobs;
pub mod operations;
pub mod parts;
pub mod time_entries;
pub mod webhooks;
