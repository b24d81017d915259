//! The hottest reads on a table with a history: a queue that has served 20,000 customers must
//! still find a customer's place, its queues' numbers and its line (the realtime fan-out's
//! read) through its indexes. Counted, not timed: PostgreSQL's
//! per-transaction statistics (`pg_stat_xact_user_tables`) say how many scans of
//! `queue_entries` the read started, and a sequential scan of it is the failure (a plan that
//! cannot use the primary key reads the whole history on every status poll).
//!
//! Needs `TEST_DATABASE_URL` naming a PostgreSQL server; without it each test prints one line and
//! passes, even under `QMS_TEST_STRICT=1` (CI's PostgreSQL pass sets it; see `common`).

#![allow(clippy::expect_used)]

mod common;

use common::{customer, new_tenant, open_queue, server_url, with_fresh_database};
use qms_store::{Actor, Joined, Store};
use qms_store_postgres::PgStore;
use sqlx::{Connection, PgConnection, Row};
use time::OffsetDateTime;
use uuid::Uuid;

/// Finished customers written into the queue before the reads.
const HISTORY: i64 = 20_000;

#[tokio::test]
async fn a_customers_place_is_read_through_indexes_with_a_long_history() {
    let Some(server) = server_url() else { return };
    with_fresh_database(&server, |opts| async move {
        let store = PgStore::connect_with_options(opts.clone(), None)
            .await
            .expect("connect");
        let t = new_tenant(&store, "history").await;
        let tenant = t.tenant.id.0;
        let q = open_queue(&store, &t, "Main").await;
        let mut line = Vec::new();
        for i in 0..3 {
            let phone = format!("+6012345670{i}");
            let joined = store
                .join_queue(
                    t.tenant.id,
                    q.id,
                    customer("C", &phone),
                    &Actor::system(),
                    OffsetDateTime::now_utc(),
                )
                .await;
            let Ok(Joined::Created(entry, _)) = joined else {
                panic!("created: {joined:?}")
            };
            line.push(entry);
        }

        // The history, written as the connecting (owner) user, then analysed as autovacuum
        // would have done by the time a table has grown so.
        let mut owner = PgConnection::connect_with(&opts).await.expect("connect");
        sqlx::query(
            "INSERT INTO queue_entries (id, tenant_id, queue_id, customer_id, customer_name,
                 customer_phone, platform, position, status, party_size, verification_code,
                 session_id, ticket_day, ticket_seq, ticket_number, joined_at, called_at,
                 served_at, completed_at)
             SELECT gen_random_uuid(), $1, $2, 'past', 'Past', '+60170000000', 'web', g,
                 'completed', 2, '0000', 'history-' || g, '2000-01-01', g, 'H-' || g,
                 now() - interval '30 days', now() - interval '30 days',
                 now() - interval '30 days', now() - interval '30 days'
             FROM generate_series(1, $3) g",
        )
        .bind(tenant)
        .bind(q.id)
        .bind(HISTORY)
        .execute(&mut owner)
        .await
        .expect("write the history");
        sqlx::query("ANALYZE queue_entries")
            .execute(&mut owner)
            .await
            .expect("analyze");
        owner.close().await.ok();

        // The reads, in one transaction on the application's own connection (role qms_app,
        // its plan settings), each several times so that cached plans are the ones counted.
        let last = &line[2];
        let mut tx = store.pool().begin().await.expect("begin");
        for _ in 0..8 {
            let by_session = sqlx::query(
                "SELECT (p.entry).id, p.live_position
                 FROM qms_place($1, NULL, $2, now() - interval '2 hours', 12) p",
            )
            .bind(tenant)
            .bind(&last.session_id)
            .fetch_one(&mut *tx)
            .await
            .expect("place by session");
            assert_eq!(by_session.get::<Uuid, _>(0), last.id);
            assert_eq!(by_session.get::<i64, _>(1), 3, "third in line");
            let by_id = sqlx::query(
                "SELECT p.live_position FROM qms_place($1, $2, NULL, now() - interval '2 hours', 12) p",
            )
            .bind(tenant)
            .bind(line[0].id)
            .fetch_one(&mut *tx)
            .await
            .expect("place by id");
            assert_eq!(by_id.get::<i64, _>(0), 1, "first in line");
            let queues = sqlx::query(
                "SELECT waiting_count FROM qms_queue_summaries($1, NULL, now() - interval '2 hours', 12)",
            )
            .bind(tenant)
            .fetch_all(&mut *tx)
            .await
            .expect("queue summaries");
            assert_eq!(queues.len(), 1);
            let fanout = sqlx::query(
                "SELECT k FROM qms_fanout_line($1, $2, now() - interval '2 hours', 12, true)",
            )
            .bind(tenant)
            .bind(q.id)
            .fetch_all(&mut *tx)
            .await
            .expect("fan-out read");
            assert_eq!(fanout.len(), 4, "the queue and its three waiting customers");
        }
        let unknown = sqlx::query("SELECT 1 FROM qms_place($1, NULL, 'no-such-session', now(), 12)")
            .bind(tenant)
            .fetch_optional(&mut *tx)
            .await
            .expect("unknown session");
        assert!(unknown.is_none(), "an unknown session finds nothing");
        let scans = sqlx::query(
            "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'queue_entries'",
        )
        .fetch_one(&mut *tx)
        .await
        .expect("scan counts");
        let (seq, idx): (i64, i64) = (scans.get(0), scans.get(1));
        tx.rollback().await.expect("rollback");
        assert_eq!(seq, 0, "no read scanned the whole history ({idx} index scans)");
        assert!(idx > 0, "the reads used the indexes");
        store.close().await;
    })
    .await;
}
