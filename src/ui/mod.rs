//! Leptos components and pages. They use the domain, the server functions in `api` and the
//! translations; never the server module.

pub mod admin;
pub mod api_page;
pub mod audit;
pub mod browse;
pub mod common;
pub mod configure;
pub mod console;
pub mod delete;
pub mod enable;
pub mod import;
pub mod jobs;
pub mod login;
pub mod moves;
pub mod not_found;
pub mod org_move;
pub mod orgs;
pub mod password;
pub mod pool_page;
pub mod requests;
pub mod schedule;
pub mod scoped_roles;
pub mod search;
pub mod target;
pub mod topology;
pub mod undo;
pub mod user_list;
pub mod user_page;
pub mod wizard;
