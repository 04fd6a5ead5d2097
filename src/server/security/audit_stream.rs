//! Audit streaming: every committed audit event also goes, as one JSON object, to each
//! configured sink — JSON lines on standard output or in a file that rotates, or RFC 5424
//! syslog over UDP or TCP — for a SIEM.
//!
//! The audit table is the outbox. Each sink has a cursor row (`audit_stream_cursors`): a task
//! per sink reads the events after the cursor in id order, sends them, and only then moves the
//! cursor. So an event rolled back with its change is never read, a sink that is down holds
//! its cursor where it is (nothing is lost; the task retries with backoff), and delivery is
//! at-least-once: a crash between a send and the cursor's move sends those events again at the
//! next start (never in the normal case, where the cursor is stored after every batch).
//!
//! Ids commit out of order on PostgreSQL (a sequence gives id 9 and then id 10, and 10 may
//! commit first): events are read in a transaction that first waits for the write
//! transactions in flight (`db::settled_read`), so a smaller id can no longer appear behind the
//! cursor. Audit events are written in those write transactions only (`uc-admin init` writes
//! one before any server runs).
//!
//! Several portals (replicas) on one database: the portal streaming a sink holds that sink's
//! cursor row for a lease, like a job (`jobs::Replica`: same name, same lease length), renewed
//! with every batch; the others leave the sink alone until the lease has expired.

use crate::domain::AppError;
use crate::domain::audit::{AuditEvent, AuditSinkStatus};
use crate::domain::format::rfc3339;
use crate::server::{jobs, lifecycle, now};
use sqlx::AnyPool;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Events read and sent at a time.
pub const BATCH: u32 = 500;
/// How soon a sink with nothing left to send looks again.
const POLL: Duration = Duration::from_secs(1);
/// The longest wait between two attempts at a failing sink.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a syslog collector may take to accept a connection or a batch.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(10);
/// Above this a UDP datagram would not fit (65,507 bytes over IPv4): the event's parameters
/// are left out of it, and it says so.
const MAX_DATAGRAM: usize = 65_000;

pub const DEFAULT_ROTATE_BYTES: u64 = 100 * 1024 * 1024;
pub const DEFAULT_KEEP: u32 = 5;
pub const DEFAULT_APP_NAME: &str = "uc-admin";
pub const DEFAULT_FACILITY: &str = "local0";

/// Syslog facilities by code (RFC 5424, section 6.2.1).
const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
    "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
    "local7",
];

/// Where a sink sends: JSON lines (`stdout`, `file:PATH`) or syslog (`udp://HOST:PORT`,
/// `tcp://HOST:PORT`). Its text is also its name: the cursor's key and the metrics label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkTarget {
    Stdout,
    File(PathBuf),
    SyslogUdp(String),
    SyslogTcp(String),
}

impl SinkTarget {
    pub fn parse(text: &str) -> Result<SinkTarget, String> {
        let text = text.trim();
        let address = |rest: &str| -> Result<String, String> {
            let well_formed = rest.rsplit_once(':').is_some_and(|(host, port)| {
                !host.is_empty()
                    && !host.contains(['/', '?', '#', '@'])
                    && !host.contains(char::is_whitespace)
                    && port.parse::<u16>().is_ok_and(|port| port > 0)
            });
            if well_formed {
                Ok(rest.to_string())
            } else {
                Err(format!("{text:?} must name a host and port, like udp://127.0.0.1:514"))
            }
        };
        if text == "stdout" {
            Ok(SinkTarget::Stdout)
        } else if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() || path.ends_with('/') {
                Err(format!("{text:?} must name a file, like file:/var/log/uc-admin/audit.jsonl"))
            } else {
                Ok(SinkTarget::File(path.into()))
            }
        } else if let Some(rest) = text.strip_prefix("udp://") {
            address(rest).map(SinkTarget::SyslogUdp)
        } else if let Some(rest) = text.strip_prefix("tcp://") {
            address(rest).map(SinkTarget::SyslogTcp)
        } else {
            Err(format!(
                "{text:?} is none of stdout, file:PATH (JSON lines), udp://HOST:PORT or tcp://HOST:PORT (syslog)"
            ))
        }
    }

    /// `jsonl` or `syslog`.
    pub fn kind(&self) -> &'static str {
        match self {
            SinkTarget::Stdout | SinkTarget::File(_) => "jsonl",
            SinkTarget::SyslogUdp(_) | SinkTarget::SyslogTcp(_) => "syslog",
        }
    }
}

