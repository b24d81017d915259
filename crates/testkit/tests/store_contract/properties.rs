//! A property test: random sequences of joins, calls, moves, reorders and cancellations,
//! checked step by step against a small model of the line. After every step the waiting
//! places are exactly 1..n in the model's order, every entry has the status the state machine
//! gives it, and no phone waits twice.
//!
//! One runtime and one database serve every case; each case gets a tenant of its own, so the
//! test stays cheap on PostgreSQL too.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use qms_domain::entry::{EntryStatus, Transition};
use qms_store::{BulkSelection, Joined, LineRead, StoreError};
use qms_testkit::{Fixture, TestDb, new_entry, phone};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Op {
    /// A customer with the n-th phone of a small pool joins.
    Join(u32),
    CallNext,
    CallBulk(u32),
    /// A staff move on some entry (any status: forbidden moves are part of the game).
    Move(Index, Transition),
    /// Reorder of waiting entries picked by index, plus perhaps any entry (maybe not waiting).
    Reorder(Vec<Index>, Option<Index>),
    /// The customer of some entry cancels.
    Cancel(Index),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u32..6).prop_map(Op::Join),
        2 => Just(Op::CallNext),
        1 => (1u32..4).prop_map(Op::CallBulk),
        4 => (any::<Index>(), prop::sample::select(Transition::ALL.to_vec()))
            .prop_map(|(i, t)| Op::Move(i, t)),
        2 => (prop::collection::vec(any::<Index>(), 1..6), prop::option::of(any::<Index>()))
            .prop_map(|(v, x)| Op::Reorder(v, x)),
        1 => any::<Index>().prop_map(Op::Cancel),
    ]
}

struct Entry {
    id: Uuid,
    phone: String,
    session: String,
    status: EntryStatus,
}

#[derive(Default)]
struct Model {
    entries: Vec<Entry>,
    /// Waiting entries in line order.
    line: Vec<Uuid>,
}

impl Model {
    fn get(&mut self, id: Uuid) -> &mut Entry {
        match self.entries.iter_mut().find(|e| e.id == id) {
            Some(e) => e,
            None => panic!("model has no entry {id}"),
        }
    }

    /// Applies an allowed move to the model.
    fn moved(&mut self, id: Uuid, to: EntryStatus) {
        let e = self.get(id);
        let from = std::mem::replace(&mut e.status, to);
        if from == EntryStatus::Waiting {
            self.line.retain(|x| *x != id);
        }
        if to == EntryStatus::Waiting {
            self.line.push(id);
        }
    }

