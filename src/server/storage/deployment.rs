//! What the database holds (`settings.deployment`): the demo, generated on request, or a
//! company's own deployment, started empty. A database never becomes a demo by itself.

use crate::domain::AppError;
use crate::domain::deployment::DeploymentKind;
use crate::server::Config;
use crate::server::security::operators;
use crate::server::storage::seed::{self, SeedReport};
use sqlx::AnyPool;

/// The kind of deployment, or `None` for a new database.
pub async fn kind(db: &AnyPool) -> Result<Option<DeploymentKind>, AppError> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'deployment'").fetch_optional(db).await?;
    Ok(value.as_deref().and_then(DeploymentKind::parse))
}

async fn mark(db: &AnyPool, kind: DeploymentKind) -> Result<(), AppError> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ('deployment', $1) ON CONFLICT (key) DO NOTHING")
        .bind(kind.as_str())
        .execute(db)
        .await?;
    Ok(())
}

/// What starting the demo did: the deployment it generated and the operators' password it
/// generated, on a new database; nothing on the demo's own.
#[derive(Debug, Default)]
pub struct DemoStart {
    pub generated: Option<SeedReport>,
    /// Each demo operator's password (name, password), when generated here.
    pub passwords: Vec<(String, String)>,
}

/// `serve --demo` and `generate`: a new database gets the demo deployment of `users`
/// directory users and the demo operators; the demo's database is used as it is; a company's
/// database is refused.
pub async fn start_demo(db: &AnyPool, config: &Config, users: u32) -> Result<DemoStart, AppError> {
    match kind(db).await? {
        Some(DeploymentKind::Company) => Err(AppError::CompanyDeployment),
        Some(DeploymentKind::Demo) => Ok(DemoStart::default()),
        None => {
            let generated = seed::ensure_demo(db, users).await?;
            mark(db, DeploymentKind::Demo).await?;
            let passwords = operators::ensure_demo_operators(db, config).await?;
            Ok(DemoStart { generated, passwords })
        }
    }
}

/// `serve` without `--demo`: a new database becomes an empty deployment of the company's own
/// (no pools, no users, no operators until `uc-admin init`). Returns the kind it holds.
pub async fn start(db: &AnyPool) -> Result<DeploymentKind, AppError> {
    if let Some(kind) = kind(db).await? {
        return Ok(kind);
    }
    mark(db, DeploymentKind::Company).await?;
    Ok(DeploymentKind::Company)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::storage::db;

    #[tokio::test]
    async fn a_new_database_becomes_the_demo_only_when_asked_and_never_changes_kind() {
        let config = Config::for_tests();
        let company = db::connect(&crate::server::storage::db::test_database().await).await.unwrap();
        assert_eq!(kind(&company).await.unwrap(), None);
        assert_eq!(start(&company).await.unwrap(), DeploymentKind::Company);
        let pools: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pools").fetch_one(&company).await.unwrap();
        let operators: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM operators").fetch_one(&company).await.unwrap();
        assert_eq!((pools, operators), (0, 0), "empty");
        assert_eq!(start_demo(&company, &config, 200).await.err(), Some(AppError::CompanyDeployment));

        let demo = db::connect(&crate::server::storage::db::test_database().await).await.unwrap();
        let first = start_demo(&demo, &config, 200).await.unwrap();
        assert!(first.generated.is_some());
        assert!(first.passwords.is_empty(), "the configured password is not printed");
        let again = start_demo(&demo, &config, 200).await.unwrap();
        assert!(again.generated.is_none());
        // Started without --demo later, it is still the demo.
        assert_eq!(start(&demo).await.unwrap(), DeploymentKind::Demo);
    }
}