impl std::fmt::Display for SinkTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkTarget::Stdout => f.write_str("stdout"),
            SinkTarget::File(path) => write!(f, "file:{}", path.display()),
            SinkTarget::SyslogUdp(address) => write!(f, "udp://{address}"),
            SinkTarget::SyslogTcp(address) => write!(f, "tcp://{address}"),
        }
    }
}

/// The audit stream's configuration (`audit.*`): its sinks, how a file sink rotates, and how
/// syslog messages name the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    pub sinks: Vec<SinkTarget>,
    /// A file sink starts a new file before it would grow past this.
    pub rotate_bytes: u64,
    /// Rotated files kept (`audit.jsonl.1` the newest … `audit.jsonl.{keep}` the oldest).
    pub keep: u32,
    /// Syslog APP-NAME.
    pub app_name: String,
    /// Syslog facility name (`local0`, `auth`, …).
    pub facility: String,
}

impl Default for StreamSettings {
    fn default() -> StreamSettings {
        StreamSettings {
            sinks: Vec::new(),
            rotate_bytes: DEFAULT_ROTATE_BYTES,
            keep: DEFAULT_KEEP,
            app_name: DEFAULT_APP_NAME.into(),
            facility: DEFAULT_FACILITY.into(),
        }
    }
}

/// The code of a facility name, if it is one.
pub fn facility_code(name: &str) -> Option<u8> {
    FACILITIES.iter().position(|f| f.eq_ignore_ascii_case(name)).map(|code| code as u8)
}

/// An RFC 5424 APP-NAME: 1 to 48 printable ASCII characters, no space.
pub fn valid_app_name(name: &str) -> bool {
    (1..=48).contains(&name.len()) && name.bytes().all(|b| (33..=126).contains(&b))
}

/// The JSON object of one event: a line of a JSON lines sink and the MSG of a syslog message.
pub fn event_json(event: &AuditEvent) -> serde_json::Value {
    // The stored parameters are a JSON object; were one not, it is sent as the text it is.
    let parameters = serde_json::from_str(&event.parameters)
        .unwrap_or_else(|_| serde_json::Value::String(event.parameters.clone()));
    serde_json::json!({
        "id": event.id,
        "at": rfc3339(event.at),
        "operator": event.operator,
        "api_token": event.api_token,
        "approved_by": event.approved_by,
        "operation": event.operation,
        "parameters": parameters,
        "target_count": event.target_count,
    })
}

/// How syslog messages name their origin.
#[derive(Debug, Clone)]
struct SyslogHeader {
    facility: u8,
    hostname: String,
    app_name: String,
    process: u32,
}

impl SyslogHeader {
    /// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG` (RFC 5424, no structured
    /// data): MSGID is the operation, MSG the event's JSON. Failed sign-ins are warnings, the
    /// rest notices.
    fn message(&self, event: &AuditEvent, json: &str) -> String {
        let severity = match event.operation.as_str() {
            "sign_in_failed" | "sign_in_locked" | "sign_in_failures_repeated" | "step_up_failed" => 4,
            _ => 5,
        };
        let msgid: String = event.operation.chars().filter(|c| c.is_ascii_graphic()).take(32).collect();
        let msgid = if msgid.is_empty() { "-".to_string() } else { msgid };
        format!(
            "<{}>1 {} {} {} {} {msgid} - {json}",
            u16::from(self.facility) * 8 + severity,
            rfc3339(event.at),
            self.hostname,
            self.app_name,
            self.process,
        )
    }

    /// The message, small enough for one datagram.
    fn datagram(&self, event: &AuditEvent) -> String {
        let message = self.message(event, &event_json(event).to_string());
        if message.len() <= MAX_DATAGRAM {
            return message;
        }
        let mut json = event_json(event);
        json["parameters"] = serde_json::Value::Null;
        json["parameters_left_out"] = serde_json::Value::Bool(true);
        self.message(event, &json.to_string())
    }
}

