//! When and how fast a job runs: a start time, a maintenance window it runs inside (pausing
//! outside it and resuming in the next), and a pace (chunks per second) that spares the
//! back-end. The operator writes times as wall-clock times of a time zone (their own, as their
//! browser knows it); the server resolves them with its time-zone database, since the browser
//! bundle carries none. Pure types and the checks that need no time-zone database.

use serde::{Deserialize, Serialize};

/// What the operator asks for, as typed: every field may be empty ("now", "any time", "full
/// speed"). The server checks it and resolves it into a [`JobSchedule`].
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// Local date and time to start, `YYYY-MM-DDTHH:MM` (what `<input type=datetime-local>`
    /// gives); empty for now.
    #[serde(default)]
    pub start_at: String,
    /// The maintenance window, `HH:MM` each; both empty for any time. `22:00`–`05:00` crosses
    /// midnight.
    #[serde(default)]
    pub window_opens: String,
    #[serde(default)]
    pub window_closes: String,
    /// Chunks per second at most (`0.5`, `0,5`, `2`); empty for full speed.
    #[serde(default)]
    pub pace: String,
    /// The IANA time zone the times are in (`Europe/Paris`); empty for UTC.
    #[serde(default)]
    pub time_zone: String,
}

impl ScheduleRequest {
    /// Nothing asked: the job starts now, runs at any time, at full speed.
    pub fn is_empty(&self) -> bool {
        self.start_at.trim().is_empty()
            && self.window_opens.trim().is_empty()
            && self.window_closes.trim().is_empty()
            && self.pace.trim().is_empty()
    }

    /// The time zone asked, or UTC.
    pub fn zone_name(&self) -> &str {
        match self.time_zone.trim() {
            "" => "UTC",
            zone => zone,
        }
    }
}

/// Why a schedule cannot be used; the message names the field.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleProblem {
    /// The start is not a date and time (`YYYY-MM-DDTHH:MM`), or not one of the time zone.
    InvalidStart,
    /// The start has passed.
    StartInThePast,
    /// The start is more than [`MAX_START_DAYS`] days away.
    StartTooFar,
    /// A window time that is not `HH:MM` (00:00–23:59).
    InvalidWindowTime,
    /// Only one end of the window was given.
    HalfAWindow,
    /// A window that opens when it closes.
    EmptyWindow,
    /// Not a number of chunks per second between [`MIN_PACE`] and [`MAX_PACE`].
    InvalidPace,
    /// Not a time zone of the IANA database.
    UnknownTimeZone,
    /// This operation never runs as a job (enabling users, an undo's own schedule).
    NotForThisOperation,
}

/// How far ahead a start can be: a job is not a calendar.
pub const MAX_START_DAYS: i64 = 90;
/// The slowest pace: one chunk every 100 seconds.
pub const MIN_PACE: f64 = 0.01;
/// The fastest pace worth asking for; faster is full speed.
pub const MAX_PACE: f64 = 100.0;

/// A wall-clock time of day, in minutes after midnight.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TimeOfDay(pub u16);

impl TimeOfDay {
    /// `HH:MM` (or `H:MM`), 00:00 to 23:59.
    pub fn parse(text: &str) -> Result<TimeOfDay, ScheduleProblem> {
        let (hours, minutes) = text.trim().split_once(':').ok_or(ScheduleProblem::InvalidWindowTime)?;
        let number = |s: &str, max: u16| {
            (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u16>().ok())
                .flatten()
                .filter(|n| *n <= max)
                .ok_or(ScheduleProblem::InvalidWindowTime)
        };
        if minutes.len() != 2 {
            return Err(ScheduleProblem::InvalidWindowTime);
        }
        Ok(TimeOfDay(number(hours, 23)? * 60 + number(minutes, 59)?))
    }

    pub fn hours(self) -> u16 {
        self.0 / 60
    }

    pub fn minutes(self) -> u16 {
        self.0 % 60
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hours(), self.minutes())
    }
}

/// A daily maintenance window in a time zone: the job runs while the wall clock there is from
/// `opens` (included) to `closes` (excluded); `opens` after `closes` crosses midnight.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    pub opens: TimeOfDay,
    pub closes: TimeOfDay,
}

impl MaintenanceWindow {
    pub fn new(opens: TimeOfDay, closes: TimeOfDay) -> Result<MaintenanceWindow, ScheduleProblem> {
        if opens == closes {
            return Err(ScheduleProblem::EmptyWindow);
        }
        Ok(MaintenanceWindow { opens, closes })
    }

    /// Whether a wall-clock time of day lies inside the window.
    pub fn holds(&self, time: TimeOfDay) -> bool {
        if self.opens < self.closes {
            self.opens <= time && time < self.closes
        } else {
            time >= self.opens || time < self.closes
        }
    }
}

/// The least time between the starts of two chunks, from a pace in chunks per second (`0,5`
/// in French and German is `0.5`).
pub fn chunk_interval_ms(pace: &str) -> Result<u32, ScheduleProblem> {
    let pace: f64 = pace.trim().replace(',', ".").parse().map_err(|_| ScheduleProblem::InvalidPace)?;
    if !pace.is_finite() || !(MIN_PACE..=MAX_PACE).contains(&pace) {
        return Err(ScheduleProblem::InvalidPace);
    }
    Ok((1000.0 / pace).round() as u32)
}

