//! The BackOffice's tenant work on PostgreSQL: tenant lists with usage, creation by an operator,
//! changes, on/off, deletion with everything the tenant owns, provisioning state, system
//! settings and platform counts. Work across tenants runs in a [`PgStore::platform_tx`], which
//! row-level security lets see every tenant; every change writes its operator audit row
//! ([`operator_audit`]) in that same transaction.

use crate::journal::{self, Audit};
use crate::rows::{self, get, ms, now};
use crate::{PgStore, db_err};
use qms_domain::{Role, TenantId};
use qms_store::*;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, Transaction};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

impl PgStore {
    /// Begins a transaction that sees every tenant's rows (`app.platform = on` for this
    /// transaction alone), for the BackOffice.
    pub(crate) async fn platform_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.begin(
            &self.pool,
            "BEGIN; SELECT set_config('app.platform', 'on', true)".to_string(),
        )
        .await
    }
}

/// Writes one row of the operators' audit trail.
pub(crate) async fn operator_audit(
    conn: &mut PgConnection,
    actor: &Actor,
    a: &OperatorAction,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO backoffice_audit_logs (id, backoffice_user_id, tenant_id, action, resource,
             resource_id, details, ip_address, user_agent, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Uuid::now_v7())
    .bind(actor.user_id)
    .bind(a.tenant.map(|t| t.0))
    .bind(&a.action)
    .bind(&a.resource)
    .bind(a.resource_id.as_deref())
    .bind(a.details.clone().map(Json))
    .bind(actor.ip_address.as_deref())
    .bind(actor.user_agent.as_deref())
    .bind(ms(now))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

fn provisioning(row: &PgRow) -> StoreResult<Provisioning> {
    Ok(Provisioning {
        status: get(row, "provisioning_status")?,
        error: get(row, "provisioning_error")?,
        attempts: get(row, "provisioning_attempts")?,
        next_attempt_at: get(row, "provisioning_next_at")?,
    })
}

/// The tenants-list filter, shared by the page and its count.
const TENANT_FILTER: &str = "FROM tenants t JOIN tenant_subscriptions s ON s.tenant_id = t.id
     WHERE ($1::text IS NULL OR lower(t.name) LIKE $1 ESCAPE '\\' OR t.slug LIKE $1 ESCAPE '\\'
            OR lower(COALESCE(t.domain, '')) LIKE $1 ESCAPE '\\')
       AND ($2::boolean IS NULL OR t.is_active = $2)
       AND ($3::text IS NULL OR s.plan = $3)";

async fn overview_of(conn: &mut PgConnection, row: &PgRow) -> StoreResult<TenantOverview> {
    let tenant = rows::tenant(row)?;
    let sub = sqlx::query("SELECT * FROM tenant_subscriptions WHERE tenant_id = $1")
        .bind(tenant.id.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let since = now() - Duration::days(30);
    let u = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM tenant_users WHERE tenant_id = $1) AS users,
                (SELECT COUNT(*) FROM merchants WHERE tenant_id = $1) AS merchants,
                (SELECT COUNT(*) FROM queues WHERE tenant_id = $1) AS queues,
                (SELECT COALESCE(MAX(c), 0) FROM (SELECT COUNT(*) AS c FROM queues
                    WHERE tenant_id = $1 GROUP BY merchant_id) AS per_merchant) AS max_queues,
                (SELECT COUNT(*) FROM queue_entries WHERE tenant_id = $1 AND joined_at >= $2)
                    AS customers",
    )
    .bind(tenant.id.0)
    .bind(since)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(TenantOverview {
        subscription: rows::subscription(&sub)?,
        provisioning: provisioning(row)?,
        usage: TenantUsage {
            users: get(&u, "users")?,
            merchants: get(&u, "merchants")?,
            queues: get(&u, "queues")?,
            max_queues_of_a_merchant: get(&u, "max_queues")?,
            customers_30d: get(&u, "customers")?,
        },
        tenant,
    })
}

