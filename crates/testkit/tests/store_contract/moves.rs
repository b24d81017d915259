//! The moves of the queue engine: every transition of the state machine (allowed ones with
//! their timestamps, forbidden ones changing nothing), requeue, call-next, bulk calls,
//! reordering and customer cancellation, each with its one audit row and one analytics event.

use crate::common::{Snapshot, apply, assert_line, entry_in, join, recent, reread};
use qms_domain::entry::{EntryStatus, InvalidTransition, Transition};
use qms_store::{BulkSelection, QueueEntry, Store, StoreError};
use qms_testkit::{Fixture, TestDb, assert_refused, newest, ok, open_queue, phone};
use uuid::Uuid;

fn ids(entries: &[QueueEntry]) -> Vec<Uuid> {
    entries.iter().map(|e| e.id).collect()
}

/// Joins `n` customers with phones `base..base+n`.
async fn line_of(s: &dyn Store, fx: &Fixture, base: u32, n: u32) -> Vec<QueueEntry> {
    let mut out = Vec::new();
    for i in base..base + n {
        out.push(join(s, fx, &format!("Guest {i}"), &phone(i)).await);
    }
    out
}

#[tokio::test]
async fn allowed_moves_set_their_timestamps() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("allowed").await;
    use EntryStatus as S;
    use Transition as T;
    let mut n = 0;
    for from in S::ALL {
        for t in Transition::ALL {
            let Ok(to) = from.apply(t) else { continue };
            n += 1;
            let before = entry_in(s, &fx, from, &phone(n)).await;
            let snap = Snapshot::take(s, &fx).await;
            let after = apply(s, &fx, before.id, t).await;
            let what = format!("{from} --{t}-->");
            assert_eq!(after.status, to, "{what}");
            assert_eq!(reread(s, &fx, &before).await.status, to, "{what} stored");
            match t {
                T::Call => recent(after.called_at, "calledAt"),
                T::Seat => recent(after.served_at, "servedAt"),
                T::Complete | T::Cancel | T::NoShow => recent(after.completed_at, "completedAt"),
                T::Requeue => {
                    recent(after.requeued_at, "requeuedAt");
                    assert_eq!(after.completed_at, None, "{what} clears completedAt");
                }
            }
            // Earlier stamps are kept.
            if before.called_at.is_some() {
                assert_eq!(after.called_at, before.called_at, "{what} keeps calledAt");
            }
            if before.served_at.is_some() {
                assert_eq!(after.served_at, before.served_at, "{what} keeps servedAt");
            }
            assert_eq!(after.joined_at, before.joined_at);
            assert_eq!(after.ticket_number, before.ticket_number);
            if to == S::Waiting {
                assert!(after.position >= 1);
            } else {
                assert_eq!(
                    after.position, 0,
                    "{what}: only waiting entries have a place"
                );
            }
            snap.expect_move(s, &fx, before.id, t).await;
            // Leave the line empty for the next case.
            if to == S::Waiting {
                apply(s, &fx, before.id, T::Cancel).await;
            }
        }
    }
    assert_eq!(n, 8, "the state machine allows eight moves");
}

#[tokio::test]
async fn forbidden_moves_are_refused_and_change_nothing() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("forbidden").await;
    for (n, from) in (100..).zip(EntryStatus::ALL) {
        let e = entry_in(s, &fx, from, &phone(n)).await;
        let e = reread(s, &fx, &e).await;
        for t in Transition::ALL {
            if from.apply(t).is_ok() {
                continue;
            }
            let snap = Snapshot::take(s, &fx).await;
            let r = s
                .transition(fx.tenant, fx.queue, e.id, t, &fx.staff())
                .await;
            match r {
                Err(StoreError::InvalidTransition(InvalidTransition {
                    from: f,
                    transition,
                })) => {
                    assert_eq!((f, transition), (from, t));
                }
                other => panic!("{from} --{t}--> should be refused, got {other:?}"),
            }
            assert_eq!(
                reread(s, &fx, &e).await,
                e,
                "{from} --{t}--> changed the entry"
            );
            snap.expect_nothing(s, &fx).await;
        }
        if from == EntryStatus::Waiting {
            // Keep the line empty so later entries' estimates do not move.
            apply(s, &fx, e.id, Transition::Cancel).await;
        }
    }
}

