//! Platform-level records: tenants (created with subscription, first merchant and owner in one
//! transaction) and BackOffice users. These tables carry no `tenant_id` and no row-level
//! security; creating a tenant writes its first tenant rows inside a transaction scoped to the
//! new tenant's id, so the policies admit exactly those rows.

use crate::journal::{self, Audit};
use crate::rows::{self, now};
use crate::{PgStore, db_err};
use qms_domain::{Role, TenantId};
use qms_store::{
    Actor, BackOfficeUser, NewBackOfficeUser, NewTenant, StoreResult, Tenant, TenantCreated,
};
use uuid::Uuid;

impl PgStore {
    pub(crate) async fn do_tenant_count(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
    }

    pub(crate) async fn do_create_tenant(&self, new: NewTenant) -> StoreResult<TenantCreated> {
        let now = now();
        let tenant_id = TenantId::new();
        let limits = new.plan.limits();
        let mut tx = self.tenant_tx(tenant_id).await?;
        let row = sqlx::query(
            "INSERT INTO tenants (id, name, slug, is_active, created_at, updated_at)
             VALUES ($1, $2, $3, true, $4, $4) RETURNING *",
        )
        .bind(tenant_id.0)
        .bind(&new.name)
        .bind(&new.slug)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let tenant = rows::tenant(&row)?;
        sqlx::query(
            "INSERT INTO tenant_subscriptions (id, tenant_id, plan, start_date, max_merchants,
                 max_queues_per_merchant, max_users_per_tenant, ai_features, analytics,
                 custom_branding, priority_support)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(Uuid::now_v7())
        .bind(tenant_id.0)
        .bind(new.plan.as_str())
        .bind(now)
        .bind(limits.max_merchants)
        .bind(limits.max_queues_per_merchant)
        .bind(limits.max_users_per_tenant)
        .bind(limits.ai_features)
        .bind(limits.analytics)
        .bind(limits.custom_branding)
        .bind(limits.priority_support)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let row = sqlx::query(
            "INSERT INTO merchants (id, tenant_id, business_name, email, timezone, country,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(tenant_id.0)
        .bind(&new.name)
        .bind(&new.owner_email)
        .bind(&new.timezone)
        .bind(&new.country)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let merchant = rows::merchant(&row)?;
        let row = sqlx::query(
            "INSERT INTO tenant_users (id, tenant_id, email, full_name, password_hash, role,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(tenant_id.0)
        .bind(&new.owner_email)
        .bind(&new.owner_name)
        .bind(new.owner_password_hash.as_deref())
        .bind(Role::Owner.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let owner = rows::user(&row)?;
        journal::audit(
            &mut tx,
            tenant_id,
            &Actor::system(),
            Audit {
                action: "tenant.create",
                resource: "tenant",
                resource_id: Some(tenant_id.to_string()),
                details: Some(serde_json::json!({"slug": new.slug, "plan": new.plan.as_str()})),
            },
            now,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(TenantCreated {
            tenant,
            merchant,
            owner,
        })
    }

    pub(crate) async fn do_tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query("SELECT * FROM tenants WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::tenant).transpose()
    }

    pub(crate) async fn do_tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query("SELECT * FROM tenants WHERE domain = $1")
            .bind(domain)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::tenant).transpose()
    }

    pub(crate) async fn do_tenant_by_id(&self, tenant: TenantId) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(tenant.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::tenant).transpose()
    }

    pub(crate) async fn do_create_backoffice_user(
        &self,
        new: NewBackOfficeUser,
    ) -> StoreResult<BackOfficeUser> {
        let mut tx = self.plain_tx().await?;
        let row = sqlx::query(
            "INSERT INTO backoffice_users (id, email, password_hash, full_name, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(&new.email)
        .bind(&new.password_hash)
        .bind(&new.full_name)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let user = rows::backoffice_user(&row)?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }

    pub(crate) async fn do_backoffice_user_by_email(
        &self,
        email: &str,
    ) -> StoreResult<Option<BackOfficeUser>> {
        let row = sqlx::query("SELECT * FROM backoffice_users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::backoffice_user).transpose()
    }
}
