//! Joining a queue: places and tickets, the answer for a phone already waiting and for a
//! repeated idempotency key, and every refusal (full, closed, outside hours, unknown service).

use crate::common::{Snapshot, apply, assert_line, join};
use qms_domain::entry::{EntryStatus, Platform, Transition};
use qms_domain::queue::{Opening, opening_at};
use qms_store::{Joined, Store, StoreError};
use qms_testkit::{Fixture, TestDb, assert_refused, new_entry, ok, open_queue};
use std::collections::HashSet;
use time::{Duration, OffsetDateTime};

async fn try_join(
    s: &dyn Store,
    fx: &Fixture,
    new: qms_store::NewEntry,
) -> Result<Joined, StoreError> {
    s.join_queue(
        fx.tenant,
        fx.queue,
        new,
        &fx.staff(),
        OffsetDateTime::now_utc(),
    )
    .await
}

/// No entry, audit row or event was made by a refused join.
async fn nothing_made(s: &dyn Store, fx: &Fixture, snap: &Snapshot, entries: usize) {
    snap.expect_nothing(s, fx).await;
    let all = ok(
        "entries",
        s.queue_entries(fx.tenant, fx.queue, &EntryStatus::ALL)
            .await,
    );
    assert_eq!(all.len(), entries);
}

#[tokio::test]
async fn joins_get_dense_places_and_the_days_tickets() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("joins").await;
    let mut ids = Vec::new();
    for i in 1..=5u32 {
        let snap = Snapshot::take(s, &fx).await;
        let mut new = new_entry(&format!("Guest {i}"), &format!("+6012300000{i}"));
        new.party_size = i as i32;
        new.notes = Some(format!("note {i}"));
        new.special_requests = Some("window seat".into());
        new.platform = Platform::Whatsapp;
        let now = OffsetDateTime::now_utc();
        let joined = s
            .join_queue(fx.tenant, fx.queue, new.clone(), &fx.staff(), now)
            .await;
        let e = match joined {
            Ok(Joined::Created(e, _)) => e,
            other => panic!("join {i}: {other:?}"),
        };
        assert_eq!(e.tenant_id, fx.tenant);
        assert_eq!(e.queue_id, fx.queue);
        assert_eq!(e.status, EntryStatus::Waiting);
        assert_eq!(e.position, i64::from(i));
        assert_eq!(e.ticket_number, format!("M-{i:03}"));
        assert_eq!(e.estimated_wait_time, 5 * i as i32, "5 minutes per turn");
        assert_eq!(e.customer_name, new.customer_name);
        assert_eq!(e.customer_phone, new.customer_phone);
        assert_eq!(e.party_size, i as i32);
        assert_eq!(e.notes, new.notes);
        assert_eq!(e.special_requests, new.special_requests);
        assert_eq!(e.platform, Platform::Whatsapp);
        assert_eq!(e.service_type_id, None);
        assert_eq!(e.session_id, new.session_id);
        assert_eq!(e.verification_code, new.verification_code);
        assert!(
            (e.joined_at - now).abs() < Duration::seconds(1),
            "joinedAt is the given now"
        );
        assert_eq!(
            (e.called_at, e.served_at, e.completed_at, e.requeued_at),
            (None, None, None, None)
        );
        assert_eq!(e.notification_count, 0);
        let own = ok(
            "entry_by_session",
            s.entry_by_session(fx.tenant, &e.session_id).await,
        );
        assert_eq!(own.as_ref(), Some(&e));
        let rows = snap.since(s, &fx).await;
        snap.check_one(
            &rows,
            "queue.join",
            &e.id.to_string(),
            "customer-joined",
            Some(e.id),
        );
        assert_eq!(rows.0[0].user_id, Some(fx.owner));
        ids.push(e.id);
    }
    assert_line(s, &fx, &ids).await;
    let tickets: HashSet<_> = ok(
        "entries",
        s.queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
            .await,
    )
    .into_iter()
    .map(|e| e.ticket_number)
    .collect();
    assert_eq!(tickets.len(), 5);
}

