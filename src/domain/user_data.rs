//! Exported user data: the per-user server data (contacts and groups, Allow/Block entries,
//! meetings, enhanced presence) of some users, as written to and read from an XML file, and
//! what importing such a file adds. The file format is in the README.

use super::moves::DataKind;
use super::user::UserId;
use serde::{Deserialize, Serialize};

/// The XML namespace of user data files; its last segment is the format version.
pub const USER_DATA_NAMESPACE: &str = "urn:uc-admin:user-data:1";

/// Largest file an import accepts.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// Most users one export may hold: the whole file is built in memory.
pub const MAX_EXPORT_USERS: usize = 20_000;

/// Most selected users one export takes (their ids travel in the download address).
pub const MAX_EXPORT_SELECTED: usize = 2_000;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactItem {
    pub uri: String,
    pub display_name: String,
    /// The name of one of the user's contact groups.
    pub group: Option<String>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessItem {
    /// A SIP URI or a domain.
    pub entry: String,
    pub allow: bool,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingItem {
    pub subject: String,
    pub starts_at: i64,
    pub duration_minutes: u32,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceItem {
    pub category: String,
    pub instance: i64,
    pub value: String,
}

/// One user's server data, keyed by SIP URI (`user@domain`, without the scheme).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserData {
    pub sip_uri: String,
    pub object_guid: String,
    pub display_name: String,
    pub groups: Vec<String>,
    pub contacts: Vec<ContactItem>,
    pub access: Vec<AccessItem>,
    pub meetings: Vec<MeetingItem>,
    pub presence: Vec<PresenceItem>,
}

impl UserData {
    pub fn holds_any(&self, kind: DataKind) -> bool {
        match kind {
            DataKind::Contacts => !self.groups.is_empty() || !self.contacts.is_empty(),
            DataKind::AccessEntries => !self.access.is_empty(),
            DataKind::Meetings => !self.meetings.is_empty(),
            DataKind::EnhancedPresence => !self.presence.is_empty(),
        }
    }
}

/// Items added and items already present (left as they are), per kind of data.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportCounts {
    /// In the order of `DataKind::ALL`.
    pub added: [u64; 4],
    pub present: [u64; 4],
}

impl ImportCounts {
    pub fn added_total(&self) -> u64 {
        self.added.iter().sum()
    }

    pub fn present_total(&self) -> u64 {
        self.present.iter().sum()
    }

    pub fn add(&mut self, other: &ImportCounts) {
        for i in 0..4 {
            self.added[i] += other.added[i];
            self.present[i] += other.present[i];
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportLine {
    pub id: UserId,
    pub display_name: String,
    pub sip_uri: String,
    pub counts: ImportCounts,
}

/// What an import adds (preview) or added (run). Import merges: an item the user already has
/// is kept as it is, so importing the same file twice adds nothing the second time.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub users: u64,
    /// The first `PREVIEW_LINES` users.
    pub lines: Vec<ImportLine>,
    pub totals: ImportCounts,
    /// The audit event of a run; `None` for a preview.
    pub event_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_kind() {
        let mut total = ImportCounts::default();
        total.add(&ImportCounts { added: [3, 1, 0, 2], present: [1, 0, 0, 0] });
        total.add(&ImportCounts { added: [1, 0, 4, 0], present: [0, 2, 0, 0] });
        assert_eq!(total.added, [4, 1, 4, 2]);
        assert_eq!((total.added_total(), total.present_total()), (11, 3));
    }

    #[test]
    fn a_user_holds_a_kind_when_any_item_of_it_is_there() {
        let mut user = UserData { sip_uri: "a@contoso.com".into(), ..Default::default() };
        assert!(DataKind::ALL.iter().all(|k| !user.holds_any(*k)));
        user.groups.push("Team".into());
        assert!(user.holds_any(DataKind::Contacts));
        user.meetings.push(MeetingItem { subject: "S".into(), starts_at: 0, duration_minutes: 30 });
        assert!(user.holds_any(DataKind::Meetings));
        assert!(!user.holds_any(DataKind::EnhancedPresence));
    }
}
