//! Queues and service types: create, read, update, pause, delete (refused while customers
//! wait), live numbers, the plan's queue limit, and the audit rows each change writes.

use crate::common::{apply, join, join_with};
use qms_domain::entry::{EntryStatus, Transition};
use qms_domain::{Plan, wait};
use qms_store::{NewServiceType, QueueStats, Store, StoreError};
use qms_testkit::{Fixture, TestDb, assert_refused, new_entry, newest, ok, open_queue};
use time::OffsetDateTime;

/// The newest audit row's action and resource id.
async fn last_audit(s: &dyn Store, fx: &Fixture) -> (String, Option<String>) {
    let rows = ok("audit_logs", s.audit_logs(fx.tenant, &newest(1)).await);
    let row = rows.into_iter().next().expect("an audit row");
    (row.action, row.resource_id)
}

#[tokio::test]
async fn queues_are_created_read_updated_and_paused() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("queues").await;
    let actor = fx.staff();

    let main = ok("queue", s.queue(fx.tenant, fx.queue).await).expect("fixture queue");
    assert_eq!(main.settings, open_queue("Main"));
    assert_eq!(main.tenant_id, fx.tenant);
    assert_eq!(main.merchant_id, fx.merchant);
    assert_eq!(main.current_serving, 0);

    let mut bar = open_queue("Bar");
    bar.description = Some("Drinks only".into());
    bar.max_capacity = 20;
    bar.average_service_time = 12;
    bar.allow_cancellation = false;
    bar.business_hours_start = "18:00".into();
    bar.business_hours_end = "02:00".into();
    let created = ok(
        "create_queue",
        s.create_queue(fx.tenant, fx.merchant, bar.clone(), &actor)
            .await,
    );
    assert_eq!(created.settings, bar);
    assert_eq!(created.tenant_id, fx.tenant);
    assert_eq!(created.merchant_id, fx.merchant);
    assert_eq!(
        ok("queue", s.queue(fx.tenant, created.id).await).as_ref(),
        Some(&created)
    );
    assert_eq!(
        last_audit(s, &fx).await,
        ("queue.create".into(), Some(created.id.to_string()))
    );

    let listed = ok("list_queues", s.list_queues(fx.tenant).await);
    let mut ids: Vec<_> = listed.iter().map(|q| q.queue.id).collect();
    ids.sort();
    let mut want = vec![fx.queue, created.id];
    want.sort();
    assert_eq!(ids, want);
    let bar_summary = listed
        .iter()
        .find(|q| q.queue.id == created.id)
        .expect("listed");
    assert_eq!(bar_summary.queue, created);
    assert_eq!(bar_summary.stats, QueueStats::from_counts(0, 0, 12.0));

    let mut changed = bar.clone();
    changed.name = "Bar & Lounge".into();
    changed.description = None;
    changed.max_capacity = 40;
    changed.notification_interval = 9;
    changed.require_confirmation = false;
    let updated = ok(
        "update_queue",
        s.update_queue(fx.tenant, created.id, changed.clone(), &actor)
            .await,
    );
    assert_eq!(updated.settings, changed);
    assert_eq!(updated.created_at, created.created_at);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(
        ok("queue", s.queue(fx.tenant, created.id).await),
        Some(updated.clone())
    );
    assert_eq!(
        last_audit(s, &fx).await,
        ("queue.update".into(), Some(created.id.to_string()))
    );

    let paused = ok(
        "set_accepting",
        s.set_accepting(fx.tenant, created.id, false, &actor).await,
    );
    assert!(!paused.settings.accepting_customers);
    assert_eq!(
        paused.settings,
        qms_domain::queue::QueueSettings {
            accepting_customers: false,
            ..changed.clone()
        }
    );
    assert_eq!(
        last_audit(s, &fx).await,
        ("queue.pause".into(), Some(created.id.to_string()))
    );
    let open = ok(
        "set_accepting",
        s.set_accepting(fx.tenant, created.id, true, &actor).await,
    );
    assert_eq!(open.settings, changed);
    assert_eq!(
        last_audit(s, &fx).await,
        ("queue.open".into(), Some(created.id.to_string()))
    );
    // The other queue is untouched.
    assert_eq!(ok("queue", s.queue(fx.tenant, fx.queue).await), Some(main));
}

