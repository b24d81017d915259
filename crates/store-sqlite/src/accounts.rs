//! A tenant's subscription, merchants, staff accounts and audit trail.

use crate::journal::{self, Audit};
use crate::rows::{self, id, ms, tid};
use crate::{SqliteStore, db_err};
use qms_domain::TenantId;
use qms_store::{
    Actor, AuditFilter, AuditLog, Merchant, StoreError, StoreResult, Subscription, TenantUser,
};
use time::OffsetDateTime;
use uuid::Uuid;

impl SqliteStore {
    pub(crate) async fn do_subscription(&self, tenant: TenantId) -> StoreResult<Subscription> {
        let row = sqlx::query("SELECT * FROM tenant_subscriptions WHERE tenant_id = $1")
            .bind(tid(tenant))
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        rows::subscription(&row)
    }

    /// Inline (see [`inline`](crate::inline)): a join reads the merchants for the phone
    /// number's default country.
    pub(crate) async fn do_merchants(&self, tenant: TenantId) -> StoreResult<Vec<Merchant>> {
        self.inline.rows(
            "SELECT * FROM merchants WHERE tenant_id = $1 ORDER BY created_at, id",
            &[("$1", &tid(tenant))],
            |r| rows::merchant(r),
        )
    }

    pub(crate) async fn do_user_by_email(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> StoreResult<Option<TenantUser>> {
        let row = sqlx::query("SELECT * FROM tenant_users WHERE tenant_id = $1 AND email = $2")
            .bind(tid(tenant))
            .bind(email)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::user).transpose()
    }

    pub(crate) async fn do_user_by_id(
        &self,
        tenant: TenantId,
        user_id: Uuid,
    ) -> StoreResult<Option<TenantUser>> {
        let row = sqlx::query("SELECT * FROM tenant_users WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(user_id))
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::user).transpose()
    }

    pub(crate) async fn do_record_login(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE tenant_users SET last_login = $3, failed_logins = 0, locked_until = NULL
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tid(tenant))
        .bind(id(user_id))
        .bind(ms(now))
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
        let mut tx = self.write().await?;
        journal::audit(&mut tx, tenant, actor, audit, OffsetDateTime::now_utc()).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_audit_logs(
        &self,
        tenant: TenantId,
        f: &AuditFilter,
    ) -> StoreResult<Vec<AuditLog>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_logs WHERE tenant_id = $1
               AND ($2 IS NULL OR action = $2)
               AND ($3 IS NULL OR user_id = $3)
               AND ($4 IS NULL OR created_at >= $4)
               AND ($5 IS NULL OR created_at < $5)
             ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7",
        )
        .bind(tid(tenant))
        .bind(f.action.as_deref())
        .bind(f.user_id.map(id))
        .bind(f.from.map(ms))
        .bind(f.to.map(ms))
        .bind(f.limit.clamp(1, 1000))
        .bind(f.offset.max(0))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter().map(rows::audit_log).collect()
    }
}
