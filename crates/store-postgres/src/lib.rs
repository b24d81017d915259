//! The [`Store`](qms_store::Store) on PostgreSQL, for scale-out deployments where several `qms`
//! instances share one database.
//!
//! Tenancy has two walls. Every query filters by `tenant_id`; and every table with a
//! `tenant_id` column has row-level security forced on (migration `0002`). The application
//! pool runs `SET ROLE qms_app` on each new connection, a role that neither owns the tables nor
//! is a superuser, so the policies always apply; each tenant transaction starts with
//! `set_config('app.tenant_id', …, true)` ([`PgStore::tenant_tx`]), which ends with the
//! transaction, so a pooled connection never carries one tenant into the next request.
//!
//! Migrations run as the connecting user on a separate connection, before the application
//! pool exists (they create the `qms_app` role the pool switches to).
//!
//! Concurrency: queue moves lock what they change (`FOR UPDATE` on the queue row for joins and
//! reorders, `FOR UPDATE SKIP LOCKED` on entries for call-next), so concurrent callers never
//! get the same customer and ticket numbers never repeat.

mod accounts;
mod activity;
mod business;
mod entries;
mod fanout;
mod journal;
mod moves;
mod operators;
mod platform;
mod queues;
mod retention;
mod rows;
mod service_types;
mod sessions;
mod store_impl;
mod templates;
mod tenants;
mod uploads;
mod users;
mod webchat;

use qms_domain::TenantId;
use qms_store::{StoreError, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Executor, PgPool, Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The embedded PostgreSQL migrations (`crates/store-postgres/migrations`).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The role application queries run as (created by migration `0002`).
pub const APP_ROLE: &str = "qms_app";

/// Connections in the application pool unless the caller asks otherwise.
pub const DEFAULT_POOL_SIZE: u32 = 10;

/// Connections kept for the realtime fan-out's read (one worker per instance reads one at a
/// time; the second covers a reconnect).
pub const FANOUT_CONNECTIONS: u32 = 2;

/// PostgreSQL-backed store.
#[derive(Clone)]
pub struct PgStore {
    /// Connections that have switched to [`APP_ROLE`].
    pool: PgPool,
    /// [`FANOUT_CONNECTIONS`] more, as [`APP_ROLE`], for the realtime fan-out's read alone: under
    /// a flood of requests it would otherwise wait behind them for a connection, and the
    /// events of the changes would fall behind the changes.
    fanout: PgPool,
    /// How to reach the database as the connecting user (for migrations).
    options: PgConnectOptions,
}

impl PgStore {
    /// Connects to `url`, applies pending migrations and opens a pool of
    /// [`DEFAULT_POOL_SIZE`] connections running as [`APP_ROLE`].
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, None).await
    }

    /// Like [`PgStore::connect`], with the pool size given (`None` = [`DEFAULT_POOL_SIZE`]).
    pub async fn connect_with(url: &str, max_connections: Option<u32>) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::backend)?;
        Self::connect_with_options(options, max_connections).await
    }

    /// Like [`PgStore::connect_with`], from parsed connection options.
    pub async fn connect_with_options(
        options: PgConnectOptions,
        max_connections: Option<u32>,
    ) -> StoreResult<Self> {
        migrate_with(&options).await?;
        // No ping before each use: it is a network round trip on every request, and a
        // connection that broke fails its next statement and is dropped by the pool anyway.
        let app_pool = |size: u32| {
            PgPoolOptions::new()
                .test_before_acquire(false)
                .max_connections(size)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute("SET ROLE qms_app").await?;
                        Ok(())
                    })
                })
        };
        let pool = app_pool(max_connections.unwrap_or(DEFAULT_POOL_SIZE).max(1))
            .connect_with(options.clone())
            .await
            .map_err(StoreError::backend)?;
        let fanout = app_pool(FANOUT_CONNECTIONS).connect_lazy_with(options.clone());
        Ok(PgStore {
            pool,
            fanout,
            options,
        })
    }

    /// Applies pending migrations as the connecting user (not as [`APP_ROLE`]).
    /// [`PgStore::connect`] already did; this is for `qms migrate` and tools.
    pub async fn migrate(&self) -> StoreResult<()> {
        migrate_with(&self.options).await
    }

    /// The application pool (every connection runs as [`APP_ROLE`]), for tests and tools.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pools.
    pub async fn close(&self) {
        self.pool.close().await;
        self.fanout.close().await;
    }

    /// Begins a transaction that sees only `tenant`'s rows: `app.tenant_id` is set for this
    /// transaction alone, in the same round trip as `BEGIN`.
    pub async fn tenant_tx(&self, tenant: TenantId) -> StoreResult<Transaction<'static, Postgres>> {
        self.begin(&self.pool, tenant_begin(tenant)).await
    }

    /// [`PgStore::tenant_tx`] for the queue engine's changes (joins and moves): their
    /// statements also use their cached generic plans for the rest of the transaction, set in
    /// the same round trip. Each of them leads with equalities on an index's first columns, so
    /// the generic plan is the right one. Left to choose, PostgreSQL plans a connection's first
    /// runs of a statement for the values given, and for a join without an `Idempotency-Key`
    /// that plan started parallel workers to look for a NULL key (8-17 ms with a long history;
    /// see docs/PERFORMANCE.md).
    pub(crate) async fn engine_tx(
        &self,
        tenant: TenantId,
    ) -> StoreResult<Transaction<'static, Postgres>> {
        let begin = format!(
            "{}, set_config('plan_cache_mode', 'force_generic_plan', true)",
            tenant_begin(tenant)
        );
        self.begin(&self.pool, begin).await
    }

    /// A connection of the fan-out's own pool (its read sets the tenant for its own statement).
    pub(crate) async fn fanout_connection(&self) -> StoreResult<PoolConnection<Postgres>> {
        self.fanout.acquire().await.map_err(db_err)
    }

    /// Begins a transaction with no tenant set: it sees only tables without row-level
    /// security (tenants, BackOffice users, sessions, system settings).
    pub(crate) async fn plain_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.begin(&self.pool, "BEGIN".to_string()).await
    }

    /// Begins a transaction with `statement` on a task of its own, so that a request cancelled
    /// while `BEGIN` is in flight cannot hand its connection back to the pool inside an open
    /// transaction (sqlx 0.9.0 does that when the `begin` future is dropped mid-way).
    pub(crate) async fn begin(
        &self,
        pool: &PgPool,
        statement: String,
    ) -> StoreResult<Transaction<'static, Postgres>> {
        let pool = pool.clone();
        tokio::spawn(async move { pool.begin_with(AssertSqlSafe(statement)).await })
            .await
            .map_err(StoreError::backend)?
            .map_err(db_err)
    }
}