#[tokio::test]
async fn live_numbers_count_waiting_and_called_customers() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("stats").await;
    assert_eq!(
        ok("queue_stats", s.queue_stats(fx.tenant, fx.queue).await),
        QueueStats {
            waiting: 0,
            called: 0,
            average_wait_time: 5,
            next_position: 1
        }
    );
    let a = join(s, &fx, "A", "+60123000001").await;
    let b = join(s, &fx, "B", "+60123000002").await;
    join(s, &fx, "C", "+60123000003").await;
    join(s, &fx, "D", "+60123000004").await;
    apply(s, &fx, a.id, Transition::Call).await;
    apply(s, &fx, b.id, Transition::Cancel).await;
    let stats = ok("queue_stats", s.queue_stats(fx.tenant, fx.queue).await);
    // Fewer than three recent calls: the configured 5 minutes per turn.
    let want = QueueStats {
        waiting: 2,
        called: 1,
        average_wait_time: wait::estimate_minutes(3, 5.0),
        next_position: 3,
    };
    assert_eq!(stats, want);
    assert_eq!(stats.average_wait_time, 15);
    let listed = ok("list_queues", s.list_queues(fx.tenant).await);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].stats, want);
    apply(s, &fx, a.id, Transition::Seat).await;
    let stats = ok("queue_stats", s.queue_stats(fx.tenant, fx.queue).await);
    assert_eq!(
        (stats.waiting, stats.called, stats.next_position),
        (2, 0, 3)
    );
}

#[tokio::test]
async fn the_free_plan_allows_three_queues_per_merchant() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant_with_plan("free", Plan::Free).await;
    let limit = ok("subscription", s.subscription(fx.tenant).await).max_queues_per_merchant;
    assert_eq!(limit, 3);
    let actor = fx.staff();
    let second = ok(
        "create 2",
        s.create_queue(fx.tenant, fx.merchant, open_queue("B"), &actor)
            .await,
    );
    ok(
        "create 3",
        s.create_queue(fx.tenant, fx.merchant, open_queue("C"), &actor)
            .await,
    );
    let fourth = s
        .create_queue(fx.tenant, fx.merchant, open_queue("D"), &actor)
        .await;
    match fourth {
        Err(StoreError::PlanLimit(msg)) => assert!(msg.contains('3'), "{msg}"),
        other => panic!("expected PlanLimit, got {other:?}"),
    }
    let names: Vec<_> = ok("list", s.list_queues(fx.tenant).await)
        .into_iter()
        .map(|q| q.queue.settings.name)
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(!names.contains(&"D".to_string()));
    // Deleting one makes room again.
    ok("delete", s.delete_queue(fx.tenant, second.id, &actor).await);
    ok(
        "create again",
        s.create_queue(fx.tenant, fx.merchant, open_queue("D"), &actor)
            .await,
    );
    let again = s
        .create_queue(fx.tenant, fx.merchant, open_queue("E"), &actor)
        .await;
    assert!(matches!(again, Err(StoreError::PlanLimit(_))), "{again:?}");
}

