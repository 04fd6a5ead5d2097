//! A job's schedule against the clock: resolving what the operator typed in their time zone,
//! whether the maintenance window is open at an instant, when the job next may work, and when
//! it should finish. Time zones come from the IANA database bundled into the server (the
//! machine's own may be missing or older); daylight-saving changes are the database's.

use crate::domain::AppError;
use crate::domain::schedule::{
    JobSchedule, MAX_START_DAYS, MaintenanceWindow, ScheduleProblem, ScheduleRequest, TimeOfDay, Waiting,
    ZonedInstant, chunk_interval_ms,
};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where the job engine reads the time: the system clock, or (in tests) a clock that stands
/// still until it is set, so that windows open and close when a test says.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(&'static AtomicI64),
}

impl Clock {
    /// A clock standing at `ms` (Unix milliseconds) until set again. Its time lives as long as
    /// the process: a test's clock is small, and settings holding it stay `Copy`.
    pub fn manual(ms: i64) -> Clock {
        Clock::Manual(Box::leak(Box::new(AtomicI64::new(ms))))
    }

    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => crate::server::now_ms(),
            Clock::Manual(at) => at.load(Ordering::SeqCst),
        }
    }

    /// Sets a manual clock; the system clock cannot be set.
    pub fn set_ms(&self, ms: i64) {
        if let Clock::Manual(at) = self {
            at.store(ms, Ordering::SeqCst);
        }
    }
}

fn invalid(problem: ScheduleProblem) -> AppError {
    AppError::InvalidSchedule { problem }
}

/// The time zone of this IANA name; `UTC` for an empty one.
pub fn zone(name: &str) -> Result<TimeZone, AppError> {
    match name.trim() {
        "" | "UTC" => Ok(TimeZone::UTC),
        name => TimeZone::get(name).map_err(|_| invalid(ScheduleProblem::UnknownTimeZone)),
    }
}

fn zone_or_utc(name: &str) -> TimeZone {
    zone(name).unwrap_or(TimeZone::UTC)
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Checks what the operator asked and resolves its times; `None` when nothing was asked.
pub fn resolve(request: &ScheduleRequest, now_ms: i64) -> Result<Option<JobSchedule>, AppError> {
    if request.is_empty() {
        return Ok(None);
    }
    let tz = zone(request.zone_name())?;
    let start_at_ms = match request.start_at.trim() {
        "" => None,
        text => {
            let local: DateTime = text.parse().map_err(|_| invalid(ScheduleProblem::InvalidStart))?;
            let at = local.to_zoned_datetime(tz).map_err(|_| invalid(ScheduleProblem::InvalidStart))?;
            let at = at.timestamp().as_millisecond();
            if at <= now_ms {
                return Err(invalid(ScheduleProblem::StartInThePast));
            }
            if at - now_ms > MAX_START_DAYS * 86_400_000 {
                return Err(invalid(ScheduleProblem::StartTooFar));
            }
            Some(at)
        }
    };
    let window = match (request.window_opens.trim(), request.window_closes.trim()) {
        ("", "") => None,
        ("", _) | (_, "") => return Err(invalid(ScheduleProblem::HalfAWindow)),
        (opens, closes) => Some(
            MaintenanceWindow::new(
                TimeOfDay::parse(opens).map_err(invalid)?,
                TimeOfDay::parse(closes).map_err(invalid)?,
            )
            .map_err(invalid)?,
        ),
    };
    let chunk_interval_ms = match request.pace.trim() {
        "" => None,
        pace => Some(chunk_interval_ms(pace).map_err(invalid)?),
    };
    Ok(Some(JobSchedule {
        start_at_ms,
        window,
        chunk_interval_ms,
        time_zone: request.zone_name().to_string(),
        chunk_users: 0,
    }))
}

/// Whether a job may work at an instant, as its window says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowNow {
    /// No window: any time.
    Always,
    Open {
        closes_at_ms: i64,
    },
    Closed {
        opens_at_ms: i64,
    },
}

/// The first instant after `after_ms` at which the wall clock in `tz` reads `time`. A reading a
/// daylight-saving change skips is taken as the instant after the gap.
fn next_reading(tz: &TimeZone, after_ms: i64, time: TimeOfDay) -> i64 {
    let local = timestamp(after_ms).to_zoned_datetime(tz.clone());
    let mut day: Date = local.date();
    for _ in 0..3 {
        let at = day
            .at(time.hours() as i8, time.minutes() as i8, 0, 0)
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp().as_millisecond());
        if let Ok(at) = at
            && at > after_ms
        {
            return at;
        }
        day = day.tomorrow().unwrap_or(day);
    }
    after_ms + 86_400_000
}

