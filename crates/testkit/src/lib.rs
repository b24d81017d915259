//! Test support for QMS: [`TestDb`], a fresh database per test behind `Arc<dyn Store>`, and
//! helpers that build fixtures through the [`Store`] itself.
//!
//! The backend is chosen from the environment: with `TEST_DATABASE_URL`
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) each [`TestDb`] creates its own
//! PostgreSQL database `qms_test_<hex>` through that URL and drops it again; without it, each
//! [`TestDb`] is a SQLite file in a temporary directory. The same tests thus run on both.

pub mod schema;
pub mod smtp;

use qms_domain::entry::Platform;
use qms_domain::queue::QueueSettings;
use qms_domain::{Plan, TenantId};
use qms_store::{
    Actor, AuditFilter, NewEntry, NewTenant, Store, StoreError, StoreResult, UserType,
};
use rand::Rng;
use sqlx::{AssertSqlSafe, Connection, Executor};
use std::sync::Arc;
use uuid::Uuid;

/// The environment variable naming a PostgreSQL server to test against.
pub const DATABASE_URL_VAR: &str = "TEST_DATABASE_URL";
/// The environment variable that turns skips into failures (`1` in CI).
pub const STRICT_VAR: &str = "QMS_TEST_STRICT";

/// The PostgreSQL URL to test against, when `TEST_DATABASE_URL` is set and not empty.
pub fn postgres_url() -> Option<String> {
    std::env::var(DATABASE_URL_VAR)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// True under `QMS_TEST_STRICT=1`: a test that cannot find what it needs must fail, not skip.
pub fn strict() -> bool {
    std::env::var(STRICT_VAR).is_ok_and(|v| v.trim() == "1")
}

/// A fresh, migrated database for one test. Dropping it deletes the database.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    /// `"sqlite"` or `"postgres"`.
    pub backend: &'static str,
    place: Place,
}

/// Where the database lives, for raw access and clean-up.
enum Place {
    Sqlite {
        dir: Option<tempfile::TempDir>,
        url: String,
    },
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres {
        admin_url: String,
        url: String,
        name: String,
    },
}

/// What [`TestDb::tenant`] made.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub tenant: TenantId,
    pub slug: String,
    pub merchant: Uuid,
    pub owner: Uuid,
    pub owner_email: String,
    /// A queue open around the clock, capacity 1000, 5 minutes per turn.
    pub queue: Uuid,
}

impl Fixture {
    /// The owner acting as staff, as the audit trail should record them.
    pub fn staff(&self) -> Actor {
        Actor {
            user_id: Some(self.owner),
            user_type: UserType::Merchant,
            ip_address: Some("203.0.113.7".into()),
            user_agent: Some("qms-testkit".into()),
        }
    }
}

impl TestDb {
    /// A fresh database on the backend the environment asks for. Panics when it cannot be made:
    /// a test without its database has nothing to say.
    pub async fn new() -> TestDb {
        match postgres_url() {
            Some(url) => Self::postgres(&url).await,
            None => Self::sqlite().await,
        }
    }

