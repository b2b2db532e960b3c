//! A tenant's plan and its use.

pub mod plans;
pub mod usage;
