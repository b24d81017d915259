//! Quick-message templates (`notification_templates`) and the notification history of queue
//! entries (`notification_logs`).

use crate::journal::{self, Audit};
use crate::queues::lock_merchant;
use crate::rows::{get, now};
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_store::{
    Actor, NewNotification, NewTemplate, NotificationLog, NotificationTemplate, StoreError,
    StoreResult,
};
use sqlx::postgres::PgRow;
use uuid::Uuid;

fn template_row(row: &PgRow) -> StoreResult<NotificationTemplate> {
    Ok(NotificationTemplate {
        id: get(row, "id")?,
        tenant_id: TenantId(get(row, "tenant_id")?),
        merchant_id: get(row, "merchant_id")?,
        name: get(row, "name")?,
        channel: get(row, "channel")?,
        content: get(row, "content")?,
        is_active: get(row, "is_active")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

fn log_row(row: &PgRow) -> StoreResult<NotificationLog> {
    Ok(NotificationLog {
        id: get(row, "id")?,
        queue_entry_id: get(row, "queue_entry_id")?,
        channel: get(row, "channel")?,
        status: get(row, "status")?,
        message: get(row, "message")?,
        error_message: get(row, "error_message")?,
        sent_at: get(row, "sent_at")?,
    })
}

impl PgStore {
    pub(crate) async fn do_notification_templates(
        &self,
        tenant: TenantId,
    ) -> StoreResult<Vec<NotificationTemplate>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT * FROM notification_templates WHERE tenant_id = $1 ORDER BY name, id",
        )
        .bind(tenant.0)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        rows.iter().map(template_row).collect()
    }

    pub(crate) async fn do_create_notification_template(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        new: NewTemplate,
        actor: &Actor,
    ) -> StoreResult<NotificationTemplate> {
        let now = now();
        let t_id = Uuid::now_v7();
        let mut tx = self.tenant_tx(tenant).await?;
        lock_merchant(&mut tx, tenant, merchant_id).await?;
        let row = sqlx::query(
            "INSERT INTO notification_templates (id, tenant_id, merchant_id, name, channel, content,
                 is_active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
        )
        .bind(t_id)
        .bind(tenant.0)
        .bind(merchant_id)
        .bind(&new.name)
        .bind(&new.channel)
        .bind(&new.content)
        .bind(new.is_active)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let template = template_row(&row)?;
        let audit = Audit {
            action: "notification_template.create",
            resource: "notification_template",
            resource_id: Some(t_id.to_string()),
            details: Some(serde_json::json!({"name": new.name})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(template)
    }

    pub(crate) async fn do_update_notification_template(
        &self,
        tenant: TenantId,
        t_id: Uuid,
        new: NewTemplate,
        actor: &Actor,
    ) -> StoreResult<NotificationTemplate> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "UPDATE notification_templates SET name = $3, channel = $4, content = $5,
                 is_active = $6, updated_at = $7
             WHERE tenant_id = $1 AND id = $2 RETURNING *",
        )
        .bind(tenant.0)
        .bind(t_id)
        .bind(&new.name)
        .bind(&new.channel)
        .bind(&new.content)
        .bind(new.is_active)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        let template = template_row(&row)?;
        let audit = Audit {
            action: "notification_template.update",
            resource: "notification_template",
            resource_id: Some(t_id.to_string()),
            details: Some(serde_json::json!({"name": new.name})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(template)
    }

    pub(crate) async fn do_delete_notification_template(
        &self,
        tenant: TenantId,
        t_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let done =
            sqlx::query("DELETE FROM notification_templates WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.0)
                .bind(t_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let audit = Audit {
            action: "notification_template.delete",
            resource: "notification_template",
            resource_id: Some(t_id.to_string()),
            details: None,
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_record_notification(
        &self,
        tenant: TenantId,
        new: NewNotification,
    ) -> StoreResult<NotificationLog> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let entry: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM queue_entries WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.0)
                .bind(new.queue_entry_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        if entry.is_none() {
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query(
            "INSERT INTO notification_logs (id, tenant_id, queue_entry_id, channel, status, message,
                 error_message, sent_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(tenant.0)
        .bind(new.queue_entry_id)
        .bind(&new.channel)
        .bind(&new.status)
        .bind(&new.message)
        .bind(&new.error_message)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let log = log_row(&row)?;
        tx.commit().await.map_err(db_err)?;
        Ok(log)
    }

    pub(crate) async fn do_notification_history(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
    ) -> StoreResult<Vec<NotificationLog>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT * FROM notification_logs WHERE tenant_id = $1 AND queue_entry_id = $2
             ORDER BY sent_at, id",
        )
        .bind(tenant.0)
        .bind(entry_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        rows.iter().map(log_row).collect()
    }
}
