//! A tenant: the plan a key resolves to, its limits and standing, and what it has used.

pub mod plans;
pub mod tenant;
pub mod usage;
