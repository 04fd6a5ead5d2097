//! The portal's metrics, in the Prometheus/OpenMetrics text format of `GET /metrics`.
//!
//! Counters are kept in this process (requests, server function errors, users processed by
//! jobs, sign-in failures); gauges that describe the database (jobs by state, accounts and
//! addresses locked out, connections in use) are read from it at each scrape, so that they are
//! right whichever process changed them. Labels are route patterns, states and reasons: never
//! a user, a SIP URI or a query.

use crate::domain::AppError;
use crate::domain::jobs::{JobKind, JobState};
use crate::domain::security::ThrottleScope;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use sqlx::AnyPool;
use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

/// The answer's content type (OpenMetrics text, which Prometheus reads natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FunctionLabels {
    function: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabels {
    scope: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SinkLabels {
    sink: String,
}

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<RequestLabels, Histogram>,
    function_errors: Family<FunctionLabels, Counter>,
    job_users: Family<KindLabels, Counter>,
    jobs: Family<StateLabels, Gauge>,
    sign_in_failures: Family<ReasonLabels, Counter>,
    locked_out: Family<ScopeLabels, Gauge>,
    connections: Family<StateLabels, Gauge>,
    audit_stream_lag: Family<SinkLabels, Gauge>,
}

/// Version and commit of this build, set by the binary before the first scrape.
static BUILD: OnceLock<(String, String)> = OnceLock::new();

/// Records the build's version and commit for `uc_admin_build_info`.
pub fn set_build_info(version: &str, commit: &str) {
    let _ = BUILD.set((version.to_string(), commit.to_string()));
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("uc_admin");
    let requests = Family::<RequestLabels, Counter>::default();
    registry.register(
        "http_requests",
        "HTTP requests answered, by method, route and status",
        requests.clone(),
    );
    let request_seconds = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
        // 1 ms to about 16 s.
        Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 15))
    });
    registry.register_with_unit(
        "http_request_duration",
        "Time to answer an HTTP request, by method, route and status",
        Unit::Seconds,
        request_seconds.clone(),
    );
    let function_errors = Family::<FunctionLabels, Counter>::default();
    registry.register(
        "server_function_errors",
        "Server function calls answered with an error, by function and status",
        function_errors.clone(),
    );
    let job_users = Family::<KindLabels, Counter>::default();
    registry.register("job_users_processed", "Users processed by jobs, by job kind", job_users.clone());
    let jobs = Family::<StateLabels, Gauge>::default();
    registry.register("jobs", "Jobs in the database, by state", jobs.clone());
    let sign_in_failures = Family::<ReasonLabels, Counter>::default();
    registry.register(
        "sign_in_failures",
        "Sign-ins refused: wrong name or password (invalid) or held back by throttling (throttled)",
        sign_in_failures.clone(),
    );
    let locked_out = Family::<ScopeLabels, Gauge>::default();
    registry.register(
        "sign_in_lockouts",
        "Accounts and client addresses locked out of signing in now",
        locked_out.clone(),
    );
    let connections = Family::<StateLabels, Gauge>::default();
    registry.register(
        "database_connections",
        "Database pool connections, in use or idle",
        connections.clone(),
    );
    let audit_stream_lag = Family::<SinkLabels, Gauge>::default();
    registry.register(
        "audit_stream_lag_events",
        "Committed audit events not yet sent to each configured audit stream sink",
        audit_stream_lag.clone(),
    );
    let (version, commit) =
        BUILD.get().cloned().unwrap_or_else(|| (env!("CARGO_PKG_VERSION").into(), "unknown".into()));
    registry.register(
        "build",
        "The running build",
        Info::new(vec![("version", version), ("commit", commit)]),
    );
    Metrics {
        registry,
        requests,
        request_seconds,
        function_errors,
        job_users,
        jobs,
        sign_in_failures,
        locked_out,
        connections,
        audit_stream_lag,
    }
});

/// One answered request. `route` is the matched route pattern (never the path with its ids).
pub fn observe_request(method: &str, route: &str, status: u16, duration: Duration) {
    let labels = RequestLabels { method: method.to_string(), route: route.to_string(), status };
    METRICS.request_seconds.get_or_create(&labels).observe(duration.as_secs_f64());
    METRICS.requests.get_or_create(&labels).inc();
    if status >= 400 && route.starts_with(crate::api::access::PREFIX) {
        METRICS.function_errors.get_or_create(&FunctionLabels { function: route.to_string(), status }).inc();
    }
}

/// A chunk of a job committed with `users` users.
pub fn job_users_processed(kind: JobKind, users: u64) {
    METRICS.job_users.get_or_create(&KindLabels { kind: kind.as_str() }).inc_by(users);
}

/// Why a sign-in was refused, for `sign_in_failures`.
#[derive(Debug, Clone, Copy)]
pub enum SignInFailure {
    Invalid,
    Throttled,
}

pub fn sign_in_failed(reason: SignInFailure) {
    let reason = match reason {
        SignInFailure::Invalid => "invalid",
        SignInFailure::Throttled => "throttled",
    };
    METRICS.sign_in_failures.get_or_create(&ReasonLabels { reason }).inc();
}

/// The text of a scrape: the database gauges are read first (`audit_sinks`: the configured
/// audit stream sinks, whose lag is read from their cursors).
pub async fn render(
    pool: &AnyPool,
    audit_sinks: &[crate::server::security::audit_stream::SinkTarget],
) -> Result<String, AppError> {
    let metrics = &*METRICS;
    let stored: Vec<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT state, waiting, COUNT(*) FROM jobs GROUP BY state, waiting")
            .fetch_all(pool)
            .await?;
    // Scheduled and paused jobs are stored as interrupted ones that wait.
    let by_state: Vec<(JobState, i64)> = stored
        .into_iter()
        .map(|(state, waiting, n)| (crate::server::jobs::stored_state(&state, waiting.as_deref()), n))
        .collect();
    for state in JobState::ALL {
        let count: i64 = by_state.iter().filter(|(s, _)| *s == state).map(|(_, n)| *n).sum();
        metrics.jobs.get_or_create(&StateLabels { state: state.as_str() }).set(count);
    }
    let now = crate::server::now();
    for scope in [ThrottleScope::Account, ThrottleScope::Address] {
        let locked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_in_throttle WHERE scope = $1 AND failures >= $2 AND blocked_until > $3",
        )
        .bind(scope.as_str())
        .bind(scope.policy().lockout_after as i64)
        .bind(now)
        .fetch_one(pool)
        .await?;
        metrics.locked_out.get_or_create(&ScopeLabels { scope: scope.as_str() }).set(locked);
    }
    for sink in audit_sinks {
        let lag = crate::server::security::audit_stream::pending(pool, sink).await?;
        metrics
            .audit_stream_lag
            .get_or_create(&SinkLabels { sink: sink.to_string() })
            .set(i64::try_from(lag).unwrap_or(i64::MAX));
    }
    let (size, idle) = (i64::from(pool.size()), pool.num_idle() as i64);
    metrics.connections.get_or_create(&StateLabels { state: "in_use" }).set(size - idle);
    metrics.connections.get_or_create(&StateLabels { state: "idle" }).set(idle);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry)
        .map_err(|_| AppError::INTERNAL)?;
    Ok(text)
}
