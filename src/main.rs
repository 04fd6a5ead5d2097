//! The UC Admin server: configuration, database, demo deployment, HTTP routes.
//!
//! Usage:
//!   uc-admin                      serve the portal (creates the demo deployment on first start)
//!   uc-admin generate --users N   create a deployment of N directory users in a new database
//!   uc-admin sync-directory       sync users and organizations from the LDAP directory once
//!   uc-admin backup [--to DIR]    write an online backup of the database

use std::process::ExitCode;
use std::sync::Arc;
use uc_admin::server::{AppState, Config, jobs, security::operators, storage::db, storage::seed};

const USAGE: &str = "\
Usage:
  uc-admin                         Serve the portal. A new database gets the demo deployment.
  uc-admin generate --users N      Create a deployment of N directory users (about 3 in 4
                                   enabled, with server data) in the database, which must be new.
  uc-admin sync-directory          Read users and their organization from the LDAP directory
                                   (UC_ADMIN_LDAP_*) and create, update and move them; prints
                                   the report. Users with Prevent User Move are not moved.
  uc-admin backup [--to DIR]       Write a consistent copy of the database (safe while the
                                   portal runs) into DIR (default UC_ADMIN_BACKUP_DIR). See
                                   README.md (Backup and restore) to restore one.

Environment:
  UC_ADMIN_DATABASE_URL            SQLite database (default sqlite://data/uc-admin.db)
  UC_ADMIN_DEMO_PASSWORD           Password of the demo operators when they are created
                                   (default: generated and printed once)
  UC_ADMIN_DEMO_USERS              Directory users in a new demo deployment (default 2000)
  UC_ADMIN_MOVE_JOB_THRESHOLD      Moves, deletes, configurations of more users run as jobs
                                   (default 1000), UC_ADMIN_MOVE_JOB_CHUNK users at a time (500)
  UC_ADMIN_PUBLIC_ORIGIN           e.g. https://uc.contoso.com; https makes cookies Secure
  UC_ADMIN_SESSION_IDLE_MINUTES    Idle session timeout (default 30)
  UC_ADMIN_SESSION_MAX_HOURS       Absolute session lifetime (default 12)
  UC_ADMIN_LDAP_URL                ldap://host:389 or ldaps://host:636 (sync-directory)
  UC_ADMIN_LDAP_BIND_DN, UC_ADMIN_LDAP_PASSWORD   Bind identity (anonymous if unset)
  UC_ADMIN_LDAP_BASE_DN            Where the users are, e.g. ou=People,dc=contoso,dc=com
  UC_ADMIN_LDAP_FILTER             Default (objectClass=inetOrgPerson)
  UC_ADMIN_LDAP_ORG_ATTRIBUTE      Attribute naming the organization (default o)
  UC_ADMIN_LDAP_GUID_ATTRIBUTE     Stable entry identifier (default entryUUID)
  UC_ADMIN_LDAP_STARTTLS           1 to upgrade ldap:// with StartTLS
  UC_ADMIN_BACKUP_DIR              Backup folder (default: backups beside the database file)
  UC_ADMIN_TRUSTED_PROXIES         Reverse proxies (addresses or networks, comma-separated)
                                   whose X-Forwarded-For entries give the client address
  UC_ADMIN_BEHIND_PROXY            1 to trust a reverse proxy on this machine (loopback)
  LEPTOS_SITE_ADDR                 Listen address (default 127.0.0.1:3000)
  RUST_LOG                         Log filter (default info)";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("generate") => match parse_users(&args[1..]) {
            Some(users) => generate(users).await,
            None => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        Some("sync-directory") => sync_directory().await,
        Some("backup") => match &args[1..] {
            [] => backup(None).await,
            [flag, dir] if flag == "--to" => backup(Some(dir.into())).await,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uc-admin: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_users(args: &[String]) -> Option<u32> {
    match args {
        [flag, n] if flag == "--users" => n.parse().ok().filter(|n| *n > 0),
        _ => None,
    }
}

type AnyError = Box<dyn std::error::Error>;

async fn generate(users: u32) -> Result<(), AnyError> {
    let config = Config::from_env();
    let pool = db::connect(&config.database_url).await?;
    let started = std::time::Instant::now();
    match seed::ensure_demo(&pool, users).await.map_err(|e| e.code())? {
        Some(report) => println!(
            "created {} directory users, {} enabled, {} contacts in {:.1} s ({})",
            report.directory_users,
            report.enabled_users,
            report.contacts,
            started.elapsed().as_secs_f64(),
            config.database_url
        ),
        None => return Err(format!("{} already holds a deployment", config.database_url).into()),
    }
    if let Some(password) = operators::ensure_demo_operators(&pool, &config).await.map_err(|e| e.code())? {
        println!("demo operators' password: {password}");
    }
    Ok(())
}

/// An online backup: safe while the portal runs and writes.
async fn backup(dir: Option<std::path::PathBuf>) -> Result<(), AnyError> {
    use uc_admin::server::security::audit::Actor;
    let config = Config::from_env();
    let pool = db::connect(&config.database_url).await?;
    let dir = dir.unwrap_or_else(|| config.backup_dir.clone());
    let file =
        uc_admin::server::storage::backup::write(&pool, &dir, Actor { id: None, name: "command-line" })
            .await
            .map_err(|e| e.code())?;
    println!("{} ({} bytes)", dir.join(&file.name).display(), file.bytes);
    Ok(())
}

async fn sync_directory() -> Result<(), AnyError> {
    use uc_admin::server::organizations::ldap_sync::{LdapSettings, SYNC_ACTOR, run};
    use uc_admin::server::security::audit::Actor;
    let settings = LdapSettings::from_env().ok_or("set UC_ADMIN_LDAP_URL and UC_ADMIN_LDAP_BASE_DN")?;
    let config = Config::from_env();
    let pool = db::connect(&config.database_url).await?;
    let report = run(&pool, &settings, Actor { id: None, name: SYNC_ACTOR }).await.map_err(|e| e.code())?;
    for row in &report.rows {
        let detail = match row.outcome {
            uc_admin::domain::org::MembershipOutcome::Rejected(problem) => format!(" ({problem:?})"),
            _ => String::new(),
        };
        println!("{:>6}  {:<24} {}{detail}", row.line, row.username, row.outcome.code());
    }
    println!(
        "created {}, updated {}, moved {}, unchanged {}, not applied {}",
        report.created, report.updated, report.moved, report.unchanged, report.rejected
    );
    Ok(())
}

async fn serve() -> Result<(), AnyError> {
    use leptos::prelude::*;

    let config = Arc::new(Config::from_env());
    let pool = db::connect(&config.database_url).await?;
    if let Some(report) = seed::ensure_demo(&pool, config.demo_users).await.map_err(|e| e.code())? {
        tracing::info!(?report, "created the demo deployment");
    }
    let demo_password = operators::ensure_demo_operators(&pool, &config).await.map_err(|e| e.code())?;

    let interrupted = jobs::recover(&pool).await.map_err(|e| e.code())?;
    if interrupted > 0 {
        tracing::warn!(interrupted, "move jobs were running when the server stopped; marked interrupted");
    }

    let leptos_options = get_configuration(None)?.leptos_options;
    let addr = leptos_options.site_addr;
    let app = uc_admin::http::router(AppState { db: pool, config, leptos_options });

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    // The last thing before "listening", so that it is not lost in the build output above it.
    println!("{}", ready_banner(&format!("http://{addr}"), demo_password.as_deref()));
    tracing::info!("UC Admin listening on http://{addr}");
    // The peer address is the client address of sign-in throttling and the session list.
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The framed notice printed when the portal is ready: where to open it and, the one time the
/// demo operators are created, their password.
fn ready_banner(url: &str, demo_password: Option<&str>) -> String {
    let mut lines = vec![format!("UC Admin is ready: {url}")];
    match demo_password {
        Some(password) => {
            lines.push("Demo operators: admin, useradmin, helpdesk, orgmanager".into());
            lines.push(format!("Their password (shown only this once): {password}"));
            lines.push("README.md, \"Demo sign-in\", says how to choose another.".into());
        }
        None => lines.push("Sign in with your operator name and password.".into()),
    }
    let width = lines.iter().map(|line| line.chars().count()).max().unwrap_or(0);
    let rule = "─".repeat(width + 2);
    let mut banner = format!("\n  ┌{rule}┐\n");
    for line in &lines {
        banner.push_str(&format!("  │ {line:<width$} │\n"));
    }
    banner.push_str(&format!("  └{rule}┘\n"));
    banner
}

#[cfg(test)]
mod tests {
    use super::ready_banner;

    #[test]
    fn the_ready_banner_frames_the_url_and_the_password_in_one_box() {
        let banner = ready_banner("http://127.0.0.1:3000", Some("Xy-12345"));
        let rows: Vec<&str> = banner.lines().filter(|line| !line.is_empty()).collect();
        assert_eq!(rows.len(), 6);
        assert!(rows[1].contains("http://127.0.0.1:3000") && rows[3].contains("Xy-12345"));
        let width = rows[0].chars().count();
        assert!(rows.iter().all(|row| row.chars().count() == width), "{banner}");
        assert!(!ready_banner("http://127.0.0.1:3000", None).contains("password ("));
    }
}
