//! Records the store reads and writes. They serialise with the TSD's Prisma field names
//! (camelCase) so the API can answer them as they are; secrets are never serialised.

use qms_domain::entry::{EntryStatus, Platform};
use qms_domain::queue::QueueSettings;
use qms_domain::{Plan, Role, TenantId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A business on the platform, reached at `{slug}.{BASE_DOMAIN}` or its own `domain`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub slug: String,
    pub domain: Option<String>,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A tenant's subscription: plan, limits and feature flags (TSD §2.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub tenant_id: TenantId,
    pub plan: Plan,
    pub status: String,
    pub priority: String,
    pub billing_cycle: String,
    pub max_merchants: i32,
    pub max_queues_per_merchant: i32,
    pub max_users_per_tenant: i32,
    pub ai_features: bool,
    pub analytics: bool,
    pub custom_branding: bool,
    pub priority_support: bool,
}

/// A shop or restaurant of a tenant (TSD §2.1 `Merchant`; logins live in [`TenantUser`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub business_name: String,
    pub email: String,
    pub phone: String,
    pub business_type: String,
    pub timezone: String,
    /// ISO 3166 alpha-2 country, the default region for customers' phone numbers.
    pub country: String,
    pub is_active: bool,
    pub logo_url: Option<String>,
    pub brand_color: Option<String>,
    pub banner_image_url: Option<String>,
}

/// A staff account of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantUser {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login: Option<OffsetDateTime>,
    /// True while the account waits for its invitation to be accepted.
    pub invited: bool,
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// Sign-in refused until then after too many failures.
    #[serde(skip)]
    pub locked_until: Option<OffsetDateTime>,
}

/// An operator of the platform (BackOffice), separate from every tenant's users.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackOfficeUser {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub is_active: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login: Option<OffsetDateTime>,
    #[serde(skip)]
    pub password_hash: String,
    /// The base32 TOTP secret when a second factor is enrolled.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// Sign-in refused until then after too many failures.
    #[serde(skip)]
    pub locked_until: Option<OffsetDateTime>,
}

impl BackOfficeUser {
    /// True when signing in asks for a TOTP code too.
    pub fn totp_enabled(&self) -> bool {
        self.totp_secret.is_some()
    }
}

/// A queue with its settings (TSD §2.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub merchant_id: Uuid,
    #[serde(flatten)]
    pub settings: QueueSettings,
    pub current_serving: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Live numbers of one queue (the `stats` of a `queue:update` event).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    /// Customers waiting now.
    pub waiting: i64,
    /// Customers called and not yet seated or gone.
    pub called: i64,
    /// Minutes a customer joining now would wait.
    pub average_wait_time: i32,
    /// The place a customer joining now would get.
    pub next_position: i64,
}

impl QueueStats {
    /// Live numbers from the counts of waiting and called customers and the queue's pace
    /// (minutes per turn, see [`qms_domain::wait`]).
    pub fn from_counts(waiting: i64, called: i64, minutes_per_turn: f64) -> Self {
        QueueStats {
            waiting,
            called,
            average_wait_time: qms_domain::wait::estimate_minutes(waiting + 1, minutes_per_turn),
            next_position: waiting + 1,
        }
    }
}

/// A queue with its live numbers, for lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueSummary {
    #[serde(flatten)]
    pub queue: Queue,
    pub stats: QueueStats,
}

/// A queue as its live board shows it: the queue with its numbers, the waiting line in order,
/// and the called and seated customers, most recent first (at most 500 each).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueBoard {
    pub summary: QueueSummary,
    pub waiting: Vec<QueueEntry>,
    pub called: Vec<QueueEntry>,
    pub seated: Vec<QueueEntry>,
}

/// A customer's place (TSD §2.3). `position` is the live place among waiting customers
/// (1 = next), 0 once the customer has left the waiting line.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueEntry {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub queue_id: Uuid,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub platform: Platform,
    pub ticket_number: String,
    pub position: i64,
    pub estimated_wait_time: i32,
    pub status: EntryStatus,
    pub service_type_id: Option<Uuid>,
    pub party_size: i32,
    pub notes: Option<String>,
    pub special_requests: Option<String>,
    pub verification_code: String,
    pub session_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub called_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub served_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub requeued_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_notified: Option<OffsetDateTime>,
    pub notification_count: i32,
}

/// A kind of service a queue offers (e.g. "Dine-in", "Takeaway").
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceType {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub merchant_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub estimated_duration: i32,
    pub is_active: bool,
}

