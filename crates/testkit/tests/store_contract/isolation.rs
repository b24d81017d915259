//! Tenant isolation: tenant B, naming tenant A's ids, reads nothing of A and changes nothing
//! of A. Every tenant-scoped method of the `Store` is tried.

use crate::common::{apply, join};
use qms_domain::entry::{EntryStatus, Transition};
use qms_store::{
    BulkSelection, NewServiceType, QueueEntry, Store, StoreError, StoreResult, TenantId,
};
use qms_testkit::{Fixture, TestDb, assert_refused, new_entry, newest, ok, open_queue, same_error};
use time::OffsetDateTime;
use uuid::Uuid;

/// Everything of tenant A that B might read or touch.
#[derive(Debug, PartialEq)]
struct State {
    queue: Option<qms_store::Queue>,
    stats: qms_store::QueueStats,
    entries: Vec<QueueEntry>,
    service_types: Vec<qms_store::ServiceType>,
    events: usize,
    audits: usize,
    owner: Option<qms_store::TenantUser>,
    merchants: Vec<qms_store::Merchant>,
    subscription: qms_store::Subscription,
    queues: usize,
}

async fn state(s: &dyn Store, fx: &Fixture) -> State {
    State {
        queue: ok("queue", s.queue(fx.tenant, fx.queue).await),
        stats: ok("queue_stats", s.queue_stats(fx.tenant, fx.queue).await),
        entries: ok(
            "entries",
            s.queue_entries(fx.tenant, fx.queue, &EntryStatus::ALL)
                .await,
        ),
        service_types: ok("service_types", s.service_types(fx.tenant).await),
        events: ok("events", s.analytics_events(fx.tenant, fx.queue).await).len(),
        audits: ok("audit_logs", s.audit_logs(fx.tenant, &newest(1000)).await).len(),
        owner: ok("user_by_id", s.user_by_id(fx.tenant, fx.owner).await),
        merchants: ok("merchants", s.merchants(fx.tenant).await),
        subscription: ok("subscription", s.subscription(fx.tenant).await),
        queues: ok("list_queues", s.list_queues(fx.tenant).await).len(),
    }
}

/// A read of another tenant's rows answers nothing: `NotFound` or an empty list.
#[track_caller]
fn nothing<T: std::fmt::Debug>(what: &str, r: StoreResult<Vec<T>>) {
    match r {
        Ok(v) if v.is_empty() => {}
        Err(StoreError::NotFound) => {}
        other => panic!("{what}: expected nothing, got {other:?}"),
    }
}

fn service(name: &str) -> NewServiceType {
    NewServiceType {
        name: name.into(),
        description: None,
        estimated_duration: 10,
        is_active: true,
    }
}

