//! Deleting users' server data and enablement: the directory user stays and can be enabled
//! again.

use super::user::{ServerDataCounts, UserId};
use serde::{Deserialize, Serialize};

/// Largest number of users one delete takes.
pub const MAX_DELETE: usize = 250_000;
impl ServerDataCounts {
    pub fn add(&mut self, other: &ServerDataCounts) {
        self.contacts += other.contacts;
        self.contact_groups += other.contact_groups;
        self.allowed += other.allowed;
        self.blocked += other.blocked;
        self.meetings += other.meetings;
        self.presence_items += other.presence_items;
    }

    pub fn total(&self) -> u64 {
        self.contacts
            + self.contact_groups
            + self.allowed
            + self.blocked
            + self.meetings
            + self.presence_items
    }
}

/// One user a delete takes, with what will be deleted.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteLine {
    pub id: UserId,
    pub display_name: String,
    pub sip_uri: String,
    pub pool_fqdn: String,
    pub data: ServerDataCounts,
}

/// What the confirmation shows before anything is deleted.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletePreview {
    /// Users the operation covers (`users` may list only the first of them).
    pub count: u64,
    /// The first `DELETE_PREVIEW_LINES` users.
    pub users: Vec<DeleteLine>,
    /// Server data of all the users together.
    pub totals: ServerDataCounts,
}

/// The outcome of a delete and its audit record.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRun {
    pub event_id: i64,
    pub preview: DeletePreview,
}

/// Sums the data of the lines.
pub fn delete_totals(lines: &[DeleteLine]) -> ServerDataCounts {
    let mut totals = ServerDataCounts::default();
    for line in lines {
        totals.add(&line.data);
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_every_kind() {
        let data = ServerDataCounts {
            contacts: 3,
            contact_groups: 1,
            allowed: 2,
            blocked: 1,
            meetings: 4,
            presence_items: 5,
        };
        let line = |id| DeleteLine {
            id: UserId(id),
            display_name: String::new(),
            sip_uri: String::new(),
            pool_fqdn: String::new(),
            data,
        };
        let totals = delete_totals(&[line(1), line(2)]);
        assert_eq!(totals.contacts, 6);
        assert_eq!(totals.presence_items, 10);
        assert_eq!(totals.total(), 32);
        assert_eq!(delete_totals(&[]).total(), 0);
    }
}
