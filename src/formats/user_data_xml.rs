//! The user data file (format in the README): writing it from users' data and reading it back
//! strictly. Loading the data from and merging it into the database is `server::user_data`'s.

use crate::domain::AppError;
use crate::domain::format::{parse_rfc3339, rfc3339};
use crate::domain::sip::SipUri;
use crate::domain::user_data::{
    AccessItem, ContactItem, MAX_IMPORT_BYTES, MeetingItem, PresenceItem, USER_DATA_NAMESPACE, UserData,
};
use crate::formats::Lines;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
use std::collections::{HashMap, HashSet};

/// Writes users' data as a user data file. The error is the writer's; the caller logs it,
/// since only the server has a log.
pub fn write(users: &[UserData], operator: &str, at: i64) -> std::io::Result<String> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let (time, count) = (rfc3339(at), users.len().to_string());
    let root = BytesStart::new("UserData").with_attributes([
        ("xmlns", USER_DATA_NAMESPACE),
        ("exported", time.as_str()),
        ("operator", operator),
        ("users", count.as_str()),
    ]);
    writer.write_event(Event::Start(root))?;
    for user in users {
        let sip = format!("sip:{}", user.sip_uri);
        let element = BytesStart::new("User").with_attributes([
            ("sipUri", sip.as_str()),
            ("guid", user.object_guid.as_str()),
            ("name", user.display_name.as_str()),
        ]);
        writer.write_event(Event::Start(element))?;
        let mut empty = |element: BytesStart| writer.write_event(Event::Empty(element));
        for group in &user.groups {
            empty(BytesStart::new("Group").with_attributes([("name", group.as_str())]))?;
        }
        for c in &user.contacts {
            let uri = format!("sip:{}", c.uri);
            let mut element = BytesStart::new("Contact")
                .with_attributes([("uri", uri.as_str()), ("name", c.display_name.as_str())]);
            if let Some(group) = &c.group {
                element.push_attribute(("group", group.as_str()));
            }
            empty(element)?;
        }
        for a in &user.access {
            empty(
                BytesStart::new(if a.allow { "Allow" } else { "Block" })
                    .with_attributes([("entry", a.entry.as_str())]),
            )?;
        }
        for m in &user.meetings {
            let (start, minutes) = (rfc3339(m.starts_at), m.duration_minutes.to_string());
            empty(BytesStart::new("Meeting").with_attributes([
                ("subject", m.subject.as_str()),
                ("start", start.as_str()),
                ("minutes", minutes.as_str()),
            ]))?;
        }
        for p in &user.presence {
            let instance = p.instance.to_string();
            empty(BytesStart::new("Presence").with_attributes([
                ("category", p.category.as_str()),
                ("instance", instance.as_str()),
                ("value", p.value.as_str()),
            ]))?;
        }
        writer.write_event(Event::End(BytesEnd::new("User")))?;
    }
    writer.write_event(Event::End(BytesEnd::new("UserData")))?;
    String::from_utf8(writer.into_inner()).map_err(std::io::Error::other)
}

/// Longest text value the format accepts (names, subjects, presence values).
pub const MAX_VALUE: usize = 4096;

