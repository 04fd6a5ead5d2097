//! The portal's messages in the operator's language, where no reactive context is needed: the
//! pages' error panels (through `ui::common`) and the scripting API's problem details
//! (`Accept-Language`) say the same words.

use crate::domain::AppError;
use crate::domain::format::{Lang, format_count};
use crate::domain::schedule::{MAX_START_DAYS, ScheduleProblem};
use crate::domain::search::PatternProblem;
use crate::domain::topology::TopologyProblem;
use crate::i18n::*;

pub fn lang(locale: Locale) -> Lang {
    match locale {
        Locale::en => Lang::En,
        Locale::fr => Lang::Fr,
        Locale::de => Lang::De,
    }
}

/// The BCP 47 tag of a language (`Content-Language`).
pub fn language_tag(locale: Locale) -> &'static str {
    match locale {
        Locale::en => "en",
        Locale::fr => "fr",
        Locale::de => "de",
    }
}

/// The language an `Accept-Language` header prefers among the portal's (English if none).
pub fn locale_of_accept_language(header: Option<&str>) -> Locale {
    let mut best: Option<(f32, Locale)> = None;
    for part in header.unwrap_or_default().split(',') {
        let mut fields = part.split(';');
        let tag = fields.next().unwrap_or_default().trim().to_ascii_lowercase();
        let q = fields
            .find_map(|f| f.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let locale = match tag.split('-').next().unwrap_or_default() {
            "en" => Locale::en,
            "fr" => Locale::fr,
            "de" => Locale::de,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, locale));
        }
    }
    best.map(|(_, l)| l).unwrap_or(Locale::en)
}

