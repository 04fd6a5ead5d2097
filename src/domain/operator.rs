//! Operators of the portal, their roles and what each role permits.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May change users: enable, move, delete, configure (RTCUniversalUserAdmins).
    UserAdministrator,
    /// Read-only: browses and looks up users to answer calls.
    HelpDesk,
    /// Administers the deployment: pool state, operators, sessions, backups; may change users.
    EnterpriseAdministrator,
    /// Moves users between the organizations of the enterprise.
    EnterpriseUserManager,
}

/// What an operation requires. Server functions ask for one permission each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    ViewDeployment,
    ManageUsers,
    ManagePools,
    MoveUsersBetweenOrganizations,
    ManageOperators,
    BackUpDatabase,
}

impl Role {
    pub const ALL: [Role; 4] =
        [Role::UserAdministrator, Role::HelpDesk, Role::EnterpriseAdministrator, Role::EnterpriseUserManager];

    pub fn grants(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::HelpDesk => matches!(permission, ViewDeployment),
            Role::UserAdministrator => matches!(permission, ViewDeployment | ManageUsers),
            Role::EnterpriseAdministrator => {
                matches!(
                    permission,
                    ViewDeployment | ManageUsers | ManagePools | ManageOperators | BackUpDatabase
                )
            }
            Role::EnterpriseUserManager => {
                matches!(permission, ViewDeployment | MoveUsersBetweenOrganizations)
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::UserAdministrator => "user_administrator",
            Role::HelpDesk => "help_desk",
            Role::EnterpriseAdministrator => "enterprise_administrator",
            Role::EnterpriseUserManager => "enterprise_user_manager",
        }
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OperatorId(pub i64);

/// The signed-in operator as the UI sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub id: OperatorId,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

impl Operator {
    pub fn may(&self, permission: Permission) -> bool {
        self.roles.iter().any(|r| r.grants(permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn help_desk_is_read_only() {
        assert!(Role::HelpDesk.grants(ViewDeployment));
        for p in [ManageUsers, ManagePools, MoveUsersBetweenOrganizations, ManageOperators, BackUpDatabase] {
            assert!(!Role::HelpDesk.grants(p), "{p:?}");
        }
    }

    #[test]
    fn only_enterprise_user_managers_move_between_organizations() {
        for r in Role::ALL {
            assert_eq!(r.grants(MoveUsersBetweenOrganizations), r == Role::EnterpriseUserManager);
        }
    }

    #[test]
    fn every_role_may_view_and_roles_combine() {
        assert!(Role::ALL.iter().all(|r| r.grants(ViewDeployment)));
        let op = Operator {
            id: OperatorId(1),
            username: "x".into(),
            display_name: "X".into(),
            roles: vec![Role::HelpDesk, Role::EnterpriseUserManager],
        };
        assert!(op.may(MoveUsersBetweenOrganizations));
        assert!(!op.may(ManageUsers));
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
    }
}