/// A new place comes with its queue and the queue's numbers as the join left them (what the
/// join's realtime events say), the same as a read of them right after.
#[tokio::test]
async fn a_join_answers_its_queue_and_numbers_as_it_left_them() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("join-numbers").await;
    let first = join(s, &fx, "Ann", "+60123000001").await;
    join(s, &fx, "Ben", "+60123000002").await;
    apply(s, &fx, first.id, Transition::Call).await;
    for (i, phone) in ["+60123000003", "+60123000004"].into_iter().enumerate() {
        let joined = try_join(s, &fx, new_entry("Next", phone)).await;
        let Ok(Joined::Created(e, queue)) = joined else {
            panic!("join: {joined:?}")
        };
        let waiting = i as i64 + 2;
        assert_eq!(queue.queue.id, fx.queue);
        assert_eq!(queue.queue.tenant_id, fx.tenant);
        let stored = ok("queue", s.queue(fx.tenant, fx.queue).await).expect("queue");
        assert_eq!(queue.queue.settings, stored.settings);
        assert_eq!(e.position, waiting);
        assert_eq!(
            (
                queue.stats.waiting,
                queue.stats.called,
                queue.stats.next_position
            ),
            (waiting, 1, waiting + 1)
        );
        assert_eq!(
            queue.stats,
            ok("stats", s.queue_stats(fx.tenant, fx.queue).await)
        );
    }
}

#[tokio::test]
async fn a_phone_already_waiting_gets_its_place_back() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("existing").await;
    let first = join(s, &fx, "Ann", "+60123000001").await;
    join(s, &fx, "Bob", "+60123000002").await;
    let snap = Snapshot::take(s, &fx).await;
    let again = new_entry("Ann again", "+60123000001");
    match ok("join", try_join(s, &fx, again).await) {
        Joined::Existing(e) => {
            assert_eq!(e.id, first.id);
            assert_eq!(
                e.session_id, first.session_id,
                "the first place keeps its session"
            );
            assert_eq!(e.position, 1);
            assert_eq!(e.ticket_number, "M-001");
        }
        other => panic!("expected Existing, got {other:?}"),
    }
    nothing_made(s, &fx, &snap, 2).await;

    // Once the first place has been called, the same phone may join again.
    apply(s, &fx, first.id, Transition::Call).await;
    let second = join(s, &fx, "Ann", "+60123000001").await;
    assert_ne!(second.id, first.id);
    assert_eq!(second.ticket_number, "M-003");
    assert_eq!(second.position, 2);
}

#[tokio::test]
async fn a_repeated_idempotency_key_answers_the_first_place() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("replay").await;
    let mut new = new_entry("Ann", "+60123000001");
    new.idempotency_key = Some("key-1".into());
    let first = match ok("join", try_join(s, &fx, new.clone()).await) {
        Joined::Created(e, _) => e,
        other => panic!("expected Created, got {other:?}"),
    };
    let snap = Snapshot::take(s, &fx).await;
    // The retry carries fresh secrets made by the server for that request.
    let retry = qms_store::NewEntry {
        session_id: qms_testkit::session_id(),
        ..new.clone()
    };
    match ok("replay", try_join(s, &fx, retry.clone()).await) {
        Joined::Replayed(e) => assert_eq!(
            (e.id, e.session_id.as_str()),
            (first.id, first.session_id.as_str())
        ),
        other => panic!("expected Replayed, got {other:?}"),
    }
    nothing_made(s, &fx, &snap, 1).await;
    // Still the same answer after the place has moved on.
    apply(s, &fx, first.id, Transition::Call).await;
    match ok("replay", try_join(s, &fx, retry).await) {
        Joined::Replayed(e) => {
            assert_eq!(e.id, first.id);
            assert_eq!(e.status, EntryStatus::Called);
        }
        other => panic!("expected Replayed, got {other:?}"),
    }
    // Another key is another request.
    let other = qms_store::NewEntry {
        idempotency_key: Some("key-2".into()),
        ..new_entry("Ann", "+60123000001")
    };
    assert!(matches!(
        ok("join", try_join(s, &fx, other).await),
        Joined::Created(..)
    ));
}

