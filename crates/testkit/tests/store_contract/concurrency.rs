//! Concurrency: many staff calling the next customer at once never share or skip one, and many
//! customers joining at once get distinct tickets and a dense line.

use crate::common::{apply, assert_line, join};
use qms_domain::entry::EntryStatus;
use qms_store::{Joined, QueueEntry, Store, StoreError};
use qms_testkit::{Fixture, TestDb, new_entry, ok, phone};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::OffsetDateTime;
use uuid::Uuid;

const CALLERS: usize = 32;
const WAITING: u32 = 500;
const JOINERS: u32 = 64;

/// Calls started and calls finished, to tell a quiet moment from a busy one.
#[derive(Default)]
struct Traffic {
    started: AtomicUsize,
    finished: AtomicUsize,
}

/// What one caller saw.
#[derive(Default)]
struct CallerLog {
    called: Vec<Uuid>,
    /// Entries seen still waiting, at a quiet moment, after this caller was told "empty".
    waiting_after_empty: Vec<Uuid>,
}

async fn caller(
    store: Arc<dyn Store>,
    fx: Fixture,
    traffic: Arc<Traffic>,
) -> Result<CallerLog, String> {
    let mut log = CallerLog::default();
    let actor = fx.staff();
    loop {
        traffic.started.fetch_add(1, Ordering::SeqCst);
        let r = store.call_next(fx.tenant, fx.queue, &actor).await;
        traffic.finished.fetch_add(1, Ordering::SeqCst);
        match r {
            Ok(e) if e.status == EntryStatus::Called => log.called.push(e.id),
            Ok(e) => return Err(format!("call_next answered an entry that is {}", e.status)),
            Err(StoreError::QueueEmpty) => break,
            Err(e) => return Err(format!("call_next failed under load: {e:?}")),
        }
    }
    // "Empty" must mean empty. Only a read made while no call is in flight says for sure: a
    // call in flight may hold the last customers without having committed yet.
    let before = traffic.started.load(Ordering::SeqCst);
    if before == traffic.finished.load(Ordering::SeqCst) {
        let waiting = store
            .queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
            .await;
        let quiet = traffic.started.load(Ordering::SeqCst) == before
            && traffic.finished.load(Ordering::SeqCst) == before;
        if quiet {
            let waiting = waiting.map_err(|e| format!("queue_entries: {e:?}"))?;
            log.waiting_after_empty = waiting.iter().map(|e| e.id).collect();
        }
    }
    Ok(log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_never_share_or_skip_a_customer() {
    let db = TestDb::new().await;
    let fx = db.tenant("rush").await;
    let s = &*db.store;
    let mut joined = HashSet::new();
    for i in 0..WAITING {
        let r = s
            .join_queue(
                fx.tenant,
                fx.queue,
                new_entry("Guest", &phone(i)),
                &fx.staff(),
                OffsetDateTime::now_utc(),
            )
            .await;
        match r {
            Ok(Joined::Created(e, _)) => assert!(joined.insert(e.id)),
            other => panic!("join {i}: {other:?}"),
        }
    }
    let traffic = Arc::new(Traffic::default());
    let tasks: Vec<_> = (0..CALLERS)
        .map(|_| tokio::spawn(caller(db.store.clone(), fx.clone(), traffic.clone())))
        .collect();
    let mut called = Vec::new();
    let mut busy_callers = 0;
    for task in tasks {
        let log = match task.await.expect("caller task") {
            Ok(log) => log,
            Err(e) => panic!("{e}"),
        };
        assert!(
            log.waiting_after_empty.is_empty(),
            "told empty while {:?} waited",
            log.waiting_after_empty
        );
        if !log.called.is_empty() {
            busy_callers += 1;
        }
        called.extend(log.called);
    }
    let distinct: HashSet<_> = called.iter().copied().collect();
    assert_eq!(called.len(), WAITING as usize, "one call per customer");
    assert_eq!(distinct, joined, "every customer called exactly once");
    assert!(
        busy_callers > 1,
        "the calls were spread over several callers"
    );

    assert!(
        ok(
            "waiting",
            s.queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
                .await
        )
        .is_empty()
    );
    let stats = ok("stats", s.queue_stats(fx.tenant, fx.queue).await);
    assert_eq!((stats.waiting, stats.called), (0, i64::from(WAITING)));
    let events = ok("events", s.analytics_events(fx.tenant, fx.queue).await);
    let calls: Vec<_> = events.iter().filter(|e| e.event_type == "called").collect();
    assert_eq!(
        calls.len(),
        WAITING as usize,
        "one analytics event per call"
    );
    let called_entries: HashSet<_> = calls.iter().filter_map(|e| e.queue_entry_id).collect();
    assert_eq!(called_entries, joined);
    // Once empty, it stays empty for everyone.
    let r = s.call_next(fx.tenant, fx.queue, &fx.staff()).await;
    assert!(matches!(r, Err(StoreError::QueueEmpty)), "{r:?}");
}

async fn join_all(db: &TestDb, fx: &Fixture, news: Vec<qms_store::NewEntry>) -> Vec<Joined> {
    let tasks: Vec<_> = news
        .into_iter()
        .map(|new| {
            let (store, fx) = (db.store.clone(), fx.clone());
            tokio::spawn(async move {
                store
                    .join_queue(
                        fx.tenant,
                        fx.queue,
                        new,
                        &fx.staff(),
                        OffsetDateTime::now_utc(),
                    )
                    .await
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(ok("concurrent join", t.await.expect("join task")));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_get_distinct_tickets_and_a_dense_line() {
    let db = TestDb::new().await;
    let fx = db.tenant("crowd").await;
    let news = (0..JOINERS)
        .map(|i| new_entry(&format!("Guest {i}"), &phone(i)))
        .collect();
    let results = join_all(&db, &fx, news).await;
    let entries: Vec<QueueEntry> = results
        .into_iter()
        .map(|j| match j {
            Joined::Created(e, _) => e,
            other => panic!("distinct phones must each get a new place: {other:?}"),
        })
        .collect();
    let ids: HashSet<_> = entries.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), JOINERS as usize);
    let tickets: HashSet<_> = entries.iter().map(|e| e.ticket_number.clone()).collect();
    let want: HashSet<_> = (1..=JOINERS).map(|n| format!("M-{n:03}")).collect();
    assert_eq!(tickets, want, "tickets M-001..M-064, none repeated");
    // Nobody left the line, so each answer's place is still its place: 1..64 once each.
    let mut places: Vec<_> = entries.iter().map(|e| e.position).collect();
    places.sort_unstable();
    assert_eq!(places, (1..=i64::from(JOINERS)).collect::<Vec<_>>());

    let line = ok(
        "line",
        db.store
            .queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
            .await,
    );
    let order: Vec<_> = line.iter().map(|e| e.id).collect();
    assert_line(&*db.store, &fx, &order).await;
    // The line is in ticket order: whoever got the earlier ticket stands earlier.
    let mut by_ticket = line.clone();
    by_ticket.sort_by(|a, b| a.ticket_number.cmp(&b.ticket_number));
    assert_eq!(by_ticket, line);
    let joins = ok(
        "events",
        db.store.analytics_events(fx.tenant, fx.queue).await,
    );
    assert_eq!(
        joins
            .iter()
            .filter(|e| e.event_type == "customer-joined")
            .count(),
        JOINERS as usize
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_of_one_phone_make_one_place() {
    let db = TestDb::new().await;
    let fx = db.tenant("same-phone").await;
    let news = (0..16).map(|_| new_entry("Ann", "+60123000001")).collect();
    let results = join_all(&db, &fx, news).await;
    let created: Vec<_> = results
        .iter()
        .filter(|j| matches!(j, Joined::Created(..)))
        .collect();
    assert_eq!(created.len(), 1, "one new place");
    let id = created[0].entry().id;
    for j in &results {
        assert!(
            matches!(j, Joined::Created(..) | Joined::Existing(_)),
            "{j:?}"
        );
        assert_eq!(j.entry().id, id);
    }
    let all = ok(
        "entries",
        db.store
            .queue_entries(fx.tenant, fx.queue, &EntryStatus::ALL)
            .await,
    );
    assert_eq!(all.len(), 1);

    // The same with one idempotency key and different phones: one place, the rest replayed.
    let news = (0..16)
        .map(|i| {
            let mut n = new_entry("Bob", &phone(100 + i));
            n.idempotency_key = Some("same-key".into());
            n
        })
        .collect();
    let results = join_all(&db, &fx, news).await;
    let created = results
        .iter()
        .filter(|j| matches!(j, Joined::Created(..)))
        .count();
    assert_eq!(created, 1);
    let first: HashSet<_> = results.iter().map(|j| j.entry().id).collect();
    assert_eq!(first.len(), 1, "every retry answers the first place");
    assert!(
        results
            .iter()
            .all(|j| matches!(j, Joined::Created(..) | Joined::Replayed(_)))
    );
    let all = ok(
        "entries",
        db.store
            .queue_entries(fx.tenant, fx.queue, &EntryStatus::ALL)
            .await,
    );
    assert_eq!(all.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_never_overfill_a_queue() {
    let db = TestDb::new().await;
    let fx = db.tenant("overfill").await;
    let small = qms_domain::queue::QueueSettings {
        max_capacity: 10,
        ..qms_testkit::open_queue("Main")
    };
    ok(
        "update",
        db.store
            .update_queue(fx.tenant, fx.queue, small, &fx.staff())
            .await,
    );
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let (store, fx) = (db.store.clone(), fx.clone());
            tokio::spawn(async move {
                let new = new_entry("Guest", &phone(i));
                store
                    .join_queue(
                        fx.tenant,
                        fx.queue,
                        new,
                        &fx.staff(),
                        OffsetDateTime::now_utc(),
                    )
                    .await
            })
        })
        .collect();
    let (mut created, mut full) = (0, 0);
    for t in tasks {
        match t.await.expect("join task") {
            Ok(Joined::Created(..)) => created += 1,
            Err(StoreError::QueueFull) => full += 1,
            other => panic!("a join answered {other:?}"),
        }
    }
    assert_eq!((created, full), (10, 22));
    let waiting = ok(
        "line",
        db.store
            .queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
            .await,
    );
    assert_eq!(waiting.len(), 10);
}

/// Changes refused half-way (a bulk call whose second entry was already called) that run at
/// the same moment as successful ones (on SQLite, in the same group commit): the refused ones
/// leave nothing behind, the others are all kept, each with its journal rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_changes_among_concurrent_ones_leave_nothing_and_undo_nothing() {
    const REFUSED: usize = 24;
    let db = TestDb::new().await;
    let fx = db.tenant("mixed").await;
    let s = &*db.store;
    let head = join(s, &fx, "Head", &phone(9000)).await;
    let second = join(s, &fx, "Second", &phone(9001)).await;
    apply(s, &fx, head.id, qms_domain::entry::Transition::Call).await;
    let before = s
        .audit_logs(fx.tenant, &qms_testkit::newest(1000))
        .await
        .expect("audit rows")
        .len();

    // Each refused bulk call first calls `second` (allowed), then `head` (already called).
    let refused: Vec<_> = (0..REFUSED)
        .map(|_| {
            let (store, fx) = (db.store.clone(), fx.clone());
            let sel = qms_store::BulkSelection::Entries(vec![second.id, head.id]);
            tokio::spawn(
                async move { store.call_bulk(fx.tenant, fx.queue, sel, &fx.staff()).await },
            )
        })
        .collect();
    let news = (0..JOINERS)
        .map(|i| new_entry(&format!("Guest {i}"), &phone(i)))
        .collect();
    let joined = join_all(&db, &fx, news).await;
    for task in refused {
        match task.await.expect("bulk task") {
            Err(StoreError::InvalidTransition(e)) => assert_eq!(e.from, EntryStatus::Called),
            other => panic!("expected InvalidTransition, got {other:?}"),
        }
    }
    assert!(
        joined.iter().all(|j| matches!(j, Joined::Created(..))),
        "every join kept: {joined:?}"
    );
    let waiting = ok(
        "waiting",
        s.queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
            .await,
    );
    assert_eq!(waiting.len(), 1 + JOINERS as usize);
    assert_eq!(
        waiting[0].id, second.id,
        "the refused calls left `second` waiting"
    );
    let after = s
        .audit_logs(fx.tenant, &qms_testkit::newest(1000))
        .await
        .expect("audit rows")
        .len();
    assert_eq!(
        after - before,
        JOINERS as usize,
        "one audit row per join, none else"
    );
    let events = ok("events", s.analytics_events(fx.tenant, fx.queue).await);
    let calls = events.iter().filter(|e| e.event_type == "called").count();
    assert_eq!(calls, 1, "only the head's call left an event");
}