#[tokio::test]
async fn requeue_puts_the_customer_at_the_end_of_the_line() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("requeue").await;
    let line = line_of(s, &fx, 1, 4).await;
    let [a, b, c, d] = [&line[0], &line[1], &line[2], &line[3]];
    assert_line(s, &fx, &[a.id, b.id, c.id, d.id]).await;
    apply(s, &fx, a.id, Transition::Call).await;
    assert_line(s, &fx, &[b.id, c.id, d.id]).await;
    apply(s, &fx, c.id, Transition::Call).await;
    apply(s, &fx, c.id, Transition::NoShow).await;
    assert_line(s, &fx, &[b.id, d.id]).await;
    let back = apply(s, &fx, a.id, Transition::Requeue).await;
    assert_eq!(back.position, 3);
    assert_line(s, &fx, &[b.id, d.id, a.id]).await;
    let back = apply(s, &fx, c.id, Transition::Requeue).await;
    assert_eq!(back.position, 4);
    assert_line(s, &fx, &[b.id, d.id, a.id, c.id]).await;
    apply(s, &fx, d.id, Transition::Cancel).await;
    assert_line(s, &fx, &[b.id, a.id, c.id]).await;
    // The requeued customer is called in their new turn.
    let called = ok(
        "call_next",
        s.call_next(fx.tenant, fx.queue, &fx.staff()).await,
    );
    assert_eq!(called.id, b.id);
    assert_line(s, &fx, &[a.id, c.id]).await;
}

#[tokio::test]
async fn requeue_is_refused_while_the_phone_waits_again() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("requeue-dup").await;
    let first = join(s, &fx, "Ann", "+60123000001").await;
    let first = apply(s, &fx, first.id, Transition::Call).await;
    let second = join(s, &fx, "Ann", "+60123000001").await;
    let snap = Snapshot::take(s, &fx).await;
    let r = s
        .transition(
            fx.tenant,
            fx.queue,
            first.id,
            Transition::Requeue,
            &fx.staff(),
        )
        .await;
    assert_refused(r, &StoreError::AlreadyWaiting);
    assert_eq!(reread(s, &fx, &first).await.status, EntryStatus::Called);
    assert_line(s, &fx, &[second.id]).await;
    snap.expect_nothing(s, &fx).await;
}

#[tokio::test]
async fn call_next_takes_the_head_of_the_line() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("call-next").await;
    let actor = fx.staff();
    assert_refused(
        s.call_next(fx.tenant, fx.queue, &actor).await,
        &StoreError::QueueEmpty,
    );
    let line = line_of(s, &fx, 1, 3).await;
    for (i, want) in line.iter().enumerate() {
        let snap = Snapshot::take(s, &fx).await;
        let called = ok("call_next", s.call_next(fx.tenant, fx.queue, &actor).await);
        assert_eq!(called.id, want.id);
        assert_eq!(called.status, EntryStatus::Called);
        assert_eq!(called.position, 0);
        recent(called.called_at, "calledAt");
        snap.expect_move(s, &fx, want.id, Transition::Call).await;
        let queue = ok("queue", s.queue(fx.tenant, fx.queue).await).expect("queue");
        assert_eq!(
            queue.current_serving,
            i as i32 + 1,
            "currentServing is the called ticket"
        );
        assert_line(s, &fx, &ids(&line[i + 1..])).await;
    }
    let snap = Snapshot::take(s, &fx).await;
    assert_refused(
        s.call_next(fx.tenant, fx.queue, &actor).await,
        &StoreError::QueueEmpty,
    );
    snap.expect_nothing(s, &fx).await;
    // Called customers are listed most recently called first.
    let called = ok(
        "entries",
        s.queue_entries(fx.tenant, fx.queue, &[EntryStatus::Called])
            .await,
    );
    let mut want = ids(&line);
    want.reverse();
    assert_eq!(ids(&called), want);
    let both = [EntryStatus::Waiting, EntryStatus::Called];
    assert_eq!(
        ok("entries", s.queue_entries(fx.tenant, fx.queue, &both).await).len(),
        3
    );
    assert!(ok("entries", s.queue_entries(fx.tenant, fx.queue, &[]).await).is_empty());
}

