//! Enabling directory users for the communications service: how each user's SIP URI is made,
//! and which users of a batch can be enabled (the preview the operator sees before anything
//! changes). Pure rules; the server adds what only the database knows (URIs already taken).

use super::pool::{Pool, PoolId};
use super::sip::{self, SipProblem, SipUri};
use super::user::{DirectoryAttributes, DirectoryUser, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Largest number of users one enable run takes.
pub const MAX_BATCH: usize = 20_000;

/// Where a new SIP URI comes from (the four options of the Enable Users wizard).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SipAddressSource {
    /// The user's e-mail address (the default).
    #[default]
    Email,
    /// The user principal name.
    UserPrincipalName,
    /// `firstname.lastname@` a configured SIP domain.
    FirstLastAtDomain,
    /// `sAMAccountName@` a configured SIP domain.
    SamAccountNameAtDomain,
}

impl SipAddressSource {
    pub const ALL: [SipAddressSource; 4] = [
        SipAddressSource::Email,
        SipAddressSource::UserPrincipalName,
        SipAddressSource::FirstLastAtDomain,
        SipAddressSource::SamAccountNameAtDomain,
    ];

    /// The last two options take a SIP domain chosen in the wizard.
    pub fn needs_domain(self) -> bool {
        matches!(self, SipAddressSource::FirstLastAtDomain | SipAddressSource::SamAccountNameAtDomain)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SipAddressSource::Email => "email",
            SipAddressSource::UserPrincipalName => "user_principal_name",
            SipAddressSource::FirstLastAtDomain => "first_last_at_domain",
            SipAddressSource::SamAccountNameAtDomain => "sam_account_name_at_domain",
        }
    }
}

/// What the operator chose in the wizard.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnableOptions {
    pub pool: PoolId,
    pub source: SipAddressSource,
    /// Required by the options that need a domain; ignored by the others.
    pub sip_domain: Option<String>,
    pub enhanced_presence: bool,
}

/// Why one user of a batch cannot be enabled.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnableProblem {
    MissingEmail,
    MissingUserPrincipalName,
    NameNotRepresentable,
    InvalidUri,
    /// Another enabled user already has this SIP URI.
    DuplicateOfEnabledUser,
    /// Another user of this batch would get the same SIP URI.
    DuplicateInBatch,
    AccountDisabled,
}

impl EnableProblem {
    pub const ALL: [EnableProblem; 7] = [
        EnableProblem::MissingEmail,
        EnableProblem::MissingUserPrincipalName,
        EnableProblem::NameNotRepresentable,
        EnableProblem::InvalidUri,
        EnableProblem::DuplicateOfEnabledUser,
        EnableProblem::DuplicateInBatch,
        EnableProblem::AccountDisabled,
    ];

    pub fn parse(code: &str) -> Option<EnableProblem> {
        EnableProblem::ALL.into_iter().find(|p| p.as_str() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EnableProblem::MissingEmail => "missing_email",
            EnableProblem::MissingUserPrincipalName => "missing_user_principal_name",
            EnableProblem::NameNotRepresentable => "name_not_representable",
            EnableProblem::InvalidUri => "invalid_uri",
            EnableProblem::DuplicateOfEnabledUser => "duplicate_of_enabled_user",
            EnableProblem::DuplicateInBatch => "duplicate_in_batch",
            EnableProblem::AccountDisabled => "account_disabled",
        }
    }
}

impl From<SipProblem> for EnableProblem {
    fn from(p: SipProblem) -> Self {
        match p {
            SipProblem::MissingEmail => EnableProblem::MissingEmail,
            SipProblem::MissingUserPrincipalName => EnableProblem::MissingUserPrincipalName,
            SipProblem::NameNotRepresentable => EnableProblem::NameNotRepresentable,
            SipProblem::InvalidUri | SipProblem::InvalidDomain => EnableProblem::InvalidUri,
        }
    }
}

/// The SIP URI a user would get. `domain` is used by the options that need one.
pub fn generate_uri(
    source: SipAddressSource,
    domain: Option<&str>,
    user: &DirectoryAttributes,
) -> Result<SipUri, SipProblem> {
    match source {
        SipAddressSource::Email => match user.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(email) => SipUri::parse(email),
            None => Err(SipProblem::MissingEmail),
        },
        SipAddressSource::UserPrincipalName => {
            match Some(user.user_principal_name.trim()).filter(|u| !u.is_empty()) {
                Some(upn) => SipUri::parse(upn),
                None => Err(SipProblem::MissingUserPrincipalName),
            }
        }
        SipAddressSource::FirstLastAtDomain => {
            sip::from_names(&user.given_name, &user.surname, domain.ok_or(SipProblem::InvalidDomain)?)
        }
        SipAddressSource::SamAccountNameAtDomain => {
            let domain = domain.ok_or(SipProblem::InvalidDomain)?;
            if !sip::is_valid_domain(&domain.to_ascii_lowercase()) {
                return Err(SipProblem::InvalidDomain);
            }
            SipUri::parse(&format!("{}@{domain}", user.sam_account_name.trim()))
        }
    }
}

