//! What a database holds — the generated demo deployment, or a company's own, started empty —
//! and the rule every new operator password follows (checked by the server, and by the browser
//! before it sends one).

use super::AppError;
use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentKind {
    /// Generated for trying the portal out (`uc-admin serve --demo`): every page says so.
    Demo,
    /// A company's own deployment: empty at first, administered by the operators it creates.
    Company,
}

impl DeploymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentKind::Demo => "demo",
            DeploymentKind::Company => "company",
        }
    }

    pub fn parse(text: &str) -> Option<DeploymentKind> {
        [DeploymentKind::Demo, DeploymentKind::Company].into_iter().find(|k| k.as_str() == text)
    }
}

/// The shortest password an operator may choose.
pub const MIN_PASSWORD_CHARS: u64 = 12;

/// Whether `password` may become the password of the operator `username`: long enough, and
/// without the name in it (in any case). A name of fewer than four characters is only refused
/// as the whole password: "jo" must not rule out every password with "jo" in it.
pub fn check_new_password(username: &str, password: &str) -> Result<(), AppError> {
    if (password.chars().count() as u64) < MIN_PASSWORD_CHARS {
        return Err(AppError::WeakPassword { min: MIN_PASSWORD_CHARS });
    }
    let (name, password) = (username.trim().to_lowercase(), password.trim().to_lowercase());
    let has_name = if name.chars().count() >= 4 { password.contains(&name) } else { password == name };
    if has_name {
        return Err(AppError::PasswordIsName);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_password_is_long_enough_and_not_the_name() {
        assert_eq!(check_new_password("kim", "short"), Err(AppError::WeakPassword { min: 12 }));
        assert_eq!(check_new_password("kim", "elevenchars"), Err(AppError::WeakPassword { min: 12 }));
        // Characters, not bytes: twelve accented letters are enough.
        assert_eq!(check_new_password("kim", "éééééééééééé"), Ok(()));
        assert_eq!(check_new_password("administrator", "Administrator"), Err(AppError::PasswordIsName));
        assert_eq!(check_new_password("jo", "enjoy-the-summer"), Ok(()));
        assert_eq!(check_new_password("administrator", " ADMINISTRATOR1 "), Err(AppError::PasswordIsName));
        assert_eq!(check_new_password("kakers", "my-kakers-2026!"), Err(AppError::PasswordIsName));
        assert_eq!(check_new_password("kakers", "correct horse battery"), Ok(()));
        assert_eq!(DeploymentKind::parse("demo"), Some(DeploymentKind::Demo));
        assert_eq!(DeploymentKind::parse("other"), None);
    }
}
