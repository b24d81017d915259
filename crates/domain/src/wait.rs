//! Wait estimates: how many minutes a customer at a given place in line can expect to wait.
//!
//! The pace of a queue is read from how often staff called customers recently (the interval
//! between consecutive calls within the last two hours). With fewer than three recent calls the
//! queue's configured `averageServiceTime` is used instead. One function, so that a better
//! predictor can replace it in one place.

use time::{Duration, OffsetDateTime};

/// How far back calls count towards the pace.
pub const PACE_WINDOW: Duration = Duration::hours(2);
/// How many recent calls are read at most.
pub const PACE_SAMPLE: usize = 12;

/// Minutes between turns: the trimmed mean interval between the recent calls, else `fallback`.
///
/// `calls` are the call times of the queue's recent entries, in any order.
pub fn minutes_per_turn(calls: &[OffsetDateTime], now: OffsetDateTime, fallback: i32) -> f64 {
    let fallback = f64::from(fallback.max(1));
    let mut recent: Vec<OffsetDateTime> = calls
        .iter()
        .copied()
        .filter(|t| *t <= now && now - *t <= PACE_WINDOW)
        .collect();
    if recent.len() < 3 {
        return fallback;
    }
    recent.sort();
    let mut gaps: Vec<f64> = recent
        .windows(2)
        .map(|w| (w[1] - w[0]).as_seconds_f64() / 60.0)
        .collect();
    gaps.sort_by(f64::total_cmp);
    if gaps.len() >= 5 {
        gaps.remove(0);
        gaps.pop();
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    // Never promise a pace more than 10x faster or slower than the configured one.
    mean.clamp(fallback / 10.0, fallback * 10.0)
}

/// The estimated wait in whole minutes for the customer at `position` (1 = next).
pub fn estimate_minutes(position: i64, minutes_per_turn: f64) -> i32 {
    if position <= 0 {
        return 0;
    }
    let minutes = (position as f64 * minutes_per_turn).ceil();
    minutes.min(f64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);

    #[test]
    fn too_few_calls_fall_back_to_the_setting() {
        assert_eq!(minutes_per_turn(&[], NOW, 7), 7.0);
        let two = [NOW - Duration::minutes(4), NOW - Duration::minutes(2)];
        assert_eq!(minutes_per_turn(&two, NOW, 7), 7.0);
    }

    #[test]
    fn steady_calls_give_their_interval() {
        let calls: Vec<_> = (1..=6).map(|i| NOW - Duration::minutes(3 * i)).collect();
        let pace = minutes_per_turn(&calls, NOW, 30);
        assert!((pace - 3.0).abs() < 1e-9, "{pace}");
    }

    #[test]
    fn old_calls_are_ignored() {
        let calls: Vec<_> = (1..=6)
            .map(|i| NOW - Duration::hours(3) - Duration::minutes(i))
            .collect();
        assert_eq!(minutes_per_turn(&calls, NOW, 9), 9.0);
    }

    #[test]
    fn outliers_are_trimmed_and_pace_is_bounded() {
        let mut calls: Vec<_> = (0..6).map(|i| NOW - Duration::minutes(2 * i)).collect();
        calls.push(NOW - Duration::minutes(100));
        let pace = minutes_per_turn(&calls, NOW, 5);
        assert!(pace < 5.0, "one long gap must not dominate: {pace}");
        let burst: Vec<_> = (0..5).map(|i| NOW - Duration::seconds(i)).collect();
        assert!((minutes_per_turn(&burst, NOW, 10) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn estimate_grows_with_position() {
        assert_eq!(estimate_minutes(0, 5.0), 0);
        assert_eq!(estimate_minutes(1, 5.0), 5);
        assert_eq!(estimate_minutes(3, 2.5), 8);
        assert!(estimate_minutes(10, 5.0) > estimate_minutes(9, 5.0));
    }
}
