//! The UC Admin server binary: the command line (clap), configuration, logging, and the
//! service's life — start, serve, shut down cleanly. Everything else is in the library.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use uc_admin::domain::deployment::DeploymentKind;
use uc_admin::domain::operator::Role;
use uc_admin::server::config::{ConfigError, LogFormat, SecretEnv, SettingsArgs};
use uc_admin::server::{
    AppState, Config, jobs, lifecycle, security::operators, storage::db, storage::deployment,
};

/// The commit this binary was built from: `scripts/build.sh` passes it in.
const COMMIT: &str = match option_env!("UC_ADMIN_GIT_COMMIT") {
    Some(commit) => commit,
    None => "unknown",
};
static VERSION: LazyLock<String> =
    LazyLock::new(|| format!("{} (commit {COMMIT})", env!("CARGO_PKG_VERSION")));

/// The documented example configuration, also installed as /etc/uc-admin/uc-admin.toml.
const EXAMPLE_CONFIG: &str = include_str!("../packaging/uc-admin.toml");

#[derive(Debug, Parser)]
#[command(
    name = "uc-admin",
    version = VERSION.as_str(),
    about = "UC Admin: a browser-based administration portal for a unified-communications deployment",
    after_help = "Settings come from defaults, then the configuration file (--config), then environment \
variables, then flags. The secrets UC_ADMIN_DEMO_PASSWORD and UC_ADMIN_LDAP_PASSWORD are read from \
the environment or the file only, never from flags.\n\nExit codes: 0 done, 1 failed, 2 usage error, \
78 configuration error."
)]
struct Cli {
    #[command(flatten)]
    settings: SettingsArgs,
    /// What to do (serve when left out).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the portal (the default). A new database becomes an empty deployment of your own,
    /// served once `uc-admin init` has created its first Enterprise Administrator; with --demo
    /// it gets the demo deployment instead. SIGTERM or Ctrl-C: stop accepting, finish requests
    /// in flight, suspend running jobs after their current chunk (the next start resumes
    /// them), then exit.
    Serve,
    /// Create the first Enterprise Administrator of your deployment. The password is asked
    /// twice on the terminal (never shown), or read from --password-file or
    /// UC_ADMIN_ADMIN_PASSWORD for automation: at least 12 characters, without the name.
    Init {
        /// The administrator's sign-in name.
        #[arg(long, value_name = "NAME")]
        admin: String,
        /// The name shown in the portal [default: the sign-in name].
        #[arg(long, value_name = "TEXT", default_value = "")]
        display_name: String,
        /// A file whose first line is the password.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Create a deployment of N directory users (about 3 in 4 enabled, with server data) in
    /// the database, which must be new.
    Generate {
        /// How many directory users.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=5_000_000))]
        users: u32,
    },
    /// Copy a whole deployment into a new database — an SQLite file into PostgreSQL — in one
    /// transaction, verified by counting every table's rows on both sides. The target must be
    /// new (it is migrated first). Stop the portal on the source before copying.
    CopyDatabase {
        /// The database to copy from, e.g. sqlite:///var/lib/uc-admin/uc-admin.db.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The new database to copy into, e.g. postgres://uc_admin:PASSWORD@db.contoso.com/uc_admin.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Read users and their organization from the LDAP directory (directory.* settings) and
    /// create, update and move them; prints the report. Users with Prevent User Move are not
    /// moved.
    SyncDirectory,
    /// Write a consistent copy of the database (safe while the portal runs). README.md,
    /// "Backup and restore", says how to restore one.
    Backup {
        /// Folder to write into [default: database.backup_dir].
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
    },
    /// Operators: add one (a one-time password is printed, to be changed at first sign-in),
    /// reset a password, disable or enable one, list them. Audited as the command line.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// The topology: forest, SIP domains and pools. `import` makes the deployment match a
    /// topology file (packaging/topology.example.toml documents the format), all or nothing;
    /// `export` prints the current one in that format.
    Topology {
        #[command(subcommand)]
        command: TopologyCommand,
    },
    /// The configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Add an operator with one or more roles; prints their one-time password.
    Add {
        /// Sign-in name.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Name shown in the portal [default: the sign-in name].
        #[arg(long, value_name = "TEXT", default_value = "")]
        display_name: String,
        /// A role: user-administrator, help-desk, enterprise-administrator,
        /// enterprise-user-manager (repeat for several).
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<RoleArg>,
    },
    /// Give an operator a new one-time password (printed) and end their sessions.
    ResetPassword {
        /// Sign-in name.
        name: String,
    },
    /// Disable an operator (their sessions end) so that they cannot sign in.
    Disable {
        /// Sign-in name.
        name: String,
    },
    /// Delete an operator: their sessions end and they can never sign in again; the audit
    /// trail keeps their name, which is not given to anyone else.
    Delete {
        /// Sign-in name.
        name: String,
    },
    /// Enable a disabled operator again.
    Enable {
        /// Sign-in name.
        name: String,
    },
    /// List the operators with their roles and state.
    List,
}

#[derive(Debug, Subcommand)]
enum TopologyCommand {
    /// Make the deployment match FILE: pools listed are added or updated, pools left out are
    /// removed. Refused whole, naming the line, if a line is invalid, an FQDN is listed twice,
    /// or users would be left without a pool or SIP domain. Importing it again changes nothing.
    Import {
        /// The topology file (TOML).
        file: PathBuf,
        /// Print what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the current topology as a topology file.
    Export,
}

/// A role as typed on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    UserAdministrator,
    HelpDesk,
    EnterpriseAdministrator,
    EnterpriseUserManager,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::UserAdministrator => Role::UserAdministrator,
            RoleArg::HelpDesk => Role::HelpDesk,
            RoleArg::EnterpriseAdministrator => Role::EnterpriseAdministrator,
            RoleArg::EnterpriseUserManager => Role::EnterpriseUserManager,
        }
    }
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Check the configuration and print the one in effect, secrets masked. Exit code 78 and
    /// the key at fault when it is not valid.
    Check,
    /// Print a configuration file documenting every key.
    Example,
}