/// A pace as the operator wrote it, from its interval: chunks per second, at most two decimals.
pub fn pace_of(interval_ms: u32) -> f64 {
    (100_000.0 / f64::from(interval_ms.max(1))).round() / 100.0
}

/// A schedule as checked and resolved by the server, kept with the job.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSchedule {
    /// When the job starts (Unix milliseconds); none for at once.
    pub start_at_ms: Option<i64>,
    pub window: Option<MaintenanceWindow>,
    /// The least time between the starts of two chunks; none for full speed.
    pub chunk_interval_ms: Option<u32>,
    /// The IANA time zone of the window and of the times shown.
    pub time_zone: String,
    /// Users per chunk, as the job runs (0 until the job is recorded): with the pace, the rate
    /// of a job that has not run yet.
    #[serde(default)]
    pub chunk_users: u32,
}

/// An instant with its wall-clock reading in a time zone, worked out by the server: the browser
/// formats `local` (seconds as if UTC) and names the zone.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZonedInstant {
    /// Unix seconds.
    pub at: i64,
    /// The wall-clock reading in `zone`, as Unix seconds of that reading in UTC.
    pub local: i64,
    pub zone: String,
}

/// What a preview tells of its schedule: when the job would start (none for now) and the rest
/// as it will be kept.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleSummary {
    pub schedule: JobSchedule,
    /// The first moment the job may work: its start, or the window's next opening.
    pub first_run: Option<ZonedInstant>,
}

/// Why a job is not running now although it has work left.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    /// For its start time.
    Start,
    /// For its maintenance window to open again.
    Window,
}

impl Waiting {
    pub fn as_str(self) -> &'static str {
        match self {
            Waiting::Start => "start",
            Waiting::Window => "window",
        }
    }

    pub fn parse(text: &str) -> Option<Waiting> {
        [Waiting::Start, Waiting::Window].into_iter().find(|w| w.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_hours_and_minutes() {
        assert_eq!(TimeOfDay::parse("22:00"), Ok(TimeOfDay(22 * 60)));
        assert_eq!(TimeOfDay::parse(" 5:07 "), Ok(TimeOfDay(5 * 60 + 7)));
        assert_eq!(TimeOfDay::parse("23:59").unwrap().to_string(), "23:59");
        for bad in ["", "24:00", "12:60", "12", "12:5", "+1:00", "ab:cd", "12:000", "123:00"] {
            assert_eq!(TimeOfDay::parse(bad), Err(ScheduleProblem::InvalidWindowTime), "{bad:?}");
        }
    }

    #[test]
    fn a_window_may_cross_midnight_but_not_be_empty() {
        let t = |s| TimeOfDay::parse(s).unwrap();
        let night = MaintenanceWindow::new(t("22:00"), t("05:00")).unwrap();
        assert!(night.holds(t("22:00")) && night.holds(t("23:59")) && night.holds(t("00:00")));
        assert!(night.holds(t("04:59")) && !night.holds(t("05:00")) && !night.holds(t("12:00")));
        assert!(!night.holds(t("21:59")));
        let lunch = MaintenanceWindow::new(t("12:00"), t("14:00")).unwrap();
        assert!(lunch.holds(t("12:00")) && lunch.holds(t("13:59")) && !lunch.holds(t("14:00")));
        assert!(!lunch.holds(t("11:59")));
        assert_eq!(MaintenanceWindow::new(t("03:00"), t("03:00")), Err(ScheduleProblem::EmptyWindow));
    }

    #[test]
    fn a_pace_is_chunks_per_second_with_either_decimal_mark() {
        assert_eq!(chunk_interval_ms("2"), Ok(500));
        assert_eq!(chunk_interval_ms("0.5"), Ok(2_000));
        assert_eq!(chunk_interval_ms("0,5"), Ok(2_000), "French and German write 0,5");
        assert_eq!(chunk_interval_ms("0.01"), Ok(100_000));
        assert_eq!(chunk_interval_ms("100"), Ok(10));
        for bad in ["", "0", "-1", "0.001", "101", "NaN", "inf", "two"] {
            assert_eq!(chunk_interval_ms(bad), Err(ScheduleProblem::InvalidPace), "{bad:?}");
        }
        assert_eq!(pace_of(2_000), 0.5);
        assert_eq!(pace_of(333), 3.0);
    }

    #[test]
    fn an_empty_request_asks_for_nothing() {
        assert!(ScheduleRequest::default().is_empty());
        let zone_only = ScheduleRequest { time_zone: "Europe/Paris".into(), ..Default::default() };
        assert!(zone_only.is_empty(), "a time zone alone changes nothing");
        assert_eq!(ScheduleRequest::default().zone_name(), "UTC");
        assert!(!ScheduleRequest { pace: "1".into(), ..Default::default() }.is_empty());
    }
}
