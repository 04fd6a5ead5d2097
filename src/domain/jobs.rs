//! Large bulk operations (moves, deletes, configurations) run as jobs: the users are processed
//! in chunks, each chunk in its own transaction, so progress can be shown, the operator can
//! cancel between chunks, no transaction holds the write lock for long, and a restart leaves
//! every user either processed (with its data) or untouched. Pure types and rules shared with
//! the browser.

use super::AppError;
use super::moves::MoveRefusal;
use super::user::UserId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId(pub i64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a job does to each of its users.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Move (or force move) to a destination pool.
    Move,
    /// Delete the users' server data and enablement.
    Delete,
    /// Change the users' settings.
    Configure,
    /// Move users (and their households) to another organization.
    OrgMove,
    /// Put the users of an earlier change back as they were before it.
    Undo,
}

impl JobKind {
    pub const ALL: [JobKind; 5] =
        [JobKind::Move, JobKind::Delete, JobKind::Configure, JobKind::OrgMove, JobKind::Undo];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Move => "move",
            JobKind::Delete => "delete",
            JobKind::Configure => "configure",
            JobKind::OrgMove => "org_move",
            JobKind::Undo => "undo",
        }
    }

    /// The audit operation of an event in a job's life (`cancel`, `resume`, `end`).
    pub fn audit_operation(self, step: &str) -> String {
        format!("{}_job_{step}", self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        JobKind::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Moving chunk after chunk.
    Running,
    /// Every user was processed.
    Completed,
    /// The operator cancelled: the users processed so far are moved, the rest stay put.
    Cancelled,
    /// The server stopped while the job ran; the users processed so far are moved. Resumable.
    Interrupted,
    /// A chunk failed (and was rolled back as a whole). Resumable once the cause is fixed.
    Failed,
    /// Waiting for its start time; nothing processed yet.
    Scheduled,
    /// Waiting for its maintenance window to open again; resumes by itself.
    Paused,
}

impl JobState {
    pub const ALL: [JobState; 7] = [
        JobState::Running,
        JobState::Completed,
        JobState::Cancelled,
        JobState::Interrupted,
        JobState::Failed,
        JobState::Scheduled,
        JobState::Paused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
            JobState::Failed => "failed",
            JobState::Scheduled => "scheduled",
            JobState::Paused => "paused",
        }
    }

    /// Whether an operator can start the job again (a waiting one: at once).
    pub fn resumable(self) -> bool {
        matches!(self, JobState::Interrupted | JobState::Failed | JobState::Scheduled | JobState::Paused)
    }

    /// Waiting for its start or its window: the schedule keeper takes it up by itself.
    pub fn waiting(self) -> bool {
        matches!(self, JobState::Scheduled | JobState::Paused)
    }

    /// Nothing more happens to the job unless an operator acts.
    pub fn finished(self) -> bool {
        !matches!(self, JobState::Running | JobState::Scheduled | JobState::Paused)
    }
}

impl FromStr for JobState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        JobState::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

/// A job as the job page shows it. `moved` counts the users the job changed (moved, deleted or
/// configured), `refused` those it left alone (refused or skipped); `data_lost` is, for a
/// delete, the items deleted.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub operator_name: String,
    /// A move's destination pool; empty for other kinds.
    pub destination_fqdn: String,
    pub force: bool,
    pub state: JobState,
    pub cancel_requested: bool,
    /// Why the job failed, when it did.
    pub error: Option<AppError>,
    pub total: u64,
    /// Users processed (moved or refused), in the order of the preview.
    pub done: u64,
    pub moved: u64,
    pub refused: u64,
    pub data_kept: u64,
    pub data_lost: u64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// Seconds the current run (first start or last resume) has been going, and how many users
    /// it has processed: the basis of the estimate of time left.
    pub run_seconds: u64,
    pub run_done: u64,
    /// The portal (replica) that runs or last ran the job, when several share the database.
    pub runner: Option<String>,
    /// The job's audit event: the change an undo of this job names.
    pub event_id: i64,
    /// An undo job: the change it undoes.
    pub undo_of: Option<super::undo::UndoOf>,
    /// When and how fast it runs, if the operator said.
    pub schedule: Option<super::schedule::JobSchedule>,
    /// A scheduled or paused job: when it starts or resumes.
    pub wakes_at: Option<super::schedule::ZonedInstant>,
    /// When a scheduled, paused or windowed job should be done, at the rate it ran (or its
    /// pace), counting only the time inside its window.
    pub finishes_about: Option<super::schedule::ZonedInstant>,
}