/// Why a command failed, and its exit code.
#[derive(Debug)]
enum Failure {
    Config(ConfigError),
    /// A company's deployment without an Enterprise Administrator: not served.
    NotInitialized,
    Run(String),
}

impl Failure {
    fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Config(_) | Failure::NotInitialized => ExitCode::from(78),
            Failure::Run(_) => ExitCode::FAILURE,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Config(e) => write!(f, "configuration: {e}"),
            Failure::NotInitialized => f.write_str(
                "this deployment has no Enterprise Administrator yet: create the first with \
                 `uc-admin init --admin NAME` (same --config or database), then start again. \
                 To try the portal with generated data instead, use a new database and --demo.",
            ),
            Failure::Run(message) => f.write_str(message),
        }
    }
}

/// Any other error, by its message (the portal's errors by their code).
fn run_failure(error: impl std::fmt::Display) -> Failure {
    Failure::Run(error.to_string())
}

/// A portal error, in words (the English of its message).
fn app_failure(error: uc_admin::domain::AppError) -> Failure {
    Failure::Run(error.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Config { command: ConfigCommand::Example } = command {
        print!("{EXAMPLE_CONFIG}");
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(&cli.settings, &SecretEnv::from_env()) {
        Ok(config) => config,
        Err(e) => return fail(Failure::Config(e)),
    };
    if let Command::Config { command: ConfigCommand::Check } = command {
        return check(&config, &cli.settings);
    }
    init_logging(&config);
    uc_admin::server::metrics::set_build_info(env!("CARGO_PKG_VERSION"), COMMIT);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(run_failure(e)),
    };
    let result = runtime.block_on(async move {
        match command {
            Command::Serve => serve(config).await,
            Command::Operator { command } => operator(&config, command).await,
            Command::Topology { command } => topology(&config, command).await,
            Command::Init { admin, display_name, password_file } => {
                init(&config, &admin, &display_name, password_file).await
            }
            Command::Generate { users } => generate(&config, users).await,
            Command::SyncDirectory => sync_directory(&config).await,
            Command::CopyDatabase { from, to } => copy_database(&from, &to).await,
            Command::Backup { to } => backup(&config, to).await,
            Command::Config { .. } => unreachable!("handled before the runtime starts"),
        }
    });
    // Job tasks still inside a chunk past the shutdown bound are dropped with the runtime:
    // their transaction rolls back, and the next start marks the job interrupted.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(failure),
    }
}

