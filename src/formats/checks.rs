//! What the fuzz targets (`fuzz/fuzz_targets/`) check, one function per target: each takes the
//! fuzzer's bytes and panics when a property breaks. They live in the library, not in `fuzz/`,
//! so that the unit tests replay every kept crash input (`fuzz/regressions/<target>/`) through
//! exactly the code the fuzzer ran.

use crate::domain::org::CsvKind;
use crate::domain::search::{MAX_PATTERN_CHARS, SipPattern, UserSearch};
use crate::domain::sip::{SipProblem, SipUri, fold_name, from_names, is_valid_domain};
use crate::formats::{org_csv, user_data_xml};

/// `sip_uri`: the input is text to parse; its first three lines are also a given name, a
/// surname and a domain to generate an address from.
pub fn sip_uri(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(uri) = SipUri::parse(&text) {
        let address = uri.address();
        assert!(address.len() <= 254 && !address.bytes().any(|b| b.is_ascii_uppercase()), "{address}");
        assert!(is_valid_domain(uri.domain()), "{address}");
        assert_eq!(SipUri::parse(address).as_ref(), Ok(&uri), "the address reads back as itself");
        assert_eq!(SipUri::parse(&uri.to_string()).as_ref(), Ok(&uri), "so does the sip: form");
        let json = serde_json::to_string(&uri).expect("a URI serializes");
        assert_eq!(serde_json::from_str::<SipUri>(&json).ok().as_ref(), Some(&uri), "{json}");
    }
    let mut fields = text.splitn(3, '\n');
    let (given, surname) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
    let domain = fields.next().unwrap_or("");
    let folded: Vec<String> = [given, surname].iter().map(|p| fold_name(p)).collect();
    for f in &folded {
        assert!(f.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{f}");
        assert!(!f.starts_with('-') && !f.ends_with('-') && !f.contains("--"), "{f}");
        assert_eq!(&fold_name(f), f, "folding a folded name changes nothing");
    }
    let local: Vec<&str> = folded.iter().map(String::as_str).filter(|f| !f.is_empty()).collect();
    let local = local.join(".");
    match from_names(given, surname, domain) {
        Ok(uri) => {
            assert_eq!(SipUri::parse(uri.address()).as_ref(), Ok(&uri), "a generated URI reads back");
            assert_eq!(uri.address(), format!("{local}@{}", domain.to_ascii_lowercase()));
        }
        Err(SipProblem::InvalidDomain) => assert!(!is_valid_domain(&domain.to_ascii_lowercase())),
        Err(SipProblem::NameNotRepresentable) => {
            // Nothing left of the names, or more than a SIP URI may hold.
            assert!(local.is_empty() || local.len() > 64 || local.len() + 1 + domain.len() > 254, "{local}");
        }
        Err(other) => panic!("from_names gave {other:?}"),
    }
}

/// `sip_pattern`: the input's first line is a pattern as typed, the rest a URI to match. The
/// SQL forms must select exactly what the matcher does on stored (lower-case) URIs.
pub fn sip_pattern(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (typed, uri) = text.split_once('\n').unwrap_or((&text, ""));
    // A URI given as a pattern, without wildcards, finds that URI.
    if let Ok(target) = SipUri::parse(uri) {
        let exact = SipPattern::parse(target.address()).ok().flatten().expect("a URI is a valid pattern");
        assert!(exact.matches(target.address()) && exact.matches(&target.to_string()), "{exact:?}");
        let full = SipPattern::parse(&target.to_string()).ok().flatten().expect("so is its sip: form");
        assert_eq!(full, exact);
    }
    let Ok(Some(pattern)) = SipPattern::parse(typed) else { return };
    let stored = pattern.as_str();
    assert!(stored.chars().count() <= MAX_PATTERN_CHARS, "{stored}");
    // Searches are kept (saved queries, addresses) in their URL form and read back from it.
    assert_eq!(SipPattern::parse(stored).as_ref(), Ok(&Some(pattern.clone())), "the stored form reads back");
    let search = UserSearch { sip: Some(pattern.clone()), ..UserSearch::default() };
    assert_eq!(UserSearch::from_query_string(&search.to_query_string()).as_ref(), Ok(&search));
    let literal_run = pattern.longest_literal_run();
    assert!(literal_run <= stored.chars().count());

    let (like, glob) = (pattern.to_like(), pattern.to_glob());
    let stored_uri = uri.to_lowercase();
    if !stored_uri.starts_with("sip:") && stored_uri.to_lowercase() == stored_uri {
        let matched = pattern.matches(&stored_uri);
        assert_eq!(like_matches(&like, &stored_uri), matched, "LIKE {like:?} on {stored_uri:?}");
        assert_eq!(glob_matches(&glob, &stored_uri), matched, "GLOB {glob:?} on {stored_uri:?}");
        if matched && pattern.has_literal_prefix() {
            assert_eq!(stored.chars().next(), stored_uri.chars().next(), "the index range holds it");
        }
    }
    // Typed as a whole URI, without wildcards, the pattern finds that URI.
    if let Ok(target) = SipUri::parse(typed)
        && !typed.contains(['*', '?'])
    {
        assert!(pattern.matches(target.address()) && pattern.matches(&target.to_string()), "{stored}");
    }
}

/// `org_csv`: the input is a file, read as both kinds.
pub fn org_csv(data: &[u8]) {
    for kind in [CsvKind::Import, CsvKind::Move] {
        let Ok(rows) = org_csv::parse(data, kind) else { continue };
        let columns = org_csv::columns(kind);
        assert!(rows.len() <= org_csv::MAX_CSV_ROWS);
        let mut last_line = 1;
        for (line, values) in &rows {
            assert!(*line > last_line, "rows follow the header, in order: {line} after {last_line}");
            last_line = *line;
            assert!(values.len() == columns.len() && columns.iter().all(|c| values.contains_key(c)));
            assert!(values.values().any(|v| !v.is_empty()), "blank rows are skipped");
            assert!(values.values().all(|v| v.trim() == v), "{values:?}");
            let _ = (org_csv::yes_no(&values["username"]), org_csv::valid_username(&values["username"]));
        }
        // Written again by the csv crate, the file reads back the same values.
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(columns).expect("write to memory");
        for (_, values) in &rows {
            writer.write_record(columns.iter().map(|c| &values[c])).expect("write to memory");
        }
        let written = writer.into_inner().expect("flush to memory");
        let again = org_csv::parse(&written, kind).expect("a written file reads back");
        let values = |rows: &[org_csv::Row]| rows.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>();
        assert_eq!(values(&again), values(&rows));
    }
}

/// `user_data_xml`: the input is a file (the server only ever gets text). What it reads, written
/// again, reads back the same.
pub fn user_data_xml(data: &[u8]) {
    let Ok(xml) = std::str::from_utf8(data) else { return };
    let Ok(users) = user_data_xml::parse(xml) else { return };
    let written = user_data_xml::write(&users, "fuzz <&\"operator\">", 0).expect("write to memory");
    match user_data_xml::parse(&written) {
        Ok(again) => assert_eq!(again, users, "{written}"),
        Err(e) => panic!("a written file is refused: {e:?}\n{written}"),
    }
}

/// SQLite's `LIKE ... ESCAPE '\'`: `%` any run, `_` one character, `\` takes the next one
/// literally; ASCII letters compare without case.
fn like_matches(pattern: &str, text: &str) -> bool {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => Glob::AnyRun,
            '_' => Glob::AnyOne,
            '\\' => Glob::Literal(chars.next().expect("LIKE pattern ends with its escape")),
            c => Glob::Literal(c.to_ascii_lowercase()),
        });
    }
    let text: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    wildcard_match(&tokens, &text)
}

