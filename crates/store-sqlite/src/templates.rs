//! Quick-message templates (`notification_templates`) and the notification history of queue
//! entries (`notification_logs`).

use crate::journal::{self, Audit};
use crate::rows::{at, id, ms, tid};
use crate::{SqliteStore, db_err};
use qms_domain::TenantId;
use qms_store::{
    Actor, NewNotification, NewTemplate, NotificationLog, NotificationTemplate, StoreError,
    StoreResult,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

fn col<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    c: &str,
) -> StoreResult<T> {
    row.try_get(c).map_err(StoreError::backend)
}

fn uuid_col(row: &SqliteRow, c: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(&col::<String>(row, c)?).map_err(StoreError::backend)
}

fn template_row(row: &SqliteRow) -> StoreResult<NotificationTemplate> {
    let merchant: Option<String> = col(row, "merchant_id")?;
    Ok(NotificationTemplate {
        id: uuid_col(row, "id")?,
        tenant_id: TenantId(uuid_col(row, "tenant_id")?),
        merchant_id: merchant
            .map(|m| Uuid::parse_str(&m).map_err(StoreError::backend))
            .transpose()?,
        name: col(row, "name")?,
        channel: col(row, "channel")?,
        content: col(row, "content")?,
        is_active: col(row, "is_active")?,
        created_at: at(col(row, "created_at")?),
        updated_at: at(col(row, "updated_at")?),
    })
}

fn log_row(row: &SqliteRow) -> StoreResult<NotificationLog> {
    Ok(NotificationLog {
        id: uuid_col(row, "id")?,
        queue_entry_id: uuid_col(row, "queue_entry_id")?,
        channel: col(row, "channel")?,
        status: col(row, "status")?,
        message: col(row, "message")?,
        error_message: col(row, "error_message")?,
        sent_at: at(col(row, "sent_at")?),
    })
}

impl SqliteStore {
    pub(crate) async fn do_notification_templates(
        &self,
        tenant: TenantId,
    ) -> StoreResult<Vec<NotificationTemplate>> {
        let rows = sqlx::query(
            "SELECT * FROM notification_templates WHERE tenant_id = $1 ORDER BY name, id",
        )
        .bind(tid(tenant))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter().map(template_row).collect()
    }

    async fn template_in(
        conn: &mut sqlx::SqliteConnection,
        tenant: TenantId,
        t_id: Uuid,
    ) -> StoreResult<NotificationTemplate> {
        let row =
            sqlx::query("SELECT * FROM notification_templates WHERE tenant_id = $1 AND id = $2")
                .bind(tid(tenant))
                .bind(id(t_id))
                .fetch_optional(conn)
                .await
                .map_err(db_err)?
                .ok_or(StoreError::NotFound)?;
        template_row(&row)
    }

    pub(crate) async fn do_create_notification_template(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        new: NewTemplate,
        actor: &Actor,
    ) -> StoreResult<NotificationTemplate> {
        let now = OffsetDateTime::now_utc();
        let t_id = Uuid::now_v7();
        let mut tx = self.write().await?;
        let merchant = sqlx::query("SELECT id FROM merchants WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(merchant_id))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if merchant.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO notification_templates (id, tenant_id, merchant_id, name, channel, content,
                 is_active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id(t_id))
        .bind(tid(tenant))
        .bind(id(merchant_id))
        .bind(&new.name)
        .bind(&new.channel)
        .bind(&new.content)
        .bind(new.is_active)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let template = Self::template_in(&mut tx, tenant, t_id).await?;
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
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE notification_templates SET name = $3, channel = $4, content = $5,
                 is_active = $6, updated_at = $7
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tid(tenant))
        .bind(id(t_id))
        .bind(&new.name)
        .bind(&new.channel)
        .bind(&new.content)
        .bind(new.is_active)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let template = Self::template_in(&mut tx, tenant, t_id).await?;
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
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done =
            sqlx::query("DELETE FROM notification_templates WHERE tenant_id = $1 AND id = $2")
                .bind(tid(tenant))
                .bind(id(t_id))
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
        let now = OffsetDateTime::now_utc();
        let n_id = Uuid::now_v7();
        let mut tx = self.write().await?;
        let entry = sqlx::query("SELECT id FROM queue_entries WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(new.queue_entry_id))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if entry.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO notification_logs (id, tenant_id, queue_entry_id, channel, status, message,
                 error_message, sent_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id(n_id))
        .bind(tid(tenant))
        .bind(id(new.queue_entry_id))
        .bind(&new.channel)
        .bind(&new.status)
        .bind(&new.message)
        .bind(&new.error_message)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(NotificationLog {
            id: n_id,
            queue_entry_id: new.queue_entry_id,
            channel: new.channel,
            status: new.status,
            message: new.message,
            error_message: new.error_message,
            sent_at: at(ms(now)),
        })
    }

    pub(crate) async fn do_notification_history(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
    ) -> StoreResult<Vec<NotificationLog>> {
        let rows = sqlx::query(
            "SELECT * FROM notification_logs WHERE tenant_id = $1 AND queue_entry_id = $2
             ORDER BY sent_at, id",
        )
        .bind(tid(tenant))
        .bind(id(entry_id))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter().map(log_row).collect()
    }
}