impl Job {
    pub fn remaining_seconds(&self) -> Option<u64> {
        (self.state == JobState::Running)
            .then(|| {
                estimate_remaining(self.run_seconds, self.run_done, self.total - self.done.min(self.total))
            })
            .flatten()
    }
}

/// Time left at the rate of the current run so far; `None` until there is a rate to go by.
pub fn estimate_remaining(elapsed_seconds: u64, done_in_run: u64, remaining: u64) -> Option<u64> {
    if remaining == 0 {
        return Some(0);
    }
    if done_in_run == 0 || elapsed_seconds == 0 {
        return None;
    }
    // Rounded up: "less than a minute" should not read as zero while work remains.
    Some((elapsed_seconds * remaining).div_ceil(done_in_run))
}

/// What happened to one user of a job.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "reason")]
pub enum JobUserOutcome {
    /// Not processed (yet, or ever: the job was cancelled or stopped first). Untouched.
    Pending,
    Moved,
    Refused(MoveRefusal),
    Deleted,
    Configured,
    /// Left unchanged by a configuration, with the reason.
    Skipped(super::configure::ConfigureSkip),
    /// Put back as before the change an undo undoes.
    Restored,
    /// Left as they are by an undo, with the reason.
    NotRestored(super::undo::UndoSkip),
}

impl JobUserOutcome {
    /// The stored form: outcome and reason.
    pub fn stored(self) -> (Option<&'static str>, Option<&'static str>) {
        match self {
            JobUserOutcome::Pending => (None, None),
            JobUserOutcome::Moved => (Some("moved"), None),
            JobUserOutcome::Refused(r) => (Some("refused"), Some(r.as_str())),
            JobUserOutcome::Deleted => (Some("deleted"), None),
            JobUserOutcome::Configured => (Some("configured"), None),
            JobUserOutcome::Skipped(s) => (Some("skipped"), Some(s.as_str())),
            JobUserOutcome::Restored => (Some("restored"), None),
            JobUserOutcome::NotRestored(s) => (Some("skipped"), Some(s.as_str())),
        }
    }

    /// Reads the stored form back; an unknown reason reads as "not enabled" (the only refusal
    /// a job records outside the move rules).
    pub fn from_stored(outcome: Option<&str>, reason: Option<&str>) -> JobUserOutcome {
        match outcome {
            None => JobUserOutcome::Pending,
            Some("moved") => JobUserOutcome::Moved,
            Some("deleted") => JobUserOutcome::Deleted,
            Some("configured") => JobUserOutcome::Configured,
            Some("restored") => JobUserOutcome::Restored,
            // The reasons of a configuration and of an undo have distinct codes.
            Some("skipped") => {
                if let Some(skip) = reason.and_then(|r| r.parse::<super::configure::ConfigureSkip>().ok()) {
                    JobUserOutcome::Skipped(skip)
                } else if let Some(skip) = reason.and_then(|r| r.parse::<super::undo::UndoSkip>().ok()) {
                    JobUserOutcome::NotRestored(skip)
                } else {
                    JobUserOutcome::Refused(MoveRefusal::NotEnabled)
                }
            }
            Some(_) => JobUserOutcome::Refused(
                reason.and_then(|r| r.parse().ok()).unwrap_or(MoveRefusal::NotEnabled),
            ),
        }
    }

