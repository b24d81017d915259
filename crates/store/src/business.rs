//! Records of the staff dashboard's settings and reports: the merchant's profile, branding and
//! opening hours, quick-message templates (TSD §6.2 `NotificationTemplate`), an entry's
//! notification history (TSD §2.5 `NotificationLog`) and per-queue activity counts.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// The business profile staff may edit (validated by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct MerchantProfile {
    pub business_name: String,
    pub email: String,
    pub phone: String,
    /// One of `restaurant`, `retail`, `clinic`, `salon`, `service`, `other`.
    pub business_type: String,
    /// IANA time zone name.
    pub timezone: String,
    /// ISO 3166 alpha-2.
    pub country: String,
}

/// Logo and brand colour; `None` removes them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Branding {
    /// A path served by the app (e.g. `/uploads/logo/<hash>.png`) or an `https://` URL.
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    pub brand_color: Option<String>,
}

/// Opening hours of one weekday (0 = Sunday … 6 = Saturday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessHours {
    pub day_of_week: i32,
    /// `HH:MM`.
    pub open_time: String,
    pub close_time: String,
    pub is_closed: bool,
}

/// The notification channels of TSD §2.5.
pub const CHANNELS: [&str; 5] = ["WEBCHAT", "WHATSAPP", "EMAIL", "SMS", "PUSH"];

/// A quick message staff can send, with `{name}`, `{position}`, `{ticket}` and `{wait}`
/// placeholders.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationTemplate {
    pub id: Uuid,
    pub tenant_id: crate::TenantId,
    pub merchant_id: Option<Uuid>,
    pub name: String,
    /// One of [`CHANNELS`].
    pub channel: String,
    pub content: String,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A template as staff write it (validated by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    pub name: String,
    pub channel: String,
    pub content: String,
    pub is_active: bool,
}

/// One notification sent (or tried) to a customer about their place.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationLog {
    pub id: Uuid,
    pub queue_entry_id: Uuid,
    pub channel: String,
    /// `SENT`, `DELIVERED`, `FAILED` or `BOUNCED`.
    pub status: String,
    pub message: String,
    pub error_message: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
}

/// A notification to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub queue_entry_id: Uuid,
    pub channel: String,
    pub status: String,
    pub message: String,
    pub error_message: Option<String>,
}

/// What happened in one queue to the customers who joined it within a period.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct QueueActivity {
    pub queue_id: Uuid,
    pub queue_name: String,
    /// Customers who joined in the period.
    pub joined: i64,
    /// Of those, how many were called at least once.
    pub called: i64,
    /// Seated or completed.
    pub served: i64,
    pub cancelled: i64,
    pub no_show: i64,
    /// Still waiting or called now.
    pub active: i64,
    /// Mean seconds from joining to being called, over those called; `None` when nobody was.
    pub average_wait_seconds: Option<f64>,
}