    fn waiting_with_phone(&self, phone: &str) -> Option<Uuid> {
        self.entries
            .iter()
            .find(|e| e.phone == phone && e.status == EntryStatus::Waiting)
            .map(|e| e.id)
    }
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

/// The answer a move should get from the model: the new status, or the refusal.
fn expected(model: &Model, id: Uuid, t: Transition) -> Result<EntryStatus, StoreError> {
    let e = model
        .entries
        .iter()
        .find(|e| e.id == id)
        .map(|e| (e.status, e.phone.clone()));
    let Some((from, phone)) = e else {
        return Err(StoreError::NotFound);
    };
    let to = from.apply(t)?;
    if to == EntryStatus::Waiting && model.waiting_with_phone(&phone).is_some_and(|w| w != id) {
        return Err(StoreError::AlreadyWaiting);
    }
    Ok(to)
}

/// Compares a store answer with the model's expectation.
fn check_answer<T: std::fmt::Debug>(
    what: &str,
    got: &Result<T, StoreError>,
    want: &Result<EntryStatus, StoreError>,
) -> Result<(), TestCaseError> {
    match (got, want) {
        (Ok(_), Ok(_)) => Ok(()),
        (Err(g), Err(w)) if qms_testkit::same_error(g, w) => Ok(()),
        _ => Err(fail(format!(
            "{what}: store answered {got:?}, model expected {want:?}"
        ))),
    }
}

/// How often each kind of outcome happened over all cases, so that a generator that stops
/// reaching some branch makes the test fail instead of passing vacuously.
#[derive(Default)]
struct Coverage {
    created: AtomicU32,
    existing: AtomicU32,
    called: AtomicU32,
    empty: AtomicU32,
    moved: AtomicU32,
    refused: AtomicU32,
    reordered: AtomicU32,
    stale: AtomicU32,
    cancelled: AtomicU32,
}

fn hit(counter: &AtomicU32) {
    counter.fetch_add(1, Ordering::Relaxed);
}

async fn step(
    db: &TestDb,
    fx: &Fixture,
    model: &mut Model,
    op: &Op,
    seen: &Coverage,
) -> Result<(), TestCaseError> {
    let s = &*db.store;
    let (t, q, actor) = (fx.tenant, fx.queue, fx.staff());
    match op {
        Op::Join(n) => {
            let phone = phone(*n);
            let new = new_entry("Guest", &phone);
            let session = new.session_id.clone();
            let r = s
                .join_queue(t, q, new, &actor, OffsetDateTime::now_utc())
                .await;
            match (r, model.waiting_with_phone(&phone)) {
                (Ok(Joined::Existing(e)), Some(id)) => {
                    prop_assert_eq!(e.id, id);
                    hit(&seen.existing);
                }
                (Ok(Joined::Created(e, _)), None) => {
                    hit(&seen.created);
                    model.entries.push(Entry {
                        id: e.id,
                        phone,
                        session,
                        status: EntryStatus::Waiting,
                    });
                    model.line.push(e.id);
                    prop_assert_eq!(e.position, model.line.len() as i64);
                }
                (r, w) => return Err(fail(format!("join {phone}: got {r:?}, waiting {w:?}"))),
            }
        }
        Op::CallNext => {
            let r = s.call_next(t, q, &actor).await;
            match (r, model.line.first().copied()) {
                (Ok(e), Some(head)) => {
                    prop_assert_eq!(e.id, head);
                    model.moved(head, EntryStatus::Called);
                    hit(&seen.called);
                }
                (Err(StoreError::QueueEmpty), None) => hit(&seen.empty),
                (r, head) => return Err(fail(format!("call_next: got {r:?}, head {head:?}"))),
            }
        }
        Op::CallBulk(n) => {
            let r = s.call_bulk(t, q, BulkSelection::Next(*n), &actor).await;
            let want: Vec<Uuid> = model.line.iter().take(*n as usize).copied().collect();
            match r {
                Ok(called) => {
                    let got: Vec<Uuid> = called.iter().map(|e| e.id).collect();
                    prop_assert_eq!(&got, &want);
                    for id in want {
                        model.moved(id, EntryStatus::Called);
                    }
                }
                Err(StoreError::QueueEmpty) if want.is_empty() => {}
                Err(e) => return Err(fail(format!("call_bulk({n}): {e:?}, model {want:?}"))),
            }
        }
        Op::Move(i, tr) => {
            if model.entries.is_empty() {
                return Ok(());
            }
            let id = model.entries[i.index(model.entries.len())].id;
            let want = expected(model, id, *tr);
            let got = s.transition(t, q, id, *tr, &actor).await;
            check_answer(&format!("{tr} {id}"), &got, &want)?;
            if let (Ok(e), Ok(to)) = (&got, &want) {
                prop_assert_eq!(e.status, *to);
                model.moved(id, *to);
                hit(&seen.moved);
            } else {
                hit(&seen.refused);
            }
        }
        Op::Reorder(picks, extra) => {
            if model.line.is_empty() {
                return Ok(());
            }
            let mut list: Vec<Uuid> = picks
                .iter()
                .map(|i| model.line[i.index(model.line.len())])
                .collect();
            if let Some(x) = extra {
                list.push(model.entries[x.index(model.entries.len())].id);
            }
            let mut unique = HashSet::new();
            list.retain(|id| unique.insert(*id));
            let stale = list.iter().any(|id| !model.line.contains(id));
            let r = s.reorder(t, q, &list, &actor).await;
            match (r, stale) {
                (Ok(()), false) => {
                    let mut slots: Vec<usize> = list
                        .iter()
                        .filter_map(|id| model.line.iter().position(|x| x == id))
                        .collect();
                    slots.sort_unstable();
                    for (slot, id) in slots.into_iter().zip(&list) {
                        model.line[slot] = *id;
                    }
                    hit(&seen.reordered);
                }
                (Err(StoreError::StaleOrder), true) => hit(&seen.stale),
                (r, stale) => {
                    return Err(fail(format!("reorder {list:?}: got {r:?}, stale {stale}")));
                }
            }
        }
        Op::Cancel(i) => {
            if model.entries.is_empty() {
                return Ok(());
            }
            let e = &model.entries[i.index(model.entries.len())];
            let (id, session) = (e.id, e.session.clone());
            let want = expected(model, id, Transition::Cancel);
            let got = s
                .cancel_by_customer(t, &session, &qms_store::Actor::customer(None, None))
                .await;
            check_answer(&format!("customer cancel {id}"), &got, &want)?;
            if let Ok(to) = want {
                model.moved(id, to);
                hit(&seen.cancelled);
            }
        }
    }
    Ok(())
}

/// The store agrees with the model, and the line is whole.
async fn check(db: &TestDb, fx: &Fixture, model: &Model) -> Result<(), TestCaseError> {
    let s = &*db.store;
    let waiting = s
        .queue_entries(fx.tenant, fx.queue, &[EntryStatus::Waiting])
        .await
        .map_err(|e| fail(format!("queue_entries: {e:?}")))?;
    let places: Vec<i64> = waiting.iter().map(|e| e.position).collect();
    prop_assert_eq!(
        places,
        (1..=waiting.len() as i64).collect::<Vec<_>>(),
        "places 1..n"
    );
    let order: Vec<Uuid> = waiting.iter().map(|e| e.id).collect();
    prop_assert_eq!(&order, &model.line, "line order");
    let mut phones = HashSet::new();
    for e in &waiting {
        prop_assert!(
            phones.insert(e.customer_phone.clone()),
            "{} waits twice",
            e.customer_phone
        );
    }
    let all = s
        .queue_entries(fx.tenant, fx.queue, &EntryStatus::ALL)
        .await
        .map_err(|e| fail(format!("queue_entries: {e:?}")))?;
    prop_assert_eq!(all.len(), model.entries.len());
    for e in &all {
        let Some(m) = model.entries.iter().find(|m| m.id == e.id) else {
            return Err(fail(format!("unknown entry {}", e.id)));
        };
        prop_assert_eq!(e.status, m.status, "status of {}", e.ticket_number);
        prop_assert_eq!(e.position > 0, e.status == EntryStatus::Waiting);
        if e.status != EntryStatus::Waiting && e.status != EntryStatus::Cancelled {
            prop_assert!(
                e.called_at.is_some(),
                "{} was never called",
                e.ticket_number
            );
        }
    }
    // The queue's numbers (the list, the board, the fan-out's read) count the same entries.
    let called = model
        .entries
        .iter()
        .filter(|m| m.status == EntryStatus::Called)
        .count() as i64;
    let stats = s
        .queue_stats(fx.tenant, fx.queue)
        .await
        .map_err(|e| fail(format!("queue_stats: {e:?}")))?;
    prop_assert_eq!(stats.waiting, model.line.len() as i64, "waiting count");
    prop_assert_eq!(stats.called, called, "called count");
    let now = OffsetDateTime::now_utc();
    let line = s
        .fanout_line(fx.tenant, fx.queue, now, LineRead::Count)
        .await
        .map_err(|e| fail(format!("fanout_line: {e:?}")))?
        .ok_or_else(|| fail("fanout_line: no queue".into()))?;
    prop_assert_eq!(
        line.waiting_count,
        model.line.len() as i64,
        "fan-out waiting"
    );
    prop_assert_eq!(line.called, called, "fan-out called");
    Ok(())
}

async fn run_case(db: &TestDb, n: u32, ops: Vec<Op>, seen: &Coverage) -> Result<(), TestCaseError> {
    let fx = db.tenant(&format!("prop-{n}")).await;
    let mut model = Model::default();
    for (i, op) in ops.iter().enumerate() {
        step(db, &fx, &mut model, op, seen)
            .await
            .map_err(|e| fail(format!("step {i} {op:?}: {e}")))?;
        check(db, &fx, &model)
            .await
            .map_err(|e| fail(format!("after step {i} {op:?}: {e}")))?;
    }
    Ok(())
}

#[test]
fn random_sequences_keep_the_line_whole() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let db = rt.block_on(TestDb::new());
    let config = Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(32),
        failure_persistence: None,
        max_shrink_iters: 512,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let cases = AtomicU32::new(0);
    let seen = Coverage::default();
    let result = runner.run(&prop::collection::vec(op(), 20..40), |ops| {
        rt.block_on(run_case(
            &db,
            cases.fetch_add(1, Ordering::SeqCst),
            ops,
            &seen,
        ))
    });
    rt.block_on(async move { drop(db) });
    if let Err(e) = result {
        panic!("{e}");
    }
    let outcomes = [
        ("created", &seen.created),
        ("existing", &seen.existing),
        ("called", &seen.called),
        ("empty", &seen.empty),
        ("moved", &seen.moved),
        ("refused", &seen.refused),
        ("reordered", &seen.reordered),
        ("stale", &seen.stale),
        ("cancelled", &seen.cancelled),
    ];
    if cases.load(Ordering::SeqCst) >= 16 {
        for (name, n) in outcomes {
            assert!(
                n.load(Ordering::Relaxed) > 0,
                "no case reached the outcome {name:?}"
            );
        }
    }
}