#[tokio::test]
async fn a_full_queue_refuses() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("full").await;
    let small = qms_domain::queue::QueueSettings {
        max_capacity: 2,
        ..open_queue("Main")
    };
    ok(
        "update",
        s.update_queue(fx.tenant, fx.queue, small, &fx.staff())
            .await,
    );
    join(s, &fx, "A", "+60123000001").await;
    join(s, &fx, "B", "+60123000002").await;
    let snap = Snapshot::take(s, &fx).await;
    assert_refused(
        try_join(s, &fx, new_entry("C", "+60123000003")).await,
        &StoreError::QueueFull,
    );
    nothing_made(s, &fx, &snap, 2).await;
}

#[tokio::test]
async fn a_paused_or_inactive_queue_refuses_without_an_opening_time() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("closed").await;
    let closed = StoreError::QueueClosed { opens_at: None };
    ok(
        "pause",
        s.set_accepting(fx.tenant, fx.queue, false, &fx.staff())
            .await,
    );
    let snap = Snapshot::take(s, &fx).await;
    assert_refused(
        try_join(s, &fx, new_entry("A", "+60123000001")).await,
        &closed,
    );
    nothing_made(s, &fx, &snap, 0).await;

    let inactive = qms_domain::queue::QueueSettings {
        is_active: false,
        ..open_queue("Main")
    };
    ok(
        "update",
        s.update_queue(fx.tenant, fx.queue, inactive, &fx.staff())
            .await,
    );
    let snap = Snapshot::take(s, &fx).await;
    assert_refused(
        try_join(s, &fx, new_entry("A", "+60123000001")).await,
        &closed,
    );
    nothing_made(s, &fx, &snap, 0).await;

    ok(
        "update",
        s.update_queue(fx.tenant, fx.queue, open_queue("Main"), &fx.staff())
            .await,
    );
    let e = join(s, &fx, "A", "+60123000001").await;
    assert_eq!(
        e.ticket_number, "M-001",
        "refused joins use no ticket number"
    );
}

#[tokio::test]
async fn outside_opening_hours_the_refusal_says_when_it_opens() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("hours").await;
    let now = OffsetDateTime::now_utc();
    let hhmm = |t: OffsetDateTime| format!("{:02}:{:02}", t.hour(), t.minute());
    let (start, end) = (
        hhmm(now + Duration::hours(2)),
        hhmm(now + Duration::hours(3)),
    );
    let hours = qms_domain::queue::QueueSettings {
        business_hours_start: start.clone(),
        business_hours_end: end.clone(),
        ..open_queue("Main")
    };
    ok(
        "update",
        s.update_queue(fx.tenant, fx.queue, hours, &fx.staff())
            .await,
    );
    let Opening::ClosedUntil(opens) = opening_at(&start, &end, "UTC", now) else {
        panic!("{start}-{end} must be closed at {now}");
    };
    assert!(opens > now && opens <= now + Duration::hours(2));
    let snap = Snapshot::take(s, &fx).await;
    let r = s
        .join_queue(
            fx.tenant,
            fx.queue,
            new_entry("A", "+60123000001"),
            &fx.staff(),
            now,
        )
        .await;
    assert_refused(
        r,
        &StoreError::QueueClosed {
            opens_at: Some(opens),
        },
    );
    nothing_made(s, &fx, &snap, 0).await;
    // The store judges by the `now` it is given: inside the hours the same queue takes customers.
    let inside = now + Duration::hours(2) + Duration::minutes(1);
    let r = s
        .join_queue(
            fx.tenant,
            fx.queue,
            new_entry("A", "+60123000001"),
            &fx.staff(),
            inside,
        )
        .await;
    assert!(matches!(r, Ok(Joined::Created(..))), "{r:?}");
}

#[tokio::test]
async fn an_unknown_service_type_is_refused() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("unknown-st").await;
    let mut new = new_entry("A", "+60123000001");
    new.service_type_id = Some(uuid::Uuid::now_v7());
    let snap = Snapshot::take(s, &fx).await;
    assert_refused(
        try_join(s, &fx, new).await,
        &StoreError::UnknownReference("serviceTypeId"),
    );
    nothing_made(s, &fx, &snap, 0).await;
}