fn fail(failure: Failure) -> ExitCode {
    eprintln!("uc-admin: {failure}");
    failure.exit_code()
}

fn check(config: &Config, args: &SettingsArgs) -> ExitCode {
    let source = match &args.config {
        Some(path) => format!("{} with the environment and flags", path.display()),
        None => "defaults, the environment and flags (no --config)".into(),
    };
    match toml::to_string(&config.effective()) {
        Ok(text) => {
            println!("# The configuration is valid. In effect, from {source}; secrets masked:\n\n{text}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(run_failure(e)),
    }
}

/// Log lines on standard output, as text for people or JSON for a collector.
fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).init(),
    }
}

async fn generate(config: &Config, users: u32) -> Result<(), Failure> {
    let pool = db::connect(&config.database_url).await.map_err(run_failure)?;
    if deployment::kind(&pool).await.map_err(app_failure)?.is_some() {
        return Err(Failure::Run(format!(
            "{} already holds a deployment",
            db::redacted_url(&config.database_url)
        )));
    }
    let started = std::time::Instant::now();
    let demo = deployment::start_demo(&pool, config, users).await.map_err(app_failure)?;
    if let Some(report) = demo.generated {
        println!(
            "created {} directory users, {} enabled, {} contacts in {:.1} s ({})",
            report.directory_users,
            report.enabled_users,
            report.contacts,
            started.elapsed().as_secs_f64(),
            db::redacted_url(&config.database_url)
        );
    }
    for (name, password) in &demo.passwords {
        println!("demo operator {name}: password {password}");
    }
    Ok(())
}

