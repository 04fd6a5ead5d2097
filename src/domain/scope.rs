//! Scoped roles, like `New-CsAdminRole -Template CsUserAdministrator -UserScopes "OU:…"`: a role
//! made from a template and limited to directory containers (OUs), organizations and pools. An
//! operator holding only scoped roles for a permission sees, counts and changes only the users
//! inside the union of those roles' scopes.

use crate::domain::AppError;
use crate::domain::operator::{OperatorId, Permission, Role};
use crate::domain::pool::PoolId;
use serde::{Deserialize, Serialize};

/// The templates a scoped role is made from: the roles about users. An Enterprise
/// Administrator administers the deployment itself, which has no scope.
pub const TEMPLATES: [Role; 3] = [Role::UserAdministrator, Role::HelpDesk, Role::EnterpriseUserManager];

/// The most containers, organizations and pools one role names.
pub const MAX_TERMS: usize = 200;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScopedRoleId(pub i64);

/// What a scope lets in: the users of a directory container and every container below it, the
/// members of an organization, or the users homed on a pool.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum ScopeTerm {
    Container(Container),
    Organization(i64),
    Pool(PoolId),
}

impl ScopeTerm {
    pub fn kind(&self) -> &'static str {
        match self {
            ScopeTerm::Container(_) => "container",
            ScopeTerm::Organization(_) => "organization",
            ScopeTerm::Pool(_) => "pool",
        }
    }

    /// The stored value (a container's distinguished name, an organization's or pool's id).
    pub fn value(&self) -> String {
        match self {
            ScopeTerm::Container(c) => c.0.clone(),
            ScopeTerm::Organization(id) => id.to_string(),
            ScopeTerm::Pool(id) => id.0.to_string(),
        }
    }

    /// A stored term read back; `None` for a row that is not one.
    pub fn from_stored(kind: &str, value: &str) -> Option<ScopeTerm> {
        match kind {
            "container" => Container::parse(value).ok().map(ScopeTerm::Container),
            "organization" => value.parse().ok().map(ScopeTerm::Organization),
            "pool" => value.parse().ok().map(|id| ScopeTerm::Pool(PoolId(id))),
            _ => None,
        }
    }
}

/// A directory container's distinguished name, as `OU=Paris,OU=Users,DC=contoso,DC=com`:
/// components of `OU`, `DC` or `CN` with a value, separated by commas, spaces around them
/// dropped. The scope holds the container and all below it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Container(String);

impl Container {
    pub fn parse(text: &str) -> Result<Container, AppError> {
        let invalid = || AppError::InvalidContainer { container: text.trim().chars().take(200).collect() };
        let text = text.trim();
        if text.is_empty() || text.len() > 1_024 {
            return Err(invalid());
        }
        let mut components = Vec::new();
        for component in text.split(',') {
            let (key, value) = component.split_once('=').ok_or_else(invalid)?;
            let key = key.trim().to_ascii_uppercase();
            let value = value.trim();
            let forbidden = |c: char| c.is_control() || matches!(c, '=' | '+' | '"' | '\\' | '<' | '>' | ';');
            if !matches!(key.as_str(), "OU" | "DC" | "CN") || value.is_empty() || value.contains(forbidden) {
                return Err(invalid());
            }
            components.push(format!("{key}={value}"));
        }
        Ok(Container(components.join(",")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a user's container is this one or below it (names compared without case, as
    /// the directory does).
    pub fn holds(&self, user_container: &str) -> bool {
        let (user, own) = (user_container.to_lowercase(), self.0.to_lowercase());
        user == own || user.ends_with(&format!(",{own}"))
    }
}

/// A role made from a template and limited to a scope.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopedRole {
    pub id: ScopedRoleId,
    pub name: String,
    pub template: Role,
    pub terms: Vec<ScopeTerm>,
}

/// A scoped role as the administration page lists it: its terms named, and who holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopedRoleSummary {
    pub role: ScopedRole,
    /// Each term's kind (`container`, `organization`, `pool`) and what it names.
    pub terms: Vec<(String, String)>,
    pub holders: Vec<(OperatorId, String)>,
}

/// The administration page's section: the roles, and what a new role or holder may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopedRolesOverview {
    pub roles: Vec<ScopedRoleSummary>,
    pub operators: Vec<(OperatorId, String)>,
    pub organizations: Vec<(i64, String)>,
    pub pools: Vec<(PoolId, String)>,
}