/// `BEGIN`, and the tenant set for that transaction alone, in one round trip. The id is a
/// `Uuid`: its text form is hex digits and hyphens only.
fn tenant_begin(tenant: TenantId) -> String {
    format!(
        "BEGIN; SELECT set_config('app.tenant_id', '{}', true)",
        tenant.0.hyphenated()
    )
}

/// Runs the migrations as the connecting user, through a short-lived pool of one plain
/// connection (no `SET ROLE`), closed before returning.
async fn migrate_with(options: &PgConnectOptions) -> StoreResult<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options.clone())
        .await
        .map_err(StoreError::backend)?;
    let result = MIGRATOR.run(&pool).await.map_err(StoreError::backend);
    pool.close().await;
    result
}

/// Maps a sqlx error to a store error; a unique violation names the value that clashed
/// (by constraint name), so it is never reported as a backend failure.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e
        && d.code().as_deref() == Some("23505")
    {
        match d.constraint() {
            Some("tenants_slug_key") => return StoreError::Taken("slug"),
            Some("tenants_domain_key") => return StoreError::Taken("domain"),
            Some(
                "backoffice_users_email_key"
                | "tenant_users_tenant_id_email_key"
                | "merchants_tenant_id_email_key",
            ) => return StoreError::Taken("email"),
            Some("queue_entries_one_waiting_phone") => return StoreError::AlreadyWaiting,
            _ => {}
        }
    }
    StoreError::backend(e)
}
