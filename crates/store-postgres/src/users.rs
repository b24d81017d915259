//! Staff accounts: invitations, role and status changes (never leaving a tenant without an
//! active owner), one-time password tokens, password changes and failed sign-ins.
//!
//! Changes to a tenant's accounts first lock the tenant's subscription row, so that the user
//! limit and the "one active owner" rule are decided one change at a time.

use crate::journal::{self, Audit};
use crate::rows::{self, ms, now};
use crate::{PgStore, db_err};
use qms_domain::{Role, TenantId};
use qms_store::{Actor, NewUser, StoreError, StoreResult, TenantUser, TokenKind, UserPatch};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

impl PgStore {
    pub(crate) async fn do_list_users(&self, tenant: TenantId) -> StoreResult<Vec<TenantUser>> {
        let mut tx = self.tenant_tx(tenant).await?;
        // Addresses in byte order, as SQLite sorts them, whatever the database's collation.
        let rows = sqlx::query(
            "SELECT * FROM tenant_users WHERE tenant_id = $1
             ORDER BY CASE role WHEN 'OWNER' THEN 0 WHEN 'ADMIN' THEN 1 WHEN 'MANAGER' THEN 2
                      ELSE 3 END,
                      email COLLATE \"C\"",
        )
        .bind(tenant.0)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        rows.iter().map(rows::user).collect()
    }

