//! WAL checkpoints off the write path.
//!
//! By default SQLite checkpoints inside the commit that pushes the write-ahead log past 1,000
//! pages: that one write then copies the log into the database file and waits for the disk,
//! holding the write lock, and every write queued behind it waits too (a join wrote about 20
//! pages, so one join in fifty paid for a checkpoint). Here automatic checkpoints are off on
//! the writer and a thread of its own runs a `PASSIVE` checkpoint every second on a connection
//! of its own: it copies what no reader still needs, never blocks readers or the writer, and
//! lets the log start over once it has caught up. The thread stops when the last
//! [`Checkpointer`] handle is dropped.

use qms_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How often the log is copied into the database file.
const EVERY: Duration = Duration::from_secs(1);

/// A handle on the checkpoint thread; dropping it stops the thread.
pub(crate) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database file at `path` (which must exist, in WAL mode).
    pub(crate) fn start(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::backend)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(StoreError::backend)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                    });
                    match done {
                        Ok((log, copied)) => {
                            tracing::trace!(log, copied, "sqlite: checkpoint");
                        }
                        Err(e) => tracing::warn!("sqlite: checkpoint failed: {e}"),
                    }
                }
            })
            .map_err(StoreError::backend)?;
        Ok(Checkpointer { _stop: stop })
    }
}