/// Reads a user data file. Every rule of the format is checked; the first break refuses the
/// whole file with the line it is on. Exact duplicate meetings of a user are read once.
pub fn parse(xml: &str) -> Result<Vec<UserData>, AppError> {
    use quick_xml::Reader;
    if xml.len() > MAX_IMPORT_BYTES {
        return Err(AppError::FileTooLarge { max_bytes: MAX_IMPORT_BYTES as u64 });
    }
    let mut lines = Lines::new(xml);
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    reader.config_mut().trim_text(true);
    let mut users: Vec<UserData> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut seen_meetings: HashSet<(String, i64)> = HashSet::new();
    // The current user's groups, for duplicates and contacts' groups: searching the list
    // instead made a file of many groups take hours.
    let mut groups: HashSet<String> = HashSet::new();
    // Where we are: 0 before the root, 1 inside UserData, 2 inside a User, 3 inside a leaf.
    let mut depth = 0u8;
    let mut root_done = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|_| AppError::ImportMalformed { line: lines.of(reader.error_position()) })?;
        // The line the event ends on (where a one-line element is).
        let line = lines.of(reader.buffer_position().saturating_sub(1));
        let invalid = AppError::ImportInvalid { line };
        let attributes = |e: &BytesStart| -> Result<HashMap<String, String>, AppError> {
            let mut map = HashMap::new();
            for attribute in e.attributes() {
                let attribute = attribute.map_err(|_| AppError::ImportMalformed { line })?;
                let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
                let value = attribute
                    .decode_and_unescape_value(reader.decoder())
                    .map_err(|_| AppError::ImportMalformed { line })?
                    .into_owned();
                if value.chars().count() > MAX_VALUE || map.insert(key, value).is_some() {
                    return Err(AppError::ImportInvalid { line });
                }
            }
            Ok(map)
        };
        let (element, opens) = match &event {
            Event::Start(e) => (Some(e), true),
            Event::Empty(e) => (Some(e), false),
            _ => (None, false),
        };
        let Some(e) = element else {
            match event {
                Event::Eof => break,
                Event::Decl(_) | Event::Comment(_) => {}
                // Entities and external references have no place in the format.
                Event::DocType(_) | Event::PI(_) => return Err(AppError::ImportForeign),
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                Event::End(_) if depth > 0 => depth -= 1,
                _ if depth == 0 => return Err(AppError::ImportForeign),
                _ => return Err(invalid),
            }
            continue;
        };
        let attrs = attributes(e)?;
        let text = |name: &str| -> Result<String, AppError> {
            attrs.get(name).filter(|v| !v.trim().is_empty()).cloned().ok_or(AppError::ImportInvalid { line })
        };
        match depth {
            0 => {
                if root_done
                    || e.name().as_ref() != b"UserData"
                    || attrs.get("xmlns").map(String::as_str) != Some(USER_DATA_NAMESPACE)
                {
                    return Err(AppError::ImportForeign);
                }
                root_done = true;
            }
            1 => {
                if e.name().as_ref() != b"User" {
                    return Err(invalid);
                }
                let sip = SipUri::parse(&text("sipUri")?).map_err(|_| invalid.clone())?;
                if !seen.insert(sip.address().to_string()) {
                    return Err(invalid);
                }
                groups.clear();
                users.push(UserData {
                    sip_uri: sip.address().to_string(),
                    object_guid: attrs.get("guid").cloned().unwrap_or_default(),
                    display_name: attrs.get("name").cloned().unwrap_or_default(),
                    ..Default::default()
                });
            }
            2 => {
                let user = users.last_mut().ok_or(invalid.clone())?;
                match e.name().as_ref() {
                    b"Group" => {
                        let name = text("name")?;
                        if !groups.insert(name.clone()) {
                            return Err(invalid);
                        }
                        user.groups.push(name);
                    }
                    b"Contact" => {
                        let uri = SipUri::parse(&text("uri")?).map_err(|_| invalid.clone())?;
                        let group = attrs.get("group").cloned();
                        if group.as_ref().is_some_and(|g| !groups.contains(g)) {
                            return Err(invalid);
                        }
                        user.contacts.push(ContactItem {
                            uri: uri.address().to_string(),
                            display_name: attrs.get("name").cloned().unwrap_or_default(),
                            group,
                        });
                    }
                    name @ (b"Allow" | b"Block") => {
                        let entry = text("entry")?.to_ascii_lowercase();
                        if entry.len() > 254 {
                            return Err(invalid);
                        }
                        user.access.push(AccessItem { entry, allow: name == b"Allow" });
                    }
                    b"Meeting" => {
                        let subject = text("subject")?;
                        let starts_at = parse_rfc3339(&text("start")?).ok_or(invalid.clone())?;
                        let minutes: u32 = text("minutes")?.parse().map_err(|_| invalid.clone())?;
                        if !(1..=24 * 60).contains(&minutes) {
                            return Err(invalid);
                        }
                        let key = (format!("{}\u{0}{subject}", user.sip_uri), starts_at);
                        if seen_meetings.insert(key) {
                            user.meetings.push(MeetingItem { subject, starts_at, duration_minutes: minutes });
                        }
                    }
                    b"Presence" => {
                        let category = text("category")?;
                        let instance: i64 = match attrs.get("instance") {
                            Some(v) => v.parse().map_err(|_| invalid.clone())?,
                            None => 0,
                        };
                        let value = attrs.get("value").cloned().ok_or(invalid.clone())?;
                        user.presence.push(PresenceItem { category, instance, value });
                    }
                    _ => return Err(invalid),
                }
            }
            // Data items have no children.
            _ => return Err(invalid),
        }
        if opens {
            depth += 1;
        }
    }
    if !root_done || depth != 0 {
        return Err(if root_done {
            AppError::ImportMalformed { line: lines.of(xml.len() as u64) }
        } else {
            AppError::ImportForeign
        });
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::checks;

    fn user(sip: &str) -> UserData {
        UserData {
            sip_uri: sip.into(),
            object_guid: "5aed77fc-9c5f-4065-aabf-867951feb26e".into(),
            display_name: "Élodie \"Lo\" <Fontaine> & co".into(),
            groups: vec!["Équipe".into(), "Friends & family".into()],
            contacts: vec![
                ContactItem {
                    uri: "b@contoso.com".into(),
                    display_name: "B".into(),
                    group: Some("Équipe".into()),
                },
                ContactItem { uri: "c@fabrikam.com".into(), display_name: String::new(), group: None },
            ],
            access: vec![AccessItem { entry: "fabrikam.com".into(), allow: false }],
            meetings: vec![MeetingItem {
                subject: "Weekly\tsync".into(),
                starts_at: 1_795_253_400,
                duration_minutes: 30,
            }],
            presence: vec![PresenceItem { category: "note".into(), instance: -1, value: String::new() }],
        }
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let users =
            vec![user("a@contoso.com"), UserData { sip_uri: "z@contoso.com".into(), ..Default::default() }];
        let xml = write(&users, "useradmin", 1_795_253_400).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert_eq!(parse(&xml).unwrap(), users);
        assert_eq!(parse(&write(&[], "x", 0).unwrap()).unwrap(), vec![]);
    }

    #[test]
    fn malformed_foreign_and_invalid_files_are_refused() {
        let ns = USER_DATA_NAMESPACE;
        let cases: Vec<(String, AppError)> = vec![
            (format!("<UserData xmlns=\"{ns}\"><User"), AppError::ImportMalformed { line: 1 }),
            (
                format!("<UserData xmlns=\"{ns}\">\n<User sipUri=\"sip:a@b.com\"/>\n"),
                AppError::ImportMalformed { line: 3 },
            ),
            ("{\"users\": []}".into(), AppError::ImportForeign),
            ("".into(), AppError::ImportForeign),
            ("<UserData xmlns=\"urn:uc-admin:user-data:2\"/>".into(), AppError::ImportForeign),
            (format!("<!DOCTYPE x [<!ENTITY a \"b\">]><UserData xmlns=\"{ns}\"/>"), AppError::ImportForeign),
            (format!("<UserData xmlns=\"{ns}\"/><UserData xmlns=\"{ns}\"/>"), AppError::ImportForeign),
            (
                format!("<UserData xmlns=\"{ns}\">\n<User sipUri=\"not a uri\"/>\n</UserData>"),
                AppError::ImportInvalid { line: 2 },
            ),
            (
                format!(
                    "<UserData xmlns=\"{ns}\"><User sipUri=\"a@b.com\"/><User sipUri=\"sip:A@B.com\"/></UserData>"
                ),
                AppError::ImportInvalid { line: 1 },
            ),
            (
                format!(
                    "<UserData xmlns=\"{ns}\"><User sipUri=\"a@b.com\"><Group name=\" \"/></User></UserData>"
                ),
                AppError::ImportInvalid { line: 1 },
            ),
            (
                format!(
                    "<UserData xmlns=\"{ns}\"><User sipUri=\"a@b.com\"><Meeting subject=\"x\" start=\"2026-11-21T09:30:00Z\" minutes=\"0\"/></User></UserData>"
                ),
                AppError::ImportInvalid { line: 1 },
            ),
            (
                format!(
                    "<UserData xmlns=\"{ns}\"><User sipUri=\"a@b.com\"><Allow entry=\"x\"><Allow entry=\"y\"/></Allow></User></UserData>"
                ),
                AppError::ImportInvalid { line: 1 },
            ),
        ];
        for (xml, expected) in cases {
            assert_eq!(parse(&xml).err(), Some(expected), "{xml}");
        }
        let too_big = " ".repeat(MAX_IMPORT_BYTES + 1);
        assert_eq!(
            parse(&too_big).err(),
            Some(AppError::FileTooLarge { max_bytes: MAX_IMPORT_BYTES as u64 })
        );
    }

    /// A file near the size limit with as many elements as fit is read in linear time (it took
    /// hours: line numbers were counted from the start for every element, groups searched in a
    /// list). A 1.4 MB file of each kind timed out in the fuzz target; these are about 20 times that.
    #[test]
    fn large_files_are_read_in_linear_time() {
        let ns = USER_DATA_NAMESPACE;
        let allow = "<Allow entry=\"x.com\"/>\n".repeat(1_200_000);
        let groups: String = (0..1_000_000).map(|i| format!("<Group name=\"g{i}\"/>\n")).collect();
        for body in [allow, groups] {
            let xml = format!("<UserData xmlns=\"{ns}\"><User sipUri=\"a@b.com\">\n{body}</User></UserData>");
            assert!(xml.len() < MAX_IMPORT_BYTES);
            let started = std::time::Instant::now();
            let users = parse(&xml).unwrap();
            assert!(users[0].access.len() + users[0].groups.len() >= 1_000_000);
            assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
        }
    }

    /// Every input the fuzzer kept (`fuzz/regressions/user_data_xml/`), and hand-made tricky
    /// ones, go through the fuzz target's own checks.
    #[test]
    fn fuzz_regressions_replay() {
        let ns = USER_DATA_NAMESPACE;
        for tricky in [
            format!(
                "<UserData xmlns=\"{ns}\"><User sipUri=\"a@b.com\" name=\"&#0;&#xD;&#10;\r\n\t\"/></UserData>"
            ),
            format!(
                "<UserData xmlns=\"{ns}\"><User sipUri=\"a@b.com\"><Meeting subject=\"s\" start=\"+999-01-01T00:00:00Z\" minutes=\"+5\"/></User></UserData>"
            ),
            format!("<UserData xmlns='{ns}'><![CDATA[x]]></UserData>"),
            format!("<UserData xmlns=\"{ns}\"><User sipUri=\"a@b.com\"></Use></UserData>"),
            format!("<?xml version=\"1.0\"?><!-- c --><UserData xmlns=\"{ns}\" xmlns=\"{ns}\"/>"),
            format!("<UserData xmlns=\"{ns}\">&amp;</UserData>"),
        ] {
            checks::user_data_xml(tricky.as_bytes());
        }
        checks::replay("user_data_xml", checks::user_data_xml);
    }
}