pub fn error_message(locale: Locale, error: &AppError) -> String {
    let n = |v: u64| format_count(lang(locale), v);
    match error {
        AppError::Unauthenticated => td_string!(locale, errors.unauthenticated).to_string(),
        AppError::Forbidden => td_string!(locale, errors.forbidden).to_string(),
        AppError::CrossSiteRequest => td_string!(locale, errors.cross_site_request).to_string(),
        AppError::InvalidCredentials => td_string!(locale, errors.invalid_credentials).to_string(),
        AppError::PoolNotFound => td_string!(locale, errors.pool_not_found).to_string(),
        AppError::UserNotFound => td_string!(locale, errors.user_not_found).to_string(),
        AppError::InvalidNode => td_string!(locale, errors.invalid_node).to_string(),
        AppError::InvalidQuery => td_string!(locale, errors.invalid_query).to_string(),
        AppError::BadRequest => td_string!(locale, errors.bad_request).to_string(),
        AppError::Busy => td_string!(locale, errors.busy).to_string(),
        AppError::EmptySelection => td_string!(locale, errors.empty_selection).to_string(),
        AppError::EmptyUserList => td_string!(locale, errors.empty_user_list).to_string(),
        AppError::OutOfScope { outside } => {
            td_string!(locale, errors.out_of_scope, outside = n(*outside)).to_string()
        }
        AppError::DestinationOutOfScope => td_string!(locale, errors.destination_out_of_scope).to_string(),
        AppError::InvalidContainer { container } => {
            td_string!(locale, errors.invalid_container, container = container.clone()).to_string()
        }
        AppError::InvalidScopedRoleName => td_string!(locale, errors.invalid_scoped_role_name).to_string(),
        AppError::NotARoleTemplate => td_string!(locale, errors.not_a_role_template).to_string(),
        AppError::EmptyScope { max } => {
            td_string!(locale, errors.empty_scope, max = n(u64::from(*max))).to_string()
        }
        AppError::ScopedRoleNotFound => td_string!(locale, errors.scoped_role_not_found).to_string(),
        AppError::SelectionNotFound => td_string!(locale, errors.selection_not_found).to_string(),
        AppError::PreviewExpired => td_string!(locale, errors.preview_expired).to_string(),
        AppError::SelectionChanged => td_string!(locale, errors.selection_changed).to_string(),
        AppError::UndoNotAvailable => td_string!(locale, errors.undo_not_available).to_string(),
        AppError::NothingToUndo => td_string!(locale, errors.nothing_to_undo).to_string(),
        AppError::ApprovalExpiryInvalid { max_hours } => {
            td_string!(locale, errors.approval_expiry_invalid, max = n(u64::from(*max_hours))).to_string()
        }
        AppError::ApprovalThresholdInvalid => {
            td_string!(locale, errors.approval_threshold_invalid).to_string()
        }
        AppError::ApprovalCommentTooLong { max } => {
            td_string!(locale, errors.approval_comment_too_long, max = n(u64::from(*max))).to_string()
        }
        AppError::SelfApproval => td_string!(locale, errors.self_approval).to_string(),
        AppError::ApprovalNotFound => td_string!(locale, errors.approval_not_found).to_string(),
        AppError::ApprovalExpired => td_string!(locale, errors.approval_expired).to_string(),
        AppError::ApprovalDecided => td_string!(locale, errors.approval_decided).to_string(),
        AppError::BatchTooLarge { max } => {
            td_string!(locale, errors.batch_too_large, max = n(*max)).to_string()
        }
        AppError::UnknownUsers => td_string!(locale, errors.unknown_users).to_string(),
        AppError::AlreadyEnabled => td_string!(locale, errors.already_enabled).to_string(),
        AppError::PoolNotUsable => td_string!(locale, errors.pool_not_usable).to_string(),
        AppError::SipDomainNotConfigured => td_string!(locale, errors.sip_domain_not_configured).to_string(),
        AppError::EnhancedPresenceUnsupported => {
            td_string!(locale, errors.enhanced_presence_unsupported).to_string()
        }
        AppError::CapacityExceeded { capacity, used, adding } => td_string!(
            locale,
            errors.capacity_exceeded,
            capacity = n(*capacity),
            used = n(*used),
            adding = n(*adding)
        )
        .to_string(),
        AppError::ExportNotFound => td_string!(locale, errors.export_not_found).to_string(),
        AppError::PoolStateUnchanged => td_string!(locale, errors.pool_state_unchanged).to_string(),
        AppError::JobNotFound => td_string!(locale, errors.job_not_found).to_string(),
        AppError::JobStateConflict => td_string!(locale, errors.job_state_conflict).to_string(),
        AppError::ImportMalformed { line } => {
            td_string!(locale, errors.import_malformed, line = n(*line)).to_string()
        }
        AppError::ImportForeign => td_string!(locale, errors.import_foreign).to_string(),
        AppError::ImportInvalid { line } => {
            td_string!(locale, errors.import_invalid, line = n(*line)).to_string()
        }
        AppError::ImportUnknownUser { sip_uri } => {
            td_string!(locale, errors.import_unknown_user, sip_uri = sip_uri.clone()).to_string()
        }
        AppError::ImportNotHoldable { sip_uri } => {
            td_string!(locale, errors.import_not_holdable, sip_uri = sip_uri.clone()).to_string()
        }
        AppError::FileTooLarge { max_bytes } => {
            td_string!(locale, errors.file_too_large, megabytes = n(*max_bytes / 1_000_000)).to_string()
        }
        AppError::InvalidSipPattern { problem } => match problem {
            PatternProblem::TooLong => td_string!(locale, errors.sip_pattern_too_long).to_string(),
            PatternProblem::Character => td_string!(locale, errors.sip_pattern_character).to_string(),
            PatternProblem::SeveralAts => td_string!(locale, errors.sip_pattern_several_ats).to_string(),
        },
        AppError::UnknownFilterValue { field } => {
            td_string!(locale, errors.unknown_filter_value, filter = filter_name(locale, field)).to_string()
        }
        AppError::InvalidQueryName => td_string!(locale, errors.invalid_query_name).to_string(),
        AppError::SavedQueryNotFound => td_string!(locale, errors.saved_query_not_found).to_string(),
        AppError::SavedQueryNameTaken => td_string!(locale, errors.saved_query_name_taken).to_string(),
        AppError::NothingToChange => td_string!(locale, errors.nothing_to_change).to_string(),
        AppError::UnknownMeetingPolicy => td_string!(locale, errors.unknown_meeting_policy).to_string(),
        AppError::InvalidAuditFilter => td_string!(locale, errors.invalid_audit_filter).to_string(),
        AppError::AuditEventNotFound => td_string!(locale, errors.audit_event_not_found).to_string(),
        AppError::OrganizationNotFound => td_string!(locale, errors.organization_not_found).to_string(),
        AppError::AlertNotFound => td_string!(locale, errors.alert_not_found).to_string(),
        AppError::AlertAlreadySent => td_string!(locale, errors.alert_already_sent).to_string(),
        AppError::NotInOrganization => td_string!(locale, errors.not_in_organization).to_string(),
        AppError::CsvMalformed { line } => {
            td_string!(locale, errors.csv_malformed, line = n(*line)).to_string()
        }
        AppError::CsvHeader => td_string!(locale, errors.csv_header).to_string(),
        AppError::TopologyInvalid { line, problem } => {
            let problem = topology_problem(locale, *problem);
            td_string!(locale, errors.topology_invalid, line = n(*line), problem).to_string()
        }
        AppError::TopologyMissing { name, users } => {
            td_string!(locale, errors.topology_missing, name = name.clone(), users = n(*users)).to_string()
        }
        AppError::PoolInvalid { problem } => topology_problem(locale, *problem),
        AppError::InvalidSchedule { problem } => schedule_problem(locale, *problem),
        AppError::DirectoryUnavailable => td_string!(locale, errors.directory_unavailable).to_string(),
        AppError::DirectoryNotConfigured => td_string!(locale, errors.directory_not_configured).to_string(),
        AppError::TooManySignInAttempts { retry_after } => {
            let wait = crate::domain::format::format_duration(*retry_after);
            td_string!(locale, errors.too_many_sign_in_attempts, wait).to_string()
        }
        AppError::StepUpFailed => td_string!(locale, errors.step_up_failed).to_string(),
        AppError::RequestTooLarge { max_bytes } => {
            td_string!(locale, errors.request_too_large, megabytes = n(max_bytes.div_ceil(1_000_000)))
                .to_string()
        }
        AppError::TextTooLong { max } => td_string!(locale, errors.text_too_long, max = n(*max)).to_string(),
        AppError::OperatorNotFound => td_string!(locale, errors.operator_not_found).to_string(),
        AppError::SessionNotFound => td_string!(locale, errors.session_not_found).to_string(),
        AppError::CannotDisableSelf => td_string!(locale, errors.cannot_disable_self).to_string(),
        AppError::CannotDeleteSelf => td_string!(locale, errors.cannot_delete_self).to_string(),
        AppError::DirectoryAccount => td_string!(locale, errors.directory_account).to_string(),
        AppError::DirectorySyncRunning => td_string!(locale, errors.directory_sync_running).to_string(),
        AppError::LastAdministrator => td_string!(locale, errors.last_administrator).to_string(),
        AppError::WeakPassword { min } => td_string!(locale, errors.weak_password, min = n(*min)).to_string(),
        AppError::PasswordIsName => td_string!(locale, errors.password_is_name).to_string(),
        AppError::OperatorNameTaken => td_string!(locale, errors.operator_name_taken).to_string(),
        AppError::AdministratorExists => td_string!(locale, errors.administrator_exists).to_string(),
        AppError::DemoDeployment => td_string!(locale, errors.demo_deployment).to_string(),
        AppError::PasswordChangeRequired => td_string!(locale, errors.password_change_required).to_string(),
        AppError::PasswordUnchanged => td_string!(locale, errors.password_unchanged).to_string(),
        AppError::PasswordsDiffer => td_string!(locale, errors.passwords_differ).to_string(),
        AppError::CompanyDeployment => td_string!(locale, errors.company_deployment).to_string(),
        AppError::BackupFailed => td_string!(locale, errors.backup_failed).to_string(),
        AppError::BackupWithPgDump => td_string!(locale, errors.backup_with_pg_dump).to_string(),
        AppError::CopyTargetNotEmpty => td_string!(locale, errors.copy_target_not_empty).to_string(),
        AppError::CopyMismatch { table, source_rows, target_rows } => td_string!(
            locale,
            errors.copy_mismatch,
            table = table,
            source_rows = source_rows,
            target_rows = target_rows
        )
        .to_string(),
        AppError::BackupNotFound => td_string!(locale, errors.backup_not_found).to_string(),
        AppError::Network => td_string!(locale, errors.network).to_string(),
        AppError::ApiTokenRequired => td_string!(locale, errors.api_token_required).to_string(),
        AppError::ApiTokenUnknown => td_string!(locale, errors.api_token_unknown).to_string(),
        AppError::ApiTokenExpired => td_string!(locale, errors.api_token_expired).to_string(),
        AppError::ApiTokenRevoked => td_string!(locale, errors.api_token_revoked).to_string(),
        AppError::ApiTokenOwnerDisabled => td_string!(locale, errors.api_token_owner_disabled).to_string(),
        AppError::ApiTokenScope => td_string!(locale, errors.api_token_scope).to_string(),
        AppError::ApiTokenNameInvalid { max } => {
            td_string!(locale, errors.api_token_name_invalid, max = n(*max)).to_string()
        }
        AppError::ApiTokenLifetimeInvalid { max_days } => {
            td_string!(locale, errors.api_token_lifetime_invalid, max_days = n(*max_days)).to_string()
        }
        AppError::ApiTokenPermissionNotHeld => {
            td_string!(locale, errors.api_token_permission_not_held).to_string()
        }
        AppError::ApiTokenNotFound => td_string!(locale, errors.api_token_not_found).to_string(),
        AppError::TooManyRequests { retry_after } => {
            let wait = crate::domain::format::format_duration(*retry_after);
            td_string!(locale, errors.too_many_requests, wait).to_string()
        }
        AppError::InvalidJson { detail } => {
            td_string!(locale, errors.invalid_json, detail = detail.clone()).to_string()
        }
        AppError::InvalidParameters { detail } => {
            td_string!(locale, errors.invalid_parameters, detail = detail.clone()).to_string()
        }
        AppError::UnsupportedMediaType => td_string!(locale, errors.unsupported_media_type).to_string(),
        AppError::NoSuchEndpoint => td_string!(locale, errors.no_such_endpoint).to_string(),
        AppError::MethodNotAllowed => td_string!(locale, errors.method_not_allowed).to_string(),
        AppError::Internal { request_id: None } => td_string!(locale, errors.internal).to_string(),
        AppError::Internal { request_id: Some(id) } => {
            td_string!(locale, errors.internal_with_reference, reference = id.clone()).to_string()
        }
    }
}