/// The open connection of a syslog sink, kept from one batch to the next.
enum Connection {
    Closed,
    Udp(tokio::net::UdpSocket),
    Tcp(tokio::net::TcpStream),
}

/// What one round of a sink did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// This many events were sent and the cursor moved past them (0: nothing new).
    Sent(usize),
    /// Another portal holds the sink's lease.
    HeldElsewhere,
}

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("database: {0}")]
    Database(#[from] AppError),
    #[error("{0}")]
    Sink(#[from] std::io::Error),
}

/// Streams the events to one sink.
pub struct Streamer {
    db: AnyPool,
    target: SinkTarget,
    /// The cursor's key: the target's text.
    key: String,
    rotate_bytes: u64,
    keep: u32,
    syslog: SyslogHeader,
    /// This portal among the replicas, and how long its hold on the sink lasts.
    holder: String,
    lease: Duration,
    /// Until when this streamer's lease lasts, as it last stored it (0: not held).
    held_until_ms: i64,
    connection: Connection,
}

impl Streamer {
    pub fn new(db: AnyPool, target: SinkTarget, settings: &StreamSettings) -> Streamer {
        let replica = jobs::replica();
        Streamer {
            db,
            key: target.to_string(),
            target,
            rotate_bytes: settings.rotate_bytes,
            keep: settings.keep,
            syslog: SyslogHeader {
                facility: facility_code(&settings.facility).unwrap_or(16),
                hostname: replica.name.clone(),
                app_name: settings.app_name.clone(),
                process: std::process::id(),
            },
            holder: replica.name.clone(),
            lease: replica.lease,
            held_until_ms: 0,
            connection: Connection::Closed,
        }
    }

    /// One round: take (or renew) the sink's lease, read the next committed events after its
    /// cursor, send them, and move the cursor past them. A failed send leaves the cursor.
    pub async fn stream_once(&mut self) -> Result<Step, StreamError> {
        let Some(cursor) = self.claim().await? else { return Ok(Step::HeldElsewhere) };
        let events = crate::server::security::audit::log::committed_after(&self.db, cursor, BATCH).await?;
        let Some(last) = events.last().map(|e| e.id) else { return Ok(Step::Sent(0)) };
        if let Err(error) = self.send(&events).await {
            self.connection = Connection::Closed;
            return Err(error.into());
        }
        let moved = sqlx::query(
            "UPDATE audit_stream_cursors SET last_event_id = $1, sent_at = $2, lease_until_ms = $3
             WHERE sink = $4 AND holder = $5",
        )
        .bind(last)
        .bind(now())
        .bind(self.renewed_until())
        .bind(&self.key)
        .bind(&self.holder)
        .execute(&self.db)
        .await
        .map_err(AppError::from)?
        .rows_affected();
        if moved == 0 {
            self.held_until_ms = 0;
            // Held too long (a send slower than the lease): another portal took the sink over
            // and sends these events again.
            tracing::warn!(sink = %self.key, "audit stream: the sink was taken over while sending");
        }
        Ok(Step::Sent(events.len()))
    }

    /// A lease taken or renewed now lasts until then; noted as this streamer's.
    fn renewed_until(&mut self) -> i64 {
        self.held_until_ms = now_ms() + self.lease.as_millis() as i64;
        self.held_until_ms
    }

    /// Takes the sink's lease if it is free, expired or already ours; the cursor if so. A lease
    /// with more than two thirds still to run is not renewed: a sink with nothing to send
    /// writes to the database once per third of a lease, not once per round.
    async fn claim(&mut self) -> Result<Option<i64>, AppError> {
        let lease_ms = self.lease.as_millis() as i64;
        if self.held_until_ms - now_ms() <= lease_ms * 2 / 3 {
            sqlx::query("INSERT INTO audit_stream_cursors (sink) VALUES ($1) ON CONFLICT (sink) DO NOTHING")
                .bind(&self.key)
                .execute(&self.db)
                .await?;
            let now_ms = now_ms();
            let until = self.renewed_until();
            let taken = sqlx::query(
                "UPDATE audit_stream_cursors SET holder = $1, lease_until_ms = $2
                 WHERE sink = $3 AND (holder IS NULL OR holder = $1 OR lease_until_ms < $4)",
            )
            .bind(&self.holder)
            .bind(until)
            .bind(&self.key)
            .bind(now_ms)
            .execute(&self.db)
            .await?
            .rows_affected();
            if taken == 0 {
                self.held_until_ms = 0;
                return Ok(None);
            }
        }
        let cursor = sqlx::query_scalar("SELECT last_event_id FROM audit_stream_cursors WHERE sink = $1")
            .bind(&self.key)
            .fetch_one(&self.db)
            .await?;
        Ok(Some(cursor))
    }

    /// Lets another portal take the sink at once (at shutdown).
    async fn release(&mut self) {
        self.held_until_ms = 0;
        let released =
            sqlx::query("UPDATE audit_stream_cursors SET lease_until_ms = 0 WHERE sink = $1 AND holder = $2")
                .bind(&self.key)
                .bind(&self.holder)
                .execute(&self.db)
                .await;
        if let Err(error) = released {
            tracing::warn!(sink = %self.key, %error, "audit stream: could not release the sink");
        }
    }

    async fn send(&mut self, events: &[AuditEvent]) -> std::io::Result<()> {
        match &self.target {
            SinkTarget::Stdout => {
                let text = json_lines(events);
                // A pipe whose reader is slow blocks the write: not on a runtime thread.
                tokio::task::spawn_blocking(move || {
                    let mut out = std::io::stdout().lock();
                    out.write_all(text.as_bytes())?;
                    out.flush()
                })
                .await
                .map_err(std::io::Error::other)?
            }
            SinkTarget::File(path) => {
                let (path, rotate_bytes, keep) = (path.clone(), self.rotate_bytes, self.keep);
                let lines: Vec<String> = events.iter().map(|e| format!("{}\n", event_json(e))).collect();
                tokio::task::spawn_blocking(move || append_rotating(&path, &lines, rotate_bytes, keep))
                    .await
                    .map_err(std::io::Error::other)?
            }
            SinkTarget::SyslogUdp(address) => {
                if !matches!(self.connection, Connection::Udp(_)) {
                    self.connection = Connection::Udp(udp_socket(address).await?);
                }
                let Connection::Udp(socket) = &self.connection else { unreachable!() };
                for event in events {
                    // Connected, so a collector that is not listening (on this machine) shows
                    // as an error on a later send; beyond that, UDP has no acknowledgement.
                    socket.send(self.syslog.datagram(event).as_bytes()).await?;
                }
                Ok(())
            }
            SinkTarget::SyslogTcp(address) => {
                if let Connection::Tcp(stream) = &self.connection
                    && peer_closed(stream)
                {
                    self.connection = Connection::Closed;
                }
                if !matches!(self.connection, Connection::Tcp(_)) {
                    let stream =
                        tokio::time::timeout(NETWORK_TIMEOUT, tokio::net::TcpStream::connect(address))
                            .await
                            .map_err(|_| timed_out("connecting"))??;
                    self.connection = Connection::Tcp(stream);
                }
                let Connection::Tcp(stream) = &mut self.connection else { unreachable!() };
                // Octet counting (RFC 6587): each message is preceded by its length in bytes.
                let mut framed = Vec::new();
                for event in events {
                    let message = self.syslog.message(event, &event_json(event).to_string());
                    framed.extend_from_slice(format!("{} {message}", message.len()).as_bytes());
                }
                tokio::time::timeout(NETWORK_TIMEOUT, async {
                    stream.write_all(&framed).await?;
                    stream.flush().await
                })
                .await
                .map_err(|_| timed_out("sending"))?
            }
        }
    }

    /// Streams until the shutdown begins: at once while there is more, every `POLL` when
    /// caught up, and after a failure again after a wait that doubles up to `MAX_BACKOFF`.
    pub async fn run(mut self) {
        let mut backoff = POLL;
        loop {
            let wait = match self.stream_once().await {
                Ok(Step::Sent(sent)) if sent == BATCH as usize => {
                    backoff = POLL;
                    Duration::ZERO
                }
                Ok(_) => {
                    backoff = POLL;
                    POLL
                }
                Err(error) => {
                    tracing::warn!(
                        sink = %self.key,
                        %error,
                        retry_in_s = backoff.as_secs(),
                        "audit stream: could not send; the events wait and are sent once the sink takes them"
                    );
                    let wait = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    wait
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = lifecycle::shutdown_begun() => {
                    self.release().await;
                    return;
                }
            }
        }
    }
}

/// Starts one streaming task per configured sink.
pub fn start(db: &AnyPool, settings: &StreamSettings) {
    for target in &settings.sinks {
        tracing::info!(sink = %target, "audit events are streamed");
        tokio::spawn(Streamer::new(db.clone(), target.clone(), settings).run());
    }
}

fn json_lines(events: &[AuditEvent]) -> String {
    events.iter().map(|e| format!("{}\n", event_json(e))).collect()
}

fn timed_out(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, format!("{what} timed out"))
}

/// A UDP socket connected to the collector, from an address of its family.
async fn udp_socket(address: &str) -> std::io::Result<tokio::net::UdpSocket> {
    let peer = tokio::net::lookup_host(address).await?.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, format!("{address} has no address"))
    })?;
    let local = if peer.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let socket = tokio::net::UdpSocket::bind(local).await?;
    socket.connect(peer).await?;
    Ok(socket)
}