async fn copy_database(from: &str, to: &str) -> Result<(), Failure> {
    let source = db::connect(from).await.map_err(run_failure)?;
    let target = db::connect(to).await.map_err(run_failure)?;
    let started = std::time::Instant::now();
    let report = uc_admin::server::storage::copy::copy(&source, &target).await.map_err(app_failure)?;
    for (table, rows) in &report.tables {
        println!("{table:<24} {rows:>10}");
    }
    println!(
        "copied {} tables from {} to {} in {:.1} s, every table's rows counted on both sides",
        report.tables.len(),
        db::redacted_url(from),
        db::redacted_url(to),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// An online backup: safe while the portal runs and writes.
async fn backup(config: &Config, dir: Option<PathBuf>) -> Result<(), Failure> {
    use uc_admin::server::security::audit::Actor;
    let pool = db::connect(&config.database_url).await.map_err(run_failure)?;
    let dir = dir.unwrap_or_else(|| config.backup_dir.clone());
    let file =
        uc_admin::server::storage::backup::write(&pool, &dir, Actor { id: None, name: "command-line" })
            .await
            .map_err(app_failure)?;
    println!("{} ({} bytes)", dir.join(&file.name).display(), file.bytes);
    Ok(())
}

async fn sync_directory(config: &Config) -> Result<(), Failure> {
    use uc_admin::server::organizations::ldap_sync::{SYNC_ACTOR, run};
    use uc_admin::server::security::audit::Actor;
    let settings = config.directory.as_ref().ok_or_else(|| {
        Failure::Config(ConfigError::Invalid {
            key: "directory.url",
            message: "required for sync-directory (with directory.base_dn)".into(),
        })
    })?;
    let pool = db::connect(&config.database_url).await.map_err(run_failure)?;
    let report = run(&pool, settings, Actor { id: None, name: SYNC_ACTOR }).await.map_err(app_failure)?;
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

async fn init(
    config: &Config,
    admin: &str,
    display_name: &str,
    password_file: Option<PathBuf>,
) -> Result<(), Failure> {
    let password = admin_password(password_file)?;
    let pool = db::connect(&config.database_url).await.map_err(run_failure)?;
    deployment::start(&pool).await.map_err(app_failure)?;
    operators::init_administrator(&pool, admin, display_name, &password).await.map_err(app_failure)?;
    println!(
        "Enterprise Administrator {admin:?} created in {}. Start the portal (uc-admin serve) and sign in.",
        db::redacted_url(&config.database_url)
    );
    Ok(())
}

/// The first administrator's password: from the file, the environment, or typed twice on the
/// terminal without echo. Never printed or logged.
fn admin_password(file: Option<PathBuf>) -> Result<String, Failure> {
    use std::io::IsTerminal;
    if let Some(file) = file {
        let text =
            std::fs::read_to_string(&file).map_err(|e| Failure::Run(format!("{}: {e}", file.display())))?;
        return Ok(text.lines().next().unwrap_or_default().to_string());
    }
    if let Ok(password) = std::env::var(SecretEnv::ADMIN_PASSWORD) {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Run(format!(
            "no terminal to type the password on: give it with --password-file FILE or {}",
            SecretEnv::ADMIN_PASSWORD
        )));
    }
    let first = rpassword::prompt_password("Password: ").map_err(run_failure)?;
    let second = rpassword::prompt_password("The same password again: ").map_err(run_failure)?;
    if first != second {
        return Err(Failure::Run("the two passwords differ; nothing was created".into()));
    }
    Ok(first)
}

/// Who the command line is in the audit log.
const COMMAND_LINE: uc_admin::server::security::audit::Actor<'static> =
    uc_admin::server::security::audit::Actor { id: None, name: "command-line" };

async fn topology(config: &Config, command: TopologyCommand) -> Result<(), Failure> {
    use uc_admin::domain::topology::MAX_TOPOLOGY_BYTES;
    use uc_admin::server::topology::file;
    let pool = db::connect(&config.database_url).await.map_err(run_failure)?;
    match command {
        TopologyCommand::Export => print!("{}", file::export(&pool).await.map_err(app_failure)?),
        TopologyCommand::Import { file: path, dry_run } => {
            let size =
                std::fs::metadata(&path).map_err(|e| Failure::Run(format!("{}: {e}", path.display())))?.len();
            if size > MAX_TOPOLOGY_BYTES as u64 {
                return Err(app_failure(uc_admin::domain::AppError::FileTooLarge {
                    max_bytes: MAX_TOPOLOGY_BYTES as u64,
                }));
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Failure::Run(format!("{}: {e}", path.display())))?;
            let plan = if dry_run {
                file::plan(&pool, &text).await
            } else {
                file::import(&pool, COMMAND_LINE, &text).await
            }
            .map_err(|e| Failure::Run(format!("{}: {e}", path.display())))?;
            print_plan(&plan, dry_run);
        }
    }
    Ok(())
}

fn print_plan(plan: &uc_admin::domain::topology::TopologyPlan, dry_run: bool) {
    if plan.is_empty() {
        println!("The deployment already matches the file: nothing to change.");
        return;
    }
    let verb = if dry_run { "would change" } else { "changed" };
    println!("{} {verb}:", plan.change_count());
    if let Some((from, to)) = &plan.forest {
        println!("  forest            {from:?} -> {to:?}");
    }
    if let Some((from, to)) = &plan.default_domain {
        println!("  default domain    {from:?} -> {to:?}");
    }
    for domain in &plan.domains_added {
        println!("  + SIP domain      {domain}");
    }
    for domain in &plan.domains_removed {
        println!("  - SIP domain      {domain}");
    }
    for pool in &plan.pools_added {
        println!(
            "  + pool            {} ({}, {}, site {}, capacity {})",
            pool.fqdn,
            pool.kind.as_str(),
            pool.version.as_str(),
            pool.site,
            pool.capacity
        );
    }
    for change in &plan.pools_changed {
        println!("  ~ pool            {}", change.after.fqdn);
    }
    for fqdn in &plan.pools_removed {
        println!("  - pool            {fqdn} (removed)");
    }
}

async fn operator(config: &Config, command: OperatorCommand) -> Result<(), Failure> {
    let pool = db::connect(&config.database_url).await.map_err(run_failure)?;
    match command {
        OperatorCommand::Add { name, display_name, roles } => {
            let roles: Vec<Role> = roles.into_iter().map(Role::from).collect();
            let (_, password) = operators::add_operator(&pool, COMMAND_LINE, &name, &display_name, &roles)
                .await
                .map_err(app_failure)?;
            println!("Operator {name:?} added. One-time password (changed at first sign-in): {password}");
        }
        OperatorCommand::ResetPassword { name } => {
            let id = operators::find(&pool, &name).await.map_err(app_failure)?;
            let password = operators::reset_password(&pool, COMMAND_LINE, id).await.map_err(app_failure)?;
            println!("New one-time password of {name:?} (changed at next sign-in): {password}");
        }
        OperatorCommand::Disable { name } => {
            let id = operators::find(&pool, &name).await.map_err(app_failure)?;
            operators::set_disabled(&pool, COMMAND_LINE, id, true).await.map_err(app_failure)?;
            println!("Operator {name:?} disabled; their sessions have ended.");
        }
        OperatorCommand::Delete { name } => {
            let id = operators::find(&pool, &name).await.map_err(app_failure)?;
            operators::delete_operator(&pool, COMMAND_LINE, id).await.map_err(app_failure)?;
            println!("Operator {name:?} deleted.");
        }
        OperatorCommand::Enable { name } => {
            let id = operators::find(&pool, &name).await.map_err(app_failure)?;
            operators::set_disabled(&pool, COMMAND_LINE, id, false).await.map_err(app_failure)?;
            println!("Operator {name:?} enabled.");
        }
        OperatorCommand::List => {
            for o in operators::list(&pool).await.map_err(app_failure)? {
                let roles: Vec<&str> = o.roles.iter().map(|r| r.as_str()).collect();
                let state = if o.disabled { "disabled" } else { "enabled" };
                println!("{:<24} {:<28} {:<9} {}", o.username, o.display_name, state, roles.join(", "));
            }
        }
    }
    Ok(())
}

async fn serve(config: Config) -> Result<(), Failure> {
    use leptos::prelude::*;

    let config = Arc::new(config);
    let pool = db::connect(&config.database_url).await.map_err(run_failure)?;
    let demo_password = if config.demo {
        let demo = deployment::start_demo(&pool, &config, config.demo_users).await.map_err(app_failure)?;
        if let Some(report) = demo.generated {
            tracing::info!(?report, "created the demo deployment");
        }
        demo.passwords
    } else {
        let kind = deployment::start(&pool).await.map_err(app_failure)?;
        if kind == DeploymentKind::Company
            && !operators::has_enterprise_administrator(&pool).await.map_err(app_failure)?
        {
            return Err(Failure::NotInitialized);
        }
        Vec::new()
    };

    jobs::set_replica(config.replica.clone());
    uc_admin::server::operations::undo::set_retention_days(config.undo_retention_days);
    let (interrupted, resumed) = jobs::recover(&pool, config.jobs).await.map_err(app_failure)?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            replica = %config.replica.name,
            "jobs were running when this replica stopped without a shutdown; marked interrupted"
        );
    }
    if !resumed.is_empty() {
        tracing::info!(?resumed, "took over the jobs suspended by a shutdown or left by a replica");
    }
    tokio::spawn(jobs::keep_leases(pool.clone(), config.jobs));
    tokio::spawn(uc_admin::server::operations::undo::clean_up_daily(pool.clone()));
    uc_admin::server::security::audit_stream::start(&pool, &config.audit_stream);

    let mut leptos_options = get_configuration(None).map_err(run_failure)?.leptos_options;
    leptos_options.site_addr = config.listen;
    leptos_options.site_root = config.site_root.display().to_string().into();
    let state = AppState { db: pool.clone(), config: config.clone(), leptos_options };
    let app = uc_admin::http::router(state.clone());

    let listener = bind(config.listen).await?;
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    tokio::spawn(watch_signals());
    if let (Some(every), Some(directory)) = (config.directory_sync_every, &config.directory) {
        use uc_admin::server::organizations::ldap_sync::run_on_schedule;
        tracing::info!(minutes = every.as_secs() / 60, "directory sync scheduled");
        tokio::spawn(run_on_schedule(pool.clone(), directory.clone(), every));
    }
    // The last thing before "listening", so that it is not lost in the build output above it.
    let banner = ready_banner(&format!("http://{}", config.listen), &demo_password);
    // With JSON logs on standard output, the banner (for a person) goes to standard error.
    match config.log_format {
        LogFormat::Text => println!("{banner}"),
        LogFormat::Json => eprintln!("{banner}"),
    }
    tracing::info!(version = %*VERSION, "UC Admin listening on http://{}", config.listen);
    // The peer address is the client address of sign-in throttling and the session list.
    let portal = tokio::spawn(
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(lifecycle::shutdown_begun())
            .into_future(),
    );
    if let Some(listener) = metrics_listener {
        tracing::info!("metrics on http://{}/metrics", config.metrics_listen.unwrap_or(config.listen));
        let metrics = uc_admin::http::metrics_router(state.clone());
        tokio::spawn(
            axum::serve(listener, metrics).with_graceful_shutdown(lifecycle::shutdown_begun()).into_future(),
        );
    }

    lifecycle::shutdown_begun().await;
    let deadline = tokio::time::Instant::now() + config.shutdown_timeout;
    tracing::info!(
        timeout_s = config.shutdown_timeout.as_secs(),
        "shutting down: finishing requests in flight and the jobs' current chunks"
    );
    let (requests, unfinished_jobs) = tokio::join!(
        tokio::time::timeout_at(deadline, portal),
        jobs::wait_for_jobs(deadline.saturating_duration_since(tokio::time::Instant::now())),
    );
    // Every connection back: the WAL is checkpointed and the database file left clean.
    let closed = tokio::time::timeout(Duration::from_secs(5), pool.close()).await.is_ok();
    match (requests, unfinished_jobs, closed) {
        (Ok(Ok(Ok(()))), 0, true) => {
            tracing::info!("stopped cleanly");
            Ok(())
        }
        (Err(_), _, _) => Err(Failure::Run("requests still in flight at the shutdown timeout".into())),
        (_, jobs, _) if jobs > 0 => Err(Failure::Run(format!(
            "{jobs} jobs still inside a chunk at the shutdown timeout; the next start marks them interrupted"
        ))),
        (Ok(Ok(Err(e))), _, _) => Err(run_failure(e)),
        (Ok(Err(e)), _, _) => Err(run_failure(e)),
        (_, _, _) => Err(Failure::Run("the database did not close within 5 s".into())),
    }
}