/// Why a job's schedule cannot be used, naming the field.
pub fn schedule_problem(locale: Locale, problem: ScheduleProblem) -> String {
    match problem {
        ScheduleProblem::InvalidStart => td_string!(locale, schedule.problem_invalid_start).to_string(),
        ScheduleProblem::StartInThePast => td_string!(locale, schedule.problem_start_in_the_past).to_string(),
        ScheduleProblem::StartTooFar => {
            td_string!(locale, schedule.problem_start_too_far, days = MAX_START_DAYS).to_string()
        }
        ScheduleProblem::InvalidWindowTime => {
            td_string!(locale, schedule.problem_invalid_window_time).to_string()
        }
        ScheduleProblem::HalfAWindow => td_string!(locale, schedule.problem_half_a_window).to_string(),
        ScheduleProblem::EmptyWindow => td_string!(locale, schedule.problem_empty_window).to_string(),
        ScheduleProblem::InvalidPace => td_string!(locale, schedule.problem_invalid_pace).to_string(),
        ScheduleProblem::UnknownTimeZone => {
            td_string!(locale, schedule.problem_unknown_time_zone).to_string()
        }
        ScheduleProblem::NotForThisOperation => {
            td_string!(locale, schedule.problem_not_for_this_operation).to_string()
        }
    }
}