#[tokio::test]
async fn a_queue_with_customers_cannot_be_deleted() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("deleting").await;
    let actor = fx.staff();
    let e = join(s, &fx, "Ann", "+60123000001").await;
    assert_refused(
        s.delete_queue(fx.tenant, fx.queue, &actor).await,
        &StoreError::QueueHasCustomers,
    );
    apply(s, &fx, e.id, Transition::Call).await;
    assert_refused(
        s.delete_queue(fx.tenant, fx.queue, &actor).await,
        &StoreError::QueueHasCustomers,
    );
    assert!(ok("queue", s.queue(fx.tenant, fx.queue).await).is_some());
    assert_eq!(
        ok(
            "entries",
            s.queue_entries(fx.tenant, fx.queue, &EntryStatus::ALL)
                .await
        )
        .len(),
        1
    );
    apply(s, &fx, e.id, Transition::Seat).await;

    ok(
        "delete_queue",
        s.delete_queue(fx.tenant, fx.queue, &actor).await,
    );
    assert_eq!(
        last_audit(s, &fx).await,
        ("queue.delete".into(), Some(fx.queue.to_string()))
    );
    assert_eq!(ok("queue", s.queue(fx.tenant, fx.queue).await), None);
    assert!(ok("list_queues", s.list_queues(fx.tenant).await).is_empty());
    assert_refused(
        s.delete_queue(fx.tenant, fx.queue, &actor).await,
        &StoreError::NotFound,
    );
    // The history went with it.
    assert_eq!(
        ok(
            "entry_by_session",
            s.entry_by_session(fx.tenant, &e.session_id).await
        ),
        None
    );
    match s.analytics_events(fx.tenant, fx.queue).await {
        Ok(v) if v.is_empty() => {}
        Err(StoreError::NotFound) => {}
        other => panic!("events of a deleted queue: {other:?}"),
    }
    let r = s.join_queue(
        fx.tenant,
        fx.queue,
        new_entry("B", "+60123000002"),
        &actor,
        OffsetDateTime::now_utc(),
    );
    assert_refused(r.await, &StoreError::NotFound);
}

fn service(name: &str, minutes: i32, active: bool) -> NewServiceType {
    NewServiceType {
        name: name.into(),
        description: Some(format!("{name} service")),
        estimated_duration: minutes,
        is_active: active,
    }
}

#[tokio::test]
async fn service_types_are_managed_and_joined_by_reference() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("services").await;
    let (t, actor) = (fx.tenant, fx.staff());
    assert!(ok("service_types", s.service_types(t).await).is_empty());

    let take = ok(
        "create",
        s.create_service_type(t, fx.merchant, service("Takeaway", 5, true), &actor)
            .await,
    );
    assert_eq!(take.tenant_id, t);
    assert_eq!(take.merchant_id, fx.merchant);
    assert_eq!(take.name, "Takeaway");
    assert_eq!(take.description.as_deref(), Some("Takeaway service"));
    assert_eq!(take.estimated_duration, 5);
    assert!(take.is_active);
    assert_eq!(
        last_audit(s, &fx).await,
        ("service_type.create".into(), Some(take.id.to_string()))
    );
    let dine = ok(
        "create",
        s.create_service_type(t, fx.merchant, service("Dine-in", 45, true), &actor)
            .await,
    );
    let names: Vec<_> = ok("list", s.service_types(t).await)
        .into_iter()
        .map(|x| x.name)
        .collect();
    assert_eq!(names, vec!["Dine-in", "Takeaway"], "sorted by name");

    let mut e = new_entry("Ann", "+60123000001");
    e.service_type_id = Some(dine.id);
    let joined = join_with(s, &fx, e).await;
    assert_eq!(joined.service_type_id, Some(dine.id));

    let renamed = NewServiceType {
        description: None,
        ..service("Dine in", 50, false)
    };
    let updated = ok(
        "update",
        s.update_service_type(t, dine.id, renamed, &actor).await,
    );
    assert_eq!(updated.id, dine.id);
    assert_eq!(updated.name, "Dine in");
    assert_eq!(updated.description, None);
    assert_eq!(updated.estimated_duration, 50);
    assert!(!updated.is_active);
    assert_eq!(
        last_audit(s, &fx).await,
        ("service_type.update".into(), Some(dine.id.to_string()))
    );
    let listed = ok("list", s.service_types(t).await);
    assert_eq!(listed.iter().find(|x| x.id == dine.id), Some(&updated));

    // An inactive service type cannot be chosen.
    let mut e = new_entry("Bob", "+60123000002");
    e.service_type_id = Some(dine.id);
    let r = s
        .join_queue(t, fx.queue, e, &actor, OffsetDateTime::now_utc())
        .await;
    assert_refused(r, &StoreError::UnknownReference("serviceTypeId"));

    ok("delete", s.delete_service_type(t, take.id, &actor).await);
    assert_eq!(
        last_audit(s, &fx).await,
        ("service_type.delete".into(), Some(take.id.to_string()))
    );
    let ids: Vec<_> = ok("list", s.service_types(t).await)
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(ids, vec![dine.id]);
    assert_refused(
        s.delete_service_type(t, take.id, &actor).await,
        &StoreError::NotFound,
    );
    let r = s
        .update_service_type(t, take.id, service("Gone", 1, true), &actor)
        .await;
    assert_refused(r, &StoreError::NotFound);
    let mut e = new_entry("Cat", "+60123000003");
    e.service_type_id = Some(take.id);
    let r = s
        .join_queue(t, fx.queue, e, &actor, OffsetDateTime::now_utc())
        .await;
    assert_refused(r, &StoreError::UnknownReference("serviceTypeId"));
    let r = s
        .create_service_type(t, uuid::Uuid::now_v7(), service("X", 1, true), &actor)
        .await;
    assert_refused(r, &StoreError::NotFound);
}