/// The users a call may see and change: everyone, or those inside any of the terms.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "terms")]
pub enum UserScope {
    #[default]
    Everything,
    Within(Vec<ScopeTerm>),
}

impl UserScope {
    /// The scope for a permission: everything when an unscoped role grants it, else the union
    /// of the scopes of the scoped roles whose template grants it (empty: nobody).
    pub fn for_permission(roles: &[Role], scoped: &[ScopedRole], permission: Permission) -> UserScope {
        if roles.iter().any(|r| r.grants(permission)) {
            return UserScope::Everything;
        }
        let mut terms: Vec<ScopeTerm> = scoped
            .iter()
            .filter(|r| r.template.grants(permission))
            .flat_map(|r| r.terms.iter().cloned())
            .collect();
        terms.sort();
        terms.dedup();
        UserScope::Within(terms)
    }

    pub fn is_everything(&self) -> bool {
        matches!(self, UserScope::Everything)
    }

    /// The pools the scope names, if it names any: users may be moved or enabled only onto
    /// these (a pool-scoped operator never hands a user to a pool outside their reach).
    pub fn pools(&self) -> Option<Vec<PoolId>> {
        let UserScope::Within(terms) = self else { return None };
        let pools: Vec<PoolId> = terms
            .iter()
            .filter_map(|t| match t {
                ScopeTerm::Pool(p) => Some(*p),
                _ => None,
            })
            .collect();
        (!pools.is_empty()).then_some(pools)
    }

    /// Whether a user new to the directory, placed in organization `org`, falls inside: only
    /// through an organization term (a new user has no pool, and no container of the
    /// operator's choosing).
    pub fn takes_new_member_of(&self, org: i64) -> bool {
        match self {
            UserScope::Everything => true,
            UserScope::Within(terms) => terms.contains(&ScopeTerm::Organization(org)),
        }
    }

    /// Whether users may be homed on `pool` by a call with this scope.
    pub fn allows_destination(&self, pool: PoolId) -> bool {
        self.pools().is_none_or(|pools| pools.contains(&pool))
    }
}

/// What an Enterprise Administrator asks for when creating a scoped role, checked by
/// [`NewScopedRole::check`]: a name, a template and at least one term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewScopedRole {
    pub name: String,
    pub template: Role,
    /// Containers, one distinguished name a line.
    pub containers: String,
    pub organizations: Vec<i64>,
    pub pools: Vec<PoolId>,
}