    /// Whether the job changed this user.
    pub fn changed(self) -> bool {
        matches!(
            self,
            JobUserOutcome::Moved
                | JobUserOutcome::Deleted
                | JobUserOutcome::Configured
                | JobUserOutcome::Restored
        )
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobUserLine {
    pub id: UserId,
    pub display_name: String,
    pub outcome: JobUserOutcome,
    pub data_kept: u64,
    pub data_lost: u64,
}

/// How many users a job left out for one reason (refused, or skipped by a configuration or an
/// undo): the job page's summary of what went wrong, most frequent first.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub outcome: JobUserOutcome,
    pub users: u64,
}

/// Which lines of a job the results table shows.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobLineFilter {
    #[default]
    All,
    Moved,
    Refused,
    Pending,
}

impl JobLineFilter {
    pub const ALL: [JobLineFilter; 4] =
        [JobLineFilter::All, JobLineFilter::Moved, JobLineFilter::Refused, JobLineFilter::Pending];

    pub fn as_str(self) -> &'static str {
        match self {
            JobLineFilter::All => "all",
            JobLineFilter::Moved => "moved",
            JobLineFilter::Refused => "refused",
            JobLineFilter::Pending => "pending",
        }
    }
}

impl FromStr for JobLineFilter {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        JobLineFilter::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

/// Lines per page of a job's results.
pub const JOB_LINES_PER_PAGE: u32 = 100;

/// What a wizard gets back when it confirms: the finished operation, or the job running it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Started<T> {
    Done(T),
    Job(JobId),
    /// Held by the approval policy: waiting for a second operator.
    Requested(super::approval::ApprovalId),
}

pub type MoveStarted = Started<super::moves::MoveRun>;
pub type DeleteStarted = Started<super::delete::DeleteRun>;
pub type ConfigureStarted = Started<super::configure::ConfigureRun>;
pub type EnableStarted = Started<super::enable::EnableRun>;
pub type OrgMoveStarted = Started<super::org::OrgMoveRun>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_follows_the_rate_of_the_current_run() {
        assert_eq!(estimate_remaining(10, 1_000, 9_000), Some(90));
        assert_eq!(estimate_remaining(3, 1_000, 1), Some(1), "rounded up while work remains");
        assert_eq!(estimate_remaining(0, 0, 500), None, "no rate yet");
        assert_eq!(estimate_remaining(5, 0, 500), None);
        assert_eq!(estimate_remaining(5, 10, 0), Some(0));
    }

    #[test]
    fn only_stopped_jobs_resume() {
        for state in JobState::ALL {
            assert_eq!(
                state.resumable(),
                matches!(
                    state,
                    JobState::Interrupted | JobState::Failed | JobState::Scheduled | JobState::Paused
                )
            );
            assert_eq!(state.as_str().parse(), Ok(state));
        }
        assert!(!JobState::Running.finished());
        assert!(JobState::Cancelled.finished());
        assert!(!JobState::Scheduled.finished() && !JobState::Paused.finished(), "they go on by themselves");
        assert!(JobState::Paused.waiting() && !JobState::Interrupted.waiting());
    }

    #[test]
    fn a_running_job_estimates_only_while_it_runs() {
        let mut job = Job {
            id: JobId(1),
            kind: JobKind::Move,
            operator_name: "useradmin".into(),
            destination_fqdn: "pool02.contoso.com".into(),
            force: false,
            state: JobState::Running,
            cancel_requested: false,
            error: None,
            total: 10_000,
            done: 4_000,
            moved: 4_000,
            refused: 0,
            data_kept: 0,
            data_lost: 0,
            created_at: 0,
            finished_at: None,
            run_seconds: 20,
            run_done: 2_000,
            runner: None,
            event_id: 1,
            undo_of: None,
            schedule: None,
            wakes_at: None,
            finishes_about: None,
        };
        assert_eq!(job.remaining_seconds(), Some(60));
        job.state = JobState::Interrupted;
        assert_eq!(job.remaining_seconds(), None);
    }

    #[test]
    fn outcomes_serialize_with_their_reason() {
        let refused = JobUserOutcome::Refused(MoveRefusal::NeedsForce);
        let json = serde_json::to_string(&refused).unwrap();
        assert_eq!(json, r#"{"outcome":"refused","reason":"needs_force"}"#);
        assert_eq!(serde_json::from_str::<JobUserOutcome>(&json).unwrap(), refused);
    }
}
