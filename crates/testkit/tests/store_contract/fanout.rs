//! The realtime fan-out's read (`Store::fanout_line`): the queue, the waiting line in order with
//! session ids and tickets, the called count and the recent calls, agreeing with `queue`,
//! `queue_entries` and `queue_stats`; nothing of another tenant.

use crate::common::{apply, join};
use qms_domain::entry::{EntryStatus, Transition};
use qms_domain::wait;
use qms_store::QueueStats;
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
    let line = ok("fanout_line", s.fanout_line(fx.tenant, fx.queue, now).await).expect("line");
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
    assert_eq!(line.called, 3);
    assert_eq!(line.recent_calls.len(), 3, "one per call");

    // The queue is the one read alone; stats and estimates computed from the line are the
    // ones the full reads answer.
    let queue = ok("queue", s.queue(fx.tenant, fx.queue).await).expect("queue");
    assert_eq!(line.queue, queue);
    let turn = wait::minutes_per_turn(&line.recent_calls, now, queue.settings.average_service_time);
    let stats = ok("queue_stats", s.queue_stats(fx.tenant, fx.queue).await);
    assert_eq!(
        QueueStats::from_counts(line.waiting.len() as i64, line.called, turn),
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
    let seen = ok("fanout_line", s.fanout_line(b.tenant, a.queue, now).await);
    assert_eq!(seen, None, "another tenant's queue is not found");
    let own = ok("fanout_line", s.fanout_line(b.tenant, b.queue, now).await).expect("own");
    assert_eq!(own.queue.id, b.queue);
    assert!(own.waiting.is_empty());
    let mine = ok("fanout_line", s.fanout_line(a.tenant, a.queue, now).await).expect("line");
    assert_eq!(mine.waiting.len(), 1);
    assert_eq!(mine.called, 1);
}
