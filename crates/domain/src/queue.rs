//! Queues: their settings (TSD §2.2), the checks a new customer must pass, and opening hours
//! evaluated in the merchant's time zone (hours that end before they start run past midnight).

use crate::validate::{FieldErrors, clean_text};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The settings of a queue that staff may edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueSettings {
    pub name: String,
    pub description: Option<String>,
    pub is_active: bool,
    pub accepting_customers: bool,
    pub max_capacity: i32,
    pub average_service_time: i32,
    pub auto_notifications: bool,
    pub notification_interval: i32,
    pub allow_cancellation: bool,
    pub require_confirmation: bool,
    pub business_hours_start: String,
    pub business_hours_end: String,
}

impl QueueSettings {
    /// The TSD defaults for a queue called `name`.
    pub fn with_name(name: impl Into<String>) -> Self {
        QueueSettings {
            name: name.into(),
            description: None,
            is_active: true,
            accepting_customers: true,
            max_capacity: 50,
            average_service_time: 30,
            auto_notifications: true,
            notification_interval: 5,
            allow_cancellation: true,
            require_confirmation: true,
            business_hours_start: "09:00".into(),
            business_hours_end: "17:00".into(),
        }
    }

    /// Checks every field, trimming text in place; all problems are reported at once.
    pub fn validate(&mut self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        match clean_text(&self.name, 1, 100) {
            Ok(v) => self.name = v,
            Err(e) => errors.add("name", e),
        }
        if let Some(d) = &self.description {
            match clean_text(d, 0, 500) {
                Ok(v) if v.is_empty() => self.description = None,
                Ok(v) => self.description = Some(v),
                Err(e) => errors.add("description", e),
            }
        }
        if !(1..=1000).contains(&self.max_capacity) {
            errors.add("maxCapacity", "must be between 1 and 1000");
        }
        if !(1..=480).contains(&self.average_service_time) {
            errors.add("averageServiceTime", "must be between 1 and 480 minutes");
        }
        if !(1..=120).contains(&self.notification_interval) {
            errors.add("notificationInterval", "must be between 1 and 120 minutes");
        }
        if parse_hhmm(&self.business_hours_start).is_none() {
            errors.add("businessHoursStart", "must be a time like 09:00");
        }
        if parse_hhmm(&self.business_hours_end).is_none() {
            errors.add("businessHoursEnd", "must be a time like 17:00");
        }
        errors.into_result()
    }
}

/// Parses `HH:MM` (24-hour clock) into minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Whether a queue takes customers at `now`, and if not, when it next opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    Open,
    /// Closed by the clock; opens again at this instant.
    ClosedUntil(OffsetDateTime),
}

/// Evaluates opening hours `start`–`end` (`HH:MM`, in `timezone`) at `now`.
///
/// Equal start and end mean open around the clock; an end before the start means the hours run
/// past midnight (e.g. 18:00–02:00). An unknown time zone is treated as UTC.
pub fn opening_at(start: &str, end: &str, timezone: &str, now: OffsetDateTime) -> Opening {
    let (Some(open), Some(close)) = (parse_hhmm(start), parse_hhmm(end)) else {
        return Opening::Open;
    };
    if open == close {
        return Opening::Open;
    }
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(ts) = jiff::Timestamp::from_second(now.unix_timestamp()) else {
        return Opening::Open;
    };
    let local = ts.to_zoned_datetime(tz.clone());
    let minute = (local.hour() as u16) * 60 + local.minute() as u16;
    let is_open = if open < close {
        minute >= open && minute < close
    } else {
        minute >= open || minute < close
    };
    if is_open {
        return Opening::Open;
    }
    // Next opening: today at `open` if that is still ahead, else tomorrow.
    let days_ahead = if minute < open { 0 } else { 1 };
    let date = local.date();
    let next = date
        .checked_add(jiff::Span::new().days(days_ahead))
        .ok()
        .and_then(|d| {
            d.at((open / 60) as i8, (open % 60) as i8, 0, 0)
                .to_zoned_datetime(tz)
                .ok()
        })
        .and_then(|z| OffsetDateTime::from_unix_timestamp(z.timestamp().as_second()).ok());
    match next {
        Some(at) => Opening::ClosedUntil(at),
        None => Opening::Open,
    }
}

/// An instant as the merchant's clock shows it, for "opens today at 09:00".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTime {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`, 24-hour clock.
    pub time: String,
    /// Local days from the day of `now` (0 today, 1 tomorrow).
    pub days_ahead: i32,
}

