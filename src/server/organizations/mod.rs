//! Organizations of an enterprise: membership, moves between them, CSV files and directory sync.

pub mod ldap_sync;
pub mod moves;
pub mod org_csv;
pub mod orgs;
