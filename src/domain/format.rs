//! Locale-aware formatting of numbers and instants, small enough to ship to the browser
//! (ICU data would add hundreds of kilobytes to the WASM bundle for three locales).

/// The portal's display languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    De,
}

/// Groups digits by thousands with the locale's separator: 12,345 / 12 345 / 12.345.
pub fn format_count(lang: Lang, value: u64) -> String {
    let separator = match lang {
        Lang::En => ',',
        // French uses a narrow no-break space between groups.
        Lang::Fr => '\u{202F}',
        Lang::De => '.',
    };
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(ch);
    }
    out
}

/// A percentage with no decimals, written as each locale writes it: 42% / 42 % / 42 %.
pub fn format_percent(lang: Lang, used: u64, of: u64) -> String {
    let pct = (used.saturating_mul(100) + of / 2).checked_div(of).unwrap_or(0);
    match lang {
        Lang::En => format!("{pct}%"),
        Lang::Fr | Lang::De => format!("{pct}\u{00A0}%"),
    }
}

/// Formats an amount of disk in the largest unit that keeps it at 1 or more (kB, MB, GB: powers
/// of 1,000), with one decimal in the locale's separator.
pub fn format_size(lang: Lang, bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let (mut tenths, mut unit) = (bytes * 10, 0);
    while tenths >= 10_000 && unit + 1 < UNITS.len() {
        tenths = (tenths + 500) / 1_000;
        unit += 1;
    }
    let separator = if lang == Lang::En { "." } else { "," };
    let number =
        if unit == 0 { format!("{bytes}") } else { format!("{}{separator}{}", tenths / 10, tenths % 10) };
    format!("{number}\u{00A0}{}", UNITS[unit])
}

/// Formats a Unix timestamp (seconds, UTC) as date and time in the locale's order.
pub fn format_instant(lang: Lang, unix_seconds: i64) -> String {
    format_reading(lang, unix_seconds, "UTC")
}

/// Formats an instant as the wall clock of its time zone reads it, naming the zone.
pub fn format_zoned(lang: Lang, instant: &super::schedule::ZonedInstant) -> String {
    format_reading(lang, instant.local, &instant.zone)
}

/// Formats a wall-clock reading (seconds, as if UTC) followed by the zone's name.
fn format_reading(lang: Lang, unix_seconds: i64, zone: &str) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm) = (secs / 3600, (secs % 3600) / 60);
    match lang {
        Lang::En => {
            const MONTHS: [&str; 12] =
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            format!("{} {d}, {y} {hh:02}:{mm:02} {zone}", MONTHS[(m - 1) as usize])
        }
        Lang::Fr => format!("{d:02}/{m:02}/{y} {hh:02}:{mm:02} {zone}"),
        Lang::De => format!("{d:02}.{m:02}.{y}, {hh:02}:{mm:02} {zone}"),
    }
}

/// A duration for "time left": `45 s`, `2 min 05 s`, `1 h 02 min`. The unit symbols are the
/// same in English, French and German; only the spacing rules differ, and they agree here.
pub fn format_duration(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3600 => format!("{} min {:02} s", seconds / 60, seconds % 60),
        _ => format!("{} h {:02} min", seconds / 3600, (seconds % 3600) / 60),
    }
}

/// A Unix timestamp as RFC 3339 in UTC, for files and logs: `2026-11-21T09:30:00Z`.
pub fn rfc3339(unix_seconds: i64) -> String {
    let (y, m, d) = civil_from_days(unix_seconds.div_euclid(86_400));
    let secs = unix_seconds.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Reads the UTC form `rfc3339` writes (`2026-11-21T09:30:00Z`); anything else is `None`.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let well_formed = b.len() == 20
        && [4, 7].iter().all(|&i| b[i] == b'-')
        && b[10] == b'T'
        && [13, 16].iter().all(|&i| b[i] == b':')
        && b[19] == b'Z';
    if !well_formed {
        return None;
    }
    let num = |range: std::ops::Range<usize>| s.get(range)?.parse::<u32>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || d == 0 || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(y), m, d);
    // Rejects 31 April and the like: the date must come back unchanged.
    (civil_from_days(days) == (i64::from(y), m, d))
        .then_some(days * 86_400 + i64::from(hh * 3600 + mm * 60 + ss))
}

/// A proleptic Gregorian (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_the_largest_unit() {
        assert_eq!(format_size(Lang::En, 512), "512\u{a0}B");
        assert_eq!(format_size(Lang::En, 1_000), "1.0\u{a0}kB");
        assert_eq!(format_size(Lang::De, 1_234_567), "1,2\u{a0}MB");
        assert_eq!(format_size(Lang::Fr, 987_000_000), "987,0\u{a0}MB");
        assert_eq!(format_size(Lang::En, 3_400_000_000), "3.4\u{a0}GB");
    }

    #[test]
    fn counts_use_locale_group_separators() {
        assert_eq!(format_count(Lang::En, 0), "0");
        assert_eq!(format_count(Lang::En, 999), "999");
        assert_eq!(format_count(Lang::En, 1_500), "1,500");
        assert_eq!(format_count(Lang::De, 1_234_567), "1.234.567");
        assert_eq!(format_count(Lang::Fr, 100_000), "100\u{202F}000");
    }

    #[test]
    fn percentages_round_and_follow_locale_spacing() {
        assert_eq!(format_percent(Lang::En, 1, 3), "33%");
        assert_eq!(format_percent(Lang::Fr, 2, 3), "67\u{00A0}%");
        assert_eq!(format_percent(Lang::De, 5, 0), "0\u{00A0}%");
    }

    #[test]
    fn instants_follow_locale_order() {
        // 2026-11-21 09:30:00 UTC
        let t = 1_795_253_400;
        assert_eq!(format_instant(Lang::En, t), "Nov 21, 2026 09:30 UTC");
        assert_eq!(format_instant(Lang::Fr, t), "21/11/2026 09:30 UTC");
        assert_eq!(format_instant(Lang::De, t), "21.11.2026, 09:30 UTC");
        assert_eq!(format_instant(Lang::En, 0), "Jan 1, 1970 00:00 UTC");
        for t in [0, 951_782_400, 1_795_253_400, 4_102_444_799] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t));
        }
        for bad in [
            "2026-04-31T00:00:00Z",
            "2026-11-21 09:30:00Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T09:30:00+01:00",
            "",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(format_duration(45), "45 s");
        assert_eq!(format_duration(125), "2 min 05 s");
        assert_eq!(format_duration(3_720), "1 h 02 min");
        assert_eq!(format_instant(Lang::En, 951_782_400), "Feb 29, 2000 00:00 UTC");
        assert_eq!(rfc3339(t + 59), "2026-11-21T09:30:59Z");
    }
}
