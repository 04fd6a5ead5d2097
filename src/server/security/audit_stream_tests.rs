//! The audit stream read back: real UDP and TCP collectors on loopback, a file sink that
//! rotates, events written through the real services, and the streamer run round by round.

use super::*;
use crate::server::operations::moves::tests::{deployment, operator, pool, users_of};
use crate::server::security::audit;
use crate::server::storage::db::{in_write, in_write_or_rehearse};

/// Records an event the way a sign-in failure does, committed.
async fn record(db: &AnyPool, operation: &str, name: &str) -> i64 {
    in_write(db, async |conn| {
        audit::record_as(conn, None, name, operation, serde_json::json!({ "n": name }), 0).await
    })
    .await
    .unwrap()
}

/// Every committed event, oldest first.
async fn all_events(db: &AnyPool) -> Vec<AuditEvent> {
    audit::log::committed_after(db, 0, 10_000).await.unwrap()
}

/// Runs rounds until the sink is caught up; the events sent.
async fn drain(streamer: &mut Streamer) -> usize {
    let mut total = 0;
    loop {
        match streamer.stream_once().await.unwrap() {
            Step::Sent(0) => return total,
            Step::Sent(sent) => total += sent,
            Step::HeldElsewhere => panic!("the sink is held by another replica"),
        }
    }
}

fn settings(sinks: Vec<SinkTarget>) -> StreamSettings {
    StreamSettings { sinks, ..StreamSettings::default() }
}

/// A folder of this test's own.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("uc-admin-audit-stream-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An RFC 5424 message split into PRI, its header fields and the JSON of MSG.
#[derive(Debug)]
struct Syslog {
    pri: u16,
    version: String,
    timestamp: String,
    hostname: String,
    app_name: String,
    procid: String,
    msgid: String,
    structured_data: String,
    json: serde_json::Value,
}

fn parse_syslog(message: &str) -> Syslog {
    let rest = message.strip_prefix('<').expect("starts with <PRI>");
    let (pri, rest) = rest.split_once('>').unwrap();
    let fields: Vec<&str> = rest.splitn(8, ' ').collect();
    assert_eq!(fields.len(), 8, "{message}");
    Syslog {
        pri: pri.parse().unwrap(),
        version: fields[0].into(),
        timestamp: fields[1].into(),
        hostname: fields[2].into(),
        app_name: fields[3].into(),
        procid: fields[4].into(),
        msgid: fields[5].into(),
        structured_data: fields[6].into(),
        json: serde_json::from_str(fields[7]).unwrap_or_else(|e| panic!("{e}: {message}")),
    }
}

/// Splits an octet-counted TCP stream (RFC 6587) into its messages.
fn octet_counted(mut bytes: &[u8]) -> Vec<String> {
    let mut messages = Vec::new();
    while !bytes.is_empty() {
        let space = bytes.iter().position(|b| *b == b' ').unwrap();
        let length: usize = std::str::from_utf8(&bytes[..space]).unwrap().parse().unwrap();
        let message = &bytes[space + 1..space + 1 + length];
        messages.push(String::from_utf8(message.to_vec()).unwrap());
        bytes = &bytes[space + 1 + length..];
    }
    messages
}

/// Checks a received message against the event it should carry.
fn assert_carries(syslog: &Syslog, event: &AuditEvent) {
    let json = &syslog.json;
    assert_eq!(json["id"], event.id);
    assert_eq!(json["at"], rfc3339(event.at));
    assert_eq!(json["operator"], event.operator);
    assert_eq!(json["operation"], event.operation);
    assert_eq!(json["target_count"], event.target_count);
    assert!(json["parameters"].is_object(), "{json}");
    assert_eq!(
        json["parameters"].to_string(),
        serde_json::from_str::<serde_json::Value>(&event.parameters).unwrap().to_string()
    );
    assert_eq!((syslog.version.as_str(), syslog.timestamp.as_str()), ("1", rfc3339(event.at).as_str()));
    assert_eq!(
        (syslog.hostname.as_str(), syslog.app_name.as_str()),
        (jobs::replica().name.as_str(), "uc-admin")
    );
    assert_eq!(syslog.procid, std::process::id().to_string());
    assert_eq!((syslog.msgid.as_str(), syslog.structured_data.as_str()), (event.operation.as_str(), "-"));
    // local0 (16): a failed sign-in is a warning (4), the rest notices (5).
    let severity = if event.operation == "sign_in_failed" { 4 } else { 5 };
    assert_eq!(syslog.pri, 16 * 8 + severity);
}

