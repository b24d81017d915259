//! The thread that runs the queue engine's write transactions.
//!
//! Every write holds SQLite's one write lock from `BEGIN IMMEDIATE` to `COMMIT`, and each
//! statement in between is a round trip to the connection's own thread. Run on the server's
//! runtime, the task holding the lock waits behind every HTTP task between two statements, so
//! under load the lock is held (and every other write waits) for milliseconds. Here the
//! transactions run on a runtime of their own, on a thread of their own, where nothing else
//! competes with the task that holds the lock: joins and moves then follow each other at the
//! pace of SQLite itself (docs/PERFORMANCE.md).
//!
//! A transaction sent here runs to its end even if the request that asked for it goes away,
//! so a write is never cut off between two statements. The thread stops once the last
//! [`WriterThread`] handle is dropped.

use qms_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A handle on the write thread.
pub(crate) struct WriterThread {
    jobs: mpsc::UnboundedSender<Job>,
}

impl WriterThread {
    /// Starts the thread and its single-threaded runtime.
    pub(crate) fn start() -> StoreResult<Self> {
        let (jobs, mut next) = mpsc::unbounded_channel::<Job>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(StoreError::backend)?;
        std::thread::Builder::new()
            .name("sqlite-writes".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(job) = next.recv().await {
                        tokio::spawn(job);
                    }
                });
            })
            .map_err(StoreError::backend)?;
        Ok(WriterThread { jobs })
    }

    /// Runs `transaction` on the write thread and answers its outcome.
    pub(crate) async fn run<T, F>(&self, transaction: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Future<Output = StoreResult<T>> + Send + 'static,
    {
        let (done, outcome) = oneshot::channel();
        let job: Job = Box::pin(async move {
            let _ = done.send(transaction.await);
        });
        let stopped = || StoreError::Backend("the SQLite write thread has stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

type SyncJob = Box<dyn FnOnce(&mut Connection) + Send>;

/// The write connection of the queue engine's hottest write, the join: a plain SQLite
/// connection on a thread of its own that runs each transaction start to finish in one call,
/// with no hand-off between statements, so the write lock is held only for SQLite's own work.
/// Other writes still go through the async pool's writer; both take the lock with
/// `BEGIN IMMEDIATE`, and the busy timeout makes one wait for the other.
pub(crate) struct SyncWriter {
    jobs: std::sync::mpsc::Sender<SyncJob>,
}

impl SyncWriter {
    /// Opens the database file at `path` (which must exist and be migrated) and starts the
    /// thread. It stops once the last handle is dropped.
    pub(crate) fn start(path: &Path) -> StoreResult<Self> {
        let mut conn = Connection::open_with_flags(
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
        let (jobs, next) = std::sync::mpsc::channel::<SyncJob>();
        std::thread::Builder::new()
            .name("sqlite-joins".into())
            .spawn(move || {
                while let Ok(job) = next.recv() {
                    job(&mut conn);
                }
            })
            .map_err(StoreError::backend)?;
        Ok(SyncWriter { jobs })
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on the thread: committed when it
    /// answers `Ok`, rolled back otherwise.
    pub(crate) async fn transact<T, F>(&self, body: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        let (done, outcome) = oneshot::channel();
        let job: SyncJob = Box::new(move |conn| {
            let run = || {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(crate::sqlite_err)?;
                let value = body(&tx)?;
                tx.commit().map_err(crate::sqlite_err)?;
                Ok(value)
            };
            let _ = done.send(run());
        });
        let stopped = || StoreError::Backend("the SQLite join thread has stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}
