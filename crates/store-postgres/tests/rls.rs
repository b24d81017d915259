//! Row-level security on PostgreSQL: proves that the database itself, not only the `tenant_id`
//! filters in the store's queries, keeps tenants apart.
//!
//! Needs `TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); each test
//! creates its own database `qms_test_<random>` and drops it at the end. Without the variable
//! the tests print one line and pass, unless `QMS_TEST_STRICT=1`.

// A failed expectation is exactly what a test should panic on.
#![allow(clippy::expect_used)]

mod common;

use common::{customer, new_tenant, open_queue, server_url, sqlstate, with_fresh_database};
use qms_domain::{Plan, TenantId};
use qms_store::{Actor, Store, TenantCreated};
use qms_store_postgres::PgStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};
use time::OffsetDateTime;
use uuid::Uuid;

/// Every table that carries a `tenant_id` column (all must have RLS forced on).
const TENANT_TABLES: &[&str] = &[
    "audit_logs",
    "backoffice_audit_logs",
    "business_hours",
    "merchant_addresses",
    "merchant_integrations",
    "merchant_settings",
    "merchants",
    "notification_logs",
    "notification_templates",
    "push_subscriptions",
    "queue_analytics",
    "queue_analytics_events",
    "queue_entries",
    "queue_ticket_counters",
    "service_types",
    "tenant_subscriptions",
    "tenant_users",
    "queues",
    "uploads",
    "webchat_messages",
];

/// Platform tables without `tenant_id`: no RLS.
const PLATFORM_TABLES: &[&str] = &["tenants", "backoffice_users", "sessions", "system_settings"];

