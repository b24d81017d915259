//! The retention purge (TSD §10.3): finished entries and analytics events older than the
//! cutoff go, in every tenant and in batches; entries still waiting, called or seated stay
//! however old, and so does everything newer than the cutoff.

use crate::common::entry_in;
use qms_domain::entry::EntryStatus;
use qms_store::{Purged, Store};
use qms_testkit::{Fixture, TestDb, ok};
use time::{Duration, OffsetDateTime};

/// What the purge may remove: entries out of the line for good.
fn finished(status: EntryStatus) -> bool {
    matches!(
        status,
        EntryStatus::Completed | EntryStatus::Cancelled | EntryStatus::NoShow
    )
}

async fn events(s: &dyn Store, fx: &Fixture) -> usize {
    ok("events", s.analytics_events(fx.tenant, fx.queue).await).len()
}

#[tokio::test]
async fn the_purge_removes_old_finished_entries_and_events_of_every_tenant_and_keeps_the_line() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let a = db.tenant("purge-a").await;
    let b = db.tenant("purge-b").await;
    let mut entries = Vec::new();
    for fx in [&a, &b] {
        for (i, status) in EntryStatus::ALL.into_iter().enumerate() {
            let e = entry_in(s, fx, status, &format!("+6012345670{i}")).await;
            entries.push((fx, e));
        }
    }
    let events_before = events(s, &a).await + events(s, &b).await;
    assert!(events_before >= 12, "every join and move left an event");

    // Nothing is older than an hour.
    let now = OffsetDateTime::now_utc();
    let none = ok(
        "purge",
        s.purge_history(now - Duration::hours(1), 100).await,
    );
    assert_eq!(none, Purged::default());
    assert_eq!(events(s, &a).await + events(s, &b).await, events_before);
    for (fx, e) in &entries {
        let found = ok("entry", s.entry_by_session(fx.tenant, &e.session_id).await);
        assert!(
            found.is_some(),
            "{} is readable before the purge",
            e.ticket_number
        );
    }

    // With the cutoff after everything, batches of 2 until one comes back short.
    let cutoff = now + Duration::minutes(1);
    let mut total = Purged::default();
    let mut batches = 0;
    loop {
        let batch = ok("purge", s.purge_history(cutoff, 2).await);
        assert!(
            batch.queue_entries <= 2 && batch.analytics_events <= 2,
            "{batch:?}"
        );
        total.queue_entries += batch.queue_entries;
        total.analytics_events += batch.analytics_events;
        batches += 1;
        if batch.queue_entries < 2 && batch.analytics_events < 2 {
            break;
        }
        assert!(batches < 100, "the purge never ran out");
    }
    assert_eq!(total.queue_entries, 6, "three finished entries per tenant");
    assert_eq!(total.analytics_events as usize, events_before);
    assert_eq!(events(s, &a).await + events(s, &b).await, 0);

    for (fx, e) in &entries {
        let found = ok("entry", s.entry_by_session(fx.tenant, &e.session_id).await);
        if finished(e.status) {
            assert!(
                found.is_none(),
                "{} ({}) was kept",
                e.ticket_number,
                e.status
            );
        } else {
            let found = found.unwrap_or_else(|| panic!("{} was purged", e.ticket_number));
            assert_eq!(found.status, e.status);
        }
    }
    for fx in [&a, &b] {
        let stats = ok("stats", s.queue_stats(fx.tenant, fx.queue).await);
        assert_eq!(
            (stats.waiting, stats.called),
            (1, 1),
            "the line is untouched"
        );
    }
    assert_eq!(
        ok("purge again", s.purge_history(cutoff, 2).await),
        Purged::default()
    );
}
