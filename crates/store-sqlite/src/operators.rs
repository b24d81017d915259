//! The BackOffice's people on SQLite: operators (sign-in, lock-out, TOTP), the audit trails
//! read across tenants, and tenants' staff accounts and merchants listed across tenants.

use crate::journal::{self, Audit};
use crate::platform::{col, operator_audit};
use crate::rows::{self, id, ms, tid};
use crate::{SqliteStore, db_err};
use qms_domain::TenantId;
use qms_store::*;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

fn operator_entry(row: &SqliteRow) -> StoreResult<BackOfficeAuditEntry> {
    let details: Option<String> = col(row, "details")?;
    Ok(BackOfficeAuditEntry {
        id: rows::uuid(row, "id")?,
        backoffice_user_id: rows::opt_uuid(row, "backoffice_user_id")?,
        actor_email: col(row, "actor_email")?,
        tenant_id: rows::opt_uuid(row, "tenant_id")?.map(TenantId),
        tenant_slug: col(row, "tenant_slug")?,
        action: col(row, "action")?,
        resource: col(row, "resource")?,
        resource_id: col(row, "resource_id")?,
        details: details.and_then(|d| serde_json::from_str(&d).ok()),
        ip_address: col(row, "ip_address")?,
        user_agent: col(row, "user_agent")?,
        created_at: rows::time(row, "created_at")?,
    })
}

fn platform_user(row: &SqliteRow) -> StoreResult<PlatformUser> {
    Ok(PlatformUser {
        user: rows::user(row)?,
        tenant_slug: col(row, "tenant_slug")?,
        tenant_name: col(row, "tenant_name")?,
    })
}

fn platform_merchant(row: &SqliteRow) -> StoreResult<PlatformMerchant> {
    Ok(PlatformMerchant {
        merchant: rows::merchant(row)?,
        tenant_slug: col(row, "tenant_slug")?,
        tenant_name: col(row, "tenant_name")?,
        queues: col(row, "queue_count")?,
    })
}

const OPERATOR_AUDIT: &str = "FROM backoffice_audit_logs a
     LEFT JOIN backoffice_users b ON b.id = a.backoffice_user_id
     LEFT JOIN tenants t ON t.id = a.tenant_id";
const OPERATOR_AUDIT_FILTER: &str = "WHERE ($1 IS NULL OR a.tenant_id = $1)
       AND ($2 IS NULL OR a.backoffice_user_id = $2)
       AND ($3 IS NULL OR a.action LIKE $3 ESCAPE '\\')
       AND ($4 IS NULL OR a.created_at >= $4)
       AND ($5 IS NULL OR a.created_at < $5)";
const TENANT_AUDIT: &str = "FROM audit_logs a LEFT JOIN tenants t ON t.id = a.tenant_id";
const TENANT_AUDIT_FILTER: &str = "WHERE ($1 IS NULL OR a.tenant_id = $1)
       AND ($2 IS NULL OR a.user_id = $2)
       AND ($3 IS NULL OR a.action LIKE $3 ESCAPE '\\')
       AND ($4 IS NULL OR a.created_at >= $4)
       AND ($5 IS NULL OR a.created_at < $5)";
const USERS: &str = "FROM tenant_users u JOIN tenants t ON t.id = u.tenant_id
     WHERE ($1 IS NULL OR lower(u.email) LIKE $1 ESCAPE '\\'
            OR lower(u.full_name) LIKE $1 ESCAPE '\\' OR t.slug LIKE $1 ESCAPE '\\')
       AND ($2 IS NULL OR u.tenant_id = $2)
       AND ($3 IS NULL OR u.is_active = $3)";
const MERCHANTS: &str = "FROM merchants m JOIN tenants t ON t.id = m.tenant_id
     WHERE ($1 IS NULL OR lower(m.business_name) LIKE $1 ESCAPE '\\'
            OR lower(m.email) LIKE $1 ESCAPE '\\' OR t.slug LIKE $1 ESCAPE '\\')
       AND ($2 IS NULL OR m.tenant_id = $2)
       AND ($3 IS NULL OR m.is_active = $3)";
const MERCHANT_COLUMNS: &str = "m.*, t.slug AS tenant_slug, t.name AS tenant_name,
     (SELECT COUNT(*) FROM queues q WHERE q.merchant_id = m.id) AS queue_count";

impl SqliteStore {
    pub(crate) async fn do_backoffice_user_by_id(
        &self,
        user: Uuid,
    ) -> StoreResult<Option<BackOfficeUser>> {
        let row = sqlx::query("SELECT * FROM backoffice_users WHERE id = $1")
            .bind(id(user))
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?;
        row.as_ref().map(rows::backoffice_user).transpose()
    }

    pub(crate) async fn do_list_backoffice_users(&self) -> StoreResult<Vec<BackOfficeUser>> {
        let found = sqlx::query("SELECT * FROM backoffice_users ORDER BY email")
            .fetch_all(&self.reader)
            .await
            .map_err(db_err)?;
        found.iter().map(rows::backoffice_user).collect()
    }

