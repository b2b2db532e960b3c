//! Who is calling: API keys, sign-in and sessions, and the secrets sealed at rest.

pub mod api_key;
pub mod password;
pub mod secrets;
pub mod session;
pub mod sign_in;
