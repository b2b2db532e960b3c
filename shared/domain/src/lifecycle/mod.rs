//! Status transitions that open and close time entries.

pub mod batches;
pub mod jobs;
pub mod operations;
pub mod time_share;
