//! SIP URIs: parsing, formatting and generation from directory attributes.
//!
//! Generation rule for names (documented in the README): letters are lower-cased; German
//! umlauts and ß become ae/oe/ue/ss, ligatures æ/œ become ae/oe, other Latin letters lose their
//! diacritics (é→e, ø→o, ł→l); apostrophes, spaces and dots inside a name are dropped; hyphens
//! are kept; anything else (including non-Latin scripts) is dropped. A name with nothing left
//! cannot give an address, and the operator is told so.

use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// A valid SIP URI of a user, stored lower-case and without the `sip:` scheme.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SipUri(String);

/// Why a SIP URI could not be parsed or generated.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum SipProblem {
    #[error("the SIP URI is not valid")]
    InvalidUri,
    #[error("the user has no e-mail address")]
    MissingEmail,
    #[error("the user has no user principal name")]
    MissingUserPrincipalName,
    #[error("the name has no letters that can be used in a SIP URI")]
    NameNotRepresentable,
    #[error("the SIP domain is not valid")]
    InvalidDomain,
}

const MAX_LOCAL: usize = 64;
const MAX_TOTAL: usize = 254;

impl SipUri {
    /// Parses `user@domain` or `sip:user@domain` (scheme case-insensitive); the result is
    /// lower-case.
    pub fn parse(input: &str) -> Result<SipUri, SipProblem> {
        let s = input.trim();
        // `get`, not `[..4]`: byte 4 may fall inside a character ("Fr\u{fffd}n...").
        let s = match s.get(..4) {
            Some(scheme) if scheme.eq_ignore_ascii_case("sip:") => &s[4..],
            _ => s,
        };
        let s = s.to_ascii_lowercase();
        let (local, domain) = s.split_once('@').ok_or(SipProblem::InvalidUri)?;
        if !is_valid_local_part(local) || !is_valid_domain(domain) || s.len() > MAX_TOTAL {
            return Err(SipProblem::InvalidUri);
        }
        Ok(SipUri(s))
    }

    /// The address without scheme, `user@domain`.
    pub fn address(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sip:{}", self.0)
    }
}

impl TryFrom<String> for SipUri {
    type Error = SipProblem;
    fn try_from(s: String) -> Result<Self, SipProblem> {
        SipUri::parse(&s)
    }
}

impl From<SipUri> for String {
    fn from(u: SipUri) -> String {
        u.0
    }
}

/// Local part: ASCII letters, digits and `. _ - + '`; no leading, trailing or doubled dot.
fn is_valid_local_part(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= MAX_LOCAL
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+'".contains(&b))
}

/// A DNS name of at least two labels of letters, digits and inner hyphens.
pub fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// Folds one name part to the characters a SIP local part may hold (see the module rule).
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.chars().flat_map(char::to_lowercase) {
        match ch {
            // Spellings that German and French addresses use, and letters that do not decompose.
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'ł' => out.push('l'),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            'ı' => out.push('i'),
            // Everything else: canonical decomposition, keeping the ASCII base letter and
            // dropping the combining marks (é → e + ◌́ → e). Non-Latin letters have no ASCII
            // base and are dropped, as are apostrophes, spaces and dots.
            _ => out.extend(
                std::iter::once(ch)
                    .nfd()
                    .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'),
            ),
        }
    }
    // Hyphens only join letters: "--", leading and trailing hyphens would look like typos.
    let parts: Vec<&str> = out.split('-').filter(|p| !p.is_empty()).collect();
    parts.join("-")
}

/// `firstname.lastname@domain` from a given name and surname; either may be missing, not both.
pub fn from_names(given: &str, surname: &str, domain: &str) -> Result<SipUri, SipProblem> {
    if !is_valid_domain(&domain.to_ascii_lowercase()) {
        return Err(SipProblem::InvalidDomain);
    }
    let parts: Vec<String> =
        [given, surname].iter().map(|p| fold_name(p)).filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Err(SipProblem::NameNotRepresentable);
    }
    SipUri::parse(&format!("{}@{}", parts.join("."), domain)).map_err(|_| SipProblem::NameNotRepresentable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_or_without_scheme_and_lowercases() {
        let u = SipUri::parse("SIP:Jean.Dupont@Contoso.COM").unwrap();
        assert_eq!(u.address(), "jean.dupont@contoso.com");
        assert_eq!(u.to_string(), "sip:jean.dupont@contoso.com");
        assert_eq!(u.domain(), "contoso.com");
        assert_eq!(SipUri::parse("o'brien@contoso.com").unwrap().address(), "o'brien@contoso.com");
    }

    #[test]
    fn rejects_malformed_uris() {
        for bad in [
            "",
            "sip:",
            "jean",
            "@contoso.com",
            "jean@",
            "jean@contoso",
            "jean@@contoso.com",
            ".jean@contoso.com",
            "jean.@contoso.com",
            "je..an@contoso.com",
            "jean dupont@contoso.com",
            "jéan@contoso.com",
            "jean@-contoso.com",
            "jean@contoso.123",
            "jean@contoso..com",
        ] {
            assert_eq!(SipUri::parse(bad), Err(SipProblem::InvalidUri), "{bad}");
        }
        // A character across byte 4 is an invalid URI, not a panic (found by fuzz/ sip_uri).
        assert_eq!(SipUri::parse("Fr\u{fffd}n\u{e7}ois@x.com"), Err(SipProblem::InvalidUri));
        assert_eq!(SipUri::parse("sip\u{e9}:a@b.com"), Err(SipProblem::InvalidUri));
        let long = format!("{}@contoso.com", "a".repeat(65));
        assert!(SipUri::parse(&long).is_err());
    }

    #[test]
    fn folds_accents_umlauts_and_punctuation() {
        assert_eq!(fold_name("Hélène"), "helene");
        assert_eq!(fold_name("Müller"), "mueller");
        assert_eq!(fold_name("Strauß"), "strauss");
        assert_eq!(fold_name("Œuvrard"), "oeuvrard");
        assert_eq!(fold_name("O'Brien"), "obrien");
        assert_eq!(fold_name("Jean-Luc"), "jean-luc");
        assert_eq!(fold_name("van der Berg"), "vanderberg");
        assert_eq!(fold_name("Łukasz"), "lukasz");
        assert_eq!(fold_name("-Zoë-"), "zoe");
        assert_eq!(fold_name("Дмитрий"), "");
        assert_eq!(fold_name("李"), "");
        assert_eq!(fold_name("Ångström"), "angstroem");
        assert_eq!(fold_name("Ñúñez"), "nunez");
        assert_eq!(fold_name("Đặng"), "dang");
    }

    #[test]
    fn generates_first_dot_last() {
        let u = from_names("François", "Lefèvre", "fabrikam.com").unwrap();
        assert_eq!(u.to_string(), "sip:francois.lefevre@fabrikam.com");
        assert_eq!(from_names("", "Nguyễn", "contoso.com").unwrap().address(), "nguyen@contoso.com");
        assert_eq!(from_names("Иван", "Петров", "contoso.com"), Err(SipProblem::NameNotRepresentable));
        assert_eq!(from_names("Anna", "Berg", "not a domain"), Err(SipProblem::InvalidDomain));
    }
}
