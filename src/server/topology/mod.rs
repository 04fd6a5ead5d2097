//! Pools and topology: Enterprise pools, Standard Edition servers, their state and the pool tree.

pub mod file;
pub mod pools;