    pub(crate) async fn do_invite_user(
        &self,
        tenant: TenantId,
        new: NewUser,
        actor: &Actor,
    ) -> StoreResult<TenantUser> {
        let now = now();
        let user_id = Uuid::now_v7();
        let mut tx = self.tenant_tx(tenant).await?;
        let limit = i64::from(lock_accounts(&mut tx, tenant).await?);
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM tenant_users WHERE tenant_id = $1")
                .bind(tenant.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
        if count >= limit {
            return Err(StoreError::PlanLimit(format!(
                "your plan allows {limit} users"
            )));
        }
        let row = sqlx::query(
            "INSERT INTO tenant_users (id, tenant_id, email, full_name, role, invite_token_hash,
                 invite_expires, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
        )
        .bind(user_id)
        .bind(tenant.0)
        .bind(&new.email)
        .bind(&new.full_name)
        .bind(new.role.as_str())
        .bind(&new.invite_token_hash)
        .bind(ms(new.invite_expires))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let user = rows::user(&row)?;
        let audit = Audit {
            action: "user.invite",
            resource: "tenant_user",
            resource_id: Some(user_id.to_string()),
            details: Some(serde_json::json!({"email": new.email, "role": new.role.as_str()})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }

    pub(crate) async fn do_update_user(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        patch: UserPatch,
        actor: &Actor,
    ) -> StoreResult<TenantUser> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        lock_accounts(&mut tx, tenant).await?;
        let before = user_in(&mut tx, tenant, user_id).await?;
        let role = patch.role.unwrap_or(before.role);
        let active = patch.is_active.unwrap_or(before.is_active);
        let name = patch
            .full_name
            .clone()
            .unwrap_or_else(|| before.full_name.clone());
        let was_owner = before.role == Role::Owner && before.is_active && !before.invited;
        if was_owner
            && (role != Role::Owner || !active)
            && active_owners(&mut tx, tenant).await? <= 1
        {
            return Err(StoreError::LastOwner);
        }
        let row = sqlx::query(
            "UPDATE tenant_users SET full_name = $3, role = $4, is_active = $5, updated_at = $6
             WHERE tenant_id = $1 AND id = $2 RETURNING *",
        )
        .bind(tenant.0)
        .bind(user_id)
        .bind(&name)
        .bind(role.as_str())
        .bind(active)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let user = rows::user(&row)?;
        if !active {
            end_sessions(&mut tx, user_id).await?;
        }
        let audit = Audit {
            action: "user.update",
            resource: "tenant_user",
            resource_id: Some(user_id.to_string()),
            details: Some(serde_json::json!({
                "before": {
                    "fullName": before.full_name,
                    "role": before.role.as_str(),
                    "isActive": before.is_active,
                },
                "after": {"fullName": name, "role": role.as_str(), "isActive": active},
            })),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }

    pub(crate) async fn do_delete_user(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        lock_accounts(&mut tx, tenant).await?;
        let before = user_in(&mut tx, tenant, user_id).await?;
        if before.role == Role::Owner
            && before.is_active
            && !before.invited
            && active_owners(&mut tx, tenant).await? <= 1
        {
            return Err(StoreError::LastOwner);
        }
        sqlx::query("DELETE FROM tenant_users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        end_sessions(&mut tx, user_id).await?;
        let audit = Audit {
            action: "user.delete",
            resource: "tenant_user",
            resource_id: Some(user_id.to_string()),
            details: Some(serde_json::json!({"email": before.email, "role": before.role.as_str()})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_set_reset_token(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        token_hash: &str,
        expires: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut tx = self.tenant_tx(tenant).await?;
        let done = sqlx::query(
            "UPDATE tenant_users SET password_reset_token_hash = $3, password_reset_expires = $4
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(user_id)
        .bind(token_hash)
        .bind(ms(expires))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_redeem_token(
        &self,
        tenant: TenantId,
        kind: TokenKind,
        token_hash: &str,
        password_hash: &str,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<TenantUser> {
        let now = ms(now);
        // `FOR UPDATE`: of two redemptions of one token, the second finds it gone.
        let (find, action) = match kind {
            TokenKind::Invite => (
                "SELECT id FROM tenant_users WHERE tenant_id = $1 AND invite_token_hash = $2
                   AND invite_expires > $3 AND is_active FOR UPDATE",
                "user.accept_invite",
            ),
            TokenKind::Reset => (
                "SELECT id FROM tenant_users WHERE tenant_id = $1 AND password_reset_token_hash = $2
                   AND password_reset_expires > $3 AND is_active FOR UPDATE",
                "auth.password_reset",
            ),
        };
        let mut tx = self.tenant_tx(tenant).await?;
        let user_id: Uuid = sqlx::query_scalar(find)
            .bind(tenant.0)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::InvalidToken)?;
        let row = sqlx::query(
            "UPDATE tenant_users SET password_hash = $3, invite_token_hash = NULL,
                 invite_expires = NULL, password_reset_token_hash = NULL,
                 password_reset_expires = NULL, failed_logins = 0, locked_until = NULL,
                 updated_at = $4
             WHERE tenant_id = $1 AND id = $2 RETURNING *",
        )
        .bind(tenant.0)
        .bind(user_id)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let user = rows::user(&row)?;
        end_sessions(&mut tx, user_id).await?;
        let actor = Actor {
            user_id: Some(user_id),
            ..actor.clone()
        };
        let audit = Audit {
            action,
            resource: "tenant_user",
            resource_id: Some(user_id.to_string()),
            details: None,
        };
        journal::audit(&mut tx, tenant, &actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }

    pub(crate) async fn do_change_password(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        password_hash: &str,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let done = sqlx::query(
            "UPDATE tenant_users SET password_hash = $3, password_reset_token_hash = NULL,
                 password_reset_expires = NULL, updated_at = $4
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(user_id)
        .bind(password_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        end_sessions(&mut tx, user_id).await?;
        let audit = Audit {
            action: "auth.password_change",
            resource: "tenant_user",
            resource_id: Some(user_id.to_string()),
            details: None,
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_record_failed_login(
        &self,
        tenant: TenantId,
        user_id: Option<Uuid>,
        email: &str,
        actor: &Actor,
        threshold: i32,
        locked_until: OffsetDateTime,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let mut locked = false;
        if let Some(user_id) = user_id {
            // The row lock taken by this UPDATE orders concurrent failures of one account.
            let failures: Option<i32> = sqlx::query_scalar(
                "UPDATE tenant_users SET failed_logins = failed_logins + 1
                 WHERE tenant_id = $1 AND id = $2 RETURNING failed_logins",
            )
            .bind(tenant.0)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            if failures.is_some_and(|f| f >= threshold) {
                locked = true;
                sqlx::query(
                    "UPDATE tenant_users SET locked_until = $3, failed_logins = 0
                     WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant.0)
                .bind(user_id)
                .bind(ms(locked_until))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
        }
        let audit = Audit {
            action: "auth.login_failed",
            resource: "tenant_user",
            resource_id: user_id.map(|u| u.to_string()),
            details: Some(serde_json::json!({"email": email, "locked": locked})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }
}

/// Locks the tenant's subscription row, the mutex for changes to the tenant's accounts, and
/// answers the plan's user limit. `NotFound` for a tenant this transaction cannot see.
async fn lock_accounts(conn: &mut PgConnection, tenant: TenantId) -> StoreResult<i32> {
    sqlx::query_scalar(
        "SELECT max_users_per_tenant FROM tenant_subscriptions WHERE tenant_id = $1
         FOR NO KEY UPDATE",
    )
    .bind(tenant.0)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound)
}

async fn user_in(
    conn: &mut PgConnection,
    tenant: TenantId,
    user_id: Uuid,
) -> StoreResult<TenantUser> {
    let row = sqlx::query("SELECT * FROM tenant_users WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(user_id)
        .fetch_optional(conn)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
    rows::user(&row)
}

async fn active_owners(conn: &mut PgConnection, tenant: TenantId) -> StoreResult<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM tenant_users WHERE tenant_id = $1 AND role = 'OWNER' AND is_active AND password_hash IS NOT NULL",
    )
    .bind(tenant.0)
    .fetch_one(conn)
    .await
    .map_err(db_err)
}

/// Ends every session of an account.
pub(crate) async fn end_sessions(conn: &mut PgConnection, user_id: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}