#[tokio::test]
async fn syslog_over_udp_and_tcp_carries_every_committed_event_once_in_rfc_5424() {
    let db = deployment().await;
    let users = users_of(&db, pool(&db, "pool01.contoso.com").await, 2).await;
    let destination = pool(&db, "pool02.contoso.com").await;
    crate::server::operations::moves::tests::run(&db, &operator(), &users, destination, false).await.unwrap();
    record(&db, "sign_in_failed", "mallory").await;
    let events = all_events(&db).await;
    assert!(events.iter().any(|e| e.operation == "move" && e.target_count == 2), "{events:?}");

    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (udp_target, tcp_target) = (
        SinkTarget::SyslogUdp(udp.local_addr().unwrap().to_string()),
        SinkTarget::SyslogTcp(tcp.local_addr().unwrap().to_string()),
    );
    let received_tcp = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let (mut connection, _) = tcp.accept().await.unwrap();
        let mut bytes = Vec::new();
        connection.read_to_end(&mut bytes).await.unwrap();
        bytes
    });
    let settings = settings(vec![udp_target.clone(), tcp_target.clone()]);
    let mut to_udp = Streamer::new(db.clone(), udp_target.clone(), &settings);
    let mut to_tcp = Streamer::new(db.clone(), tcp_target.clone(), &settings);
    assert_eq!(drain(&mut to_udp).await, events.len());
    assert_eq!(drain(&mut to_tcp).await, events.len());

    for event in &events {
        let mut datagram = vec![0u8; 70_000];
        let length =
            tokio::time::timeout(Duration::from_secs(5), udp.recv(&mut datagram)).await.unwrap().unwrap();
        let message = parse_syslog(std::str::from_utf8(&datagram[..length]).unwrap());
        assert_carries(&message, event);
    }
    drop(to_tcp); // closes the connection, so the collector has all of it
    let messages = octet_counted(&received_tcp.await.unwrap());
    assert_eq!(messages.len(), events.len());
    for (message, event) in messages.iter().zip(&events) {
        assert_carries(&parse_syslog(message), event);
    }
    for target in [&udp_target, &tcp_target] {
        assert_eq!(pending(&db, target).await.unwrap(), 0);
    }
    let status = status(&db, &settings).await.unwrap();
    assert_eq!(status.len(), 2);
    assert_eq!((status[0].kind.as_str(), status[0].last_event_id), ("syslog", events.last().map(|e| e.id)));
}