/// `at` in `timezone` (UTC when unknown), relative to the local day of `now`.
pub fn local_time(at: OffsetDateTime, timezone: &str, now: OffsetDateTime) -> LocalTime {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = |t: OffsetDateTime| {
        jiff::Timestamp::from_second(t.unix_timestamp())
            .ok()
            .map(|ts| ts.to_zoned_datetime(tz.clone()))
    };
    match (zoned(at), zoned(now)) {
        (Some(a), Some(n)) => {
            let days_ahead = n
                .date()
                .until(a.date())
                .ok()
                .map(|span| span.get_days())
                .unwrap_or(0);
            LocalTime {
                date: a.date().to_string(),
                time: format!("{:02}:{:02}", a.hour(), a.minute()),
                days_ahead,
            }
        }
        _ => LocalTime {
            date: at.date().to_string(),
            time: format!("{:02}:{:02}", at.hour(), at.minute()),
            days_ahead: 0,
        },
    }
}

/// The calendar date (`YYYY-MM-DD`) at `now` in `timezone` (UTC when unknown): the day that
/// ticket numbers count within.
pub fn local_date(timezone: &str, now: OffsetDateTime) -> String {
    let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_second(now.unix_timestamp()) {
        Ok(ts) => ts.to_zoned_datetime(tz).date().to_string(),
        Err(_) => now.date().to_string(),
    }
}

/// True when `name` is a time zone the server knows (IANA names such as `Asia/Kuala_Lumpur`).
pub fn is_known_timezone(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn hhmm_parses_strictly() {
        assert_eq!(parse_hhmm("09:30"), Some(570));
        assert_eq!(parse_hhmm("23:59"), Some(1439));
        assert_eq!(parse_hhmm("24:00"), None);
        assert_eq!(parse_hhmm("9:30"), None);
        assert_eq!(parse_hhmm("ab:cd"), None);
    }

    #[test]
    fn daytime_hours_in_utc() {
        let noon = datetime!(2026-11-29 12:00 UTC);
        assert_eq!(opening_at("09:00", "17:00", "UTC", noon), Opening::Open);
        let late = datetime!(2026-11-29 18:00 UTC);
        assert_eq!(
            opening_at("09:00", "17:00", "UTC", late),
            Opening::ClosedUntil(datetime!(2026-11-30 09:00 UTC))
        );
        let early = datetime!(2026-11-29 07:00 UTC);
        assert_eq!(
            opening_at("09:00", "17:00", "UTC", early),
            Opening::ClosedUntil(datetime!(2026-11-29 09:00 UTC))
        );
    }

    #[test]
    fn hours_past_midnight_and_time_zones() {
        // 18:00-02:00 in Kuala Lumpur (UTC+8): 17:00 UTC is 01:00 local, still open.
        let t = datetime!(2026-11-29 17:00 UTC);
        assert_eq!(
            opening_at("18:00", "02:00", "Asia/Kuala_Lumpur", t),
            Opening::Open
        );
        // 03:00 UTC is 11:00 local: closed until 18:00 local = 10:00 UTC.
        let t = datetime!(2026-11-29 03:00 UTC);
        assert_eq!(
            opening_at("18:00", "02:00", "Asia/Kuala_Lumpur", t),
            Opening::ClosedUntil(datetime!(2026-11-29 10:00 UTC))
        );
    }

    #[test]
    fn local_times_in_the_merchants_zone() {
        let now = datetime!(2026-11-29 15:00 UTC); // 23:00 in Kuala Lumpur
        let opens = datetime!(2026-11-30 01:00 UTC); // 09:00 the next local day
        let t = local_time(opens, "Asia/Kuala_Lumpur", now);
        assert_eq!(t.time, "09:00");
        assert_eq!(t.date, "2026-11-30");
        assert_eq!(t.days_ahead, 1);
        let t = local_time(datetime!(2026-11-29 15:30 UTC), "Asia/Kuala_Lumpur", now);
        assert_eq!((t.time.as_str(), t.days_ahead), ("23:30", 0));
        assert_eq!(local_time(opens, "Mars/Olympus", now).time, "01:00");
    }

    #[test]
    fn equal_hours_mean_always_open() {
        let t = datetime!(2026-11-29 03:00 UTC);
        assert_eq!(opening_at("00:00", "00:00", "UTC", t), Opening::Open);
    }

    #[test]
    fn settings_validation_reports_every_field() {
        let mut s = QueueSettings::with_name("  ");
        s.max_capacity = 0;
        s.business_hours_end = "25:00".into();
        let errors = s.validate().err().map(|e| e.fields).unwrap_or_default();
        assert!(errors.contains_key("name"));
        assert!(errors.contains_key("maxCapacity"));
        assert!(errors.contains_key("businessHoursEnd"));
        let mut ok = QueueSettings::with_name("  Main  ");
        assert!(ok.validate().is_ok());
        assert_eq!(ok.name, "Main");
        assert!(is_known_timezone("Asia/Kuala_Lumpur"));
        let t = datetime!(2026-11-29 17:00 UTC);
        assert_eq!(local_date("Asia/Kuala_Lumpur", t), "2026-11-30");
        assert_eq!(local_date("UTC", t), "2026-11-29");
        assert!(!is_known_timezone("Mars/Olympus"));
    }
}
