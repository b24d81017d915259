//! Records of the webchat between a customer and the staff of a queue (TSD §2.5
//! `WebChatMessage`, §4.3): one conversation per queue entry, addressed by the entry's session.

use qms_domain::TenantId;
use qms_domain::entry::EntryStatus;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChatSender {
    Customer,
    Staff,
    System,
}

impl ChatSender {
    /// The stored form (`CUSTOMER`, `STAFF`, `SYSTEM`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChatSender::Customer => "CUSTOMER",
            ChatSender::Staff => "STAFF",
            ChatSender::System => "SYSTEM",
        }
    }

    /// The form the Socket.IO events use (`customer`, `staff`, `system`).
    pub fn as_event(self) -> &'static str {
        match self {
            ChatSender::Customer => "customer",
            ChatSender::Staff => "staff",
            ChatSender::System => "system",
        }
    }
}

impl std::str::FromStr for ChatSender {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "CUSTOMER" => Ok(ChatSender::Customer),
            "STAFF" => Ok(ChatSender::Staff),
            "SYSTEM" => Ok(ChatSender::System),
            other => Err(format!("unknown chat sender {other:?}")),
        }
    }
}

/// One stored chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub queue_entry_id: Uuid,
    pub sender: ChatSender,
    pub content: String,
    pub is_read: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The keys of one queue entry's chat, found by the customer's phone for session recovery.
/// Carries the verification code so the caller can check it; never answer it to a client.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSession {
    pub entry_id: Uuid,
    pub queue_id: Uuid,
    pub session_id: String,
    pub verification_code: String,
    pub customer_name: String,
    pub status: EntryStatus,
}

/// Most messages [`crate::Store::chat_messages`] answers (the most recent ones).
pub const CHAT_HISTORY_LIMIT: i64 = 500;