    /// A SQLite file `qms.db` in a new temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = match tempfile::Builder::new().prefix("qms-test-").tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("cannot create a temporary directory: {e}"),
        };
        let url = format!("sqlite://{}", dir.path().join("qms.db").display());
        let store = match qms_store_sqlite::SqliteStore::connect(&url).await {
            Ok(store) => store,
            Err(e) => panic!("cannot open the SQLite test database {url}: {e}"),
        };
        TestDb {
            store: Arc::new(store),
            backend: "sqlite",
            place: Place::Sqlite {
                dir: Some(dir),
                url,
            },
        }
    }

    /// A new database `qms_test_<hex>` on the server at `admin_url`, migrated by
    /// `PgStore::connect`.
    #[cfg(feature = "postgres")]
    pub async fn postgres(admin_url: &str) -> TestDb {
        let name = format!("qms_test_{}", hex::encode(rand::random::<[u8; 8]>()));
        if let Err(e) = run_sql(admin_url, &format!("CREATE DATABASE \"{name}\"")).await {
            panic!("cannot create the test database {name} through {DATABASE_URL_VAR}: {e}");
        }
        let url = with_database(admin_url, &name);
        let mut place = Place::Postgres {
            admin_url: admin_url.to_string(),
            url: url.clone(),
            name,
        };
        let store = match qms_store_postgres::PgStore::connect(&url).await {
            Ok(store) => store,
            Err(e) => {
                drop_place(&mut place);
                panic!("cannot open the PostgreSQL test database: {e}");
            }
        };
        TestDb {
            store: Arc::new(store),
            backend: "postgres",
            place,
        }
    }

    /// Without the `postgres` feature there is no PostgreSQL store to open.
    #[cfg(not(feature = "postgres"))]
    pub async fn postgres(_admin_url: &str) -> TestDb {
        panic!(
            "{DATABASE_URL_VAR} is set but qms-testkit was built without its `postgres` feature"
        );
    }

    /// Another store on this same database, as a second `qms` instance would open it (for
    /// tests of several instances sharing one database).
    pub async fn another_store(&self) -> Arc<dyn Store> {
        match &self.place {
            Place::Sqlite { url, .. } => match qms_store_sqlite::SqliteStore::connect(url).await {
                Ok(s) => Arc::new(s),
                Err(e) => panic!("cannot open the SQLite test database again: {e}"),
            },
            #[cfg(feature = "postgres")]
            Place::Postgres { url, .. } => match qms_store_postgres::PgStore::connect(url).await {
                Ok(s) => Arc::new(s),
                Err(e) => panic!("cannot open the PostgreSQL test database again: {e}"),
            },
            #[cfg(not(feature = "postgres"))]
            Place::Postgres { .. } => panic!("qms-testkit was built without `postgres`"),
        }
    }

    /// Runs one SQL statement on the test database as the connecting (administrative) user,
    /// outside the store, for set-ups the [`Store`] offers no method for.
    pub async fn exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let url = match &self.place {
            Place::Sqlite { url, .. } | Place::Postgres { url, .. } => url.clone(),
        };
        run_sql(&url, sql).await
    }

    /// Gives a tenant a custom domain (the store has no method for it yet).
    pub async fn set_tenant_domain(
        &self,
        tenant: TenantId,
        domain: &str,
    ) -> Result<u64, sqlx::Error> {
        // Both values are ours: a UUID and a test literal without quotes.
        let id = match self.backend {
            "postgres" => format!("'{}'::uuid", tenant.0.hyphenated()),
            _ => format!("'{}'", tenant.0.hyphenated()),
        };
        let domain = domain.replace('\'', "''");
        self.exec(&format!(
            "UPDATE tenants SET domain = '{domain}' WHERE id = {id}"
        ))
        .await
    }

    /// Creates a tenant on the ENTERPRISE plan (limits out of the way) with one open queue.
    pub async fn tenant(&self, slug: &str) -> Fixture {
        self.tenant_with_plan(slug, Plan::Enterprise).await
    }

    /// Creates a tenant on `plan` with its merchant, owner and one queue named "Main" that is
    /// open around the clock (`00:00`–`00:00`), holds 1000 and takes 5 minutes per turn.
    pub async fn tenant_with_plan(&self, slug: &str, plan: Plan) -> Fixture {
        match self.try_tenant(slug, plan).await {
            Ok(f) => f,
            Err(e) => panic!("cannot create the tenant fixture {slug:?}: {e}"),
        }
    }

    async fn try_tenant(&self, slug: &str, plan: Plan) -> StoreResult<Fixture> {
        let owner_email = format!("owner@{slug}.example");
        // The owner has accepted their invitation (a placeholder hash: fixtures never sign in),
        // so they count as the tenant's active owner.
        let mut new = new_tenant(slug, plan, &owner_email);
        new.owner_password_hash = Some("$fixture$not-a-real-hash".into());
        let created = self.store.create_tenant(new).await?;
        let tenant = created.tenant.id;
        let actor = Actor {
            user_id: Some(created.owner.id),
            user_type: UserType::Merchant,
            ..Actor::default()
        };
        let queue = self
            .store
            .create_queue(tenant, created.merchant.id, open_queue("Main"), &actor)
            .await?;
        Ok(Fixture {
            tenant,
            slug: slug.to_string(),
            merchant: created.merchant.id,
            owner: created.owner.id,
            owner_email,
            queue: queue.id,
        })
    }
}

/// A [`NewTenant`] for tests: UTC, Malaysia, an invited owner (no password).
pub fn new_tenant(slug: &str, plan: Plan, owner_email: &str) -> NewTenant {
    NewTenant {
        slug: slug.to_string(),
        name: format!("Tenant {slug}"),
        plan,
        timezone: "UTC".into(),
        country: "MY".into(),
        owner_email: owner_email.to_string(),
        owner_name: format!("Owner of {slug}"),
        owner_password_hash: None,
    }
}

/// Queue settings that never get in a test's way: open around the clock, capacity 1000,
/// 5 minutes per turn, cancellation allowed.
pub fn open_queue(name: &str) -> QueueSettings {
    QueueSettings {
        max_capacity: 1000,
        average_service_time: 5,
        business_hours_start: "00:00".into(),
        business_hours_end: "00:00".into(),
        ..QueueSettings::with_name(name)
    }
}

