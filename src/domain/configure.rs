//! Configuring users in bulk: the settings a change sets, and which users it must leave alone.

use super::AppError;
use super::pool::{PoolState, ServerVersion};
use super::user::{ArchivingPolicy, Telephony, UserId};
use serde::{Deserialize, Serialize};

/// Largest number of users one configure takes.
pub const MAX_CONFIGURE: usize = 250_000;
/// The settings to set; `None` leaves a setting as each user has it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SettingsChange {
    pub federation: Option<bool>,
    pub remote_access: Option<bool>,
    pub public_im: Option<bool>,
    /// Enhanced presence can be turned on, never off: once a user has signed in with it, the
    /// user's data is converted and cannot go back.
    pub enable_enhanced_presence: bool,
    pub archiving: Option<ArchivingPolicy>,
    /// `Some(None)`: follow the global meeting policy.
    pub meeting_policy: Option<Option<String>>,
    pub telephony: Option<Telephony>,
}

impl SettingsChange {
    /// A change that sets nothing is refused, so that no empty operation reaches the log.
    pub fn validate(&self) -> Result<(), AppError> {
        if *self == SettingsChange::default() {
            return Err(AppError::NothingToChange);
        }
        if let Some(Some(name)) = &self.meeting_policy
            && (name.trim().is_empty() || name.chars().count() > 256)
        {
            return Err(AppError::UnknownMeetingPolicy);
        }
        Ok(())
    }
}

/// Why a user is left unchanged.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigureSkip {
    /// Homed on an OCS 2007 or LCS 2005 SP1 pool: those users are managed with their own
    /// version's tools, and this console only views them.
    EarlierVersion,
    /// The home pool is deactivated or removed: move the user first.
    Unassigned,
}

impl ConfigureSkip {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigureSkip::EarlierVersion => "earlier_version",
            ConfigureSkip::Unassigned => "unassigned",
        }
    }
}

impl std::str::FromStr for ConfigureSkip {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        [ConfigureSkip::EarlierVersion, ConfigureSkip::Unassigned]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(())
    }
}

/// Whether a user homed on a pool of this version and state can be configured here.
pub fn skip_reason(version: ServerVersion, state: PoolState) -> Option<ConfigureSkip> {
    if state != PoolState::Active {
        Some(ConfigureSkip::Unassigned)
    } else if version != ServerVersion::Ocs2007R2 {
        Some(ConfigureSkip::EarlierVersion)
    } else {
        None
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigureLine {
    pub id: UserId,
    pub display_name: String,
    pub sip_uri: String,
    pub pool_fqdn: String,
    pub version: ServerVersion,
    pub skip: Option<ConfigureSkip>,
}

/// What the wizard shows before applying: how many users change, and who is left alone and why.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurePreview {
    pub change: SettingsChange,
    /// Users the operation covers (`users` may list only the first of them).
    pub count: u64,
    pub to_change: u64,
    pub skipped: u64,
    /// The first `CONFIGURE_PREVIEW_LINES` users, skipped ones first.
    pub users: Vec<ConfigureLine>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigureRun {
    pub event_id: i64,
    pub preview: ConfigurePreview,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_active_current_version_users_are_configured() {
        assert_eq!(skip_reason(ServerVersion::Ocs2007R2, PoolState::Active), None);
        assert_eq!(
            skip_reason(ServerVersion::Ocs2007, PoolState::Active),
            Some(ConfigureSkip::EarlierVersion)
        );
        assert_eq!(
            skip_reason(ServerVersion::Lcs2005Sp1, PoolState::Active),
            Some(ConfigureSkip::EarlierVersion)
        );
        assert_eq!(
            skip_reason(ServerVersion::Ocs2007R2, PoolState::Deactivated),
            Some(ConfigureSkip::Unassigned)
        );
        assert_eq!(skip_reason(ServerVersion::Ocs2007, PoolState::Removed), Some(ConfigureSkip::Unassigned));
    }

    #[test]
    fn a_change_must_set_something_valid() {
        assert_eq!(SettingsChange::default().validate(), Err(AppError::NothingToChange));
        assert!(SettingsChange { federation: Some(false), ..Default::default() }.validate().is_ok());
        assert!(SettingsChange { meeting_policy: Some(None), ..Default::default() }.validate().is_ok());
        assert!(SettingsChange { enable_enhanced_presence: true, ..Default::default() }.validate().is_ok());
        assert_eq!(
            SettingsChange { meeting_policy: Some(Some(" ".into())), ..Default::default() }.validate(),
            Err(AppError::UnknownMeetingPolicy)
        );
    }
}
