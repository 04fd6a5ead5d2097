//! Directory users, enabled users and their per-user server data.

use super::pool::{Pool, PoolId, PoolState, ServerVersion};
use super::sip::SipUri;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// Whether an enabled user can sign in, and if not, why.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    /// Home pool deactivated or removed: listed under "Unassigned users", cannot sign in.
    Unassigned,
    /// The Active Directory account is disabled.
    AccountDisabled,
}

impl UserStatus {
    /// An unassigned home pool outweighs a disabled account: it is what the operator must fix
    /// in this console.
    pub fn of(pool_state: PoolState, account_enabled: bool) -> UserStatus {
        if pool_state != PoolState::Active {
            UserStatus::Unassigned
        } else if !account_enabled {
            UserStatus::AccountDisabled
        } else {
            UserStatus::Active
        }
    }

    pub fn can_sign_in(self) -> bool {
        self == UserStatus::Active
    }
}

/// One row of the user table.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: UserId,
    pub display_name: String,
    pub sip_uri: SipUri,
    pub pool_id: PoolId,
    pub pool_fqdn: String,
    pub version: ServerVersion,
    pub enhanced_presence: bool,
    pub status: UserStatus,
}

/// Archiving of the user's instant messages.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchivingPolicy {
    /// Follow the global archiving policy.
    Global,
    Internal,
    Federated,
    InternalAndFederated,
    Disabled,
}

/// Enterprise Voice options of OCS 2007 R2.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Telephony {
    Disabled,
    EnterpriseVoice,
    PbxIntegration,
    RemoteCallControl,
    RemoteCallControlOnly,
}

macro_rules! str_codes {
    ($ty:ty { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $code),+ }
            }
        }
        impl FromStr for $ty {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($code => Ok(<$ty>::$variant),)+ _ => Err(()) }
            }
        }
    };
}

impl ArchivingPolicy {
    pub const ALL: [ArchivingPolicy; 5] = [
        ArchivingPolicy::Global,
        ArchivingPolicy::Internal,
        ArchivingPolicy::Federated,
        ArchivingPolicy::InternalAndFederated,
        ArchivingPolicy::Disabled,
    ];
}

impl Telephony {
    pub const ALL: [Telephony; 5] = [
        Telephony::Disabled,
        Telephony::EnterpriseVoice,
        Telephony::PbxIntegration,
        Telephony::RemoteCallControl,
        Telephony::RemoteCallControlOnly,
    ];
}

str_codes!(ArchivingPolicy {
    Global => "global",
    Internal => "internal",
    Federated => "federated",
    InternalAndFederated => "internal_and_federated",
    Disabled => "disabled",
});

str_codes!(Telephony {
    Disabled => "disabled",
    EnterpriseVoice => "enterprise_voice",
    PbxIntegration => "pbx_integration",
    RemoteCallControl => "remote_call_control",
    RemoteCallControlOnly => "remote_call_control_only",
});

str_codes!(UserStatus {
    Active => "active",
    Unassigned => "unassigned",
    AccountDisabled => "account_disabled",
});

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSettings {
    pub federation: bool,
    pub remote_access: bool,
    pub public_im: bool,
    pub archiving: ArchivingPolicy,
    /// Name of the meeting policy; `None` follows the global policy.
    pub meeting_policy: Option<String>,
    pub telephony: Telephony,
}

/// Amounts of per-user data held in the home pool's back-end.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerDataCounts {
    pub contacts: u64,
    pub contact_groups: u64,
    pub allowed: u64,
    pub blocked: u64,
    pub meetings: u64,
    pub presence_items: u64,
}

/// The Active Directory side of a user.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryAttributes {
    pub object_guid: String,
    pub display_name: String,
    pub given_name: String,
    pub surname: String,
    pub sam_account_name: String,
    pub user_principal_name: String,
    pub email: Option<String>,
    pub container: String,
    pub department: Option<String>,
    pub account_enabled: bool,
}

/// The users an operation takes: repeats dropped (first occurrence kept), at least one, at most
/// `max`.
pub fn distinct_selection(users: &[UserId], max: usize) -> Result<Vec<UserId>, super::AppError> {
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<UserId> = users.iter().copied().filter(|id| seen.insert(*id)).collect();
    if ids.is_empty() {
        return Err(super::AppError::EmptySelection);
    }
    if ids.len() > max {
        return Err(super::AppError::BatchTooLarge { max: max as u64 });
    }
    Ok(ids)
}

/// A directory user with its identifier: a row of the directory browser and the input of
/// enabling.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    pub id: UserId,
    pub directory: DirectoryAttributes,
}

/// Everything the user property page shows.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub id: UserId,
    pub directory: DirectoryAttributes,
    pub sip_uri: SipUri,
    pub pool: Pool,
    pub enhanced_presence: bool,
    /// Has signed in with an OCS 2007 or later client, which converts the user's data.
    pub converted_to_enhanced_presence: bool,
    pub settings: UserSettings,
    pub data: ServerDataCounts,
    /// Start of the user's next scheduled meeting (Unix seconds), if any.
    pub next_meeting_at: Option<i64>,
    pub status: UserStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_prefers_unassigned_over_disabled_account() {
        assert_eq!(UserStatus::of(PoolState::Active, true), UserStatus::Active);
        assert_eq!(UserStatus::of(PoolState::Active, false), UserStatus::AccountDisabled);
        assert_eq!(UserStatus::of(PoolState::Deactivated, true), UserStatus::Unassigned);
        assert_eq!(UserStatus::of(PoolState::Removed, false), UserStatus::Unassigned);
        assert!(UserStatus::Active.can_sign_in());
        assert!(!UserStatus::Unassigned.can_sign_in());
    }

    #[test]
    fn selections_drop_repeats_and_respect_their_bounds() {
        use crate::domain::AppError;
        let ids = [UserId(3), UserId(1), UserId(3), UserId(2)];
        assert_eq!(distinct_selection(&ids, 3), Ok(vec![UserId(3), UserId(1), UserId(2)]));
        assert_eq!(distinct_selection(&[], 3), Err(AppError::EmptySelection));
        assert_eq!(distinct_selection(&ids, 2), Err(AppError::BatchTooLarge { max: 2 }));
    }

    #[test]
    fn setting_codes_round_trip() {
        for a in [
            ArchivingPolicy::Global,
            ArchivingPolicy::Internal,
            ArchivingPolicy::Federated,
            ArchivingPolicy::InternalAndFederated,
            ArchivingPolicy::Disabled,
        ] {
            assert_eq!(a.as_str().parse::<ArchivingPolicy>(), Ok(a));
        }
        assert_eq!("pbx_integration".parse::<Telephony>(), Ok(Telephony::PbxIntegration));
        assert!("voice".parse::<Telephony>().is_err());
    }
}