#[tokio::test]
async fn the_board_and_a_place_agree_with_the_other_reads() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("board").await;
    let mut people = Vec::new();
    for i in 0..5 {
        people.push(join(s, &fx, &format!("P{i}"), &format!("+6012345670{i}")).await);
    }
    apply(s, &fx, people[0].id, Transition::Call).await;
    apply(s, &fx, people[1].id, Transition::Call).await;
    apply(s, &fx, people[1].id, Transition::Seat).await;

    let board = ok("queue_board", s.queue_board(fx.tenant, fx.queue).await).expect("board");
    let listed = ok("list_queues", s.list_queues(fx.tenant).await);
    let summary = listed
        .into_iter()
        .find(|q| q.queue.id == fx.queue)
        .expect("listed");
    assert_eq!(board.summary, summary);
    assert_eq!(
        board.summary.stats,
        ok("queue_stats", s.queue_stats(fx.tenant, fx.queue).await)
    );
    assert_eq!(board.summary.stats.waiting, 3);
    assert_eq!(board.summary.stats.called, 1);

    let waiting = ok(
        "queue_entries",
        s.queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
            .await,
    );
    assert_eq!(board.waiting, waiting);
    let ids: Vec<_> = board.waiting.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![people[2].id, people[3].id, people[4].id]);
    let places: Vec<_> = board.waiting.iter().map(|e| e.position).collect();
    assert_eq!(places, vec![1, 2, 3]);
    assert!(
        board
            .waiting
            .windows(2)
            .all(|w| w[0].estimated_wait_time <= w[1].estimated_wait_time)
    );
    assert_eq!(
        board.called.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![people[0].id]
    );
    assert_eq!(
        board.seated.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![people[1].id]
    );

    // A customer's place: the same entry the board shows, with the queue's name.
    for e in &board.waiting {
        let place = ok(
            "place_by_session",
            s.place_by_session(fx.tenant, &e.session_id).await,
        )
        .expect("a place");
        assert_eq!(&place.entry, e);
        assert_eq!(place.queue_name, summary.queue.settings.name);
    }
    let called = ok(
        "place_by_session",
        s.place_by_session(fx.tenant, &people[0].session_id).await,
    )
    .expect("a place");
    assert_eq!(called.entry.position, 0);
    assert_eq!(called.entry.status, EntryStatus::Called);

    // Another tenant sees neither.
    let other = db.tenant("board-other").await;
    assert_eq!(
        ok("queue_board", s.queue_board(other.tenant, fx.queue).await),
        None
    );
    assert_eq!(
        ok(
            "place_by_session",
            s.place_by_session(other.tenant, &people[2].session_id)
                .await
        ),
        None
    );
}
