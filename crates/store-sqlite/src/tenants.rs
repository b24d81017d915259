//! Platform-level records: tenants (created with subscription, first merchant and owner in one
//! transaction) and BackOffice users.

use crate::journal::{self, Audit};
use crate::rows::{self, id, ms, tid};
use crate::{SqliteStore, db_err};
use qms_domain::{Role, TenantId};
use qms_store::{
    Actor, BackOfficeUser, NewBackOfficeUser, NewTenant, StoreError, StoreResult, Tenant,
    TenantCreated,
};
use time::OffsetDateTime;
use uuid::Uuid;

impl SqliteStore {
    pub(crate) async fn do_create_tenant(&self, new: NewTenant) -> StoreResult<TenantCreated> {
        let now = OffsetDateTime::now_utc();
        let tenant_id = TenantId::new();
        let merchant_id = Uuid::now_v7();
        let owner_id = Uuid::now_v7();
        let limits = new.plan.limits();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO tenants (id, name, slug, is_active, created_at, updated_at)
             VALUES ($1, $2, $3, 1, $4, $4)",
        )
        .bind(tid(tenant_id))
        .bind(&new.name)
        .bind(&new.slug)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO tenant_subscriptions (id, tenant_id, plan, start_date, max_merchants,
                 max_queues_per_merchant, max_users_per_tenant, ai_features, analytics,
                 custom_branding, priority_support)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id(Uuid::now_v7()))
        .bind(tid(tenant_id))
        .bind(new.plan.as_str())
        .bind(ms(now))
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
        sqlx::query(
            "INSERT INTO merchants (id, tenant_id, business_name, email, timezone, country,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id(merchant_id))
        .bind(tid(tenant_id))
        .bind(&new.name)
        .bind(&new.owner_email)
        .bind(&new.timezone)
        .bind(&new.country)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO tenant_users (id, tenant_id, email, full_name, password_hash, role,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id(owner_id))
        .bind(tid(tenant_id))
        .bind(&new.owner_email)
        .bind(&new.owner_name)
        .bind(new.owner_password_hash.as_deref())
        .bind(Role::Owner.as_str())
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
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

        let tenant = self
            .do_tenant_by_id(tenant_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let merchant = self
            .do_merchants(tenant_id)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)?;
        let owner = self
            .do_user_by_id(tenant_id, owner_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(TenantCreated {
            tenant,
            merchant,
            owner,
        })
    }

    pub(crate) async fn do_tenant_by(
        &self,
        column: &'static str,
        value: &str,
    ) -> StoreResult<Option<Tenant>> {
        let sql = match column {
            "slug" => "SELECT * FROM tenants WHERE slug = $1",
            "domain" => "SELECT * FROM tenants WHERE domain = $1",
            _ => "SELECT * FROM tenants WHERE id = $1",
        };
        let row = sqlx::query(sql)
            .bind(value)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::tenant).transpose()
    }

    pub(crate) async fn do_tenant_by_id(&self, tenant: TenantId) -> StoreResult<Option<Tenant>> {
        self.do_tenant_by("id", &tid(tenant)).await
    }

    pub(crate) async fn do_create_backoffice_user(
        &self,
        new: NewBackOfficeUser,
    ) -> StoreResult<BackOfficeUser> {
        let now = ms(OffsetDateTime::now_utc());
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO backoffice_users (id, email, password_hash, full_name, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id(Uuid::now_v7()))
        .bind(&new.email)
        .bind(&new.password_hash)
        .bind(&new.full_name)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        self.do_backoffice_user_by_email(&new.email)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub(crate) async fn do_backoffice_user_by_email(
        &self,
        email: &str,
    ) -> StoreResult<Option<BackOfficeUser>> {
        let row = sqlx::query("SELECT * FROM backoffice_users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::backoffice_user).transpose()
    }
}