pub fn window_now(schedule: &JobSchedule, now_ms: i64) -> WindowNow {
    let Some(window) = &schedule.window else {
        return WindowNow::Always;
    };
    let tz = zone_or_utc(&schedule.time_zone);
    let local = timestamp(now_ms).to_zoned_datetime(tz.clone());
    let reading = TimeOfDay(local.hour() as u16 * 60 + local.minute() as u16);
    if window.holds(reading) {
        WindowNow::Open { closes_at_ms: next_reading(&tz, now_ms, window.closes) }
    } else {
        WindowNow::Closed { opens_at_ms: next_reading(&tz, now_ms, window.opens) }
    }
}

/// What a job with this schedule waits for at `now_ms`, and until when; `None` if it may work.
pub fn waiting(schedule: &JobSchedule, now_ms: i64) -> Option<(Waiting, i64)> {
    if let Some(start) = schedule.start_at_ms.filter(|start| *start > now_ms) {
        // The window, if any, is looked at when the start comes.
        let start = match window_now(schedule, start) {
            WindowNow::Closed { opens_at_ms } => opens_at_ms,
            _ => start,
        };
        return Some((Waiting::Start, start));
    }
    match window_now(schedule, now_ms) {
        WindowNow::Closed { opens_at_ms } => Some((Waiting::Window, opens_at_ms)),
        _ => None,
    }
}

/// When `work_ms` of work started at `from_ms` ends, counting only the time inside the window.
pub fn finishes_at(schedule: Option<&JobSchedule>, from_ms: i64, work_ms: i64) -> i64 {
    let Some(schedule) = schedule else {
        return from_ms + work_ms;
    };
    let (mut at, mut left) = (from_ms, work_ms.max(0));
    // A window is open at least a minute a day: a year of days bounds the walk.
    for _ in 0..800 {
        match window_now(schedule, at) {
            WindowNow::Always => return at + left,
            WindowNow::Open { closes_at_ms } => {
                if at + left <= closes_at_ms {
                    return at + left;
                }
                left -= closes_at_ms - at;
                at = closes_at_ms;
            }
            WindowNow::Closed { opens_at_ms } => at = opens_at_ms,
        }
    }
    at + left
}