    pub(crate) async fn do_backoffice_login_succeeded(
        &self,
        user: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE backoffice_users SET last_login = $2, failed_logins = 0, locked_until = NULL
             WHERE id = $1",
        )
        .bind(id(user))
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let action = OperatorAction::new("auth.login", "backoffice_user").id(user);
        operator_audit(&mut tx, actor, &action, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_backoffice_login_failed(
        &self,
        user: Option<Uuid>,
        email: &str,
        actor: &Actor,
        threshold: i32,
        locked_until: OffsetDateTime,
    ) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let mut locked = false;
        if let Some(user) = user {
            let failures: Option<i64> = sqlx::query_scalar(
                "UPDATE backoffice_users SET failed_logins = failed_logins + 1 WHERE id = $1
                 RETURNING failed_logins",
            )
            .bind(id(user))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            if failures.is_some_and(|f| f >= i64::from(threshold)) {
                locked = true;
                sqlx::query(
                    "UPDATE backoffice_users SET locked_until = $2, failed_logins = 0 WHERE id = $1",
                )
                .bind(id(user))
                .bind(ms(locked_until))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
        }
        let mut action = OperatorAction::new("auth.login_failed", "backoffice_user")
            .details(serde_json::json!({"email": email, "locked": locked}));
        action.resource_id = user.map(|u| u.to_string());
        let anonymous = Actor {
            user_id: None,
            ..actor.clone()
        };
        operator_audit(&mut tx, &anonymous, &action, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_set_backoffice_totp(
        &self,
        user: Uuid,
        secret: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE backoffice_users SET totp_secret = $2, totp_last_step = NULL, updated_at = $3
             WHERE id = $1",
        )
        .bind(id(user))
        .bind(secret)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let verb = if secret.is_some() {
            "auth.totp_enable"
        } else {
            "auth.totp_disable"
        };
        let action = OperatorAction::new(verb, "backoffice_user").id(user);
        operator_audit(&mut tx, actor, &action, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_use_totp_step(&self, user: Uuid, step: i64) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE backoffice_users SET totp_last_step = $2
             WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(id(user))
        .bind(step)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn do_backoffice_audit(
        &self,
        actor: &Actor,
        action: OperatorAction,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        operator_audit(&mut tx, actor, &action, OffsetDateTime::now_utc()).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_backoffice_audit_logs(
        &self,
        f: &PlatformAuditFilter,
    ) -> StoreResult<Page<BackOfficeAuditEntry>> {
        let action = f.action_pattern();
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) {OPERATOR_AUDIT} {OPERATOR_AUDIT_FILTER}"
        )))
        .bind(f.tenant.map(tid))
        .bind(f.actor.map(id))
        .bind(action.as_deref())
        .bind(f.from.map(ms))
        .bind(f.to.map(ms))
        .fetch_one(&self.reader)
        .await
        .map_err(db_err)?;
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT a.*, b.email AS actor_email, t.slug AS tenant_slug {OPERATOR_AUDIT}
             {OPERATOR_AUDIT_FILTER} ORDER BY a.created_at DESC, a.id DESC LIMIT $6 OFFSET $7"
        )))
        .bind(f.tenant.map(tid))
        .bind(f.actor.map(id))
        .bind(action.as_deref())
        .bind(f.from.map(ms))
        .bind(f.to.map(ms))
        .bind(f.limit.clamp(1, 1000))
        .bind(f.offset.max(0))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        let items = found
            .iter()
            .map(operator_entry)
            .collect::<StoreResult<_>>()?;
        Ok(Page { items, total })
    }

    pub(crate) async fn do_backoffice_audit_log(
        &self,
        entry: Uuid,
    ) -> StoreResult<Option<BackOfficeAuditEntry>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT a.*, b.email AS actor_email, t.slug AS tenant_slug {OPERATOR_AUDIT}
             WHERE a.id = $1"
        )))
        .bind(id(entry))
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(operator_entry).transpose()
    }

    pub(crate) async fn do_platform_audit_logs(
        &self,
        f: &PlatformAuditFilter,
    ) -> StoreResult<Page<TenantAuditEntry>> {
        let action = f.action_pattern();
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) {TENANT_AUDIT} {TENANT_AUDIT_FILTER}"
        )))
        .bind(f.tenant.map(tid))
        .bind(f.actor.map(id))
        .bind(action.as_deref())
        .bind(f.from.map(ms))
        .bind(f.to.map(ms))
        .fetch_one(&self.reader)
        .await
        .map_err(db_err)?;
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT a.*, t.slug AS tenant_slug {TENANT_AUDIT} {TENANT_AUDIT_FILTER}
             ORDER BY a.created_at DESC, a.id DESC LIMIT $6 OFFSET $7"
        )))
        .bind(f.tenant.map(tid))
        .bind(f.actor.map(id))
        .bind(action.as_deref())
        .bind(f.from.map(ms))
        .bind(f.to.map(ms))
        .bind(f.limit.clamp(1, 1000))
        .bind(f.offset.max(0))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        let items = found
            .iter()
            .map(|r| {
                Ok(TenantAuditEntry {
                    log: rows::audit_log(r)?,
                    tenant_slug: col(r, "tenant_slug")?,
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(Page { items, total })
    }

    pub(crate) async fn do_platform_audit_log(
        &self,
        entry: Uuid,
    ) -> StoreResult<Option<TenantAuditEntry>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT a.*, t.slug AS tenant_slug {TENANT_AUDIT} WHERE a.id = $1"
        )))
        .bind(id(entry))
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref()
            .map(|r| {
                Ok(TenantAuditEntry {
                    log: rows::audit_log(r)?,
                    tenant_slug: col(r, "tenant_slug")?,
                })
            })
            .transpose()
    }

    pub(crate) async fn do_platform_users(
        &self,
        q: &PlatformQuery,
    ) -> StoreResult<Page<PlatformUser>> {
        let pattern = q.like_pattern();
        let total: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {USERS}")))
                .bind(pattern.as_deref())
                .bind(q.tenant.map(tid))
                .bind(q.active)
                .fetch_one(&self.reader)
                .await
                .map_err(db_err)?;
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT u.*, t.slug AS tenant_slug, t.name AS tenant_name {USERS}
             ORDER BY t.slug, u.email LIMIT $4 OFFSET $5"
        )))
        .bind(pattern.as_deref())
        .bind(q.tenant.map(tid))
        .bind(q.active)
        .bind(q.limit.clamp(1, 1000))
        .bind(q.offset.max(0))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        let items = found
            .iter()
            .map(platform_user)
            .collect::<StoreResult<_>>()?;
        Ok(Page { items, total })
    }

    pub(crate) async fn do_platform_user(&self, user: Uuid) -> StoreResult<Option<PlatformUser>> {
        let row = sqlx::query(
            "SELECT u.*, t.slug AS tenant_slug, t.name AS tenant_name
             FROM tenant_users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1",
        )
        .bind(id(user))
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(platform_user).transpose()
    }

    pub(crate) async fn do_operator_set_user_active(
        &self,
        user: Uuid,
        active: bool,
        actor: &Actor,
    ) -> StoreResult<PlatformUser> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let row = sqlx::query("SELECT * FROM tenant_users WHERE id = $1")
            .bind(id(user))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        let before = rows::user(&row)?;
        sqlx::query("UPDATE tenant_users SET is_active = $2, updated_at = $3 WHERE id = $1")
            .bind(id(user))
            .bind(active)
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if !active {
            crate::users::end_sessions(&mut tx, user).await?;
        }
        let details = serde_json::json!({
            "email": before.email,
            "before": {"isActive": before.is_active},
            "after": {"isActive": active},
        });
        let audit = Audit {
            action: "user.update",
            resource: "tenant_user",
            resource_id: Some(user.to_string()),
            details: Some(details.clone()),
        };
        journal::audit(&mut tx, before.tenant_id, actor, audit, now).await?;
        let verb = if active {
            "user.activate"
        } else {
            "user.deactivate"
        };
        let action = OperatorAction::new(verb, "tenant_user")
            .id(user)
            .tenant(before.tenant_id)
            .details(details);
        operator_audit(&mut tx, actor, &action, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.do_platform_user(user)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub(crate) async fn do_platform_merchants(
        &self,
        q: &PlatformQuery,
    ) -> StoreResult<Page<PlatformMerchant>> {
        let pattern = q.like_pattern();
        let total: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {MERCHANTS}")))
                .bind(pattern.as_deref())
                .bind(q.tenant.map(tid))
                .bind(q.active)
                .fetch_one(&self.reader)
                .await
                .map_err(db_err)?;
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MERCHANT_COLUMNS} {MERCHANTS}
             ORDER BY t.slug, m.business_name, m.id LIMIT $4 OFFSET $5"
        )))
        .bind(pattern.as_deref())
        .bind(q.tenant.map(tid))
        .bind(q.active)
        .bind(q.limit.clamp(1, 1000))
        .bind(q.offset.max(0))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        let items = found
            .iter()
            .map(platform_merchant)
            .collect::<StoreResult<_>>()?;
        Ok(Page { items, total })
    }

    pub(crate) async fn do_platform_merchant(
        &self,
        merchant: Uuid,
    ) -> StoreResult<Option<PlatformMerchant>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MERCHANT_COLUMNS} FROM merchants m JOIN tenants t ON t.id = m.tenant_id
             WHERE m.id = $1"
        )))
        .bind(id(merchant))
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(platform_merchant).transpose()
    }
}