/// Why a pool, domain or forest of a topology cannot be used: alone on the Topology page, after
/// "Line N:" for a file.
pub fn topology_problem(locale: Locale, problem: TopologyProblem) -> String {
    let n = |v: u64| format_count(lang(locale), v);
    match problem {
        TopologyProblem::Syntax => td_string!(locale, topology.problem_syntax).to_string(),
        TopologyProblem::InvalidForest => td_string!(locale, topology.problem_forest).to_string(),
        TopologyProblem::InvalidDomain => td_string!(locale, topology.problem_domain).to_string(),
        TopologyProblem::DuplicateDomain => td_string!(locale, topology.problem_duplicate_domain).to_string(),
        TopologyProblem::NoDomain => td_string!(locale, topology.problem_no_domain).to_string(),
        TopologyProblem::InvalidFqdn => td_string!(locale, topology.problem_fqdn).to_string(),
        TopologyProblem::DuplicateFqdn => td_string!(locale, topology.problem_duplicate_fqdn).to_string(),
        TopologyProblem::InvalidKind => td_string!(locale, topology.problem_kind).to_string(),
        TopologyProblem::InvalidVersion => td_string!(locale, topology.problem_version).to_string(),
        TopologyProblem::InvalidState => td_string!(locale, topology.problem_state).to_string(),
        TopologyProblem::InvalidCapacity => td_string!(locale, topology.problem_capacity).to_string(),
        TopologyProblem::InvalidSite => td_string!(locale, topology.problem_site).to_string(),
        TopologyProblem::RemovedPool => td_string!(locale, topology.problem_removed).to_string(),
        TopologyProblem::WouldOrphan { users } => {
            td_string!(locale, topology.problem_orphan, users = n(users)).to_string()
        }
        TopologyProblem::CapacityBelowUsers { users } => {
            td_string!(locale, topology.problem_capacity_below, users = n(users)).to_string()
        }
        TopologyProblem::PoolInUse { users } => {
            td_string!(locale, topology.problem_in_use, users = n(users)).to_string()
        }
    }
}

