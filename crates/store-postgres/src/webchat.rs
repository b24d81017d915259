//! Webchat messages on PostgreSQL (TSD §4.3): one conversation per queue entry. Every query
//! runs in a tenant transaction, so row-level security applies as well as the `tenant_id`
//! filters.

use crate::rows::{self, ms};
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_domain::entry::EntryStatus;
use qms_store::{
    CHAT_HISTORY_LIMIT, ChatMessage, ChatSender, ChatSession, StoreError, StoreResult,
};
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

fn parsed<T: std::str::FromStr>(row: &PgRow, col: &str) -> StoreResult<T> {
    let s: String = rows::get(row, col)?;
    s.parse()
        .map_err(|_| StoreError::Backend(format!("bad value {s:?} in column {col}")))
}

fn message(row: &PgRow) -> StoreResult<ChatMessage> {
    Ok(ChatMessage {
        id: rows::get(row, "id")?,
        tenant_id: TenantId(rows::get(row, "tenant_id")?),
        queue_entry_id: rows::get(row, "queue_entry_id")?,
        sender: parsed::<ChatSender>(row, "sender")?,
        content: rows::get(row, "content")?,
        is_read: rows::get(row, "is_read")?,
        created_at: rows::get(row, "created_at")?,
    })
}

impl PgStore {
    pub(crate) async fn do_add_chat_message(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
        sender: ChatSender,
        content: &str,
        now: OffsetDateTime,
    ) -> StoreResult<ChatMessage> {
        let mut tx = self.tenant_tx(tenant).await?;
        // Inserting through a SELECT of the entry keeps the tenant check and the write together.
        let row = sqlx::query(
            "INSERT INTO webchat_messages (id, tenant_id, queue_entry_id, sender, content, is_read, created_at)
             SELECT $1, e.tenant_id, e.id, $2, $3, false, $4 FROM queue_entries e
             WHERE e.tenant_id = $5 AND e.id = $6
             RETURNING *",
        )
        .bind(Uuid::now_v7())
        .bind(sender.as_str())
        .bind(content)
        .bind(ms(now))
        .bind(tenant.0)
        .bind(entry_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(row) = row else {
            return Err(StoreError::NotFound);
        };
        let stored = message(&row)?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    pub(crate) async fn do_chat_messages(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
    ) -> StoreResult<Vec<ChatMessage>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let found = sqlx::query(
            "SELECT * FROM (
                 SELECT * FROM webchat_messages WHERE tenant_id = $1 AND queue_entry_id = $2
                 ORDER BY created_at DESC, id DESC LIMIT $3
             ) m ORDER BY created_at, id",
        )
        .bind(tenant.0)
        .bind(entry_id)
        .bind(CHAT_HISTORY_LIMIT)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        found.iter().map(message).collect()
    }

    pub(crate) async fn do_chat_sessions_by_phone(
        &self,
        tenant: TenantId,
        phone: &str,
    ) -> StoreResult<Vec<ChatSession>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let found = sqlx::query(
            "SELECT id, queue_id, session_id, verification_code, customer_name, status
             FROM queue_entries
             WHERE tenant_id = $1 AND customer_phone = $2 AND status IN ('waiting', 'called')
             ORDER BY joined_at DESC, id DESC LIMIT 20",
        )
        .bind(tenant.0)
        .bind(phone)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        found
            .iter()
            .map(|r| {
                Ok(ChatSession {
                    entry_id: rows::get(r, "id")?,
                    queue_id: rows::get(r, "queue_id")?,
                    session_id: rows::get(r, "session_id")?,
                    verification_code: rows::get(r, "verification_code")?,
                    customer_name: rows::get(r, "customer_name")?,
                    status: parsed::<EntryStatus>(r, "status")?,
                })
            })
            .collect()
    }
}
