//! Webchat messages on SQLite (TSD §4.3): one conversation per queue entry, tenant-scoped.
//! Writes go through the single writer connection like every other write.

use crate::rows::{at, id, ms, tid, uuid};
use crate::{SqliteStore, db_err};
use qms_domain::TenantId;
use qms_domain::entry::EntryStatus;
use qms_store::{
    CHAT_HISTORY_LIMIT, ChatMessage, ChatSender, ChatSession, StoreError, StoreResult,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

fn parsed<T: std::str::FromStr>(row: &SqliteRow, col: &str) -> StoreResult<T> {
    let s: String = row.try_get(col).map_err(StoreError::backend)?;
    s.parse()
        .map_err(|_| StoreError::Backend(format!("bad value {s:?} in column {col}")))
}

fn message(row: &SqliteRow) -> StoreResult<ChatMessage> {
    let created: i64 = row.try_get("created_at").map_err(StoreError::backend)?;
    Ok(ChatMessage {
        id: uuid(row, "id")?,
        tenant_id: TenantId(uuid(row, "tenant_id")?),
        queue_entry_id: uuid(row, "queue_entry_id")?,
        sender: parsed::<ChatSender>(row, "sender")?,
        content: row.try_get("content").map_err(StoreError::backend)?,
        is_read: row.try_get("is_read").map_err(StoreError::backend)?,
        created_at: at(created),
    })
}

impl SqliteStore {
    pub(crate) async fn do_add_chat_message(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
        sender: ChatSender,
        content: &str,
        now: OffsetDateTime,
    ) -> StoreResult<ChatMessage> {
        let message_id = Uuid::now_v7();
        let mut tx = self.write().await?;
        // Inserting through a SELECT of the entry keeps the tenant check and the write together.
        let done = sqlx::query(
            "INSERT INTO webchat_messages (id, tenant_id, queue_entry_id, sender, content, is_read, created_at)
             SELECT $1, e.tenant_id, e.id, $2, $3, 0, $4 FROM queue_entries e
             WHERE e.tenant_id = $5 AND e.id = $6",
        )
        .bind(id(message_id))
        .bind(sender.as_str())
        .bind(content)
        .bind(ms(now))
        .bind(tid(tenant))
        .bind(id(entry_id))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(ChatMessage {
            id: message_id,
            tenant_id: tenant,
            queue_entry_id: entry_id,
            sender,
            content: content.to_string(),
            is_read: false,
            created_at: at(ms(now)),
        })
    }

    pub(crate) async fn do_chat_messages(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
    ) -> StoreResult<Vec<ChatMessage>> {
        let rows = sqlx::query(
            "SELECT * FROM (
                 SELECT * FROM webchat_messages WHERE tenant_id = $1 AND queue_entry_id = $2
                 ORDER BY created_at DESC, id DESC LIMIT $3
             ) ORDER BY created_at, id",
        )
        .bind(tid(tenant))
        .bind(id(entry_id))
        .bind(CHAT_HISTORY_LIMIT)
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter().map(message).collect()
    }

    pub(crate) async fn do_chat_sessions_by_phone(
        &self,
        tenant: TenantId,
        phone: &str,
    ) -> StoreResult<Vec<ChatSession>> {
        let rows = sqlx::query(
            "SELECT id, queue_id, session_id, verification_code, customer_name, status
             FROM queue_entries
             WHERE tenant_id = $1 AND customer_phone = $2 AND status IN ('waiting', 'called')
             ORDER BY joined_at DESC, id DESC LIMIT 20",
        )
        .bind(tid(tenant))
        .bind(phone)
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(ChatSession {
                    entry_id: uuid(r, "id")?,
                    queue_id: uuid(r, "queue_id")?,
                    session_id: r.try_get("session_id").map_err(StoreError::backend)?,
                    verification_code: r
                        .try_get("verification_code")
                        .map_err(StoreError::backend)?,
                    customer_name: r.try_get("customer_name").map_err(StoreError::backend)?,
                    status: parsed::<EntryStatus>(r, "status")?,
                })
            })
            .collect()
    }
}
