//! XML documents the portal produces. The format of each is documented in the README.

use crate::domain::AppError;
use crate::domain::enable::EnableRun;
use crate::domain::format::rfc3339;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// The results file of a past enable run, recorded as a download: its file name and content.
pub async fn enable_results_file(
    db: &sqlx::AnyPool,
    operator: &crate::domain::operator::Operator,
    run_id: i64,
) -> Result<(String, String), AppError> {
    let run = crate::server::operations::enable::load_run(db, run_id).await?;
    let run_by: String = sqlx::query_scalar("SELECT operator_name FROM audit_events WHERE id = $1")
        .bind(run_id)
        .fetch_one(db)
        .await?;
    let xml = enable_results(&run, &run_by)?;
    let file = format!("enable-results-{run_id}.xml");
    crate::server::security::audit::record_download(
        db,
        operator,
        "enable_results",
        &file,
        run.users.len() as u64,
    )
    .await?;
    Ok((file, xml))
}

pub const ENABLE_RESULTS_NAMESPACE: &str = "urn:uc-admin:enable-results:1";

/// The results of an enable run:
/// `<EnableUsersResults run= time= pool=><User guid= outcome=><DisplayName/><SipUri/><Pool/><Reason/></User>…`
pub fn enable_results(run: &EnableRun, operator: &str) -> Result<String, AppError> {
    let fail = |e: std::io::Error| {
        tracing::error!(error = %e, "writing XML failed");
        AppError::INTERNAL
    };
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).map_err(fail)?;
    let run_id = run.run_id.to_string();
    let time = rfc3339(run.at);
    let enabled = run.enabled().to_string();
    let total = run.users.len().to_string();
    let root = BytesStart::new("EnableUsersResults").with_attributes([
        ("xmlns", ENABLE_RESULTS_NAMESPACE),
        ("run", run_id.as_str()),
        ("operator", operator),
        ("time", time.as_str()),
        ("pool", run.pool.fqdn.as_str()),
        ("enabled", enabled.as_str()),
        ("total", total.as_str()),
    ]);
    writer.write_event(Event::Start(root)).map_err(fail)?;
    for user in &run.users {
        let outcome = if user.can_enable() { "enabled" } else { "failed" };
        let element = BytesStart::new("User")
            .with_attributes([("guid", user.object_guid.as_str()), ("outcome", outcome)]);
        writer.write_event(Event::Start(element)).map_err(fail)?;
        let sip = user.sip_uri.as_ref().map(ToString::to_string).unwrap_or_default();
        let reason = user.problem.map(|p| p.as_str()).unwrap_or_default();
        for (name, value) in [
            ("DisplayName", user.display_name.as_str()),
            ("SipUri", &sip),
            ("Pool", &run.pool.fqdn),
            ("Reason", reason),
        ] {
            if value.is_empty() {
                writer.write_event(Event::Empty(BytesStart::new(name))).map_err(fail)?;
            } else {
                writer.create_element(name).write_text_content(BytesText::new(value)).map_err(fail)?;
            }
        }
        writer.write_event(Event::End(BytesEnd::new("User"))).map_err(fail)?;
    }
    writer.write_event(Event::End(BytesEnd::new("EnableUsersResults"))).map_err(fail)?;
    String::from_utf8(writer.into_inner()).map_err(|_| AppError::INTERNAL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enable::{EnableProblem, PlannedUser};
    use crate::domain::pool::{Pool, PoolId, PoolKind, PoolState, ServerVersion};
    use crate::domain::sip::SipUri;
    use crate::domain::user::UserId;

    #[test]
    fn writes_escaped_well_formed_results() {
        let run = EnableRun {
            run_id: 7,
            at: 1_795_253_400,
            pool: Pool {
                id: PoolId(1),
                fqdn: "pool01.contoso.com".into(),
                kind: PoolKind::Enterprise,
                version: ServerVersion::Ocs2007R2,
                state: PoolState::Active,
                available: true,
                capacity: 10,
                site: "Redmond".into(),
            },
            users: vec![
                PlannedUser {
                    id: UserId(1),
                    object_guid: "g-1".into(),
                    display_name: "Seán O'Brien & <Co>".into(),
                    sip_uri: Some(SipUri::parse("sean.obrien@contoso.com").unwrap()),
                    problem: None,
                },
                PlannedUser {
                    id: UserId(2),
                    object_guid: "g-2".into(),
                    display_name: "Ana Lima".into(),
                    sip_uri: None,
                    problem: Some(EnableProblem::MissingEmail),
                },
            ],
        };
        let xml = enable_results(&run, "useradmin").unwrap();
        assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
        assert!(xml.contains(r#"time="2026-11-21T09:30:00Z""#));
        assert!(xml.contains(r#"enabled="1" total="2""#));
        assert!(xml.contains("<DisplayName>Seán O&apos;Brien &amp; &lt;Co&gt;</DisplayName>"));
        assert!(xml.contains("<SipUri>sip:sean.obrien@contoso.com</SipUri>"));
        assert!(xml.contains("<Reason>missing_email</Reason>"));
        // It parses back with the same library.
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut users = 0;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) if e.name().as_ref() == b"User" => users += 1,
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(users, 2);
    }
}