/// The label of a search filter, by its URL name.
pub fn filter_name(locale: Locale, field: &str) -> &'static str {
    match field {
        "node" => td_string!(locale, search.scope),
        "pool" => td_string!(locale, search.f_pool),
        "version" => td_string!(locale, search.f_version),
        "ep" => td_string!(locale, search.f_enhanced_presence),
        "federation" => td_string!(locale, search.f_federation),
        "remote" => td_string!(locale, search.f_remote_access),
        "public_im" => td_string!(locale, search.f_public_im),
        "archiving" => td_string!(locale, search.f_archiving),
        "meeting_policy" => td_string!(locale, search.f_meeting_policy),
        "telephony" => td_string!(locale, search.f_telephony),
        "account" => td_string!(locale, search.f_account_enabled),
        "container" => td_string!(locale, search.f_container),
        "department" => td_string!(locale, search.f_department),
        "unassigned" => td_string!(locale, search.f_unassigned),
        _ => td_string!(locale, search.f_unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_known_language() {
        assert_eq!(locale_of_accept_language(None), Locale::en);
        assert_eq!(locale_of_accept_language(Some("fr-CH, fr;q=0.9, en;q=0.8")), Locale::fr);
        assert_eq!(locale_of_accept_language(Some("es, de;q=0.5, en;q=0.4")), Locale::de);
        assert_eq!(locale_of_accept_language(Some("en;q=0.2, de-AT;q=0.7")), Locale::de);
        assert_eq!(locale_of_accept_language(Some("ja, *;q=0.1")), Locale::en);
        assert_eq!(locale_of_accept_language(Some("de;q=0")), Locale::en);
    }

    #[test]
    fn messages_are_translated_without_a_reactive_context() {
        let e = AppError::Forbidden;
        let texts = [Locale::en, Locale::fr, Locale::de].map(|l| error_message(l, &e));
        assert_ne!(texts[0], texts[1]);
        assert_ne!(texts[0], texts[2]);
        assert!(error_message(Locale::de, &AppError::BatchTooLarge { max: 10_000 }).contains("10"));
    }
}