impl NewScopedRole {
    /// The role's name and terms, or the first problem.
    pub fn check(&self) -> Result<(String, Vec<ScopeTerm>), AppError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.contains(char::is_control) {
            return Err(AppError::InvalidScopedRoleName);
        }
        if !TEMPLATES.contains(&self.template) {
            return Err(AppError::NotARoleTemplate);
        }
        let mut terms = Vec::new();
        for line in self.containers.lines().filter(|l| !l.trim().is_empty()) {
            terms.push(ScopeTerm::Container(Container::parse(line)?));
        }
        terms.extend(self.organizations.iter().map(|id| ScopeTerm::Organization(*id)));
        terms.extend(self.pools.iter().map(|id| ScopeTerm::Pool(*id)));
        // The directory compares names without case: `OU=Paris` and `ou=paris` are one term.
        let mut seen = std::collections::HashSet::new();
        terms.retain(|t| seen.insert((t.kind(), t.value().to_lowercase())));
        terms.sort();
        if terms.is_empty() || terms.len() > MAX_TERMS {
            return Err(AppError::EmptyScope { max: MAX_TERMS as u32 });
        }
        Ok((name.to_string(), terms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(template: Role, terms: Vec<ScopeTerm>) -> ScopedRole {
        ScopedRole { id: ScopedRoleId(1), name: "r".into(), template, terms }
    }

    #[test]
    fn containers_are_normalised_and_hold_what_is_below_them() {
        let sales = Container::parse(" ou=Sales , OU=Users,dc=contoso,DC=com ").unwrap();
        assert_eq!(sales.as_str(), "OU=Sales,OU=Users,DC=contoso,DC=com");
        assert!(sales.holds("OU=Sales,OU=Users,DC=contoso,DC=com"));
        assert!(sales.holds("OU=Paris,OU=sales,OU=Users,DC=Contoso,DC=com"));
        assert!(!sales.holds("OU=PreSales,OU=Users,DC=contoso,DC=com"), "a whole component, not a suffix");
        assert!(!sales.holds("OU=Users,DC=contoso,DC=com"));
        for bad in ["", "Sales", "OU=", "XX=Sales", "OU=a=b", "OU=Sales,,DC=com", "OU=a;b"] {
            assert!(matches!(Container::parse(bad), Err(AppError::InvalidContainer { .. })), "{bad:?}");
        }
    }

    #[test]
    fn a_permission_is_scoped_only_when_no_unscoped_role_grants_it() {
        let paris = ScopeTerm::Container(Container::parse("OU=Paris,DC=contoso,DC=com").unwrap());
        let pool = ScopeTerm::Pool(PoolId(3));
        let scoped =
            [role(Role::UserAdministrator, vec![paris.clone()]), role(Role::HelpDesk, vec![pool.clone()])];
        // Scoped roles alone: each permission the union of the roles that grant it.
        assert_eq!(
            UserScope::for_permission(&[], &scoped, Permission::ViewDeployment),
            UserScope::Within(vec![paris.clone(), pool.clone()])
        );
        assert_eq!(
            UserScope::for_permission(&[], &scoped, Permission::ManageUsers),
            UserScope::Within(vec![paris.clone()])
        );
        assert_eq!(
            UserScope::for_permission(&[], &scoped, Permission::MoveUsersBetweenOrganizations),
            UserScope::Within(vec![])
        );
        // An unscoped Help Desk sees everyone; their scoped administration stays scoped.
        assert!(
            UserScope::for_permission(&[Role::HelpDesk], &scoped, Permission::ViewDeployment).is_everything()
        );
        assert_eq!(
            UserScope::for_permission(&[Role::HelpDesk], &scoped, Permission::ManageUsers),
            UserScope::Within(vec![paris])
        );
    }

    #[test]
    fn pool_terms_limit_destinations() {
        assert!(UserScope::Everything.allows_destination(PoolId(9)));
        let ou = ScopeTerm::Container(Container::parse("OU=Paris,DC=contoso,DC=com").unwrap());
        assert!(UserScope::Within(vec![ou.clone()]).allows_destination(PoolId(9)), "no pool named: any");
        let scope = UserScope::Within(vec![ou, ScopeTerm::Pool(PoolId(2))]);
        assert!(scope.allows_destination(PoolId(2)));
        assert!(!scope.allows_destination(PoolId(9)));
    }

    #[test]
    fn new_members_fall_inside_only_through_an_organization_term() {
        assert!(UserScope::Everything.takes_new_member_of(3));
        let ou = ScopeTerm::Container(Container::parse("OU=Paris,DC=contoso,DC=com").unwrap());
        let scope = UserScope::Within(vec![ou, ScopeTerm::Organization(3), ScopeTerm::Pool(PoolId(3))]);
        assert!(scope.takes_new_member_of(3));
        assert!(!scope.takes_new_member_of(4), "a pool or container term does not reach a new user");
    }

    #[test]
    fn a_new_role_needs_a_name_a_user_template_and_a_term() {
        let new = NewScopedRole {
            name: " Paris help desk ".into(),
            template: Role::HelpDesk,
            containers: "OU=Paris,DC=contoso,DC=com\n\n ou=paris, dc=contoso, dc=com".into(),
            organizations: vec![4, 4],
            pools: vec![],
        };
        let (name, terms) = new.check().unwrap();
        assert_eq!(name, "Paris help desk");
        assert_eq!(terms.len(), 2, "duplicates dropped: {terms:?}");
        let nameless = NewScopedRole { name: "  ".into(), ..new.clone() };
        assert_eq!(nameless.check().err(), Some(AppError::InvalidScopedRoleName));
        let admin = NewScopedRole { template: Role::EnterpriseAdministrator, ..new.clone() };
        assert_eq!(admin.check().err(), Some(AppError::NotARoleTemplate));
        let empty = NewScopedRole { containers: String::new(), organizations: vec![], ..new.clone() };
        assert_eq!(empty.check().err(), Some(AppError::EmptyScope { max: MAX_TERMS as u32 }));
        let bad = NewScopedRole { containers: "Paris".into(), ..new };
        assert!(matches!(bad.check(), Err(AppError::InvalidContainer { .. })));
    }
}
