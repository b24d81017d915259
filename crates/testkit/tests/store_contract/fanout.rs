//! The realtime fan-out's read (`Store::fanout_line`): the queue, the waiting line in order with
//! session ids and tickets (or only its length), the called count and the recent calls,
//! agreeing with `queue`, `queue_entries` and `queue_stats`; nothing of another tenant.

use crate::common::{apply, join};
use qms_domain::entry::{EntryStatus, Transition};
use qms_domain::wait;
use qms_store::{LineRead, QueueStats};
use qms_testkit::{TestDb, ok, phone};
use time::OffsetDateTime;

#[tokio::test]
async fn the_fanout_line_agrees_with_the_full_reads() {
    let db = TestDb::new().await;
    let s = db.store.as_ref();
    let fx = db.tenant("fanout").await;
    let mut people = Vec::new();
    for (i, name) in ["Ana", "Ben", "Cai", "Dee", "Eve", "Fay"]
        .iter()
        .enumerate()
    {
        people.push(join(s, &fx, name, &phone(i as u32 + 1)).await);
    }
    for e in &people[..3] {
        apply(s, &fx, e.id, Transition::Call).await;
    }
    apply(s, &fx, people[4].id, Transition::Cancel).await;

    let now = OffsetDateTime::now_utc();
    let read = s.fanout_line(fx.tenant, fx.queue, now, LineRead::Spots);
    let line = ok("fanout_line", read.await).expect("line");
    let full = ok(
        "queue_entries",
        s.queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
            .await,
    );
    let ids: Vec<_> = line.waiting.iter().map(|w| w.id).collect();
    assert_eq!(ids, vec![people[3].id, people[5].id], "line order");
    assert_eq!(ids, full.iter().map(|e| e.id).collect::<Vec<_>>());
    for (spot, e) in line.waiting.iter().zip(&full) {
        assert_eq!(spot.session_id, e.session_id);
        assert_eq!(spot.ticket_number, e.ticket_number);
    }
    assert_eq!(line.waiting_count, 2);
    assert_eq!(line.called, 3);
    assert_eq!(line.recent_calls.len(), 3, "one per call");

    // Read for its numbers only: the same numbers, no customers.
    let read = s.fanout_line(fx.tenant, fx.queue, now, LineRead::Count);
    let counted = ok("fanout_line (count)", read.await).expect("line");
    assert!(counted.waiting.is_empty(), "no spots when only counting");
    assert_eq!(counted.waiting_count, 2);
    assert_eq!(counted.called, line.called);
    assert_eq!(counted.queue, line.queue);
    let (mut a, mut b) = (counted.recent_calls.clone(), line.recent_calls.clone());
    a.sort();
    b.sort();
    assert_eq!(a, b, "the same recent calls");

    // The queue is the one read alone; stats and estimates computed from the line are the
    // ones the full reads answer.
    let queue = ok("queue", s.queue(fx.tenant, fx.queue).await).expect("queue");
    assert_eq!(line.queue, queue);
    let turn = wait::minutes_per_turn(&line.recent_calls, now, queue.settings.average_service_time);
    let stats = ok("queue_stats", s.queue_stats(fx.tenant, fx.queue).await);
    assert_eq!(
        QueueStats::from_counts(line.waiting_count, line.called, turn),
        stats
    );
    for (i, e) in full.iter().enumerate() {
        assert_eq!(
            wait::estimate_minutes(i as i64 + 1, turn),
            e.estimated_wait_time
        );
    }
}

#[tokio::test]
async fn the_fanout_line_stays_in_its_tenant() {
    let db = TestDb::new().await;
    let s = db.store.as_ref();
    let a = db.tenant("fanout-a").await;
    let b = db.tenant("fanout-b").await;
    let e = join(s, &a, "Ana", &phone(1)).await;
    join(s, &a, "Ben", &phone(2)).await;
    apply(s, &a, e.id, Transition::Call).await;
    let now = OffsetDateTime::now_utc();
    for read in [LineRead::Spots, LineRead::Count] {
        let seen = ok(
            "fanout_line",
            s.fanout_line(b.tenant, a.queue, now, read).await,
        );
        assert_eq!(seen, None, "another tenant's queue is not found ({read:?})");
        let own = ok(
            "fanout_line",
            s.fanout_line(b.tenant, b.queue, now, read).await,
        );
        let own = own.expect("own");
        assert_eq!(own.queue.id, b.queue);
        assert!(own.waiting.is_empty());
        assert_eq!(own.waiting_count, 0, "{read:?}");
        assert_eq!(own.called, 0, "{read:?}");
        let mine = ok(
            "fanout_line",
            s.fanout_line(a.tenant, a.queue, now, read).await,
        );
        let mine = mine.expect("line");
        assert_eq!(mine.waiting_count, 1, "{read:?}");
        assert_eq!(mine.called, 1, "{read:?}");
    }
    let mine = s.fanout_line(a.tenant, a.queue, now, LineRead::Spots).await;
    assert_eq!(ok("fanout_line", mine).expect("line").waiting.len(), 1);
}
