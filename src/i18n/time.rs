//! Time zones (the IANA database compiled into the binary by jiff, so every machine
//! agrees, DST included) and dates and times as a reader sees them.

use super::{Arg, L10n};
use crate::domain::Timestamp;
use jiff::tz::TimeZone;

/// The IANA time zone `name` (`Europe/Madrid`, `America/Mexico_City`, `UTC`), in any
/// letter case; `None` when the database has no such zone.
pub fn timezone(name: &str) -> Option<TimeZone> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    TimeZone::get(name).ok()
}

/// The zone's name as the database spells it (`europe/madrid` → `Europe/Madrid`).
pub fn canonical_timezone(name: &str) -> Option<String> {
    timezone(name).map(|z| z.iana_name().unwrap_or(name.trim()).to_string())
}

/// Every zone name the database has, sorted (for a picker).
pub fn timezone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .filter(|n| n.contains('/') || n == "UTC")
        .filter(|n| !n.starts_with("Etc/") && !n.starts_with("SystemV/"))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A wall-clock time typed in a form (`2026-11-29T11:27`, seconds optional) in `tz`.
/// A time skipped by a DST change moves forward; a repeated one takes the first.
pub fn parse_local(s: &str, tz: &TimeZone) -> Option<Timestamp> {
    let dt: jiff::civil::DateTime = s.trim().parse().ok()?;
    let z = dt.to_zoned_datetime(tz.clone()).ok()?;
    Some(Timestamp(z.timestamp().as_millisecond()))
}

/// The parts of a time in a zone, as catalog arguments.
struct Parts {
    day: String,
    month: i8,
    year: String,
    time: String,
    zone: String,
    date: jiff::civil::Date,
}

impl L10n {
    fn parts(&self, t: Timestamp) -> Option<Parts> {
        let z = jiff::Timestamp::from_millisecond(t.0)
            .ok()?
            .to_zoned_datetime(self.tz.clone());
        Some(Parts {
            day: z.day().to_string(),
            month: z.month(),
            year: z.year().to_string(),
            time: format!("{:02}:{:02}", z.hour(), z.minute()),
            zone: self
                .tz
                .to_offset_info(z.timestamp())
                .abbreviation()
                .to_string(),
            date: z.date(),
        })
    }

    fn month(&self, m: i8) -> String {
        let key = match m {
            1 => "month-1",
            2 => "month-2",
            3 => "month-3",
            4 => "month-4",
            5 => "month-5",
            6 => "month-6",
            7 => "month-7",
            8 => "month-8",
            9 => "month-9",
            10 => "month-10",
            11 => "month-11",
            _ => "month-12",
        };
        self.t(key)
    }

    fn with_parts(&self, key: &str, p: Parts) -> String {
        let month = self.month(p.month);
        self.tr(
            key,
            &[
                ("day", Arg::Str(p.day)),
                ("month", Arg::Str(month)),
                ("year", Arg::Str(p.year)),
                ("time", Arg::Str(p.time)),
                ("zone", Arg::Str(p.zone)),
            ],
        )
    }

    /// Date, time and zone in full: "29 Nov 2026, 11:27 CET".
    pub fn datetime(&self, t: Timestamp) -> String {
        self.parts(t)
            .map(|p| self.with_parts("time-full", p))
            .unwrap_or_default()
    }

    /// The date alone: "29 Nov 2026".
    pub fn date(&self, t: Timestamp) -> String {
        self.parts(t)
            .map(|p| self.with_parts("time-date", p))
            .unwrap_or_default()
    }

    /// Short, for lists and timelines: "11:27" today, "29 Nov, 11:27" this year,
    /// "29 Nov 2025" before.
    pub fn when(&self, t: Timestamp) -> String {
        let (Some(p), Some(now)) = (self.parts(t), self.parts(self.now)) else {
            return String::new();
        };
        let key = if p.date == now.date {
            "time-today"
        } else if p.year == now.year {
            "time-this-year"
        } else {
            "time-date"
        };
        self.with_parts(key, p)
    }

    /// A local day (days since 1970-01-01, already cut in some zone): "29 May 2026".
    pub fn day(&self, day: i64) -> String {
        let (y, m, d) = crate::domain::clock::civil_from_days(day);
        self.tr(
            "time-date",
            &[
                ("day", Arg::Str(d.to_string())),
                ("month", Arg::Str(self.month(m as i8))),
                ("year", Arg::Str(y.to_string())),
            ],
        )
    }

    /// A local day without its year: "29 May".
    pub fn day_short(&self, day: i64) -> String {
        let (_, m, d) = crate::domain::clock::civil_from_days(day);
        self.tr(
            "time-day-month",
            &[
                ("day", Arg::Str(d.to_string())),
                ("month", Arg::Str(self.month(m as i8))),
            ],
        )
    }

    /// A local day with its weekday: "Fri 29 May".
    pub fn day_weekday(&self, day: i64) -> String {
        let (_, m, d) = crate::domain::clock::civil_from_days(day);
        // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
        let weekday = self.t(match (day + 3).rem_euclid(7) {
            0 => "weekday-1",
            1 => "weekday-2",
            2 => "weekday-3",
            3 => "weekday-4",
            4 => "weekday-5",
            5 => "weekday-6",
            _ => "weekday-7",
        });
        self.tr(
            "time-weekday",
            &[
                ("weekday", Arg::Str(weekday)),
                ("day", Arg::Str(d.to_string())),
                ("month", Arg::Str(self.month(m as i8))),
            ],
        )
    }

    /// The UTC offset of the reader's zone at `t`, as "UTC+01:00".
    pub fn offset(&self, t: Timestamp) -> String {
        let Ok(ts) = jiff::Timestamp::from_millisecond(t.0) else {
            return String::new();
        };
        let secs = self.tz.to_offset(ts).seconds();
        let sign = if secs < 0 { '-' } else { '+' };
        let secs = secs.unsigned_abs();
        format!("UTC{sign}{:02}:{:02}", secs / 3600, (secs % 3600) / 60)
    }
}