#[tokio::test]
async fn a_file_sink_rotates_and_keeps_the_newest_files() {
    let db = deployment().await;
    for n in 0..30 {
        record(&db, "sign_in_failed", &format!("user-{n:02}")).await;
    }
    let events = all_events(&db).await;
    let dir = folder("rotation");
    let path = dir.join("audit.jsonl");
    let mut settings = settings(vec![SinkTarget::File(path.clone())]);
    (settings.rotate_bytes, settings.keep) = (1_000, 2);
    let mut streamer = Streamer::new(db.clone(), settings.sinks[0].clone(), &settings);
    assert_eq!(drain(&mut streamer).await, events.len());

    assert!(!rotated(&path, 3).exists(), "only `keep` rotated files are kept");
    let mut ids = Vec::new();
    for file in [rotated(&path, 2), rotated(&path, 1), path.clone()] {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.len() as u64 <= settings.rotate_bytes, "{}: {} bytes", file.display(), text.len());
        for line in text.lines() {
            let json: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(json["operation"], "sign_in_failed");
            ids.push(json["id"].as_i64().unwrap());
        }
    }
    // The newest events, in order, none twice; the oldest went with the dropped files.
    assert!(ids.len() < events.len(), "some files were rotated away");
    let newest: Vec<i64> = events[events.len() - ids.len()..].iter().map(|e| e.id).collect();
    assert_eq!(ids, newest);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_event_rolled_back_with_its_change_is_never_streamed() {
    let db = deployment().await;
    let before = all_events(&db).await.len();
    // A rehearsal (preview) and a change that fails after recording: both roll back.
    in_write_or_rehearse(&db, false, async |conn| {
        audit::record_as(conn, None, "rehearsed", "sign_in_failed", serde_json::json!({}), 0).await
    })
    .await
    .unwrap();
    let failed: Result<(), AppError> = in_write(&db, async |conn| {
        audit::record_as(conn, None, "failed", "sign_in_failed", serde_json::json!({}), 0).await?;
        Err(AppError::INTERNAL)
    })
    .await;
    assert!(failed.is_err());
    record(&db, "sign_in_failed", "committed").await;

    let dir = folder("rollback");
    let target = SinkTarget::File(dir.join("audit.jsonl"));
    let mut streamer = Streamer::new(db.clone(), target.clone(), &settings(vec![target]));
    assert_eq!(drain(&mut streamer).await, before + 1);
    let text = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    assert!(text.contains("\"committed\""), "{text}");
    assert!(!text.contains("rehearsed") && !text.contains("\"failed\""), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_cursor_survives_a_restart_and_a_second_replica_leaves_the_sink_alone() {
    let db = deployment().await;
    for n in 0..3 {
        record(&db, "sign_in_failed", &format!("first-{n}")).await;
    }
    let dir = folder("restart");
    let path = dir.join("audit.jsonl");
    let target = SinkTarget::File(path.clone());
    let settings = settings(vec![target.clone()]);
    let mut first = Streamer::new(db.clone(), target.clone(), &settings);
    let sent_first = drain(&mut first).await;

    // Another portal on the same database: the sink is ours while our lease lasts.
    let mut other = Streamer::new(db.clone(), target.clone(), &settings);
    other.holder = "replica-b".into();
    record(&db, "sign_in_failed", "while-held").await;
    assert_eq!(other.stream_once().await.unwrap(), Step::HeldElsewhere);
    drop(first);

    // This portal restarts: it continues after its cursor.
    for n in 0..2 {
        record(&db, "sign_in_failed", &format!("second-{n}")).await;
    }
    let mut restarted = Streamer::new(db.clone(), target.clone(), &settings);
    assert_eq!(drain(&mut restarted).await, 3, "only the events after the cursor");
    let ids: Vec<i64> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["id"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = all_events(&db).await.iter().map(|e| e.id).collect();
    assert_eq!(ids, expected, "every event once, in order");
    assert_eq!(ids.len(), sent_first + 3);

    // Once this portal's lease has expired (it stopped), the other one takes the sink over.
    restarted.release().await;
    record(&db, "sign_in_failed", "after-takeover").await;
    assert_eq!(other.stream_once().await.unwrap(), Step::Sent(1));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_collector_that_is_down_keeps_the_cursor_and_gets_everything_when_back() {
    let db = deployment().await;
    record(&db, "sign_in_failed", "while-down").await;
    let events = all_events(&db).await;
    // A port with nothing listening.
    let address = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let target = SinkTarget::SyslogTcp(address.to_string());
    let settings = settings(vec![target.clone()]);
    let mut streamer = Streamer::new(db.clone(), target.clone(), &settings);
    assert!(matches!(streamer.stream_once().await, Err(StreamError::Sink(_))));
    assert_eq!(pending(&db, &target).await.unwrap(), events.len() as u64, "the cursor did not move");
    let status = status(&db, &settings).await.unwrap();
    assert_eq!((status[0].last_event_id, status[0].pending), (None, events.len() as u64));
    let metrics = crate::server::metrics::render(&db, &settings.sinks).await.unwrap();
    let lag = format!("uc_admin_audit_stream_lag_events{{sink=\"{target}\"}} {}", events.len());
    assert!(metrics.contains(&lag), "{lag} in {metrics}");

    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let received = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let (mut connection, _) = listener.accept().await.unwrap();
        let mut bytes = Vec::new();
        connection.read_to_end(&mut bytes).await.unwrap();
        bytes
    });
    assert_eq!(drain(&mut streamer).await, events.len());
    drop(streamer);
    let messages = octet_counted(&received.await.unwrap());
    assert_eq!(messages.len(), events.len());
    assert_eq!(pending(&db, &target).await.unwrap(), 0);
}

/// PostgreSQL gives out ids before their transactions commit: with id N still uncommitted and
/// id N + 1 committed, the streamer waits for N rather than sending N + 1 and moving its cursor
/// past N for good. (On SQLite ids are given out under the write lock, in commit order.)
#[tokio::test]
async fn an_id_committed_late_on_postgresql_is_waited_for_not_skipped() {
    let db = deployment().await;
    if crate::server::storage::db::engine(&db) != crate::server::storage::db::Engine::Postgres {
        return;
    }
    let dir = folder("late-commit");
    let target = SinkTarget::File(dir.join("audit.jsonl"));
    let mut streamer = Streamer::new(db.clone(), target.clone(), &settings(vec![target]));
    drain(&mut streamer).await;

    let mut slow = crate::server::storage::db::write(&db).await.unwrap();
    let late =
        audit::record_as(&mut slow, None, "late", "sign_in_failed", serde_json::json!({}), 0).await.unwrap();
    // Written outside any write transaction, so it commits first, with the next id.
    let early = audit::record_as(
        &mut *db.acquire().await.unwrap(),
        None,
        "early",
        "sign_in_failed",
        serde_json::json!({}),
        0,
    )
    .await
    .unwrap();
    assert!(early > late);
    let round = tokio::spawn(async move { (streamer.stream_once().await.unwrap(), streamer) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!round.is_finished(), "the round waits for the transaction still writing");
    slow.commit().await.unwrap();
    let (step, _) = round.await.unwrap();
    assert_eq!(step, Step::Sent(2));
    let ids: Vec<i64> = std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids[ids.len() - 2..], [late, early]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn targets_parse_and_name_themselves() {
    for text in [
        "stdout",
        "file:/var/log/uc-admin/audit.jsonl",
        "udp://127.0.0.1:514",
        "tcp://siem.contoso.com:6514",
        "udp://[::1]:514",
    ] {
        assert_eq!(SinkTarget::parse(text).unwrap().to_string(), text);
    }
    for text in [
        "",
        "stderr",
        "file:",
        "file:/var/log/",
        "udp://127.0.0.1",
        "tcp://:514",
        "udp://host:0",
        "http://siem:80",
    ] {
        assert!(SinkTarget::parse(text).is_err(), "{text:?}");
    }
    assert_eq!(facility_code("local0"), Some(16));
    assert_eq!(facility_code("AUTH"), Some(4));
    assert_eq!(facility_code("local8"), None);
    assert!(valid_app_name("uc-admin") && !valid_app_name("uc admin") && !valid_app_name(""));
}
