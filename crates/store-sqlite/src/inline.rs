//! Reads that run on the calling thread.
//!
//! The async pool hands every statement to the connection's own thread and waits for the
//! answer: two thread switches per statement, which cost more than a point lookup itself.
//! The queue engine's hottest reads (a customer's place, the queues with their numbers, a
//! queue's line) run here instead: on a few read-only connections of their own, right on the
//! thread that asks. In WAL mode a reader never waits for the writer, and these statements take
//! microseconds, so a runtime thread is not held up. Each connection is behind a mutex; a read
//! takes the first free one, or waits for the next one briefly when all are busy.

use crate::rows::Columns;
use qms_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags, Params};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::Duration;

/// The read-only connections.
pub(crate) struct InlineReaders {
    connections: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl InlineReaders {
    /// Opens `count` read-only connections to the database file at `path` (which must exist).
    pub(crate) fn open(path: &Path, count: usize) -> StoreResult<Self> {
        let connections = (0..count.max(1))
            .map(|_| {
                let conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(StoreError::backend)?;
                conn.busy_timeout(Duration::from_secs(10))
                    .map_err(StoreError::backend)?;
                conn.execute_batch("PRAGMA cache_size = -16000; PRAGMA temp_store = memory;")
                    .map_err(StoreError::backend)?;
                conn.set_prepared_statement_cache_capacity(64);
                Ok(Mutex::new(conn))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(InlineReaders {
            connections,
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection, or the next one in turn once it is free.
    fn connection(&self) -> StoreResult<MutexGuard<'_, Connection>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.connections.len();
        for k in 0..n {
            match self.connections[(start + k) % n].try_lock() {
                Ok(conn) => return Ok(conn),
                Err(TryLockError::WouldBlock) => continue,
                Err(TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
            }
        }
        self.connections[start % n]
            .lock()
            .or_else(|p| Ok(p.into_inner()))
    }

    /// Runs `sql` and maps every row with `map`.
    pub(crate) fn rows<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnMut(&IndexedRow<'_>) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let conn = self.connection()?;
        rows_on(&conn, sql, params, map)
    }

    /// Runs `body` on a free connection.
    pub(crate) fn with<T>(
        &self,
        body: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        body(&*self.connection()?)
    }

    /// Runs `sql` and maps its first row, if any.
    pub(crate) fn row<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnMut(&IndexedRow<'_>) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        Ok(self.rows(sql, params, map)?.into_iter().next())
    }
}

/// Runs `sql` on `conn` and maps every row with `map` (also used inside the write thread's
/// transactions).
pub(crate) fn rows_on<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    mut map: impl FnMut(&IndexedRow<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut statement = conn.prepare_cached(sql).map_err(crate::sqlite_err)?;
    let columns: HashMap<String, usize> = statement
        .column_names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name.to_string(), i))
        .collect();
    let mut rows = statement.query(params).map_err(crate::sqlite_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(crate::sqlite_err)? {
        out.push(map(&IndexedRow {
            row,
            columns: &columns,
        })?);
    }
    Ok(out)
}

/// A result row whose columns are found by name through the statement's index of names.
pub(crate) struct IndexedRow<'a> {
    row: &'a rusqlite::Row<'a>,
    columns: &'a HashMap<String, usize>,
}

impl IndexedRow<'_> {
    fn index(&self, col: &str) -> StoreResult<usize> {
        self.columns
            .get(col)
            .copied()
            .ok_or_else(|| StoreError::Backend(format!("no column {col}")))
    }
}

impl Columns for IndexedRow<'_> {
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        self.row.get(self.index(col)?).map_err(StoreError::backend)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        self.row.get(self.index(col)?).map_err(StoreError::backend)
    }
}
