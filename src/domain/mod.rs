//! Pure domain types and rules, compiled for both the server and the browser.
//! Nothing here knows about HTTP, SQL or the DOM.

pub mod audit;
pub mod configure;
pub mod delete;
pub mod deployment;
pub mod enable;
pub mod error;
pub mod format;
pub mod jobs;
pub mod moves;
pub mod node;
pub mod operation;
pub mod operator;
pub mod org;
pub mod paging;
pub mod pool;
pub mod search;
pub mod security;
pub mod sip;
pub mod topology;
pub mod user;
pub mod user_data;

pub use error::AppError;
