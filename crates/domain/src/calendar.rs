//! Calendar days in a merchant's time zone, for reports: where "today" and "this week" begin
//! and end as instants, so that a query can count what happened between them.

use time::OffsetDateTime;

/// One local calendar day: its date and the instants it starts and ends (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDay {
    /// `YYYY-MM-DD` in the merchant's time zone.
    pub date: String,
    /// Short weekday name (`Mon` … `Sun`).
    pub weekday: &'static str,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

fn zone(timezone: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn instant(z: &jiff::ZonedDateTime) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(z.timestamp().as_second()).ok()
}

fn weekday_name(w: jiff::civil::Weekday) -> &'static str {
    match w.to_monday_zero_offset() {
        0 => "Mon",
        1 => "Tue",
        2 => "Wed",
        3 => "Thu",
        4 => "Fri",
        5 => "Sat",
        _ => "Sun",
    }
}

fn local_day(tz: &jiff::tz::TimeZone, date: jiff::civil::Date) -> Option<LocalDay> {
    let next = date.checked_add(jiff::Span::new().days(1)).ok()?;
    let start = instant(&date.to_zoned_datetime(tz.clone()).ok()?)?;
    let end = instant(&next.to_zoned_datetime(tz.clone()).ok()?)?;
    Some(LocalDay {
        date: date.to_string(),
        weekday: weekday_name(date.weekday()),
        start,
        end,
    })
}

fn today(tz: &jiff::tz::TimeZone, now: OffsetDateTime) -> Option<jiff::civil::Date> {
    let ts = jiff::Timestamp::from_second(now.unix_timestamp()).ok()?;
    Some(ts.to_zoned_datetime(tz.clone()).date())
}

/// The local day that contains `now` in `timezone` (UTC when unknown).
pub fn day_of(timezone: &str, now: OffsetDateTime) -> LocalDay {
    let tz = zone(timezone);
    today(&tz, now)
        .and_then(|d| local_day(&tz, d))
        .unwrap_or_else(|| utc_day(now))
}

/// The days of the current local week, Monday first, up to and including today.
pub fn week_so_far(timezone: &str, now: OffsetDateTime) -> Vec<LocalDay> {
    let tz = zone(timezone);
    let Some(date) = today(&tz, now) else {
        return vec![utc_day(now)];
    };
    let back = i64::from(date.weekday().to_monday_zero_offset());
    (0..=back)
        .rev()
        .filter_map(|k| {
            let d = date.checked_sub(jiff::Span::new().days(k)).ok()?;
            local_day(&tz, d)
        })
        .collect()
}

/// Fallback when a date cannot be represented: the UTC day of `now`.
fn utc_day(now: OffsetDateTime) -> LocalDay {
    let start = now.replace_time(time::Time::MIDNIGHT);
    LocalDay {
        date: now.date().to_string(),
        weekday: "",
        start,
        end: start + time::Duration::days(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn today_in_a_time_zone_starts_at_local_midnight() {
        // 17:00 UTC on the 29th is 01:00 on the 30th in Kuala Lumpur (UTC+8).
        let d = day_of("Asia/Kuala_Lumpur", datetime!(2026-11-29 17:00 UTC));
        assert_eq!(d.date, "2026-11-30");
        assert_eq!(d.start, datetime!(2026-11-29 16:00 UTC));
        assert_eq!(d.end, datetime!(2026-11-30 16:00 UTC));
        assert_eq!(d.weekday, "Mon");
        let u = day_of("Nowhere/Unknown", datetime!(2026-11-29 17:00 UTC));
        assert_eq!(u.start, datetime!(2026-11-29 00:00 UTC));
    }

    #[test]
    fn the_week_starts_on_monday() {
        // Wednesday 2 December 2026, noon UTC.
        let w = week_so_far("UTC", datetime!(2026-12-02 12:00 UTC));
        let dates: Vec<_> = w.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(dates, ["2026-11-30", "2026-12-01", "2026-12-02"]);
        assert_eq!(w[0].weekday, "Mon");
        // On a Monday the week is that one day.
        assert_eq!(week_so_far("UTC", datetime!(2026-11-30 01:00 UTC)).len(), 1);
        // Days follow each other without gaps, even across a DST change.
        let w = week_so_far("Europe/London", datetime!(2026-03-29 12:00 UTC));
        for pair in w.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert_eq!(w.len(), 7);
        assert_eq!(w[6].end - w[6].start, time::Duration::hours(23));
    }
}
