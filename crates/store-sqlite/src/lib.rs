//! The [`Store`](qms_store::Store) on SQLite: one file under `./data/` by default, WAL mode.
//! Every write transaction is `BEGIN IMMEDIATE`, so state changes are serialised and call-next
//! can never hand one customer to two callers. The queue engine's writes (joins and every move
//! of the state machine) run on a synchronous connection of their own that commits them in
//! groups ([`writer`]); the other writes (settings, accounts, tenants) on one writer connection
//! of the async pool. Reads go through a reader pool, the hottest ones inline ([`inline`]).
//!
//! Ids are stored as UUID text and times as Unix milliseconds; [`rows`] converts.

mod accounts;
mod activity;
mod business;
mod checkpoint;
mod entries;
mod fanout;
mod inline;
mod journal;
mod moves;
mod operators;
mod platform;
mod queues;
mod retention;
mod rows;
mod sessions;
mod store_impl;
mod templates;
mod tenants;
mod uploads;
mod users;
mod webchat;
mod writer;

use qms_store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// SQLite-backed store.
#[derive(Clone)]
pub struct SqliteStore {
    /// Exactly one connection: the writes outside the queue engine queue here.
    writer: SqlitePool,
    /// Several connections for reads, which WAL lets run beside the writer.
    reader: SqlitePool,
    /// The hottest reads, run on the calling thread (see [`inline`]).
    inline: Arc<inline::InlineReaders>,
    /// Where joins and moves run, each in one call, committed in groups (see
    /// [`writer::EngineWriter`]).
    engine: Arc<writer::EngineWriter>,
    /// Copies the write-ahead log into the database file in the background.
    _checkpoints: Arc<checkpoint::Checkpointer>,
}

/// Read-only connections for the inline reads: one per core (the runtime's threads) and two
/// more (the write thread, a blocking task), so that a read rarely finds them all busy.
fn inline_readers() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get() + 2)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `url` (`sqlite://path`) and applies
    /// migrations. (An in-memory database is not offered: the inline readers need a file.)
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::backend)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000")
            // Checkpoints run on a thread of their own (see `checkpoint`).
            .pragma("wal_autocheckpoint", "0");
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::Backend(
                "an in-memory SQLite database is not supported; give a file path".into(),
            ));
        }
        // No ping before handing out a connection: for SQLite it is a round trip to the
        // connection's thread, as costly as the query itself, and a local file does not drop.
        let writer = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await
            .map_err(StoreError::backend)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(StoreError::backend)?;
        let reader = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(8)
            .connect_with(options.clone().read_only(true))
            .await
            .map_err(StoreError::backend)?;
        let inline = inline::InlineReaders::open(options.get_filename(), inline_readers())?;
        Ok(SqliteStore {
            writer,
            reader,
            inline: Arc::new(inline),
            engine: Arc::new(writer::EngineWriter::start(options.get_filename())?),
            _checkpoints: Arc::new(checkpoint::Checkpointer::start(options.get_filename())?),
        })
    }

    /// Starts a write transaction that holds the write lock from its first statement.
    async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::backend)
    }

    /// The reader pool, for tests and tools that inspect rows directly.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// Closes both pools (checkpointing the WAL).
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Maps a sqlx error to a store error, naming the unique value that clashed when it is one.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e
        && let Some(clash) = unique_clash(d.message())
    {
        return clash;
    }
    StoreError::backend(e)
}

/// The same for the synchronous connections (`rusqlite`).
pub(crate) fn sqlite_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(_, Some(msg)) = &e
        && let Some(clash) = unique_clash(msg)
    {
        return clash;
    }
    StoreError::backend(e)
}

/// The store error a unique-constraint message stands for, if it is one.
fn unique_clash(msg: &str) -> Option<StoreError> {
    if !msg.contains("UNIQUE constraint failed") {
        return None;
    }
    if msg.contains("tenants.slug") {
        return Some(StoreError::Taken("slug"));
    }
    if msg.contains("tenants.domain") {
        return Some(StoreError::Taken("domain"));
    }
    if msg.contains(".email") {
        return Some(StoreError::Taken("email"));
    }
    if msg.contains("queue_entries.queue_id, queue_entries.customer_phone") {
        return Some(StoreError::AlreadyWaiting);
    }
    None
}