#[tokio::test]
async fn call_bulk_takes_the_first_n() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("bulk-next").await;
    let line = line_of(s, &fx, 1, 5).await;
    let snap = Snapshot::take(s, &fx).await;
    let called = ok(
        "call_bulk",
        s.call_bulk(fx.tenant, fx.queue, BulkSelection::Next(3), &fx.staff())
            .await,
    );
    assert_eq!(ids(&called), ids(&line[..3]));
    assert!(
        called
            .iter()
            .all(|e| e.status == EntryStatus::Called && e.called_at.is_some())
    );
    let (audits, events) = snap.since(s, &fx).await;
    assert_eq!(audits.len(), 3);
    assert!(audits.iter().all(|a| a.action == "queue.call"));
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e.event_type == "called"));
    let mut touched: Vec<_> = events.iter().filter_map(|e| e.queue_entry_id).collect();
    touched.sort();
    let mut want = ids(&line[..3]);
    want.sort();
    assert_eq!(touched, want);
    assert_line(s, &fx, &ids(&line[3..])).await;
    // Asking for more than wait takes those who wait.
    let rest = ok(
        "call_bulk",
        s.call_bulk(fx.tenant, fx.queue, BulkSelection::Next(10), &fx.staff())
            .await,
    );
    assert_eq!(ids(&rest), ids(&line[3..]));
    let r = s
        .call_bulk(fx.tenant, fx.queue, BulkSelection::Next(2), &fx.staff())
        .await;
    assert_refused(r, &StoreError::QueueEmpty);
}

#[tokio::test]
async fn call_bulk_of_named_entries_is_all_or_nothing() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("bulk-ids").await;
    let line = line_of(s, &fx, 1, 5).await;
    let actor = fx.staff();
    let sel = BulkSelection::Entries(vec![line[3].id, line[1].id]);
    let called = ok(
        "call_bulk",
        s.call_bulk(fx.tenant, fx.queue, sel, &actor).await,
    );
    assert_eq!(
        ids(&called),
        vec![line[3].id, line[1].id],
        "in the order given"
    );
    assert!(called.iter().all(|e| e.status == EntryStatus::Called));
    assert_line(s, &fx, &[line[0].id, line[2].id, line[4].id]).await;

    // One of them is no longer waiting: nobody is called.
    let snap = Snapshot::take(s, &fx).await;
    let sel = BulkSelection::Entries(vec![line[0].id, line[1].id, line[4].id]);
    match s.call_bulk(fx.tenant, fx.queue, sel, &actor).await {
        Err(StoreError::InvalidTransition(e)) => assert_eq!(e.from, EntryStatus::Called),
        other => panic!("expected InvalidTransition, got {other:?}"),
    }
    assert_line(s, &fx, &[line[0].id, line[2].id, line[4].id]).await;
    snap.expect_nothing(s, &fx).await;
    // One of them does not exist: nobody is called.
    let sel = BulkSelection::Entries(vec![line[0].id, Uuid::now_v7()]);
    assert_refused(
        s.call_bulk(fx.tenant, fx.queue, sel, &actor).await,
        &StoreError::NotFound,
    );
    assert_line(s, &fx, &[line[0].id, line[2].id, line[4].id]).await;
    snap.expect_nothing(s, &fx).await;
}

