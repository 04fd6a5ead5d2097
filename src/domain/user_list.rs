//! Users named in a list, one a line (like `Move-CsUser -UserList`): SIP URIs of enabled users
//! or user principal names of directory users. Each line is checked before any preview; the
//! good lines become the users of a wizard. Pure rules shared by the server and the browser.

use super::AppError;
use super::sip::SipUri;
use super::user::UserId;
use serde::{Deserialize, Serialize};

/// At most as many users as one operation takes.
pub const MAX_LIST_LINES: usize = super::enable::MAX_BATCH;
/// A pasted or uploaded list: 20,000 addresses of a usual length (about 40 bytes) many times over.
pub const MAX_LIST_BYTES: usize = 2 * 1024 * 1024;

/// What the listed users are for: enabling wants directory users not enabled yet, the other
/// operations want enabled users.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListPurpose {
    Move,
    Delete,
    Configure,
    Enable,
}

impl ListPurpose {
    pub const ALL: [ListPurpose; 4] =
        [ListPurpose::Move, ListPurpose::Delete, ListPurpose::Configure, ListPurpose::Enable];

    pub fn as_str(self) -> &'static str {
        match self {
            ListPurpose::Move => "move",
            ListPurpose::Delete => "delete",
            ListPurpose::Configure => "configure",
            ListPurpose::Enable => "enable",
        }
    }

    /// Whether the operation takes enabled users (all but enabling).
    pub fn wants_enabled(self) -> bool {
        self != ListPurpose::Enable
    }
}

/// Why a line of a list is left out.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LineProblem {
    /// Not a `user@domain` address (with or without `sip:`).
    Malformed,
    /// Names the same user as an earlier line.
    Duplicate { first_line: u32 },
    /// No enabled user has this SIP URI and no directory user this user principal name.
    Unknown,
    /// A directory user who is not enabled, for an operation on enabled users.
    NotEnabled,
    /// An enabled user, for enabling.
    AlreadyEnabled,
    /// A user outside the operator's scope.
    OutOfScope,
}

/// A line left out, with its number (from 1, counting every line of the text) and its text.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRefusal {
    pub line: u32,
    pub text: String,
    pub problem: LineProblem,
}

/// A line that reads as an address: its number and the address, lower-case, without `sip:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedAddress {
    pub line: u32,
    pub address: String,
}

/// The outcome of checking a list: the users of its good lines in the list's order, and every
/// other line with its reason, in line order.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCheck {
    /// Lines that name someone (blank lines and `#` comments are not counted).
    pub lines: u32,
    pub users: Vec<UserId>,
    pub refused: Vec<LineRefusal>,
}

impl ListCheck {
    /// Each refused line's number and reason, in line order: what a test compares.
    #[cfg(test)]
    pub fn problems(&self) -> Vec<(u32, LineProblem)> {
        self.refused.iter().map(|r| (r.line, r.problem)).collect()
    }
}

/// Reads a list: blank lines and lines starting with `#` are skipped; every other line is one
/// address (surrounding spaces and a `sip:` scheme ignored, any case). Returns the addresses of
/// the well-formed lines, first occurrences only, and the refused lines (malformed, or the same
/// address as an earlier line). A list naming no one, or more than an operation takes, is an
/// error.
pub fn parse(text: &str) -> Result<(Vec<ListedAddress>, Vec<LineRefusal>), AppError> {
    if text.len() > MAX_LIST_BYTES {
        return Err(AppError::FileTooLarge { max_bytes: MAX_LIST_BYTES as u64 });
    }
    let mut listed: Vec<ListedAddress> = Vec::new();
    let mut refused = Vec::new();
    let mut first_seen = std::collections::HashMap::new();
    let mut named = 0usize;
    for (index, raw) in text.lines().enumerate() {
        let line = index as u32 + 1;
        let trimmed = raw.trim().trim_start_matches('\u{feff}').trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        named += 1;
        if named > MAX_LIST_LINES {
            return Err(AppError::BatchTooLarge { max: MAX_LIST_LINES as u64 });
        }
        let text: String = trimmed.chars().take(300).collect();
        match SipUri::parse(trimmed) {
            Err(_) => refused.push(LineRefusal { line, text, problem: LineProblem::Malformed }),
            Ok(uri) => match first_seen.get(uri.address()) {
                Some(&first_line) => {
                    refused.push(LineRefusal { line, text, problem: LineProblem::Duplicate { first_line } })
                }
                None => {
                    first_seen.insert(uri.address().to_string(), line);
                    listed.push(ListedAddress { line, address: uri.address().to_string() });
                }
            },
        }
    }
    if named == 0 {
        return Err(AppError::EmptyUserList);
    }
    Ok((listed, refused))
}

