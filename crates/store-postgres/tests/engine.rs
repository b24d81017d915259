//! The queue engine on PostgreSQL: the rules of joining and moving customers, the errors the
//! store answers, and what happens when many callers act at once (no customer is called twice,
//! no ticket repeats, no deadlock surfaces as a backend error, limits and the last owner hold).
//!
//! Needs `TEST_DATABASE_URL` naming a PostgreSQL server; without it each test prints one line and
//! passes, even under `QMS_TEST_STRICT=1` (CI's PostgreSQL pass sets it; see `common`).

#![allow(clippy::expect_used)]

mod common;

use common::{customer, new_tenant, open_queue, server_url, with_fresh_database};
use qms_domain::Role;
use qms_domain::entry::{EntryStatus, Transition};
use qms_domain::queue::QueueSettings;
use qms_store::{
    Actor, AuditFilter, BulkSelection, Joined, NewBackOfficeUser, NewUser, Store, StoreError,
    TokenKind, UserPatch,
};
use qms_store_postgres::PgStore;
use std::collections::HashSet;
use std::sync::Arc;
use time::OffsetDateTime;
use uuid::Uuid;

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[tokio::test]
async fn joins_and_moves_follow_the_rules() {
    let Some(server) = server_url() else { return };
    with_fresh_database(&server, |opts| async move {
        let store = PgStore::connect_with_options(opts, None)
            .await
            .expect("connect");
        let sys = Actor::system();
        let t = new_tenant(&store, "delta").await;
        let tid = t.tenant.id;
        let q = open_queue(&store, &t, "Main").await;

        // Joins: tickets and places in order; same phone answers the existing place;
        // the same idempotency key answers the first place.
        let mut ids = Vec::new();
        for (i, phone) in ["+60123456701", "+60123456702", "+60123456703"]
            .iter()
            .enumerate()
        {
            let joined = store
                .join_queue(tid, q.id, customer("C", phone), &sys, now())
                .await;
            let Ok(Joined::Created(e, _)) = joined else {
                panic!("created: {joined:?}")
            };
            assert_eq!(e.ticket_number, format!("M-00{}", i + 1));
            assert_eq!(e.position, i as i64 + 1);
            assert_eq!(e.status, EntryStatus::Waiting);
            assert!(e.estimated_wait_time > 0);
            ids.push(e.id);
        }
        let again = store
            .join_queue(tid, q.id, customer("C", "+60123456702"), &sys, now())
            .await;
        let Ok(Joined::Existing(e)) = again else {
            panic!("existing: {again:?}")
        };
        assert_eq!((e.id, e.position), (ids[1], 2));
        let mut keyed = customer("K", "+60123456704");
        keyed.idempotency_key = Some("key-1".into());
        let first = store
            .join_queue(tid, q.id, keyed.clone(), &sys, now())
            .await;
        let Ok(Joined::Created(first, _)) = first else {
            panic!("created: {first:?}")
        };
        keyed.session_id = "another-session".into();
        let replay = store.join_queue(tid, q.id, keyed, &sys, now()).await;
        let Ok(Joined::Replayed(replay)) = replay else {
            panic!("replayed: {replay:?}")
        };
        assert_eq!(replay.id, first.id);
        ids.push(first.id);

        // Call-next takes the head; places close up; current_serving follows the ticket.
        let called = store.call_next(tid, q.id, &sys).await.expect("call next");
        assert_eq!(
            (called.id, called.status, called.position),
            (ids[0], EntryStatus::Called, 0)
        );
        assert!(called.called_at.is_some());
        assert_eq!(
            store
                .queue(tid, q.id)
                .await
                .expect("q")
                .map(|q| q.current_serving),
            Some(1)
        );
        let waiting = store
            .queue_entries(tid, q.id, &[EntryStatus::Waiting])
            .await
            .expect("list");
        assert_eq!(
            waiting.iter().map(|e| e.position).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        let stats = store.queue_stats(tid, q.id).await.expect("stats");
        assert_eq!(
            (stats.waiting, stats.called, stats.next_position),
            (3, 1, 4)
        );

        // The state machine: seat, complete; a forbidden move is refused.
        let seated = store
            .transition(tid, q.id, ids[0], Transition::Seat, &sys)
            .await;
        assert_eq!(seated.expect("seat").status, EntryStatus::Seated);
        let err = store
            .transition(tid, q.id, ids[0], Transition::Call, &sys)
            .await;
        assert!(
            matches!(err, Err(StoreError::InvalidTransition(_))),
            "{err:?}"
        );
        let done = store
            .transition(tid, q.id, ids[0], Transition::Complete, &sys)
            .await;
        assert_eq!(done.expect("complete").status, EntryStatus::Completed);

        // Reorder: reversed; a list naming a non-waiting entry is stale.
        let mut order: Vec<Uuid> = waiting.iter().map(|e| e.id).collect();
        order.reverse();
        store
            .reorder(tid, q.id, &order, &sys)
            .await
            .expect("reorder");
        let now_waiting = store
            .queue_entries(tid, q.id, &[EntryStatus::Waiting])
            .await;
        let now_waiting = now_waiting.expect("list");
        assert_eq!(now_waiting.iter().map(|e| e.id).collect::<Vec<_>>(), order);
        assert_eq!(
            now_waiting.iter().map(|e| e.position).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        let stale = store.reorder(tid, q.id, &[ids[0], ids[1]], &sys).await;
        assert!(matches!(stale, Err(StoreError::StaleOrder)), "{stale:?}");

        // Bulk call of the next two, all or nothing.
        let bulk = store
            .call_bulk(tid, q.id, BulkSelection::Next(2), &sys)
            .await
            .expect("bulk");
        assert_eq!(
            bulk.iter().map(|e| e.id).collect::<Vec<_>>(),
            order[..2].to_vec()
        );
        let bad = store
            .call_bulk(
                tid,
                q.id,
                BulkSelection::Entries(vec![order[2], order[0]]),
                &sys,
            )
            .await;
        assert!(
            matches!(bad, Err(StoreError::InvalidTransition(_))),
            "{bad:?}"
        );
        let left = store
            .queue_entries(tid, q.id, &[EntryStatus::Waiting])
            .await
            .expect("list");
        assert_eq!(
            left.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![order[2]],
            "rolled back"
        );

        // A called customer whose phone joined again cannot be requeued into a second place.
        let called_phone = bulk[0].customer_phone.clone();
        store
            .join_queue(tid, q.id, customer("Again", &called_phone), &sys, now())
            .await
            .expect("rejoin");
        let dup = store
            .transition(tid, q.id, bulk[0].id, Transition::Requeue, &sys)
            .await;
        assert!(matches!(dup, Err(StoreError::AlreadyWaiting)), "{dup:?}");
        let back = store
            .transition(tid, q.id, bulk[1].id, Transition::Requeue, &sys)
            .await;
        let back = back.expect("requeue");
        assert_eq!((back.status, back.position), (EntryStatus::Waiting, 3));

        // The customer cancels by session; switched off, they cannot.
        let session = left[0].session_id.clone();
        let gone = store
            .cancel_by_customer(tid, &session, &Actor::customer(None, None))
            .await;
        assert_eq!(gone.expect("cancel").status, EntryStatus::Cancelled);
        let mut s = q.settings.clone();
        s.allow_cancellation = false;
        store
            .update_queue(tid, q.id, s, &sys)
            .await
            .expect("update");
        let session = back.session_id.clone();
        let refused = store
            .cancel_by_customer(tid, &session, &Actor::customer(None, None))
            .await;
        assert!(
            matches!(refused, Err(StoreError::CancellationNotAllowed)),
            "{refused:?}"
        );
        assert!(
            store
                .entry_by_session(tid, "nobody")
                .await
                .expect("lookup")
                .is_none()
        );

        // Closed and full queues refuse; a queue with customers cannot be deleted.
        store
            .set_accepting(tid, q.id, false, &sys)
            .await
            .expect("pause");
        let closed = store
            .join_queue(tid, q.id, customer("X", "+60123456709"), &sys, now())
            .await;
        assert!(
            matches!(closed, Err(StoreError::QueueClosed { opens_at: None })),
            "{closed:?}"
        );
        let mut small = QueueSettings::with_name("Small");
        small.max_capacity = 1;
        small.business_hours_start = "00:00".into();
        small.business_hours_end = "00:00".into();
        let small = store
            .create_queue(tid, t.merchant.id, small, &sys)
            .await
            .expect("queue");
        store
            .join_queue(tid, small.id, customer("A", "+60123456711"), &sys, now())
            .await
            .expect("first fits");
        let full = store
            .join_queue(tid, small.id, customer("B", "+60123456712"), &sys, now())
            .await;
        assert!(matches!(full, Err(StoreError::QueueFull)), "{full:?}");
        let busy = store.delete_queue(tid, small.id, &sys).await;
        assert!(
            matches!(busy, Err(StoreError::QueueHasCustomers)),
            "{busy:?}"
        );

        // Plan limit (BASIC: 5 queues per merchant; 2 exist).
        for i in 0..3 {
            open_queue(&store, &t, &format!("Extra {i}")).await;
        }
        let over = store
            .create_queue(
                tid,
                t.merchant.id,
                QueueSettings::with_name("Too many"),
                &sys,
            )
            .await;
        assert!(matches!(over, Err(StoreError::PlanLimit(_))), "{over:?}");

        // Unique values come back as Taken, never as a backend error.
        let taken = store
            .create_tenant(qms_store::NewTenant {
                slug: "delta".into(),
                name: "Other".into(),
                plan: qms_domain::Plan::Free,
                timezone: "UTC".into(),
                country: "MY".into(),
                owner_email: "x@y.example".into(),
                owner_name: "X".into(),
                owner_password_hash: None,
            })
            .await;
        assert!(matches!(taken, Err(StoreError::Taken("slug"))), "{taken:?}");
        let bo = NewBackOfficeUser {
            email: "ops@qms.example".into(),
            full_name: "Ops".into(),
            password_hash: "hash".into(),
        };
        store
            .create_backoffice_user(bo.clone())
            .await
            .expect("backoffice user");
        let taken = store.create_backoffice_user(bo).await;
        assert!(
            matches!(taken, Err(StoreError::Taken("email"))),
            "{taken:?}"
        );

        // The journal: one analytics event per move, audit rows newest first.
        let events = store.analytics_events(tid, q.id).await.expect("events");
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types.iter().filter(|t| **t == "customer-joined").count(), 5);
        assert!(types.contains(&"called") && types.contains(&"reordered"));
        let filter = AuditFilter {
            limit: 500,
            ..AuditFilter::default()
        };
        let audit = store.audit_logs(tid, &filter).await.expect("audit");
        assert!(audit.windows(2).all(|w| w[0].created_at >= w[1].created_at));
        assert!(audit.iter().any(|a| a.action == "queue.reorder"));
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn concurrent_callers_joins_and_reorders_never_collide() {
    let Some(server) = server_url() else { return };
    with_fresh_database(&server, |opts| async move {
        let store = Arc::new(
            PgStore::connect_with_options(opts, Some(8))
                .await
                .expect("connect"),
        );
        let t = new_tenant(&store, "echo").await;
        let tid = t.tenant.id;
        let q = open_queue(&store, &t, "Busy").await;
        let sys = Actor::system();
        for i in 0..30 {
            let phone = format!("+601234{:05}", i);
            store
                .join_queue(tid, q.id, customer("C", &phone), &sys, now())
                .await
                .expect("join");
        }

        let mut tasks = Vec::new();
        // A joiner adds 10 more while callers work.
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let phone = format!("+601235{:05}", i);
                s.join_queue(tid, q.id, customer("L", &phone), &Actor::system(), now())
                    .await
                    .expect("late join");
            }
            Vec::new()
        }));
        // A reorderer keeps reversing the line; a stale list is the only acceptable refusal.
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                let waiting = s.queue_entries(tid, q.id, &[EntryStatus::Waiting]).await;
                let mut ids: Vec<Uuid> = waiting.expect("list").iter().map(|e| e.id).collect();
                ids.reverse();
                match s.reorder(tid, q.id, &ids, &Actor::system()).await {
                    Ok(()) | Err(StoreError::StaleOrder) => {}
                    Err(e) => panic!("reorder: {e:?}"),
                }
            }
            Vec::new()
        }));
        // Six callers call until nobody waits.
        for _ in 0..6 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                let mut empty_in_a_row = 0;
                while empty_in_a_row < 3 {
                    match s.call_next(tid, q.id, &Actor::system()).await {
                        Ok(e) => {
                            assert_eq!(e.status, EntryStatus::Called);
                            mine.push(e.id);
                            empty_in_a_row = 0;
                        }
                        Err(StoreError::QueueEmpty) => {
                            empty_in_a_row += 1;
                            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                        }
                        Err(e) => panic!("call next: {e:?}"),
                    }
                }
                mine
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("task"));
        }
        let unique: HashSet<Uuid> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len(), "a customer was called twice");
        let called = store
            .queue_entries(tid, q.id, &[EntryStatus::Called])
            .await
            .expect("list");
        let waiting = store
            .queue_entries(tid, q.id, &[EntryStatus::Waiting])
            .await
            .expect("list");
        assert_eq!(called.len() + waiting.len(), 40);
        assert_eq!(all.len(), called.len());
        let tickets: HashSet<String> = called
            .iter()
            .chain(waiting.iter())
            .map(|e| e.ticket_number.clone())
            .collect();
        assert_eq!(tickets.len(), 40, "ticket numbers are unique");
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn concurrent_joins_get_distinct_tickets_and_places() {
    let Some(server) = server_url() else { return };
    with_fresh_database(&server, |opts| async move {
        let store = Arc::new(
            PgStore::connect_with_options(opts, Some(8))
                .await
                .expect("connect"),
        );
        let t = new_tenant(&store, "foxtrot").await;
        let tid = t.tenant.id;
        let q = open_queue(&store, &t, "Door").await;
        let mut tasks = Vec::new();
        for i in 0..20 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                let phone = format!("+601236{:05}", i);
                s.join_queue(tid, q.id, customer("C", &phone), &Actor::system(), now())
                    .await
            }));
        }
        for task in tasks {
            assert!(matches!(task.await.expect("task"), Ok(Joined::Created(..))));
        }
        let waiting = store
            .queue_entries(tid, q.id, &[EntryStatus::Waiting])
            .await
            .expect("list");
        let mut tickets: Vec<String> = waiting.iter().map(|e| e.ticket_number.clone()).collect();
        tickets.sort();
        let expected: Vec<String> = (1..=20).map(|n| format!("D-{n:03}")).collect();
        assert_eq!(tickets, expected);
        let places: Vec<i64> = waiting.iter().map(|e| e.position).collect();
        assert_eq!(places, (1..=20).collect::<Vec<i64>>());
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn concurrent_account_changes_keep_an_owner_and_the_user_limit() {
    let Some(server) = server_url() else { return };
    with_fresh_database(&server, |opts| async move {
        let store = Arc::new(
            PgStore::connect_with_options(opts, Some(8))
                .await
                .expect("connect"),
        );
        let t = new_tenant(&store, "golf").await;
        let tid = t.tenant.id;
        let invite = |email: String, role: Role| NewUser {
            email,
            full_name: "Staff".into(),
            role,
            invite_token_hash: Uuid::new_v4().simple().to_string(),
            invite_expires: now() + time::Duration::days(1),
        };
        // A second owner, then both owners demoted at once: exactly one demotion may win.
        let second_invite = invite("second@golf.example".into(), Role::Owner);
        let second_token = second_invite.invite_token_hash.clone();
        let second = store
            .invite_user(tid, second_invite, &Actor::system())
            .await
            .expect("invite owner");
        // Only owners who have accepted count towards "keep an owner".
        store
            .redeem_token(
                tid,
                TokenKind::Invite,
                &second_token,
                "$fixture$hash",
                &Actor::system(),
                now(),
            )
            .await
            .expect("accept");
        let mut tasks = Vec::new();
        for id in [t.owner.id, second.id] {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                let patch = UserPatch {
                    role: Some(Role::Admin),
                    ..UserPatch::default()
                };
                s.update_user(tid, id, patch, &Actor::system()).await
            }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => won += 1,
                Err(StoreError::LastOwner) => {}
                Err(e) => panic!("demotion: {e:?}"),
            }
        }
        assert_eq!(won, 1, "exactly one owner may step down");
        let owners = store.list_users(tid).await.expect("users");
        assert_eq!(
            owners
                .iter()
                .filter(|u| u.role == Role::Owner && u.is_active)
                .count(),
            1
        );

        // BASIC allows 10 users; 2 exist; 12 invitations at once: 8 accepted, 4 refused.
        let mut tasks = Vec::new();
        for i in 0..12 {
            let s = store.clone();
            let new = invite(format!("staff{i}@golf.example"), Role::Staff);
            tasks.push(tokio::spawn(async move {
                s.invite_user(tid, new, &Actor::system()).await
            }));
        }
        let (mut ok, mut limited) = (0, 0);
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => ok += 1,
                Err(StoreError::PlanLimit(_)) => limited += 1,
                Err(e) => panic!("invite: {e:?}"),
            }
        }
        assert_eq!((ok, limited), (8, 4));
        assert_eq!(store.list_users(tid).await.expect("users").len(), 10);
        let dup = store
            .invite_user(
                tid,
                invite("staff0@golf.example".into(), Role::Staff),
                &Actor::system(),
            )
            .await;
        assert!(matches!(
            dup,
            Err(StoreError::PlanLimit(_) | StoreError::Taken("email"))
        ));
        store.close().await;
    })
    .await;
}