async fn bind(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, Failure> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Run(format!("cannot listen on {addr}: {e}")))
}

/// SIGTERM (systemd, Kubernetes) or SIGINT (Ctrl-C) begins the shutdown; a second one ends the
/// process at once.
async fn watch_signals() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut terminate), Ok(mut interrupt)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::error!("cannot watch SIGTERM and SIGINT; stop the process with SIGKILL");
        return;
    };
    let name = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    };
    tracing::info!(signal = name, "shutdown requested");
    lifecycle::begin_shutdown();
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    tracing::warn!("second signal: stopping now");
    std::process::exit(130);
}

/// The framed notice printed when the portal is ready: where to open it and, the one time the
/// demo operators are created, each one's password.
fn ready_banner(url: &str, demo_passwords: &[(String, String)]) -> String {
    let mut lines = vec![format!("UC Admin is ready: {url}")];
    if demo_passwords.is_empty() {
        lines.push("Sign in with your operator name and password.".into());
    } else {
        lines.push("Demo operators and their passwords (shown only this once):".into());
        for (name, password) in demo_passwords {
            lines.push(format!("  {name:<12} {password}"));
        }
        lines.push("README.md, \"Demo sign-in\", says how to choose them.".into());
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
        let passwords =
            [("admin".to_string(), "Xy-12345".to_string()), ("helpdesk".to_string(), "Zw-67890".to_string())];
        let banner = ready_banner("http://127.0.0.1:3000", &passwords);
        let rows: Vec<&str> = banner.lines().filter(|line| !line.is_empty()).collect();
        assert_eq!(rows.len(), 7);
        assert!(rows[1].contains("http://127.0.0.1:3000"));
        assert!(rows[3].contains("admin") && rows[3].contains("Xy-12345"));
        assert!(rows[4].contains("helpdesk") && rows[4].contains("Zw-67890"));
        let width = rows[0].chars().count();
        assert!(rows.iter().all(|row| row.chars().count() == width), "{banner}");
        assert!(!ready_banner("http://127.0.0.1:3000", &[]).contains("passwords ("));
    }
}
