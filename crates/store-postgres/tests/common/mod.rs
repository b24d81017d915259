//! Helpers shared by the PostgreSQL integration tests: the server from `TEST_DATABASE_URL`,
//! a fresh database per test (dropped afterwards), and small builders for tenants, queues and
//! customers.

#![allow(dead_code, clippy::expect_used)]

use qms_domain::Plan;
use qms_domain::entry::Platform;
use qms_domain::queue::QueueSettings;
use qms_store::{Actor, NewEntry, NewTenant, Queue, Store, TenantCreated};
use qms_store_postgres::PgStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::future::Future;
use std::str::FromStr;
use uuid::Uuid;

/// The server URL from `TEST_DATABASE_URL`, or `None` after printing the skip line.
///
/// These tests are about PostgreSQL itself, so without a PostgreSQL URL they skip even under
/// `QMS_TEST_STRICT=1`: CI's SQLite pass leaves the variable unset on purpose, and its
/// PostgreSQL pass sets it, which is when these tests run (and must).
pub fn server_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Some(url),
        _ => {
            println!("skipped: TEST_DATABASE_URL does not name a PostgreSQL server");
            None
        }
    }
}

/// Runs `body` against a fresh database and drops the database afterwards, even when the body
/// panics (the panic is re-raised after clean-up).
pub async fn with_fresh_database<F, Fut>(server: &str, body: F)
where
    F: FnOnce(PgConnectOptions) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin_opts = PgConnectOptions::from_str(server).expect("TEST_DATABASE_URL parses");
    let name = format!("qms_test_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::connect_with(&admin_opts)
        .await
        .expect("connect as admin");
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let outcome = tokio::spawn(body(admin_opts.clone().database(&name))).await;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop test database");
    admin.close().await.ok();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

pub async fn new_tenant(store: &PgStore, slug: &str) -> TenantCreated {
    store
        .create_tenant(NewTenant {
            slug: slug.into(),
            name: format!("Tenant {slug}"),
            plan: Plan::Basic,
            timezone: "UTC".into(),
            country: "MY".into(),
            owner_email: format!("owner@{slug}.example"),
            owner_name: "Owner".into(),
            // An owner who has accepted (placeholder hash: these tests never sign in).
            owner_password_hash: Some("$fixture$not-a-real-hash".into()),
        })
        .await
        .expect("create tenant")
}

/// A queue of the tenant's first merchant, open around the clock.
pub async fn open_queue(store: &PgStore, t: &TenantCreated, name: &str) -> Queue {
    let mut settings = QueueSettings::with_name(name);
    settings.business_hours_start = "00:00".into();
    settings.business_hours_end = "00:00".into();
    store
        .create_queue(t.tenant.id, t.merchant.id, settings, &Actor::system())
        .await
        .expect("create queue")
}

/// A join request for `phone` with a fresh session key.
pub fn customer(name: &str, phone: &str) -> NewEntry {
    NewEntry {
        customer_name: name.into(),
        customer_phone: phone.into(),
        party_size: 2,
        notes: None,
        special_requests: None,
        service_type_id: None,
        platform: Platform::Web,
        idempotency_key: None,
        session_id: Uuid::new_v4().simple().to_string(),
        verification_code: "123456".into(),
    }
}

/// The SQLSTATE of a database error.
pub fn sqlstate(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    }
}
