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
use std::future::Future;
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