/// A join request with fresh secrets: a 32-hex-character session id (16 random bytes) and a
/// 6-digit verification code.
pub fn new_entry(name: &str, phone: &str) -> NewEntry {
    NewEntry {
        customer_name: name.to_string(),
        customer_phone: phone.to_string(),
        party_size: 2,
        notes: None,
        special_requests: None,
        service_type_id: None,
        platform: Platform::Web,
        idempotency_key: None,
        session_id: session_id(),
        verification_code: verification_code(),
    }
}

/// 128 random bits as 32 lowercase hex characters.
pub fn session_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Six random decimal digits.
pub fn verification_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// A distinct, valid Malaysian mobile number in E.164 for each `n` below 10 million.
pub fn phone(n: u32) -> String {
    format!("+6012{:07}", n % 10_000_000)
}

/// `url` with its database name replaced by `database` (query string kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{base}/{database}{query}")
}

/// Runs one statement on a short-lived connection of its own.
async fn run_sql(url: &str, sql: &str) -> Result<u64, sqlx::Error> {
    let sql = AssertSqlSafe(sql.to_string());
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        let done = conn.execute(sql).await;
        let _ = conn.close().await;
        return done.map(|r| r.rows_affected());
    }
    #[cfg(feature = "postgres")]
    {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let done = conn.execute(sql).await;
        let _ = conn.close().await;
        done.map(|r| r.rows_affected())
    }
    #[cfg(not(feature = "postgres"))]
    Err(sqlx::Error::Configuration(
        "qms-testkit was built without its `postgres` feature".into(),
    ))
}

/// The `limit` newest audit rows, unfiltered.
pub fn newest(limit: i64) -> AuditFilter {
    AuditFilter {
        limit,
        ..AuditFilter::default()
    }
}

/// Unwraps a store answer in fixture code, naming what failed.
pub fn ok<T>(what: &str, r: StoreResult<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e:?}"),
    }
}

/// Asserts that a store answer is the given refusal (compared by variant and payload text).
#[track_caller]
pub fn assert_refused<T: std::fmt::Debug>(r: StoreResult<T>, want: &StoreError) {
    match r {
        Err(got) if same_error(&got, want) => {}
        other => panic!("expected Err({want:?}), got {other:?}"),
    }
}

/// Equality of store errors by variant and payload (the type has no `PartialEq`).
pub fn same_error(a: &StoreError, b: &StoreError) -> bool {
    use StoreError as E;
    match (a, b) {
        (E::Backend(_), E::Backend(_)) => true,
        (E::PlanLimit(_), E::PlanLimit(_)) => true,
        _ => format!("{a:?}") == format!("{b:?}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop_place(&mut self.place);
    }
}

/// Removes the SQLite directory, or drops the PostgreSQL database from a thread with its own
/// runtime (so that it works from inside `#[tokio::test]`, whose runtime may be single-threaded).
fn drop_place(place: &mut Place) {
    match place {
        Place::Sqlite { dir, .. } => {
            if let Some(dir) = dir.take() {
                let path = dir.path().display().to_string();
                if let Err(e) = dir.close() {
                    eprintln!("qms-testkit: could not remove {path}: {e}");
                }
            }
        }
        Place::Postgres {
            admin_url, name, ..
        } => {
            let admin_url = admin_url.clone();
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let name = name.clone();
            let worker = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match rt {
                    Ok(rt) => rt.block_on(run_sql(&admin_url, &sql)).map(|_| ()),
                    Err(e) => Err(sqlx::Error::Io(e)),
                }
            });
            match worker.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("qms-testkit: could not drop database {name}: {e}"),
                Err(_) => eprintln!("qms-testkit: dropping database {name} panicked"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "qms_test_ab"),
            "postgres://postgres@127.0.0.1:5432/qms_test_ab"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
        assert_eq!(
            with_database("postgres://h?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }

    #[test]
    fn secrets_have_their_shape() {
        let s = session_id();
        assert_eq!(s.len(), 32);
        assert!(
            s.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(s, session_id());
        let c = verification_code();
        assert_eq!(c.len(), 6);
        assert!(c.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(phone(42), "+60120000042");
    }

    #[tokio::test]
    async fn sqlite_databases_are_removed_on_drop() {
        let db = TestDb::sqlite().await;
        let Place::Sqlite { dir: Some(dir), .. } = &db.place else {
            panic!("not a sqlite place");
        };
        let path = dir.path().to_path_buf();
        assert!(path.join("qms.db").exists());
        assert_eq!(db.store.tenant_count().await.ok(), Some(0));
        drop(db);
        assert!(!path.exists());
    }
}