/// Who did something, for the audit trail (TSD §2.6 `AuditLog`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub user_type: UserType,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            user_type: UserType::System,
            ..Actor::default()
        }
    }
    pub fn customer(ip_address: Option<String>, user_agent: Option<String>) -> Self {
        Actor {
            user_id: None,
            user_type: UserType::Customer,
            ip_address,
            user_agent,
        }
    }
}

/// The kinds of actor of TSD §2.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum UserType {
    Superadmin,
    Merchant,
    Customer,
    #[default]
    System,
}

impl UserType {
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::Superadmin => "SUPERADMIN",
            UserType::Merchant => "MERCHANT",
            UserType::Customer => "CUSTOMER",
            UserType::System => "SYSTEM",
        }
    }
}

/// Everything needed to create a tenant in one transaction.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub plan: Plan,
    pub timezone: String,
    pub country: String,
    pub owner_email: String,
    pub owner_name: String,
    /// `None` leaves the owner invited: they set a password through a one-time link.
    pub owner_password_hash: Option<String>,
}

/// What creating a tenant made.
#[derive(Debug, Clone)]
pub struct TenantCreated {
    pub tenant: Tenant,
    pub merchant: Merchant,
    pub owner: TenantUser,
}

#[derive(Debug, Clone)]
pub struct NewBackOfficeUser {
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
}

/// A validated join request.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub customer_name: String,
    /// E.164.
    pub customer_phone: String,
    pub party_size: i32,
    pub notes: Option<String>,
    pub special_requests: Option<String>,
    pub service_type_id: Option<Uuid>,
    pub platform: Platform,
    /// The client's `Idempotency-Key`: a retry with the same key answers the same entry.
    pub idempotency_key: Option<String>,
    /// Fresh secrets made by the caller: the customer's 128-bit session key and 6-digit code.
    pub session_id: String,
    pub verification_code: String,
}

/// A customer's place as they see it: their entry (live place and estimate) and the name of
/// the queue it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub entry: QueueEntry,
    pub queue_name: String,
}

/// The answer to a join.
#[derive(Debug, Clone)]
pub enum Joined {
    /// A new place in line, and its queue with the numbers as that join left them (what the
    /// realtime events of the join need, read by the change itself).
    Created(QueueEntry, Box<QueueSummary>),
    /// The same request again (same `Idempotency-Key`): the place it made the first time.
    Replayed(QueueEntry),
    /// This phone already waits in this queue: that place.
    Existing(QueueEntry),
}

impl Joined {
    pub fn entry(&self) -> &QueueEntry {
        match self {
            Joined::Created(e, _) | Joined::Replayed(e) | Joined::Existing(e) => e,
        }
    }
}

/// Which waiting customers a bulk call takes.
#[derive(Debug, Clone)]
pub enum BulkSelection {
    /// These entries, in this order.
    Entries(Vec<Uuid>),
    /// The first `n` in line.
    Next(u32),
}

#[derive(Debug, Clone)]
pub struct NewServiceType {
    pub name: String,
    pub description: Option<String>,
    pub estimated_duration: i32,
    pub is_active: bool,
}

/// A row of the tenant audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    pub id: Uuid,
    pub tenant_id: Option<TenantId>,
    pub user_id: Option<Uuid>,
    pub user_type: String,
    pub action: String,
    pub resource: String,
    pub resource_id: Option<String>,
    pub details: Option<serde_json::Value>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A row of the analytics event stream (one per queue move).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsEvent {
    pub id: Uuid,
    pub queue_id: Uuid,
    pub queue_entry_id: Option<Uuid>,
    pub event_type: String,
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
}

/// A staff account to invite. The invitation link carries a random token; only its hash is
/// stored.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub invite_token_hash: String,
    pub invite_expires: OffsetDateTime,
}

/// Changes to a staff account; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub full_name: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// The two kinds of one-time token that set a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Invite,
    Reset,
}

/// Which audit rows to read, newest first.
#[derive(Debug, Clone)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub user_id: Option<Uuid>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub limit: i64,
    pub offset: i64,
}

impl Default for AuditFilter {
    fn default() -> Self {
        AuditFilter {
            action: None,
            user_id: None,
            from: None,
            to: None,
            limit: 50,
            offset: 0,
        }
    }
}

/// A stored session. The id in the cookie is never stored: `id_hash` is its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub id_hash: String,
    /// The session's content, JSON, owned by the web layer.
    pub data: String,
    pub user_id: Option<Uuid>,
    pub expire: OffsetDateTime,
}
