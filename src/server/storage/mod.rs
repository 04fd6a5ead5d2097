//! Storage: the database and its transactions, error mapping, backups and the demo seed.

pub mod backup;
pub mod copy;
pub mod db;
pub mod deployment;
pub mod dialect;
pub mod error;
pub mod flag;
pub mod seed;
pub mod sql_builder;
