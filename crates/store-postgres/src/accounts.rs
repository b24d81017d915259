//! A tenant's subscription, merchants, staff accounts and audit trail.

use crate::journal::{self, Audit};
use crate::rows::{self, ms, now};
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_store::{
    Actor, AuditFilter, AuditLog, Merchant, StoreError, StoreResult, Subscription, TenantUser,
};
use uuid::Uuid;

impl PgStore {
    pub(crate) async fn do_subscription(&self, tenant: TenantId) -> StoreResult<Subscription> {
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query("SELECT * FROM tenant_subscriptions WHERE tenant_id = $1")
            .bind(tenant.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db_err)?;
        rows::subscription(&row)
    }

    pub(crate) async fn do_merchants(&self, tenant: TenantId) -> StoreResult<Vec<Merchant>> {
        // One statement that sets the tenant itself (migration 0006): every join reads this.
        let rows = sqlx::query("SELECT * FROM qms_merchants($1)")
            .bind(tenant.0)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.iter().map(rows::merchant).collect()
    }

    pub(crate) async fn do_user_by_email(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> StoreResult<Option<TenantUser>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query("SELECT * FROM tenant_users WHERE tenant_id = $1 AND email = $2")
            .bind(tenant.0)
            .bind(email)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        row.as_ref().map(rows::user).transpose()
    }

    pub(crate) async fn do_user_by_id(
        &self,
        tenant: TenantId,
        user_id: Uuid,
    ) -> StoreResult<Option<TenantUser>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query("SELECT * FROM tenant_users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        row.as_ref().map(rows::user).transpose()
    }

    pub(crate) async fn do_record_login(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let done = sqlx::query(
            "UPDATE tenant_users SET last_login = $3, failed_logins = 0, locked_until = NULL
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let audit = Audit {
            action: "auth.login",
            resource: "tenant_user",
            resource_id: Some(user_id.to_string()),
            details: None,
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_audit(
        &self,
        tenant: TenantId,
        actor: &Actor,
        audit: Audit<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.tenant_tx(tenant).await?;
        journal::audit(&mut tx, tenant, actor, audit, now()).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_audit_logs(
        &self,
        tenant: TenantId,
        f: &AuditFilter,
    ) -> StoreResult<Vec<AuditLog>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT * FROM audit_logs WHERE tenant_id = $1
               AND ($2::text IS NULL OR action = $2)
               AND ($3::uuid IS NULL OR user_id = $3)
               AND ($4::timestamptz IS NULL OR created_at >= $4)
               AND ($5::timestamptz IS NULL OR created_at < $5)
             ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7",
        )
        .bind(tenant.0)
        .bind(f.action.as_deref())
        .bind(f.user_id)
        .bind(f.from.map(ms))
        .bind(f.to.map(ms))
        .bind(f.limit.clamp(1, 1000))
        .bind(f.offset.max(0))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        rows.iter().map(rows::audit_log).collect()
    }
}
