//! The HTTP layer (server only): the router, and one file per concern every request passes —
//! `origin` (cross-site refusal and the headers that keep pages out of frames), `admission`
//! (the access table and body limits, before a server function's arguments are decoded),
//! `session` (the cookie and the operator behind it), `client_address` (who is calling, behind
//! trusted proxies), `request_id` (the reference of every answer and its log lines) and
//! `error` (the one place the portal's errors become HTTP statuses). The
//! plain routes — file downloads, the job progress stream and the probes (`health`: /healthz,
//! /readyz, /metrics) — are here too; server functions
//! are in `api`, services in `server`.

pub mod admission;
pub mod client_address;
pub mod downloads;
pub mod error;
pub mod events;
pub mod health;
pub mod origin;
pub mod request_id;
pub mod rest;
pub mod router;
pub mod session;

pub use router::{metrics_router, router};