/// A queue open around the clock, with one waiting customer; answers the queue id.
async fn queue_with_customer(store: &PgStore, t: &TenantCreated, phone: &str) -> Uuid {
    let queue = open_queue(store, t, &format!("Main {}", t.tenant.slug)).await;
    store
        .join_queue(
            t.tenant.id,
            queue.id,
            customer("Ann", phone),
            &Actor::system(),
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("join queue");
    queue.id
}

async fn tenant_ids(tx: &mut PgConnection, table: &str) -> Vec<Uuid> {
    sqlx::query_scalar(AssertSqlSafe(format!("SELECT tenant_id FROM {table}")))
        .fetch_all(tx)
        .await
        .expect("select without a tenant filter")
}

#[tokio::test]
async fn tenants_cannot_see_or_touch_each_others_rows() {
    let Some(server) = server_url() else { return };
    with_fresh_database(&server, |opts| async move {
        // One connection: the leak check below must reuse the connection tenant A used.
        let store = PgStore::connect_with_options(opts.clone(), Some(1))
            .await
            .expect("connect");
        let a = new_tenant(&store, "alpha").await;
        let b = new_tenant(&store, "bravo").await;
        let (ta, tb) = (a.tenant.id, b.tenant.id);
        let qa = queue_with_customer(&store, &a, "+60123456789").await;
        let qb = queue_with_customer(&store, &b, "+60123456789").await;
        for t in [ta, tb] {
            store
                .save_upload(t, "0123456789abcdef0123456789abcdef.png", b"png")
                .await
                .expect("save upload");
        }

        // Reads without a tenant_id filter see only the current tenant's rows.
        let mut tx = store.tenant_tx(ta).await.expect("tenant tx");
        for table in [
            "queues",
            "queue_entries",
            "merchants",
            "tenant_users",
            "audit_logs",
            "tenant_subscriptions",
            "queue_analytics_events",
            "queue_ticket_counters",
            "uploads",
        ] {
            let ids = tenant_ids(&mut tx, table).await;
            assert!(!ids.is_empty(), "{table}: tenant A has rows");
            assert!(
                ids.iter().all(|id| *id == ta.0),
                "{table}: only A's rows, got {ids:?}"
            );
        }
        let queues: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM queues")
            .fetch_all(&mut *tx)
            .await
            .expect("select queues");
        assert_eq!(queues, vec![qa]);

        // Writes without a filter reach only A's rows; aimed at B they reach nothing.
        let updated = sqlx::query("UPDATE queues SET name = 'renamed'")
            .execute(&mut *tx)
            .await
            .expect("update without filter");
        assert_eq!(updated.rows_affected(), 1, "only A's queue is updated");
        let hit_b = sqlx::query("UPDATE queues SET name = 'stolen' WHERE tenant_id = $1")
            .bind(tb.0)
            .execute(&mut *tx)
            .await
            .expect("update aimed at B");
        assert_eq!(hit_b.rows_affected(), 0);
        let deleted_b = sqlx::query("DELETE FROM queue_entries WHERE queue_id = $1")
            .bind(qb)
            .execute(&mut *tx)
            .await
            .expect("delete aimed at B");
        assert_eq!(deleted_b.rows_affected(), 0);
        let deleted = sqlx::query("DELETE FROM audit_logs")
            .execute(&mut *tx)
            .await
            .expect("delete without filter");
        assert!(deleted.rows_affected() >= 1);
        tx.rollback().await.expect("rollback");

        // Inserting a row for B, or moving A's row to B, is refused by the policy.
        let mut tx = store.tenant_tx(ta).await.expect("tenant tx");
        let err = sqlx::query(
            "INSERT INTO service_types (id, tenant_id, merchant_id, name, created_at, updated_at)
             VALUES ($1, $2, $3, 'sneaky', now(), now())",
        )
        .bind(Uuid::now_v7())
        .bind(tb.0)
        .bind(b.merchant.id)
        .execute(&mut *tx)
        .await
        .expect_err("insert with B's tenant_id must fail");
        assert_eq!(sqlstate(&err).as_deref(), Some("42501"), "{err}");
        tx.rollback().await.expect("rollback");
        let mut tx = store.tenant_tx(ta).await.expect("tenant tx");
        let err = sqlx::query("UPDATE queues SET tenant_id = $1")
            .bind(tb.0)
            .execute(&mut *tx)
            .await
            .expect_err("moving a row to B must fail");
        assert_eq!(sqlstate(&err).as_deref(), Some("42501"), "{err}");
        tx.rollback().await.expect("rollback");

        // B's rows are intact, seen from B.
        let mut tx = store.tenant_tx(tb).await.expect("tenant tx");
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM queues")
            .fetch_all(&mut *tx)
            .await
            .expect("select B's queues");
        assert_eq!(names, vec!["Main bravo".to_string()]);
        let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queue_entries")
            .fetch_one(&mut *tx)
            .await
            .expect("count B's entries");
        assert_eq!(entries, 1);
        let service_types: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_types")
            .fetch_one(&mut *tx)
            .await
            .expect("count B's service types");
        assert_eq!(service_types, 0);
        tx.commit().await.expect("commit");

        // No tenant set, or an empty one: nothing is visible and nothing errors.
        let none: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queues")
            .fetch_one(store.pool())
            .await
            .expect("no tenant: no error");
        assert_eq!(none, 0);
        let mut tx = store.pool().begin().await.expect("begin");
        sqlx::query("SELECT set_config('app.tenant_id', '', true)")
            .execute(&mut *tx)
            .await
            .expect("empty tenant");
        let none: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queue_entries")
            .fetch_one(&mut *tx)
            .await
            .expect("empty tenant: no error");
        assert_eq!(none, 0);
        tx.commit().await.expect("commit");

        // The tenant ends with its transaction: the same pooled connection then sees nothing.
        let mut tx = store.tenant_tx(ta).await.expect("tenant tx");
        let pid_a: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *tx)
            .await
            .expect("pid");
        let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queues")
            .fetch_one(&mut *tx)
            .await
            .expect("count");
        assert_eq!(seen, 1);
        tx.commit().await.expect("commit");
        let mut tx = store.pool().begin().await.expect("begin");
        let pid_next: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *tx)
            .await
            .expect("pid");
        assert_eq!(pid_next, pid_a, "the pool has one connection");
        let setting: Option<String> =
            sqlx::query_scalar("SELECT current_setting('app.tenant_id', true)")
                .fetch_one(&mut *tx)
                .await
                .expect("setting");
        assert!(
            setting.unwrap_or_default().is_empty(),
            "tenant leaked to the next transaction"
        );
        let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queues")
            .fetch_one(&mut *tx)
            .await
            .expect("count");
        assert_eq!(seen, 0, "rows leaked to the next transaction");
        tx.commit().await.expect("commit");

        // The store's own methods agree.
        assert!(store.queue(ta, qb).await.expect("queue").is_none());
        let listed = store.list_queues(ta).await.expect("list");
        assert_eq!(
            listed.iter().map(|q| q.queue.id).collect::<Vec<_>>(),
            vec![qa]
        );
        assert_eq!(listed[0].stats.waiting, 1);
        assert_eq!(store.merchants(tb).await.expect("merchants").len(), 1);

        // The application runs as a role that is neither superuser nor owner, nor bypasses RLS.
        let row = sqlx::query(
            "SELECT current_user::text AS who, r.rolsuper, r.rolbypassrls,
                    current_setting('is_superuser') AS is_superuser,
                    (SELECT COUNT(*) FROM pg_tables
                     WHERE schemaname = 'public' AND tableowner = current_user) AS owned
             FROM pg_roles r WHERE r.rolname = current_user",
        )
        .fetch_one(store.pool())
        .await
        .expect("role facts");
        assert_eq!(row.get::<String, _>("who"), "qms_app");
        assert!(!row.get::<bool, _>("rolsuper"));
        assert_eq!(row.get::<String, _>("is_superuser"), "off");
        assert!(!row.get::<bool, _>("rolbypassrls"));
        assert_eq!(row.get::<i64, _>("owned"), 0);
        store.close().await;

        // Every table with tenant_id has RLS enabled and forced, with the policy; the
        // platform tables have none.
        let mut owner = PgConnection::connect_with(&opts)
            .await
            .expect("connect as owner");
        let rows = sqlx::query(
            "SELECT c.relname::text AS name, c.relrowsecurity, c.relforcerowsecurity,
                    EXISTS (SELECT 1 FROM pg_policy p
                            WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation') AS policy
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r'
               AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                           AND a.attname = 'tenant_id' AND NOT a.attisdropped)
             ORDER BY 1",
        )
        .fetch_all(&mut owner)
        .await
        .expect("catalogue");
        let mut names: Vec<String> = rows.iter().map(|r| r.get("name")).collect();
        let mut expected: Vec<String> = TENANT_TABLES.iter().map(|s| s.to_string()).collect();
        names.sort();
        expected.sort();
        assert_eq!(names, expected);
        for r in &rows {
            let name: String = r.get("name");
            assert!(r.get::<bool, _>("relrowsecurity"), "{name}: RLS enabled");
            assert!(
                r.get::<bool, _>("relforcerowsecurity"),
                "{name}: RLS forced"
            );
            assert!(
                r.get::<bool, _>("policy"),
                "{name}: tenant_isolation policy"
            );
        }
        for table in PLATFORM_TABLES {
            let rls: bool = sqlx::query_scalar(
                "SELECT relrowsecurity FROM pg_class
                 WHERE relname = $1 AND relnamespace = 'public'::regnamespace",
            )
            .bind(*table)
            .fetch_one(&mut owner)
            .await
            .expect("platform table");
            assert!(!rls, "{table} has no RLS");
        }
        owner.close().await.ok();
    })
    .await;
}

