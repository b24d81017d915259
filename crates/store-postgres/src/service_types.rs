//! Service types: the kinds of service a merchant's queues offer (e.g. "Dine-in").

use crate::journal::{self, Audit};
use crate::queues::lock_merchant;
use crate::rows::{self, now};
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_store::{Actor, NewServiceType, ServiceType, StoreError, StoreResult};
use uuid::Uuid;

impl PgStore {
    pub(crate) async fn do_service_types(&self, tenant: TenantId) -> StoreResult<Vec<ServiceType>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows =
            sqlx::query("SELECT * FROM service_types WHERE tenant_id = $1 ORDER BY name, id")
                .bind(tenant.0)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        rows.iter().map(rows::service_type).collect()
    }

    pub(crate) async fn do_create_service_type(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        new: NewServiceType,
        actor: &Actor,
    ) -> StoreResult<ServiceType> {
        let now = now();
        let st_id = Uuid::now_v7();
        let mut tx = self.tenant_tx(tenant).await?;
        lock_merchant(&mut tx, tenant, merchant_id).await?;
        let row = sqlx::query(
            "INSERT INTO service_types (id, tenant_id, merchant_id, name, description,
                 estimated_duration, is_active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
        )
        .bind(st_id)
        .bind(tenant.0)
        .bind(merchant_id)
        .bind(&new.name)
        .bind(&new.description)
        .bind(new.estimated_duration)
        .bind(new.is_active)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let st = rows::service_type(&row)?;
        let audit = Audit {
            action: "service_type.create",
            resource: "service_type",
            resource_id: Some(st_id.to_string()),
            details: Some(serde_json::json!({"name": new.name})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(st)
    }

    pub(crate) async fn do_update_service_type(
        &self,
        tenant: TenantId,
        st_id: Uuid,
        new: NewServiceType,
        actor: &Actor,
    ) -> StoreResult<ServiceType> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "UPDATE service_types SET name = $3, description = $4, estimated_duration = $5,
                 is_active = $6, updated_at = $7
             WHERE tenant_id = $1 AND id = $2 RETURNING *",
        )
        .bind(tenant.0)
        .bind(st_id)
        .bind(&new.name)
        .bind(&new.description)
        .bind(new.estimated_duration)
        .bind(new.is_active)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        let st = rows::service_type(&row)?;
        let audit = Audit {
            action: "service_type.update",
            resource: "service_type",
            resource_id: Some(st_id.to_string()),
            details: Some(serde_json::json!({"name": new.name})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(st)
    }

    pub(crate) async fn do_delete_service_type(
        &self,
        tenant: TenantId,
        st_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let done = sqlx::query("DELETE FROM service_types WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(st_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let audit = Audit {
            action: "service_type.delete",
            resource: "service_type",
            resource_id: Some(st_id.to_string()),
            details: None,
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }
}