/// An instant with its wall-clock reading in a zone, for the browser to show.
pub fn zoned(ms: i64, zone_name: &str) -> ZonedInstant {
    let tz = zone_or_utc(zone_name);
    let at = timestamp(ms).to_zoned_datetime(tz);
    let seconds = ms.div_euclid(1000);
    ZonedInstant {
        at: seconds,
        local: seconds + i64::from(at.offset().seconds()),
        zone: zone_name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix milliseconds of a wall-clock reading in a zone.
    fn at(zone_name: &str, text: &str) -> i64 {
        let local: DateTime = text.parse().unwrap();
        local.to_zoned_datetime(zone(zone_name).unwrap()).unwrap().timestamp().as_millisecond()
    }

    fn ask(start: &str, opens: &str, closes: &str, pace: &str, zone: &str) -> ScheduleRequest {
        ScheduleRequest {
            start_at: start.into(),
            window_opens: opens.into(),
            window_closes: closes.into(),
            pace: pace.into(),
            time_zone: zone.into(),
        }
    }

    fn night_in_paris() -> JobSchedule {
        resolve(&ask("", "22:00", "05:00", "", "Europe/Paris"), 0).unwrap().unwrap()
    }

    #[test]
    fn a_request_is_resolved_in_its_time_zone_or_refused_with_its_reason() {
        let now = at("Europe/Paris", "2026-12-07T15:00");
        let schedule =
            resolve(&ask("2026-12-07T22:30", "22:00", "05:00", "0,5", "Europe/Paris"), now).unwrap().unwrap();
        // Paris is UTC+1 in December.
        assert_eq!(schedule.start_at_ms, Some(at("UTC", "2026-12-07T21:30")));
        assert_eq!(schedule.chunk_interval_ms, Some(2_000));
        assert_eq!(schedule.window.as_ref().map(|w| (w.opens.0, w.closes.0)), Some((22 * 60, 5 * 60)));
        assert_eq!(resolve(&ask("", "", "", "", "Europe/Paris"), now), Ok(None), "nothing asked");
        let refused = |request: ScheduleRequest| match resolve(&request, now) {
            Err(AppError::InvalidSchedule { problem }) => problem,
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(ask("tomorrow", "", "", "", "UTC")), ScheduleProblem::InvalidStart);
        assert_eq!(
            refused(ask("2026-12-07T14:00", "", "", "", "Europe/Paris")),
            ScheduleProblem::StartInThePast
        );
        assert_eq!(refused(ask("2027-06-07T14:00", "", "", "", "UTC")), ScheduleProblem::StartTooFar);
        assert_eq!(refused(ask("", "22:00", "", "", "UTC")), ScheduleProblem::HalfAWindow);
        assert_eq!(refused(ask("", "22:00", "22:00", "", "UTC")), ScheduleProblem::EmptyWindow);
        assert_eq!(refused(ask("", "25:00", "05:00", "", "UTC")), ScheduleProblem::InvalidWindowTime);
        assert_eq!(refused(ask("", "", "", "0", "UTC")), ScheduleProblem::InvalidPace);
        assert_eq!(refused(ask("", "", "", "1", "Mars/Olympus_Mons")), ScheduleProblem::UnknownTimeZone);
    }

    #[test]
    fn a_night_window_is_open_from_its_opening_to_its_closing_in_local_time() {
        let night = night_in_paris();
        let paris = |text| at("Europe/Paris", text);
        assert_eq!(
            window_now(&night, paris("2026-12-07T15:00")),
            WindowNow::Closed { opens_at_ms: paris("2026-12-07T22:00") }
        );
        assert_eq!(
            window_now(&night, paris("2026-12-07T23:10")),
            WindowNow::Open { closes_at_ms: paris("2026-12-08T05:00") }
        );
        assert_eq!(
            window_now(&night, paris("2026-12-08T04:59")),
            WindowNow::Open { closes_at_ms: paris("2026-12-08T05:00") }
        );
        assert_eq!(
            window_now(&night, paris("2026-12-08T05:00")),
            WindowNow::Closed { opens_at_ms: paris("2026-12-08T22:00") }
        );
    }

    #[test]
    fn the_window_follows_daylight_saving_time() {
        let night = night_in_paris();
        // On 29 March 2026 Paris goes from UTC+1 to UTC+2: 22:00 that evening is 20:00 UTC.
        let before = at("UTC", "2026-03-29T12:00");
        assert_eq!(
            window_now(&night, before),
            WindowNow::Closed { opens_at_ms: at("UTC", "2026-03-29T20:00") }
        );
        let early = resolve(&ask("", "02:00", "04:00", "", "Europe/Paris"), 0).unwrap().unwrap();
        // 02:00 does not exist that night; the window opens when the clock jumps to 03:00.
        assert_eq!(
            window_now(&early, at("UTC", "2026-03-28T23:00")),
            WindowNow::Closed { opens_at_ms: at("UTC", "2026-03-29T01:00") }
        );
    }

    #[test]
    fn a_scheduled_job_waits_for_its_start_then_for_its_window() {
        let paris = |text| at("Europe/Paris", text);
        let mut schedule = night_in_paris();
        schedule.start_at_ms = Some(paris("2026-12-07T18:00"));
        assert_eq!(
            waiting(&schedule, paris("2026-12-07T15:00")),
            Some((Waiting::Start, paris("2026-12-07T22:00"))),
            "the start falls outside the window: the job starts when it opens"
        );
        assert_eq!(
            waiting(&schedule, paris("2026-12-07T19:00")),
            Some((Waiting::Window, paris("2026-12-07T22:00")))
        );
        assert_eq!(waiting(&schedule, paris("2026-12-07T22:00")), None);
        schedule.window = None;
        assert_eq!(
            waiting(&schedule, paris("2026-12-07T15:00")),
            Some((Waiting::Start, paris("2026-12-07T18:00")))
        );
        assert_eq!(waiting(&schedule, paris("2026-12-07T18:00")), None);
    }

    #[test]
    fn the_finish_counts_only_the_time_inside_the_window() {
        let paris = |text| at("Europe/Paris", text);
        let night = night_in_paris();
        let hour = 3_600_000;
        // 10 hours of work from 23:00: 6 hours tonight, 4 the next night from 22:00.
        assert_eq!(
            finishes_at(Some(&night), paris("2026-12-07T23:00"), 10 * hour),
            paris("2026-12-09T02:00")
        );
        // Started in the day, it waits for the evening.
        assert_eq!(finishes_at(Some(&night), paris("2026-12-07T12:00"), hour), paris("2026-12-07T23:00"));
        assert_eq!(finishes_at(None, 1_000, 500), 1_500);
    }

    #[test]
    fn an_instant_is_shown_with_its_wall_clock_reading() {
        let shown = zoned(at("UTC", "2026-12-07T21:00"), "Europe/Paris");
        assert_eq!(shown.local - shown.at, 3_600, "Paris is an hour ahead of UTC in winter");
        assert_eq!(shown.zone, "Europe/Paris");
    }

    #[test]
    fn a_manual_clock_stands_still_until_set() {
        let clock = Clock::manual(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        clock.set_ms(5_000);
        let copy = clock;
        assert_eq!(copy.now_ms(), 5_000, "copies share the time");
    }
}