/// One line of the preview, and later of the results.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedUser {
    pub id: UserId,
    pub object_guid: String,
    pub display_name: String,
    /// The URI the user would get (also shown for duplicates, so the operator sees the clash).
    pub sip_uri: Option<SipUri>,
    pub problem: Option<EnableProblem>,
}

impl PlannedUser {
    pub fn can_enable(&self) -> bool {
        self.problem.is_none() && self.sip_uri.is_some()
    }
}

/// Plans a batch: each user's URI and problem, in the order given. `taken` holds the URIs
/// that enabled users already have (lower-case addresses without scheme).
pub fn plan(users: &[DirectoryUser], options: &EnableOptions, taken: &HashSet<String>) -> Vec<PlannedUser> {
    let domain = options.sip_domain.as_deref().filter(|_| options.source.needs_domain());
    let generated: Vec<Result<SipUri, SipProblem>> =
        users.iter().map(|u| generate_uri(options.source, domain, &u.directory)).collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for uri in generated.iter().flatten() {
        *seen.entry(uri.address()).or_insert(0) += 1;
    }
    users
        .iter()
        .zip(&generated)
        .map(|(user, uri)| {
            let problem = match uri {
                Err(p) => Some(EnableProblem::from(*p)),
                Ok(_) if !user.directory.account_enabled => Some(EnableProblem::AccountDisabled),
                Ok(u) if taken.contains(u.address()) => Some(EnableProblem::DuplicateOfEnabledUser),
                Ok(u) if seen.get(u.address()).copied().unwrap_or(0) > 1 => {
                    Some(EnableProblem::DuplicateInBatch)
                }
                Ok(_) => None,
            };
            PlannedUser {
                id: user.id,
                object_guid: user.directory.object_guid.clone(),
                display_name: user.directory.display_name.clone(),
                sip_uri: uri.as_ref().ok().cloned(),
                problem,
            }
        })
        .collect()
}

/// Free places of a pool after a batch, or the shortfall.
pub fn capacity_left(capacity: u32, used: u64, adding: u64) -> Result<u64, u64> {
    let capacity = u64::from(capacity);
    let after = used + adding;
    if after <= capacity { Ok(capacity - after) } else { Err(after - capacity) }
}

/// Whether users enabled on this pool may have enhanced presence.
pub fn enhanced_presence_allowed(pool: &Pool) -> bool {
    pool.version.supports_enhanced_presence()
}

/// What the wizard shows before the run.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnablePreview {
    pub pool: Pool,
    pub pool_users: u64,
    pub users: Vec<PlannedUser>,
}

impl EnablePreview {
    pub fn enableable(&self) -> u64 {
        self.users.iter().filter(|u| u.can_enable()).count() as u64
    }
}

/// The outcome of a run, per user.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnableRun {
    pub run_id: i64,
    pub pool: Pool,
    pub at: i64,
    pub users: Vec<PlannedUser>,
}

impl EnableRun {
    pub fn enabled(&self) -> u64 {
        self.users.iter().filter(|u| u.can_enable()).count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, given: &str, surname: &str, email: Option<&str>) -> DirectoryUser {
        DirectoryUser {
            id: UserId(id),
            directory: DirectoryAttributes {
                object_guid: format!("guid-{id}"),
                display_name: format!("{given} {surname}"),
                given_name: given.into(),
                surname: surname.into(),
                sam_account_name: format!("{}{}", given.chars().next().unwrap_or('x'), surname)
                    .to_lowercase(),
                user_principal_name: format!("u{id}@contoso.com"),
                email: email.map(Into::into),
                container: "OU=Test,DC=contoso,DC=com".into(),
                department: None,
                account_enabled: true,
            },
        }
    }

    fn options(source: SipAddressSource, domain: Option<&str>) -> EnableOptions {
        EnableOptions { pool: PoolId(1), source, sip_domain: domain.map(Into::into), enhanced_presence: true }
    }

    #[test]
    fn email_is_the_default_and_is_lower_cased() {
        assert_eq!(SipAddressSource::default(), SipAddressSource::Email);
        let u = user(1, "Élodie", "Fontaine", Some("Elodie.Fontaine@Contoso.com"));
        assert_eq!(
            generate_uri(SipAddressSource::Email, None, &u.directory).unwrap().to_string(),
            "sip:elodie.fontaine@contoso.com"
        );
    }

    #[test]
    fn each_option_makes_its_uri() {
        let mut u = user(7, "Jürgen", "Groß", Some("juergen.gross@contoso.com"));
        u.directory.sam_account_name = "JGross".into();
        let d = Some("fabrikam.com");
        assert_eq!(
            generate_uri(SipAddressSource::UserPrincipalName, d, &u.directory).unwrap().address(),
            "u7@contoso.com"
        );
        assert_eq!(
            generate_uri(SipAddressSource::FirstLastAtDomain, d, &u.directory).unwrap().address(),
            "juergen.gross@fabrikam.com"
        );
        assert_eq!(
            generate_uri(SipAddressSource::SamAccountNameAtDomain, d, &u.directory).unwrap().address(),
            "jgross@fabrikam.com"
        );
        // A logon name that is not ASCII cannot be a SIP local part as it is.
        u.directory.sam_account_name = "jgroß".into();
        assert_eq!(
            generate_uri(SipAddressSource::SamAccountNameAtDomain, d, &u.directory),
            Err(SipProblem::InvalidUri)
        );
        assert_eq!(
            generate_uri(SipAddressSource::SamAccountNameAtDomain, Some("bad domain"), &u.directory),
            Err(SipProblem::InvalidDomain)
        );
    }

