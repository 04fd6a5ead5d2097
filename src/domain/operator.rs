//! Operators of the portal, their roles and what each role permits.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ViewDeployment,
    ManageUsers,
    ManagePools,
    MoveUsersBetweenOrganizations,
    ManageOperators,
    BackUpDatabase,
}

impl Permission {
    pub const ALL: [Permission; 6] = [
        Permission::ViewDeployment,
        Permission::ManageUsers,
        Permission::ManagePools,
        Permission::MoveUsersBetweenOrganizations,
        Permission::ManageOperators,
        Permission::BackUpDatabase,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewDeployment => "view_deployment",
            Permission::ManageUsers => "manage_users",
            Permission::ManagePools => "manage_pools",
            Permission::MoveUsersBetweenOrganizations => "move_users_between_organizations",
            Permission::ManageOperators => "manage_operators",
            Permission::BackUpDatabase => "back_up_database",
        }
    }
}

impl FromStr for Permission {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s).ok_or(())
    }
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

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OperatorId(pub i64);

/// The signed-in operator as the UI sees them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub id: OperatorId,
    pub username: String,
    pub display_name: String,
    /// Roles without a scope: whatever they grant reaches every user.
    pub roles: Vec<Role>,
    /// Roles limited to containers, organizations or pools (`domain::scope`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scoped_roles: Vec<crate::domain::scope::ScopedRole>,
    /// The users the current call may see and change: set by the gate for the permission the
    /// call needs (`for_call`); as loaded, the scope of what the operator may view.
    #[serde(default)]
    pub scope: crate::domain::scope::UserScope,
    /// The API token the operator acts through, for a scripting API call; `None` in the
    /// browser and on the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token: Option<ApiTokenUse>,
    /// A run a second operator approved: the approver, whom its audit event names too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// A scripting API call's token: its name (the audit log names it) and the permissions it
/// was given, which narrow what the operator's roles allow.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenUse {
    pub name: String,
    pub permissions: Vec<Permission>,
}

impl Operator {
    /// Whether the operator may do what needs `permission`: their roles grant it and, through
    /// a token, the token was given it.
    pub fn may(&self, permission: Permission) -> bool {
        let roles_grant = self.roles.iter().any(|r| r.grants(permission))
            || self.scoped_roles.iter().any(|r| r.template.grants(permission));
        roles_grant && self.api_token.as_ref().is_none_or(|t| t.permissions.contains(&permission))
    }

    /// The operator as a call needing `permission` acts: with the scope of that permission.
    pub fn for_call(mut self, permission: Permission) -> Operator {
        self.scope = self.scope_for(permission);
        self
    }

    /// The users whatever needs `permission` may reach.
    pub fn scope_for(&self, permission: Permission) -> crate::domain::scope::UserScope {
        crate::domain::scope::UserScope::for_permission(&self.roles, &self.scoped_roles, permission)
    }

    /// The permissions the operator's roles grant, in a stable order.
    pub fn permissions(&self) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.may(*p)).collect()
    }
}

/// How the console looks for an operator: as their system is set (the default), or always
/// light or always dark. Kept per operator.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

impl FromStr for Theme {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Theme::ALL.into_iter().find(|t| t.as_str() == s).ok_or(())
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
            api_token: None,
            approved_by: None,
            scoped_roles: Vec::new(),
            scope: Default::default(),
        };
        assert!(op.may(MoveUsersBetweenOrganizations));
        assert!(!op.may(ManageUsers));
        let through_token = Operator {
            api_token: Some(ApiTokenUse {
                name: "ro".into(),
                permissions: vec![ViewDeployment, ManageUsers],
            }),
            ..op.clone()
        };
        assert!(through_token.may(ViewDeployment));
        assert!(!through_token.may(MoveUsersBetweenOrganizations), "narrowed by the token");
        assert!(!through_token.may(ManageUsers), "a token never adds to the roles");
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
    }
}