#[tokio::test]
async fn another_tenant_reads_nothing_and_changes_nothing() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let a = db.tenant("tenant-a").await;
    let b = db.tenant("tenant-b").await;

    let st = ok(
        "create_service_type",
        s.create_service_type(a.tenant, a.merchant, service("Dine-in"), &a.staff())
            .await,
    );
    let e1 = join(s, &a, "Ann", "+60123000001").await;
    let e2 = join(s, &a, "Bob", "+60123000002").await;
    let e3 = join(s, &a, "Cat", "+60123000003").await;
    let e3 = apply(s, &a, e3.id, Transition::Call).await;
    let before = state(s, &a).await;
    assert_eq!(before.entries.len(), 3);
    let b_audits = ok("audit_logs", s.audit_logs(b.tenant, &newest(1000)).await).len();
    let (bt, actor) = (b.tenant, b.staff());

    // ----- reads -----
    assert_eq!(ok("queue", s.queue(bt, a.queue).await), None);
    assert_refused(s.queue_stats(bt, a.queue).await, &StoreError::NotFound);
    let b_queues = ok("list_queues", s.list_queues(bt).await);
    assert_eq!(
        b_queues.iter().map(|q| q.queue.id).collect::<Vec<_>>(),
        vec![b.queue]
    );
    nothing(
        "queue_entries",
        s.queue_entries(bt, a.queue, &EntryStatus::ALL).await,
    );
    nothing("analytics_events", s.analytics_events(bt, a.queue).await);
    for e in [&e1, &e2, &e3] {
        assert_eq!(
            ok(
                "entry_by_session",
                s.entry_by_session(bt, &e.session_id).await
            ),
            None
        );
    }
    assert!(ok("service_types", s.service_types(bt).await).is_empty());
    assert_eq!(ok("user_by_id", s.user_by_id(bt, a.owner).await), None);
    assert_eq!(
        ok("user_by_email", s.user_by_email(bt, &a.owner_email).await),
        None
    );
    let b_merchants = ok("merchants", s.merchants(bt).await);
    assert_eq!(
        b_merchants.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![b.merchant]
    );
    let b_log = ok("audit_logs", s.audit_logs(bt, &newest(1000)).await);
    assert!(b_log.iter().all(|r| r.tenant_id == Some(bt)), "{b_log:#?}");
    assert_eq!(ok("subscription", s.subscription(bt).await).tenant_id, bt);

    // ----- writes: every one answers NotFound -----
    let nf = StoreError::NotFound;
    let mut changed = open_queue("Hijacked");
    changed.accepting_customers = false;
    assert_refused(
        s.update_queue(bt, a.queue, changed.clone(), &actor).await,
        &nf,
    );
    assert_refused(s.set_accepting(bt, a.queue, false, &actor).await, &nf);
    assert_refused(s.delete_queue(bt, a.queue, &actor).await, &nf);
    assert_refused(s.create_queue(bt, a.merchant, changed, &actor).await, &nf);
    assert_refused(
        s.create_service_type(bt, a.merchant, service("X"), &actor)
            .await,
        &nf,
    );
    assert_refused(
        s.update_service_type(bt, st.id, service("X"), &actor).await,
        &nf,
    );
    assert_refused(s.delete_service_type(bt, st.id, &actor).await, &nf);
    let now = OffsetDateTime::now_utc();
    let joined = s
        .join_queue(bt, a.queue, new_entry("Eve", "+60123000009"), &actor, now)
        .await;
    assert_refused(joined, &nf);
    for t in Transition::ALL {
        for e in [&e1, &e3] {
            assert_refused(s.transition(bt, a.queue, e.id, t, &actor).await, &nf);
            assert_refused(s.transition(bt, b.queue, e.id, t, &actor).await, &nf);
        }
    }
    assert_refused(s.call_next(bt, a.queue, &actor).await, &nf);
    assert_refused(
        s.call_bulk(bt, a.queue, BulkSelection::Next(2), &actor)
            .await,
        &nf,
    );
    let mine = BulkSelection::Entries(vec![e1.id, e2.id]);
    assert_refused(s.call_bulk(bt, a.queue, mine.clone(), &actor).await, &nf);
    assert_refused(s.call_bulk(bt, b.queue, mine, &actor).await, &nf);
    assert_refused(s.reorder(bt, a.queue, &[e2.id, e1.id], &actor).await, &nf);
    match s.reorder(bt, b.queue, &[e2.id, e1.id], &actor).await {
        Err(StoreError::NotFound | StoreError::StaleOrder) => {}
        other => panic!("reorder of another tenant's entries in my queue: {other:?}"),
    }
    for e in [&e1, &e3] {
        assert_refused(s.cancel_by_customer(bt, &e.session_id, &actor).await, &nf);
    }
    assert_refused(s.record_login(bt, a.owner, &actor).await, &nf);
    // A's service type is no reference for B's queue either.
    let mut with_st = new_entry("Eve", "+60123000009");
    with_st.service_type_id = Some(st.id);
    let joined = s.join_queue(bt, b.queue, with_st, &actor, now).await;
    assert_refused(joined, &StoreError::UnknownReference("serviceTypeId"));

    // ----- nothing of A changed, and B's refused writes left no trace -----
    let after = state(s, &a).await;
    assert_eq!(after, before);
    assert_eq!(after.owner.as_ref().and_then(|o| o.last_login), None);
    assert_eq!(
        ok("audit_logs", s.audit_logs(bt, &newest(1000)).await).len(),
        b_audits
    );
    assert!(
        ok(
            "b entries",
            s.queue_entries(bt, b.queue, &EntryStatus::ALL).await
        )
        .is_empty()
    );
    assert!(ok("b events", s.analytics_events(bt, b.queue).await).is_empty());

    // A still works normally after all that.
    let called = ok(
        "call_next",
        s.call_next(a.tenant, a.queue, &a.staff()).await,
    );
    assert_eq!(called.id, e1.id);
}

#[tokio::test]
async fn unknown_ids_are_not_found_for_the_owner_too() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("tenant-c").await;
    let (t, actor, nf) = (fx.tenant, fx.staff(), StoreError::NotFound);
    let ghost = Uuid::now_v7();
    assert_eq!(ok("queue", s.queue(t, ghost).await), None);
    assert_refused(s.queue_stats(t, ghost).await, &nf);
    assert_refused(s.update_queue(t, ghost, open_queue("X"), &actor).await, &nf);
    assert_refused(s.set_accepting(t, ghost, true, &actor).await, &nf);
    assert_refused(s.delete_queue(t, ghost, &actor).await, &nf);
    assert_refused(s.create_queue(t, ghost, open_queue("X"), &actor).await, &nf);
    assert_refused(
        s.transition(t, fx.queue, ghost, Transition::Call, &actor)
            .await,
        &nf,
    );
    assert_refused(s.call_next(t, ghost, &actor).await, &nf);
    let sel = BulkSelection::Entries(vec![ghost]);
    assert_refused(s.call_bulk(t, fx.queue, sel, &actor).await, &nf);
    assert_refused(
        s.cancel_by_customer(t, "no-such-session", &actor).await,
        &nf,
    );
    assert_eq!(
        ok(
            "entry_by_session",
            s.entry_by_session(t, "no-such-session").await
        ),
        None
    );
    let r = s.join_queue(
        t,
        ghost,
        new_entry("A", "+60123000001"),
        &actor,
        OffsetDateTime::now_utc(),
    );
    assert_refused(r.await, &nf);
    nothing(
        "queue_entries",
        s.queue_entries(t, ghost, &[EntryStatus::Waiting]).await,
    );
    // An unknown tenant sees nothing at all.
    let nobody = TenantId(Uuid::now_v7());
    assert!(ok("list_queues", s.list_queues(nobody).await).is_empty());
    assert!(ok("audit_logs", s.audit_logs(nobody, &newest(10)).await).is_empty());
    assert!(same_error(
        &s.subscription(nobody).await.expect_err("no subscription"),
        &nf
    ));
}
