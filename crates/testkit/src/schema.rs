//! The schema seen from outside the store: which tables carry a `tenant_id` column, and how many
//! rows of a tenant each holds. Tests of tenant deletion enumerate the tables from the database
//! itself (`sqlite_master` / `information_schema`), so a table added later cannot be forgotten.

use crate::{Place, TestDb};
use qms_domain::TenantId;
use sqlx::{AssertSqlSafe, Connection, Row};

impl TestDb {
    /// Every table with a `tenant_id` column, by name.
    pub async fn tenant_scoped_tables(&self) -> Result<Vec<String>, sqlx::Error> {
        match &self.place {
            Place::Sqlite { url, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(url).await?;
                let names = sqlx::query_scalar(
                    "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                     WHERE m.type = 'table' AND p.name = 'tenant_id' ORDER BY m.name",
                )
                .fetch_all(&mut conn)
                .await;
                let _ = conn.close().await;
                names
            }
            #[cfg(feature = "postgres")]
            Place::Postgres { url, .. } => {
                let mut conn = sqlx::PgConnection::connect(url).await?;
                let names = sqlx::query_scalar(
                    "SELECT c.table_name::text FROM information_schema.columns c
                     JOIN information_schema.tables t
                       ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                     WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id'
                       AND t.table_type = 'BASE TABLE'
                     ORDER BY 1",
                )
                .fetch_all(&mut conn)
                .await;
                let _ = conn.close().await;
                names
            }
            #[cfg(not(feature = "postgres"))]
            Place::Postgres { .. } => Err(sqlx::Error::Configuration(
                "qms-testkit was built without its `postgres` feature".into(),
            )),
        }
    }

    /// For every tenant-scoped table, how many rows name `tenant` (read as the administrative
    /// user, past row-level security).
    pub async fn tenant_row_counts(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let tables = self.tenant_scoped_tables().await?;
        let mut counts = Vec::new();
        match &self.place {
            Place::Sqlite { url, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(url).await?;
                for table in tables {
                    let n: i64 = sqlx::query(AssertSqlSafe(format!(
                        "SELECT COUNT(*) AS n FROM \"{table}\" WHERE tenant_id = $1"
                    )))
                    .bind(tenant.0.hyphenated().to_string())
                    .fetch_one(&mut conn)
                    .await?
                    .try_get("n")?;
                    counts.push((table, n));
                }
                let _ = conn.close().await;
            }
            #[cfg(feature = "postgres")]
            Place::Postgres { url, .. } => {
                let mut conn = sqlx::PgConnection::connect(url).await?;
                sqlx::query("SELECT set_config('app.platform', 'on', false)")
                    .execute(&mut conn)
                    .await?;
                for table in tables {
                    let n: i64 = sqlx::query(AssertSqlSafe(format!(
                        "SELECT COUNT(*) AS n FROM \"{table}\" WHERE tenant_id = $1"
                    )))
                    .bind(tenant.0)
                    .fetch_one(&mut conn)
                    .await?
                    .try_get("n")?;
                    counts.push((table, n));
                }
                let _ = conn.close().await;
            }
            #[cfg(not(feature = "postgres"))]
            Place::Postgres { .. } => {}
        }
        Ok(counts)
    }
}
