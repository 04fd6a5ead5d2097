//! Directory and users: the directory side of users, listing and detail, search and saved queries.

pub mod records;
pub mod saved_queries;
pub mod search;
pub mod user_lists;
pub mod users;
pub mod within;