/// A listed address as the directory answered it: the user it names and whether they are
/// enabled (`None`: nobody).
pub type Resolved = Option<(UserId, bool)>;

/// Decides each well-formed line from what the directory answered (`resolve`), for `purpose`,
/// and puts the list's outcome together (`refused` from `parse`, kept in line order).
pub fn decide(
    purpose: ListPurpose,
    listed: &[ListedAddress],
    mut refused: Vec<LineRefusal>,
    resolve: impl Fn(&str) -> Resolved,
    inside_scope: impl Fn(UserId) -> bool,
) -> ListCheck {
    let lines = (listed.len() + refused.len()) as u32;
    let mut users = Vec::new();
    let mut first_line_of = std::collections::HashMap::new();
    for entry in listed {
        let refuse = |problem| LineRefusal { line: entry.line, text: entry.address.clone(), problem };
        match resolve(&entry.address) {
            None => refused.push(refuse(LineProblem::Unknown)),
            Some((user, _)) if !inside_scope(user) => refused.push(refuse(LineProblem::OutOfScope)),
            Some((_, false)) if purpose.wants_enabled() => refused.push(refuse(LineProblem::NotEnabled)),
            Some((_, true)) if !purpose.wants_enabled() => refused.push(refuse(LineProblem::AlreadyEnabled)),
            // A SIP URI on one line and the same user's principal name on another.
            Some((user, _)) => match first_line_of.get(&user) {
                Some(&first_line) => refused.push(refuse(LineProblem::Duplicate { first_line })),
                None => {
                    first_line_of.insert(user, entry.line);
                    users.push(user);
                }
            },
        }
    }
    refused.sort_by_key(|r| r.line);
    ListCheck { lines, users, refused }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_an_address_and_bad_lines_are_named_by_number() {
        let text = "sip:Ann@Contoso.com\n\n# a comment\n  bob@contoso.com  \nnot an address\nANN@contoso.com\nsip:\n\u{feff}carol@contoso.com\r\n";
        let (listed, refused) = parse(text).unwrap();
        assert_eq!(
            listed,
            vec![
                ListedAddress { line: 1, address: "ann@contoso.com".into() },
                ListedAddress { line: 4, address: "bob@contoso.com".into() },
                ListedAddress { line: 8, address: "carol@contoso.com".into() },
            ]
        );
        assert_eq!(
            refused,
            vec![
                LineRefusal { line: 5, text: "not an address".into(), problem: LineProblem::Malformed },
                LineRefusal {
                    line: 6,
                    text: "ANN@contoso.com".into(),
                    problem: LineProblem::Duplicate { first_line: 1 }
                },
                LineRefusal { line: 7, text: "sip:".into(), problem: LineProblem::Malformed },
            ]
        );
    }

    #[test]
    fn an_empty_or_oversized_list_is_refused() {
        assert_eq!(parse("").err(), Some(AppError::EmptyUserList));
        assert_eq!(parse("\n  \n# only a comment\n").err(), Some(AppError::EmptyUserList));
        let many: String = (0..=MAX_LIST_LINES).map(|i| format!("u{i}@contoso.com\n")).collect();
        assert_eq!(parse(&many).err(), Some(AppError::BatchTooLarge { max: MAX_LIST_LINES as u64 }));
        let huge = "a".repeat(MAX_LIST_BYTES + 1);
        assert!(matches!(parse(&huge), Err(AppError::FileTooLarge { .. })));
    }

    #[test]
    fn the_directory_decides_the_rest_for_each_purpose() {
        let text = "ann@contoso.com\nbob@contoso.com\nnobody@contoso.com\nann.upn@contoso.com\noops\n";
        let (listed, refused) = parse(text).unwrap();
        let resolve = |address: &str| match address {
            "ann@contoso.com" | "ann.upn@contoso.com" => Some((UserId(1), true)),
            "bob@contoso.com" => Some((UserId(2), false)),
            _ => None,
        };
        let moving = decide(ListPurpose::Move, &listed, refused.clone(), resolve, |_| true);
        assert_eq!(moving.lines, 5);
        assert_eq!(moving.users, vec![UserId(1)]);
        assert_eq!(
            moving.problems(),
            vec![
                (2, LineProblem::NotEnabled),
                (3, LineProblem::Unknown),
                (4, LineProblem::Duplicate { first_line: 1 }),
                (5, LineProblem::Malformed),
            ]
        );
        let enabling = decide(ListPurpose::Enable, &listed, refused, resolve, |_| true);
        assert_eq!(enabling.users, vec![UserId(2)]);
        assert_eq!(
            enabling.problems(),
            vec![
                (1, LineProblem::AlreadyEnabled),
                (3, LineProblem::Unknown),
                (4, LineProblem::AlreadyEnabled),
                (5, LineProblem::Malformed),
            ]
        );
    }
}
