//! Personal access tokens of the scripting API: what an operator asks for (a name, a lifetime,
//! some of their own permissions) and what the portal lists. The secret itself is shown once
//! and never stored; only its hash is.

use super::AppError;
use super::operator::{Operator, Permission};
use serde::{Deserialize, Serialize};

/// What a token may be given: the permissions the scripting API's calls need.
pub const API_PERMISSIONS: [Permission; 3] =
    [Permission::ViewDeployment, Permission::ManageUsers, Permission::MoveUsersBetweenOrganizations];

/// A token lives at most a year.
pub const MAX_TOKEN_DAYS: u32 = 365;
pub const MAX_TOKEN_NAME_CHARS: usize = 80;
/// Every secret starts with this, so that secret scanners and people can tell what it is.
pub const TOKEN_PREFIX: &str = "uca_";

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiTokenId(pub i64);

/// What an operator asks for on the API page.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub name: String,
    /// Days until it expires, 1 to 365.
    pub days: u32,
    /// A non-empty subset of the operator's own permissions.
    pub permissions: Vec<Permission>,
}

impl NewApiToken {
    /// Checks the request against the operator who makes it; returns the name trimmed and
    /// the permissions without repeats, in a stable order.
    pub fn checked(&self, operator: &Operator) -> Result<(String, Vec<Permission>), AppError> {
        let name = self.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_TOKEN_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(AppError::ApiTokenNameInvalid { max: MAX_TOKEN_NAME_CHARS as u64 });
        }
        if self.days == 0 || self.days > MAX_TOKEN_DAYS {
            return Err(AppError::ApiTokenLifetimeInvalid { max_days: u64::from(MAX_TOKEN_DAYS) });
        }
        if self.permissions.is_empty()
            || self.permissions.iter().any(|p| !operator.may(*p) || !API_PERMISSIONS.contains(p))
        {
            return Err(AppError::ApiTokenPermissionNotHeld);
        }
        let permissions =
            API_PERMISSIONS.into_iter().filter(|p| self.permissions.contains(p)).collect::<Vec<_>>();
        Ok((name.to_string(), permissions))
    }
}

/// Where a token stands at a given time.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiTokenStatus {
    Active,
    Expired,
    Revoked,
}

/// A token as the API page lists it (never its secret).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub name: String,
    /// The operator it acts for.
    pub owner: String,
    pub permissions: Vec<Permission>,
    /// Unix seconds.
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Where it stood when it was listed.
    pub status: ApiTokenStatus,
}

impl ApiTokenStatus {
    pub fn at(now: i64, expires_at: i64, revoked_at: Option<i64>) -> ApiTokenStatus {
        if revoked_at.is_some() {
            ApiTokenStatus::Revoked
        } else if expires_at <= now {
            ApiTokenStatus::Expired
        } else {
            ApiTokenStatus::Active
        }
    }
}

/// A new token with its secret: the only time the secret is ever shown.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Whether a string has the shape of a secret (prefix and 64 hex digits), before any lookup.
pub fn looks_like_secret(secret: &str) -> bool {
    secret
        .strip_prefix(TOKEN_PREFIX)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::operator::{OperatorId, Role};

    fn helpdesk() -> Operator {
        Operator {
            id: OperatorId(1),
            username: "hd".into(),
            display_name: "HD".into(),
            roles: vec![Role::HelpDesk],
            api_token: None,
            approved_by: None,
            scoped_roles: Vec::new(),
            scope: Default::default(),
        }
    }

    #[test]
    fn a_token_holds_only_what_its_operator_holds() {
        let ask = |permissions: Vec<Permission>, days, name: &str| {
            NewApiToken { name: name.into(), days, permissions }.checked(&helpdesk())
        };
        assert_eq!(
            ask(vec![Permission::ViewDeployment, Permission::ViewDeployment], 30, "  nightly  "),
            Ok(("nightly".to_string(), vec![Permission::ViewDeployment]))
        );
        assert_eq!(ask(vec![Permission::ManageUsers], 30, "x"), Err(AppError::ApiTokenPermissionNotHeld));
        assert_eq!(ask(vec![], 30, "x"), Err(AppError::ApiTokenPermissionNotHeld));
        let admin =
            Operator { roles: vec![crate::domain::operator::Role::EnterpriseAdministrator], ..helpdesk() };
        let pools = NewApiToken { name: "x".into(), days: 1, permissions: vec![Permission::ManagePools] };
        assert_eq!(pools.checked(&admin), Err(AppError::ApiTokenPermissionNotHeld), "no API call needs it");
        assert_eq!(
            ask(vec![Permission::ViewDeployment], 366, "x"),
            Err(AppError::ApiTokenLifetimeInvalid { max_days: 365 })
        );
        assert!(ask(vec![Permission::ViewDeployment], 0, "x").is_err());
        assert!(ask(vec![Permission::ViewDeployment], 365, "x").is_ok());
        assert_eq!(
            ask(vec![Permission::ViewDeployment], 1, "   "),
            Err(AppError::ApiTokenNameInvalid { max: 80 })
        );
        assert!(ask(vec![Permission::ViewDeployment], 1, &"n".repeat(81)).is_err());
        assert!(ask(vec![Permission::ViewDeployment], 1, "a\u{7}b").is_err());
    }

    #[test]
    fn status_and_secret_shape() {
        assert_eq!(ApiTokenStatus::at(99, 100, None), ApiTokenStatus::Active);
        assert_eq!(ApiTokenStatus::at(100, 100, None), ApiTokenStatus::Expired);
        assert_eq!(ApiTokenStatus::at(1, 100, Some(5)), ApiTokenStatus::Revoked);
        assert!(looks_like_secret(&format!("uca_{}", "ab".repeat(32))));
        assert!(!looks_like_secret(&format!("uca_{}", "zz".repeat(32))));
        assert!(!looks_like_secret("uca_"));
        assert!(!looks_like_secret(&"ab".repeat(34)));
    }
}