#[tokio::test]
async fn databases_migrating_at_once_share_the_role() {
    let Some(server) = server_url() else { return };
    let server2 = server.clone();
    let server3 = server.clone();
    let connect_and_create = |opts: PgConnectOptions| async move {
        let store = PgStore::connect_with_options(opts, Some(2))
            .await
            .expect("connect");
        let t = new_tenant(&store, "charlie").await;
        assert_eq!(store.tenant_count().await.expect("count"), 1);
        assert_eq!(
            store.subscription(t.tenant.id).await.expect("sub").plan,
            Plan::Basic
        );
        assert!(store.subscription(TenantId::new()).await.is_err());
        store.close().await;
    };
    let one = with_fresh_database(&server, connect_and_create);
    let two = with_fresh_database(&server2, connect_and_create);
    let three = with_fresh_database(&server3, connect_and_create);
    tokio::join!(one, two, three);
}

/// The read functions of migrations 0006 and 0013 set the tenant for their own statement only:
/// `qms_place` answers an entry to its tenant and nothing to another tenant that names it (so
/// do `qms_queue` for a queue and `qms_fanout_line` for a queue's line, and `qms_merchants`
/// lists the tenant's own), and no tenant stays set on the connection afterwards.
#[tokio::test]
async fn the_read_functions_set_the_tenant_for_their_own_statement_only() {
    let Some(server) = server_url() else { return };
    with_fresh_database(&server, |opts| async move {
        // One connection, so the check after the call runs where the call ran.
        let store = PgStore::connect_with_options(opts.clone(), Some(1))
            .await
            .expect("connect");
        let a = new_tenant(&store, "alpha").await;
        let b = new_tenant(&store, "bravo").await;
        let queue = queue_with_customer(&store, &a, "+60123456789").await;
        // The entry's keys, read as the tenant.
        let mut tx = store.tenant_tx(a.tenant.id).await.expect("tenant tx");
        let (entry, session): (Uuid, String) =
            sqlx::query_as("SELECT id, session_id FROM queue_entries")
                .fetch_one(&mut *tx)
                .await
                .expect("A's entry");
        tx.rollback().await.expect("rollback");
        let mut conn = store.pool().acquire().await.expect("connection");

        let place = |tenant: TenantId, entry: Option<Uuid>, session: Option<String>| {
            sqlx::query_scalar::<_, Uuid>(
                "SELECT (p.entry).id FROM qms_place($1, $2, $3, now() - interval '2 hours', 12) p",
            )
            .bind(tenant.0)
            .bind(entry)
            .bind(session)
        };
        let found = place(a.tenant.id, None, Some(session.clone()))
            .fetch_optional(&mut *conn)
            .await
            .expect("by session");
        assert_eq!(found, Some(entry), "the tenant finds its entry by session");
        let found = place(a.tenant.id, Some(entry), None)
            .fetch_optional(&mut *conn)
            .await
            .expect("by id");
        assert_eq!(found, Some(entry), "and by id");
        for (entry, session) in [(Some(entry), None), (None, Some(session.clone()))] {
            let found = place(b.tenant.id, entry, session)
                .fetch_optional(&mut *conn)
                .await
                .expect("from B");
            assert_eq!(found, None, "another tenant gets nothing");
        }
        // The queue and merchants functions (same migration) answer the same way.
        let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM qms_queue($1, $2)")
            .bind(a.tenant.id.0)
            .bind(queue)
            .fetch_optional(&mut *conn)
            .await
            .expect("queue");
        assert_eq!(found, Some(queue));
        let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM qms_queue($1, $2)")
            .bind(b.tenant.id.0)
            .bind(queue)
            .fetch_optional(&mut *conn)
            .await
            .expect("queue from B");
        assert_eq!(found, None, "another tenant does not get the queue");
        let owners: Vec<Uuid> = sqlx::query_scalar("SELECT tenant_id FROM qms_merchants($1)")
            .bind(b.tenant.id.0)
            .fetch_all(&mut *conn)
            .await
            .expect("merchants");
        assert!(!owners.is_empty() && owners.iter().all(|t| *t == b.tenant.id.0));
        // The fan-out's read (migration 0013): the queue and its line to the tenant, nothing to
        // another.
        let fanout = |tenant: TenantId| {
            sqlx::query_scalar::<_, i32>(
                "SELECT k FROM qms_fanout_line($1, $2, now() - interval '2 hours', 12, true)",
            )
            .bind(tenant.0)
            .bind(queue)
        };
        let kinds = fanout(a.tenant.id)
            .fetch_all(&mut *conn)
            .await
            .expect("fan-out read");
        assert_eq!(kinds, [0, 1], "the queue, then its one waiting customer");
        let kinds = fanout(b.tenant.id)
            .fetch_all(&mut *conn)
            .await
            .expect("fan-out read from B");
        assert!(kinds.is_empty(), "another tenant gets nothing: {kinds:?}");
        // Outside a transaction the setting ended with the call: no tenant, no rows.
        let setting: Option<String> =
            sqlx::query_scalar("SELECT NULLIF(current_setting('app.tenant_id', true), '')")
                .fetch_one(&mut *conn)
                .await
                .expect("setting");
        assert_eq!(setting, None, "no tenant left set on the connection");
        let rows = tenant_ids(&mut conn, "queue_entries").await;
        assert!(rows.is_empty(), "no rows visible after the call: {rows:?}");
    })
    .await;
}
