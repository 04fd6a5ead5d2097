//! The directory side of users as the database holds it, shared by the services that read it.

use crate::domain::user::{DirectoryAttributes, DirectoryUser, UserId};

/// Columns of `directory_users d` that `DirectoryRecord` reads.
pub(crate) const DIRECTORY_COLUMNS: &str = "d.id, d.object_guid, d.display_name, d.given_name, d.surname, \
     d.sam_account_name, d.user_principal_name, d.email, d.container, d.department, d.account_enabled";

#[derive(sqlx::FromRow)]
pub(crate) struct DirectoryRecord {
    id: i64,
    object_guid: String,
    display_name: String,
    given_name: String,
    surname: String,
    sam_account_name: String,
    user_principal_name: String,
    email: Option<String>,
    container: String,
    department: Option<String>,
    #[sqlx(try_from = "crate::server::storage::flag::Flag")]
    account_enabled: bool,
}

impl From<DirectoryRecord> for DirectoryUser {
    fn from(r: DirectoryRecord) -> DirectoryUser {
        DirectoryUser {
            id: UserId(r.id),
            directory: DirectoryAttributes {
                object_guid: r.object_guid,
                display_name: r.display_name,
                given_name: r.given_name,
                surname: r.surname,
                sam_account_name: r.sam_account_name,
                user_principal_name: r.user_principal_name,
                email: r.email,
                container: r.container,
                department: r.department,
                account_enabled: r.account_enabled,
            },
        }
    }
}