#[tokio::test]
async fn reorder_puts_the_listed_entries_in_the_listed_order() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("reorder").await;
    let line = line_of(s, &fx, 1, 5).await;
    let [a, b, c, d, e] = [line[0].id, line[1].id, line[2].id, line[3].id, line[4].id];
    let actor = fx.staff();

    let snap = Snapshot::take(s, &fx).await;
    ok(
        "reorder",
        s.reorder(fx.tenant, fx.queue, &[d, b], &actor).await,
    );
    // d and b swap the places they held (2 and 4); the others stay.
    assert_line(s, &fx, &[a, d, c, b, e]).await;
    let rows = snap.since(s, &fx).await;
    snap.check_one(
        &rows,
        "queue.reorder",
        &fx.queue.to_string(),
        "reordered",
        None,
    );

    ok(
        "reorder",
        s.reorder(fx.tenant, fx.queue, &[e, c, a, b, d], &actor)
            .await,
    );
    assert_line(s, &fx, &[e, c, a, b, d]).await;
    let head = ok("call_next", s.call_next(fx.tenant, fx.queue, &actor).await);
    assert_eq!(head.id, e, "call-next follows the new order");
    assert_line(s, &fx, &[c, a, b, d]).await;

    // e has been called meanwhile: the order is stale and nothing moves.
    let snap = Snapshot::take(s, &fx).await;
    assert_refused(
        s.reorder(fx.tenant, fx.queue, &[a, e, c], &actor).await,
        &StoreError::StaleOrder,
    );
    apply(s, &fx, d, Transition::Cancel).await;
    let snap2 = Snapshot::take(s, &fx).await;
    assert_refused(
        s.reorder(fx.tenant, fx.queue, &[d, c], &actor).await,
        &StoreError::StaleOrder,
    );
    snap2.expect_nothing(s, &fx).await;
    assert_line(s, &fx, &[c, a, b]).await;
    let (audits, _) = snap.since(s, &fx).await;
    assert_eq!(audits.len(), 1, "only the cancel was written: {audits:#?}");
}

#[tokio::test]
async fn customers_cancel_only_where_the_queue_allows_it() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("cancel").await;
    let actor = qms_store::Actor::customer(Some("198.51.100.1".into()), None);
    let line = line_of(s, &fx, 1, 3).await;
    let snap = Snapshot::take(s, &fx).await;
    let gone = ok(
        "cancel",
        s.cancel_by_customer(fx.tenant, &line[1].session_id, &actor)
            .await,
    );
    assert_eq!(gone.id, line[1].id);
    assert_eq!(gone.status, EntryStatus::Cancelled);
    recent(gone.completed_at, "completedAt");
    snap.expect_move(s, &fx, gone.id, Transition::Cancel).await;
    let audit = ok("audit_logs", s.audit_logs(fx.tenant, &newest(1)).await);
    assert_eq!(audit[0].user_type, "CUSTOMER");
    assert_line(s, &fx, &[line[0].id, line[2].id]).await;
    // A called customer may still cancel; a cancelled one cannot again.
    apply(s, &fx, line[0].id, Transition::Call).await;
    let gone = ok(
        "cancel",
        s.cancel_by_customer(fx.tenant, &line[0].session_id, &actor)
            .await,
    );
    assert_eq!(gone.status, EntryStatus::Cancelled);
    let again = s
        .cancel_by_customer(fx.tenant, &line[0].session_id, &actor)
        .await;
    assert!(
        matches!(again, Err(StoreError::InvalidTransition(_))),
        "{again:?}"
    );

    let strict = qms_domain::queue::QueueSettings {
        allow_cancellation: false,
        ..open_queue("Main")
    };
    ok(
        "update",
        s.update_queue(fx.tenant, fx.queue, strict, &fx.staff())
            .await,
    );
    let snap = Snapshot::take(s, &fx).await;
    let r = s
        .cancel_by_customer(fx.tenant, &line[2].session_id, &actor)
        .await;
    assert_refused(r, &StoreError::CancellationNotAllowed);
    assert_eq!(reread(s, &fx, &line[2]).await.status, EntryStatus::Waiting);
    assert_line(s, &fx, &[line[2].id]).await;
    snap.expect_nothing(s, &fx).await;
    // Staff may still cancel.
    apply(s, &fx, line[2].id, Transition::Cancel).await;
    assert_line(s, &fx, &[]).await;
}