/// SQLite's `GLOB`: `*`, `?` and `[...]` classes (`^` negates, `a-z` ranges, a `]` first is a
/// member); case-sensitive.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => Glob::AnyRun,
            '?' => Glob::AnyOne,
            '[' => {
                let negated = chars.next_if_eq(&'^').is_some();
                let mut ranges = Vec::new();
                if chars.next_if_eq(&']').is_some() {
                    ranges.push((']', ']'));
                }
                loop {
                    match chars.next().expect("GLOB class without its ]") {
                        ']' => break,
                        '-' if !ranges.is_empty() && chars.peek().is_some_and(|n| *n != ']') => {
                            let to = chars.next().unwrap_or_default();
                            let (from, _) = ranges.pop().unwrap_or_default();
                            ranges.push((from, to));
                        }
                        m => ranges.push((m, m)),
                    }
                }
                Glob::Class { negated, ranges }
            }
            c => Glob::Literal(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    wildcard_match(&tokens, &text)
}

enum Glob {
    AnyRun,
    AnyOne,
    Literal(char),
    Class { negated: bool, ranges: Vec<(char, char)> },
}

/// Plain dynamic programming over (token, character): slow, and independent of the matcher's
/// backtracking, which is the point.
fn wildcard_match(tokens: &[Glob], text: &[char]) -> bool {
    // reach[j]: the tokens so far can match text[..j].
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for token in tokens {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            match token {
                Glob::AnyRun => next[j] = reach[j] || (j > 0 && next[j - 1]),
                _ if j == 0 => {}
                Glob::AnyOne => next[j] = reach[j - 1],
                Glob::Literal(c) => next[j] = reach[j - 1] && text[j - 1] == *c,
                Glob::Class { negated, ranges } => {
                    let c = text[j - 1];
                    let inside = ranges.iter().any(|(from, to)| (*from..=*to).contains(&c));
                    next[j] = reach[j - 1] && inside != *negated;
                }
            }
        }
        reach = next;
    }
    reach[text.len()]
}

