//! Helpers shared by the contract modules: journal snapshots (audit rows and analytics events
//! written since a point), line checks, and shortcuts to put an entry into a given status.

use qms_domain::entry::{EntryStatus, Transition};
use qms_store::{AnalyticsEvent, AuditLog, Joined, NewEntry, QueueEntry, SessionRecord, Store};
use qms_testkit::{Fixture, new_entry, newest, ok};
use std::collections::HashSet;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The audit rows of a tenant and analytics events of a queue that existed at one moment.
pub struct Snapshot {
    audits: HashSet<Uuid>,
    events: HashSet<Uuid>,
}

impl Snapshot {
    pub async fn take(store: &dyn Store, fx: &Fixture) -> Snapshot {
        let audits = ok(
            "audit_logs",
            store.audit_logs(fx.tenant, &newest(1000)).await,
        );
        let events = ok(
            "analytics_events",
            store.analytics_events(fx.tenant, fx.queue).await,
        );
        Snapshot {
            audits: audits.iter().map(|a| a.id).collect(),
            events: events.iter().map(|e| e.id).collect(),
        }
    }

    /// Audit rows and analytics events written since the snapshot.
    pub async fn since(
        &self,
        store: &dyn Store,
        fx: &Fixture,
    ) -> (Vec<AuditLog>, Vec<AnalyticsEvent>) {
        let audits = ok(
            "audit_logs",
            store.audit_logs(fx.tenant, &newest(1000)).await,
        );
        let events = ok(
            "analytics_events",
            store.analytics_events(fx.tenant, fx.queue).await,
        );
        (
            audits
                .into_iter()
                .filter(|a| !self.audits.contains(&a.id))
                .collect(),
            events
                .into_iter()
                .filter(|e| !self.events.contains(&e.id))
                .collect(),
        )
    }

    /// Exactly one audit row with `action` about `resource_id` and one analytics event of
    /// `event_type` about `entry` were written since the snapshot.
    #[track_caller]
    pub fn check_one(
        &self,
        (audits, events): &(Vec<AuditLog>, Vec<AnalyticsEvent>),
        action: &str,
        resource_id: &str,
        event_type: &str,
        entry: Option<Uuid>,
    ) {
        assert_eq!(audits.len(), 1, "one audit row for {action}: {audits:#?}");
        assert_eq!(audits[0].action, action);
        assert_eq!(audits[0].resource_id.as_deref(), Some(resource_id));
        assert_eq!(
            events.len(),
            1,
            "one analytics event for {event_type}: {events:#?}"
        );
        assert_eq!(events[0].event_type, event_type);
        assert_eq!(events[0].queue_entry_id, entry);
    }

    /// One move of the state machine on `entry` left its audit row and its event.
    pub async fn expect_move(&self, store: &dyn Store, fx: &Fixture, entry: Uuid, t: Transition) {
        let rows = self.since(store, fx).await;
        self.check_one(
            &rows,
            t.audit_action(),
            &entry.to_string(),
            t.event_name(),
            Some(entry),
        );
        assert_eq!(rows.0[0].resource, "queue_entry");
    }

    /// Nothing was written since the snapshot.
    pub async fn expect_nothing(&self, store: &dyn Store, fx: &Fixture) {
        let (audits, events) = self.since(store, fx).await;
        assert!(audits.is_empty(), "unexpected audit rows: {audits:#?}");
        assert!(
            events.is_empty(),
            "unexpected analytics events: {events:#?}"
        );
    }
}

/// Joins `phone` to the fixture's queue and expects a new place.
pub async fn join(store: &dyn Store, fx: &Fixture, name: &str, phone: &str) -> QueueEntry {
    join_with(store, fx, new_entry(name, phone)).await
}

pub async fn join_with(store: &dyn Store, fx: &Fixture, new: NewEntry) -> QueueEntry {
    let joined = store
        .join_queue(
            fx.tenant,
            fx.queue,
            new,
            &fx.staff(),
            OffsetDateTime::now_utc(),
        )
        .await;
    match joined {
        Ok(Joined::Created(e, _)) => e,
        other => panic!("expected a new place, got {other:?}"),
    }
}

/// Applies a move that must succeed.
pub async fn apply(store: &dyn Store, fx: &Fixture, entry: Uuid, t: Transition) -> QueueEntry {
    let r = store
        .transition(fx.tenant, fx.queue, entry, t, &fx.staff())
        .await;
    ok(&format!("{t} {entry}"), r)
}

/// The moves that lead from waiting to `status`.
pub fn path_to(status: EntryStatus) -> &'static [Transition] {
    use Transition as T;
    match status {
        EntryStatus::Waiting => &[],
        EntryStatus::Called => &[T::Call],
        EntryStatus::Seated => &[T::Call, T::Seat],
        EntryStatus::Completed => &[T::Call, T::Seat, T::Complete],
        EntryStatus::Cancelled => &[T::Cancel],
        EntryStatus::NoShow => &[T::Call, T::NoShow],
    }
}

/// A new entry for `phone`, moved into `status`.
pub async fn entry_in(
    store: &dyn Store,
    fx: &Fixture,
    status: EntryStatus,
    phone: &str,
) -> QueueEntry {
    let mut e = join(store, fx, "Ann", phone).await;
    for t in path_to(status) {
        e = apply(store, fx, e.id, *t).await;
    }
    assert_eq!(e.status, status);
    e
}

/// The waiting line of the fixture's queue is exactly `ids`, in that order, with places 1..n,
/// and each customer's own view (by session) shows the same place.
pub async fn assert_line(store: &dyn Store, fx: &Fixture, ids: &[Uuid]) {
    let line = ok(
        "queue_entries(waiting)",
        store
            .queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
            .await,
    );
    let got: Vec<Uuid> = line.iter().map(|e| e.id).collect();
    assert_eq!(got, ids, "line order");
    for (i, e) in line.iter().enumerate() {
        assert_eq!(e.status, EntryStatus::Waiting);
        assert_eq!(e.position, i as i64 + 1, "place of {}", e.ticket_number);
        let own = ok(
            "entry_by_session",
            store.entry_by_session(fx.tenant, &e.session_id).await,
        );
        let own = own.expect("a waiting entry is found by its session");
        assert_eq!(own.position, e.position, "own view of {}", e.ticket_number);
    }
}

/// Reads one entry through its session.
pub async fn reread(store: &dyn Store, fx: &Fixture, e: &QueueEntry) -> QueueEntry {
    ok(
        "entry_by_session",
        store.entry_by_session(fx.tenant, &e.session_id).await,
    )
    .expect("entry still exists")
}

/// `t` is within a few seconds of now (clocks of the database and the test may differ a little).
#[track_caller]
pub fn recent(t: Option<OffsetDateTime>, what: &str) {
    let t = t.unwrap_or_else(|| panic!("{what} is not set"));
    let age = OffsetDateTime::now_utc() - t;
    assert!(age.whole_seconds().abs() < 30, "{what} = {t} is not recent");
}

/// Now, to the whole second (every backend stores at least that precisely).
pub fn now_s() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now - Duration::nanoseconds(i64::from(now.nanosecond()))
}

/// A stored session for tests.
pub fn session(id: &str, user: Option<Uuid>, expire: OffsetDateTime) -> SessionRecord {
    SessionRecord {
        id_hash: id.into(),
        data: format!("{{\"sid\":\"{id}\"}}"),
        user_id: user,
        expire,
    }
}

/// The session exists and has not expired.
pub async fn live(s: &dyn Store, id: &str) -> bool {
    ok(
        "session_load",
        s.session_load(id, OffsetDateTime::now_utc()).await,
    )
    .is_some()
}
