//! What a signed-in admin does.

pub mod export;
pub mod keys;
