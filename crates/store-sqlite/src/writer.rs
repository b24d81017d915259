//! The connection that writes the queue engine's changes: joins and every move of the state
//! machine.
//!
//! A plain SQLite connection on a thread of its own runs each transaction start to finish in
//! one call, with no hand-off between statements, so the write lock is held only for SQLite's
//! own work (with an async connection every statement is a round trip to the connection's
//! thread, and the task holding the lock waits behind every HTTP task in between).

use qms_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use tokio::sync::oneshot;

/// How many changes at most share one transaction (see [`EngineWriter`]).
const MAX_GROUP: usize = 64;

/// A change waiting for the write thread: its body runs inside the group's transaction, its
/// answer goes out once the group's fate (commit or not) is known.
trait GroupedJob: Send {
    /// Runs the body on `conn`, keeps its outcome and says whether it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: the body's outcome if the group committed, `failed` otherwise.
    fn answer(self: Box<Self>, failed: Option<&StoreError>);
}

struct Pending<T, F> {
    body: Option<F>,
    outcome: Option<StoreResult<T>>,
    done: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> GroupedJob for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let outcome = match self.body.take() {
            Some(body) => body(conn),
            None => Err(StoreError::Backend("a change ran twice".into())),
        };
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn answer(self: Box<Self>, failed: Option<&StoreError>) {
        let outcome = match (failed, self.outcome) {
            // A body's own refusal stands whatever happened to the group.
            (_, Some(Err(refused))) => Err(refused),
            (None, Some(Ok(value))) => Ok(value),
            (Some(e), _) => Err(StoreError::Backend(format!(
                "the change was not saved: {e}"
            ))),
            (None, None) => Err(StoreError::Backend("a change never ran".into())),
        };
        let _ = self.done.send(outcome);
    }
}

/// The queue engine's write connection and its thread.
///
/// **Group commit.** The changes that arrive while one group is being written wait for the
/// next; the thread then takes all of them (up to [`MAX_GROUP`]) into one `BEGIN IMMEDIATE`
/// transaction, runs each in a savepoint of its own (a change that fails is rolled back to its
/// savepoint and leaves nothing behind, the others stand), commits once and only then answers
/// everyone. One commit writes each page the group touched to the log once, instead of once
/// per change: the busier the queue engine, the bigger the groups and the cheaper each change.
/// Within a group the changes run one after the other and each sees the ones before it, so
/// they are as serialised as separate transactions: two call-nexts never take the same
/// customer, a phone never waits twice. Nobody is answered before the commit, so an answered
/// change is a saved change; if the commit fails, every change of the group is answered with
/// the error.
///
/// The writes outside the queue engine (settings, accounts) go through the async pool's
/// writer; both take the lock with `BEGIN IMMEDIATE`, and the busy timeout makes one wait for
/// the other.
pub(crate) struct EngineWriter {
    jobs: std::sync::mpsc::Sender<Box<dyn GroupedJob>>,
}

impl EngineWriter {
    /// Opens the database file at `path` (which must exist and be migrated) and starts the
    /// thread. It stops once the last handle is dropped.
    pub(crate) fn start(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(StoreError::backend)?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
             PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -16000; \
             PRAGMA temp_store = memory;",
        )
        .map_err(StoreError::backend)?;
        let (jobs, next) = std::sync::mpsc::channel::<Box<dyn GroupedJob>>();
        std::thread::Builder::new()
            .name("sqlite-engine".into())
            .spawn(move || {
                while let Ok(first) = next.recv() {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match next.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    run_group(&conn, group);
                }
            })
            .map_err(StoreError::backend)?;
        Ok(EngineWriter { jobs })
    }

    /// Runs `body` in a savepoint of the next group's `BEGIN IMMEDIATE` transaction: its
    /// changes are kept when it answers `Ok` and the group commits, rolled back otherwise.
    pub(crate) async fn transact<T, F>(&self, body: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (done, outcome) = oneshot::channel();
        let job = Box::new(Pending {
            body: Some(body),
            outcome: None,
            done,
        });
        let stopped = || StoreError::Backend("the SQLite write thread has stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

/// One group: one transaction, a savepoint per job, one commit, then the answers.
fn run_group(conn: &Connection, mut group: Vec<Box<dyn GroupedJob>>) {
    let statement = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut st| st.execute([]))
            .map(|_| ())
            .map_err(crate::sqlite_err)
    };
    let written = statement("BEGIN IMMEDIATE").and_then(|()| {
        for job in &mut group {
            statement("SAVEPOINT job")?;
            // A body that panics fails alone (its caller hears "never ran"), like a refusal:
            // the thread and the rest of the group go on.
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(conn)));
            if !matches!(ran, Ok(true)) {
                statement("ROLLBACK TO job")?;
            }
            statement("RELEASE job")?;
        }
        statement("COMMIT")
    });
    if written.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    let failed = written.err();
    for job in group {
        job.answer(failed.as_ref());
    }
}