/// Whether the collector has closed the connection (what it sent, if anything, is ignored):
/// a batch written into a closed connection would be lost without an error.
fn peer_closed(stream: &tokio::net::TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.try_read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => error.kind() != std::io::ErrorKind::WouldBlock,
    }
}

/// Appends lines to `path`, first moving it to `path.1` (`.1` to `.2`, …, dropping what would
/// be `.{keep + 1}`) when a line would take it past `rotate_bytes`. Synced before returning, so
/// the cursor never moves past lines still in memory.
fn append_rotating(path: &Path, lines: &[String], rotate_bytes: u64, keep: u32) -> std::io::Result<()> {
    let open = || std::fs::OpenOptions::new().create(true).append(true).open(path);
    let mut file = std::io::BufWriter::new(open()?);
    let mut size = file.get_ref().metadata()?.len();
    for line in lines {
        let length = line.len() as u64;
        if size > 0 && size + length > rotate_bytes {
            file.flush()?;
            file.get_ref().sync_data()?;
            rotate(path, keep)?;
            file = std::io::BufWriter::new(open()?);
            size = 0;
        }
        file.write_all(line.as_bytes())?;
        size += length;
    }
    file.flush()?;
    file.get_ref().sync_data()
}

fn rotated(path: &Path, number: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{number}"));
    PathBuf::from(name)
}