    #[test]
    fn missing_or_unusable_sources_are_problems() {
        let no_mail = user(1, "Ana", "Lima", None);
        assert_eq!(
            generate_uri(SipAddressSource::Email, None, &no_mail.directory),
            Err(SipProblem::MissingEmail)
        );
        let cyrillic = user(2, "Дмитрий", "Иванов", Some("d.ivanov@contoso.com"));
        assert_eq!(
            generate_uri(SipAddressSource::FirstLastAtDomain, Some("contoso.com"), &cyrillic.directory),
            Err(SipProblem::NameNotRepresentable)
        );
        // The e-mail option still works for a non-Latin name.
        assert!(generate_uri(SipAddressSource::Email, None, &cyrillic.directory).is_ok());
        assert_eq!(
            generate_uri(SipAddressSource::FirstLastAtDomain, None, &cyrillic.directory),
            Err(SipProblem::InvalidDomain)
        );
        let bad_mail = user(3, "A", "B", Some("not an address"));
        assert_eq!(
            generate_uri(SipAddressSource::Email, None, &bad_mail.directory),
            Err(SipProblem::InvalidUri)
        );
    }

    #[test]
    fn plan_reports_every_problem_and_keeps_order() {
        let mut disabled = user(4, "Heike", "Bauer", Some("heike.bauer@contoso.com"));
        disabled.directory.account_enabled = false;
        let users = vec![
            user(1, "Anna", "Berg", Some("anna.berg@contoso.com")),
            user(2, "Anna", "Berg", Some("ANNA.BERG@contoso.com")),
            user(3, "Taken", "User", Some("taken@contoso.com")),
            disabled,
            user(5, "No", "Mail", None),
            user(6, "Fine", "User", Some("fine.user@contoso.com")),
        ];
        let taken: HashSet<String> = ["taken@contoso.com".to_string()].into();
        let plan = plan(&users, &options(SipAddressSource::Email, None), &taken);
        let problems: Vec<_> = plan.iter().map(|p| p.problem).collect();
        assert_eq!(
            problems,
            vec![
                Some(EnableProblem::DuplicateInBatch),
                Some(EnableProblem::DuplicateInBatch),
                Some(EnableProblem::DuplicateOfEnabledUser),
                Some(EnableProblem::AccountDisabled),
                Some(EnableProblem::MissingEmail),
                None,
            ]
        );
        assert!(plan[0].sip_uri.is_some(), "a duplicate still shows the URI it would get");
        assert!(plan[5].can_enable());
        assert_eq!(plan.iter().map(|p| p.id.0).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn domain_is_ignored_by_options_that_do_not_take_one() {
        let users = [user(1, "Zoë", "Faure", Some("zoe.faure@contoso.com"))];
        let plan = plan(&users, &options(SipAddressSource::Email, Some("fabrikam.com")), &HashSet::new());
        assert_eq!(plan[0].sip_uri.as_ref().unwrap().domain(), "contoso.com");
    }

    #[test]
    fn capacity_is_counted_with_the_batch() {
        assert_eq!(capacity_left(100, 90, 10), Ok(0));
        assert_eq!(capacity_left(100, 90, 12), Err(2));
    }
}

/// The directory browser's filter over users not yet enabled.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DirectoryQuery {
    /// Matched anywhere in the display name, logon name or e-mail address.
    pub text: String,
    pub container: Option<String>,
    pub department: Option<String>,
    pub page: u32,
    pub page_size: u32,
}

impl Default for DirectoryQuery {
    fn default() -> Self {
        DirectoryQuery { text: String::new(), container: None, department: None, page: 1, page_size: 50 }
    }
}

impl DirectoryQuery {
    pub fn validate(&self) -> Result<(), super::AppError> {
        let short = |s: &str| s.chars().count() <= 256 && !s.chars().any(char::is_control);
        let ok = self.page >= 1
            && super::paging::PAGE_SIZES.contains(&self.page_size)
            && self.text.chars().count() <= super::paging::MAX_FILTER_CHARS
            && short(&self.text)
            && self.container.as_deref().is_none_or(short)
            && self.department.as_deref().is_none_or(short);
        if ok { Ok(()) } else { Err(super::AppError::InvalidQuery) }
    }
}

/// Everything the wizard's option lists need.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnableChoices {
    pub containers: Vec<String>,
    pub departments: Vec<String>,
    pub sip_domains: Vec<String>,
    /// Active, available pools with their current user counts.
    pub pools: Vec<super::pool::PoolSummary>,
}