/// Runs `check` on every file of `fuzz/regressions/<target>/`, naming the files that fail.
#[cfg(test)]
pub(crate) fn replay(target: &str, check: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<_> = entries.map(|e| e.expect("directory entry").path()).collect();
    files.retain(|p| p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')));
    files.sort();
    let mut failures = Vec::new();
    for file in files {
        let data = std::fs::read(&file).expect("regression input");
        if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
            let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            failures.push(format!("{} fails again: {message}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_emulations_follow_sqlite() {
        assert!(like_matches("a\\_b%", "A_bcd") && !like_matches("a\\_b%", "axb"));
        assert!(like_matches("_\\%", "é%") && !like_matches("_", ""));
        assert!(glob_matches("x[[]1]*", "x[1]y") && !glob_matches("x[[]1]*", "X[1]"));
        assert!(glob_matches("[^a-c]?", "dz") && !glob_matches("[^a-c]?", "bz"));
        assert!(glob_matches("[]]", "]") && glob_matches("[a-]", "-"));
    }

    /// Every input the fuzzer kept (`fuzz/regressions/sip_uri/`), and hand-made tricky ones.
    #[test]
    fn sip_uri_fuzz_regressions_replay() {
        for tricky in [
            "SIP:Jean.Dupont@Contoso.COM",
            " sip:a@b.co \n",
            "İstanbul\nØre-\u{301}--Þ\nContoso.COM",
            "\n\nexample.com",
            "a\u{0}b\n\u{FEFF}\nx.y",
        ] {
            sip_uri(tricky.as_bytes());
        }
        sip_uri(&[b'a', 0xff, b'@', b'b', b'.', b'c', b'o']);
        replay("sip_uri", sip_uri);
    }

    /// Every input the fuzzer kept (`fuzz/regressions/sip_pattern/`), and hand-made tricky ones.
    #[test]
    fn sip_pattern_fuzz_regressions_replay() {
        for tricky in [
            "*smith*\njohn.smith@contoso.com",
            "a_b%c[1]\\*\na_b%c[1]\\x@y.com",
            "sip:Jo?n*\njohn@x.com",
            "*@contoso.com\na@contoso.com.evil",
            "[*]\n[x]@y.com",
            "\nSIP:O'Brien+x@Contoso.com",
        ] {
            sip_pattern(tricky.as_bytes());
        }
        replay("sip_pattern", sip_pattern);
    }
}