fn rotate(path: &Path, keep: u32) -> std::io::Result<()> {
    for number in (1..keep).rev() {
        match std::fs::rename(rotated(path, number), rotated(path, number + 1)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    std::fs::rename(path, rotated(path, 1))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Committed events a sink has not received yet.
pub async fn pending(db: &AnyPool, target: &SinkTarget) -> Result<u64, AppError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events
         WHERE id > COALESCE((SELECT last_event_id FROM audit_stream_cursors WHERE sink = $1), 0)",
    )
    .bind(target.to_string())
    .fetch_one(db)
    .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Each configured sink, what it received last and how many events it has still to get.
pub async fn status(db: &AnyPool, settings: &StreamSettings) -> Result<Vec<AuditSinkStatus>, AppError> {
    let mut sinks = Vec::new();
    for target in &settings.sinks {
        let row: Option<(i64, Option<i64>)> =
            sqlx::query_as("SELECT last_event_id, sent_at FROM audit_stream_cursors WHERE sink = $1")
                .bind(target.to_string())
                .fetch_optional(db)
                .await?;
        let (last_event_id, sent_at) =
            row.filter(|(last, _)| *last > 0).map_or((None, None), |(l, s)| (Some(l), s));
        sinks.push(AuditSinkStatus {
            kind: target.kind().to_string(),
            target: target.to_string(),
            last_event_id,
            sent_at,
            pending: pending(db, target).await?,
        });
    }
    Ok(sinks)
}

#[cfg(test)]
#[path = "audit_stream_tests.rs"]
mod tests;
