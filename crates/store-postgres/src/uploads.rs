//! Uploaded images (merchants' logos) on PostgreSQL: one row per tenant and content hash.

use crate::rows::now;
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_store::StoreResult;

impl PgStore {
    pub(crate) async fn do_save_upload(
        &self,
        tenant: TenantId,
        name: &str,
        bytes: &[u8],
    ) -> StoreResult<()> {
        let mut tx = self.tenant_tx(tenant).await?;
        sqlx::query(
            "INSERT INTO uploads (tenant_id, name, bytes, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, name) DO NOTHING",
        )
        .bind(tenant.0)
        .bind(name)
        .bind(bytes)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_upload(
        &self,
        tenant: TenantId,
        name: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let bytes =
            sqlx::query_scalar("SELECT bytes FROM uploads WHERE tenant_id = $1 AND name = $2")
                .bind(tenant.0)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(bytes)
    }
}
