//! Security: operators and sessions, sign-in throttling, client addresses and the audit trail.

pub mod api_tokens;
pub mod audit;
pub mod audit_stream;
pub mod client_address;
pub mod directory_sign_in;
pub mod operators;
pub mod scoped_roles;
pub mod sign_in_throttle;