/// The tenant row and its terms, or `NotFound`; locks the tenant row for the transaction.
async fn tenant_in(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> StoreResult<(Tenant, SubscriptionTerms)> {
    let row = sqlx::query("SELECT * FROM tenants WHERE id = $1 FOR UPDATE")
        .bind(tenant.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
    let sub = sqlx::query("SELECT * FROM tenant_subscriptions WHERE tenant_id = $1")
        .bind(tenant.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok((
        rows::tenant(&row)?,
        SubscriptionTerms::of(&rows::subscription(&sub)?),
    ))
}

/// Ends the sessions of every staff account of a tenant.
async fn end_tenant_sessions(conn: &mut PgConnection, tenant: TenantId) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM tenant_users WHERE tenant_id = $1)",
    )
    .bind(tenant.0)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

impl PgStore {
    pub(crate) async fn do_list_tenants(
        &self,
        q: &PlatformQuery,
    ) -> StoreResult<Page<TenantOverview>> {
        let mut tx = self.platform_tx().await?;
        let pattern = q.like_pattern();
        let plan = q.plan.map(|p| p.as_str());
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) {TENANT_FILTER}"
        )))
        .bind(pattern.as_deref())
        .bind(q.active)
        .bind(plan)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT t.* {TENANT_FILTER} ORDER BY t.slug COLLATE \"C\" LIMIT $4 OFFSET $5"
        )))
        .bind(pattern.as_deref())
        .bind(q.active)
        .bind(plan)
        .bind(q.limit.clamp(1, 1000))
        .bind(q.offset.max(0))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut items = Vec::with_capacity(found.len());
        for row in &found {
            items.push(overview_of(&mut tx, row).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(Page { items, total })
    }

    pub(crate) async fn do_tenant_overview(
        &self,
        tenant: TenantId,
    ) -> StoreResult<Option<TenantOverview>> {
        let mut tx = self.platform_tx().await?;
        let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(tenant.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let found = match row {
            Some(row) => Some(overview_of(&mut tx, &row).await?),
            None => None,
        };
        tx.commit().await.map_err(db_err)?;
        Ok(found)
    }

    pub(crate) async fn do_operator_create_tenant(
        &self,
        new: OperatorNewTenant,
        actor: &Actor,
    ) -> StoreResult<TenantCreated> {
        let now = now();
        let tenant_id = TenantId::new();
        let t = &new.tenant;
        let terms = &new.terms;
        let mut tx = self.platform_tx().await?;
        let row = sqlx::query(
            "INSERT INTO tenants (id, name, slug, domain, is_active, provisioning_status,
                 provisioning_next_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, true, $5, $6, $7, $7) RETURNING *",
        )
        .bind(tenant_id.0)
        .bind(&t.name)
        .bind(&t.slug)
        .bind(new.domain.as_deref())
        .bind(&new.provisioning_status)
        .bind(now + Duration::minutes(2))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let tenant = rows::tenant(&row)?;
        sqlx::query(
            "INSERT INTO tenant_subscriptions (id, tenant_id, plan, status, start_date,
                 max_merchants, max_queues_per_merchant, max_users_per_tenant, ai_features,
                 analytics, custom_branding, priority_support)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(Uuid::now_v7())
        .bind(tenant_id.0)
        .bind(terms.plan.as_str())
        .bind(&terms.status)
        .bind(now)
        .bind(terms.max_merchants)
        .bind(terms.max_queues_per_merchant)
        .bind(terms.max_users_per_tenant)
        .bind(terms.ai_features)
        .bind(terms.analytics)
        .bind(terms.custom_branding)
        .bind(terms.priority_support)
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
        .bind(&t.name)
        .bind(&t.owner_email)
        .bind(&t.timezone)
        .bind(&t.country)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let merchant = rows::merchant(&row)?;
        let row = sqlx::query(
            "INSERT INTO tenant_users (id, tenant_id, email, full_name, role, invite_token_hash,
                 invite_expires, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(tenant_id.0)
        .bind(&t.owner_email)
        .bind(&t.owner_name)
        .bind(Role::Owner.as_str())
        .bind(&new.owner_invite_token_hash)
        .bind(ms(new.owner_invite_expires))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let owner = rows::user(&row)?;
        let details = serde_json::json!({
            "after": {"slug": t.slug, "name": t.name, "domain": new.domain, "terms": terms,
                      "ownerEmail": t.owner_email, "timezone": t.timezone, "country": t.country}
        });
        let audit = Audit {
            action: "tenant.create",
            resource: "tenant",
            resource_id: Some(tenant_id.to_string()),
            details: Some(serde_json::json!({"slug": t.slug, "plan": terms.plan.as_str()})),
        };
        journal::audit(&mut tx, tenant_id, actor, audit, now).await?;
        let action = OperatorAction::new("tenant.create", "tenant")
            .id(tenant_id)
            .tenant(tenant_id)
            .details(details);
        operator_audit(&mut tx, actor, &action, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(TenantCreated {
            tenant,
            merchant,
            owner,
        })
    }

    pub(crate) async fn do_update_tenant(
        &self,
        tenant: TenantId,
        patch: TenantPatch,
        actor: &Actor,
    ) -> StoreResult<TenantOverview> {
        let now = now();
        let mut tx = self.platform_tx().await?;
        let (before, before_terms) = tenant_in(&mut tx, tenant).await?;
        sqlx::query("UPDATE tenants SET name = $2, domain = $3, updated_at = $4 WHERE id = $1")
            .bind(tenant.0)
            .bind(&patch.name)
            .bind(patch.domain.as_deref())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let t = &patch.terms;
        sqlx::query(
            "UPDATE tenant_subscriptions SET plan = $2, status = $3, max_merchants = $4,
                 max_queues_per_merchant = $5, max_users_per_tenant = $6, ai_features = $7,
                 analytics = $8, custom_branding = $9, priority_support = $10
             WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .bind(t.plan.as_str())
        .bind(&t.status)
        .bind(t.max_merchants)
        .bind(t.max_queues_per_merchant)
        .bind(t.max_users_per_tenant)
        .bind(t.ai_features)
        .bind(t.analytics)
        .bind(t.custom_branding)
        .bind(t.priority_support)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let action = OperatorAction::new("tenant.update", "tenant")
            .id(tenant)
            .tenant(tenant)
            .details(serde_json::json!({
                "before": {"name": before.name, "domain": before.domain, "terms": before_terms},
                "after": {"name": patch.name, "domain": patch.domain, "terms": t},
            }));
        operator_audit(&mut tx, actor, &action, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.do_tenant_overview(tenant)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub(crate) async fn do_set_tenant_active(
        &self,
        tenant: TenantId,
        active: bool,
        actor: &Actor,
    ) -> StoreResult<Tenant> {
        let now = now();
        let mut tx = self.platform_tx().await?;
        let (before, _) = tenant_in(&mut tx, tenant).await?;
        let row = sqlx::query(
            "UPDATE tenants SET is_active = $2, updated_at = $3 WHERE id = $1 RETURNING *",
        )
        .bind(tenant.0)
        .bind(active)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let after = rows::tenant(&row)?;
        if !active {
            end_tenant_sessions(&mut tx, tenant).await?;
        }
        let verb = if active {
            "tenant.activate"
        } else {
            "tenant.deactivate"
        };
        let action = OperatorAction::new(verb, "tenant")
            .id(tenant)
            .tenant(tenant)
            .details(serde_json::json!({
                "slug": before.slug,
                "before": {"isActive": before.is_active},
                "after": {"isActive": active},
            }));
        operator_audit(&mut tx, actor, &action, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(after)
    }

    pub(crate) async fn do_delete_tenant(
        &self,
        tenant: TenantId,
        actor: &Actor,
    ) -> StoreResult<Tenant> {
        let now = now();
        let mut tx = self.platform_tx().await?;
        let (before, terms) = tenant_in(&mut tx, tenant).await?;
        end_tenant_sessions(&mut tx, tenant).await?;
        // Every tenant-scoped table references tenants(id) ON DELETE CASCADE; the operators'
        // audit trail references it ON DELETE SET NULL and keeps its rows.
        sqlx::query("DELETE FROM tenants WHERE id = $1")
            .bind(tenant.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let action = OperatorAction::new("tenant.delete", "tenant")
            .id(tenant)
            .details(serde_json::json!({
                "before": {"slug": before.slug, "name": before.name, "domain": before.domain,
                           "isActive": before.is_active, "plan": terms.plan.as_str()},
            }));
        operator_audit(&mut tx, actor, &action, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(before)
    }

    pub(crate) async fn do_set_provisioning(
        &self,
        tenant: TenantId,
        status: &str,
        error: Option<&str>,
        next_attempt_at: Option<OffsetDateTime>,
    ) -> StoreResult<Provisioning> {
        let mut tx = self.plain_tx().await?;
        let row = sqlx::query(
            "UPDATE tenants SET provisioning_status = $2, provisioning_error = $3,
                 provisioning_next_at = $4,
                 provisioning_attempts = CASE WHEN $2 = 'failed' THEN provisioning_attempts + 1
                                              ELSE 0 END
             WHERE id = $1
             RETURNING provisioning_status, provisioning_error, provisioning_attempts,
                       provisioning_next_at",
        )
        .bind(tenant.0)
        .bind(status)
        .bind(error)
        .bind(next_attempt_at.map(ms))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        let p = provisioning(&row)?;
        tx.commit().await.map_err(db_err)?;
        Ok(p)
    }

    pub(crate) async fn do_tenants_to_provision(
        &self,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<Tenant>> {
        let found = sqlx::query(
            "SELECT * FROM tenants WHERE is_active
               AND provisioning_status IN ('pending', 'failed')
               AND (provisioning_next_at IS NULL OR provisioning_next_at <= $1)
             ORDER BY provisioning_next_at, slug COLLATE \"C\" LIMIT 100",
        )
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        found.iter().map(rows::tenant).collect()
    }

    pub(crate) async fn do_system_settings(&self) -> StoreResult<SystemSettings> {
        let found = sqlx::query("SELECT key, value FROM system_settings")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let pairs = found
            .iter()
            .map(|r| Ok((get(r, "key")?, get(r, "value")?)))
            .collect::<StoreResult<Vec<(String, String)>>>()?;
        Ok(SystemSettings::from_rows(&pairs))
    }

    pub(crate) async fn do_save_system_settings(
        &self,
        settings: &SystemSettings,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = self.platform_tx().await?;
        // One change at a time, so that "before" is what this change replaced.
        sqlx::query("LOCK TABLE system_settings IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let found = sqlx::query("SELECT key, value FROM system_settings")
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let pairs = found
            .iter()
            .map(|r| Ok((get(r, "key")?, get(r, "value")?)))
            .collect::<StoreResult<Vec<(String, String)>>>()?;
        let before = SystemSettings::from_rows(&pairs);
        for (key, value) in settings.to_rows() {
            sqlx::query(
                "INSERT INTO system_settings (key, value, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(value)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        let action = OperatorAction::new("settings.update", "system_settings")
            .details(serde_json::json!({"before": before, "after": settings}));
        operator_audit(&mut tx, actor, &action, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_platform_stats(
        &self,
        now: OffsetDateTime,
    ) -> StoreResult<PlatformStats> {
        let mut tx = self.platform_tx().await?;
        let mut stats = PlatformStats::default();
        for r in sqlx::query("SELECT is_active, COUNT(*) AS n FROM tenants GROUP BY is_active")
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
        {
            let n: i64 = get(&r, "n")?;
            if get::<bool>(&r, "is_active")? {
                stats.tenants_active = n;
            } else {
                stats.tenants_inactive = n;
            }
        }
        let plans =
            sqlx::query("SELECT plan, COUNT(*) AS n FROM tenant_subscriptions GROUP BY plan")
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
        let mut by_plan = Vec::new();
        for plan in qms_domain::Plan::ALL {
            let mut n = 0;
            for r in &plans {
                if get::<String>(r, "plan")? == plan.as_str() {
                    n = get(r, "n")?;
                }
            }
            by_plan.push((plan, n));
        }
        stats.tenants_by_plan = by_plan;
        let created: Vec<OffsetDateTime> =
            sqlx::query_scalar("SELECT created_at FROM tenants WHERE created_at >= $1")
                .bind(weeks_since(now))
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
        stats.new_tenants_per_week = weekly_counts(&created, now);
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM queues q JOIN tenants t ON t.id = q.tenant_id
                       WHERE t.is_active AND q.is_active AND q.accepting_customers)
                        AS active_queues,
                    (SELECT COUNT(*) FROM queue_entries WHERE status = 'waiting') AS waiting,
                    (SELECT COUNT(*) FROM queue_entries WHERE status IN ('seated', 'completed')
                       AND COALESCE(served_at, completed_at) >= $1) AS today,
                    (SELECT COUNT(*) FROM queue_entries WHERE status IN ('seated', 'completed')
                       AND COALESCE(served_at, completed_at) >= $2) AS month",
        )
        .bind(day_start(now))
        .bind(month_start(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        stats.active_queues = get(&r, "active_queues")?;
        stats.customers_waiting = get(&r, "waiting")?;
        stats.served_today = get(&r, "today")?;
        stats.served_this_month = get(&r, "month")?;
        tx.commit().await.map_err(db_err)?;
        Ok(stats)
    }
}
