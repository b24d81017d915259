//! The [`Store`] trait: what the application asks of its database, one method per use case.

use crate::business::*;
use crate::error::StoreResult;
use crate::model::*;
use crate::platform::*;
use async_trait::async_trait;
use qms_domain::TenantId;
use qms_domain::entry::{EntryStatus, Transition};
use qms_domain::queue::QueueSettings;
use time::OffsetDateTime;
use uuid::Uuid;

/// The database behind QMS. Implemented for SQLite and PostgreSQL with identical behaviour;
/// the store-contract tests run the same suite on both.
///
/// Methods that take a [`TenantId`] see only that tenant's rows. Queue moves (join, call,
/// seat, …) are atomic: each runs in one transaction that also writes its audit row and
/// analytics event, and call-next never hands one customer to two callers.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Checks the database answers.
    async fn ping(&self) -> StoreResult<()>;

    // ----- platform (not tenant-scoped) -----

    /// How many tenants exist (0 on a fresh database).
    async fn tenant_count(&self) -> StoreResult<i64>;

    /// Creates tenant, subscription, first merchant and OWNER in one transaction.
    /// `Taken("slug")` when the slug is used.
    async fn create_tenant(&self, new: NewTenant) -> StoreResult<TenantCreated>;

    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>>;
    async fn tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>>;
    async fn tenant_by_id(&self, id: TenantId) -> StoreResult<Option<Tenant>>;

    /// `Taken("email")` when the address is used.
    async fn create_backoffice_user(&self, new: NewBackOfficeUser) -> StoreResult<BackOfficeUser>;
    async fn backoffice_user_by_email(&self, email: &str) -> StoreResult<Option<BackOfficeUser>>;

    // ----- tenant: accounts and merchants -----

    async fn subscription(&self, tenant: TenantId) -> StoreResult<Subscription>;
    async fn merchants(&self, tenant: TenantId) -> StoreResult<Vec<Merchant>>;
    async fn user_by_email(&self, tenant: TenantId, email: &str)
    -> StoreResult<Option<TenantUser>>;
    async fn user_by_id(&self, tenant: TenantId, id: Uuid) -> StoreResult<Option<TenantUser>>;
    /// Stamps `lastLogin` and writes the `auth.login` audit row, in one transaction.
    async fn record_login(&self, tenant: TenantId, user_id: Uuid, actor: &Actor)
    -> StoreResult<()>;
    /// Writes one audit row on its own (for events with no other change, e.g. a failed login).
    async fn audit(
        &self,
        tenant: TenantId,
        actor: &Actor,
        action: &str,
        resource: &str,
        resource_id: Option<String>,
        details: Option<serde_json::Value>,
    ) -> StoreResult<()>;
    /// Audit rows matching the filter, newest first.
    async fn audit_logs(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
    ) -> StoreResult<Vec<AuditLog>>;

    // ----- tenant: staff accounts -----

    /// Every account of the tenant, owners first.
    async fn list_users(&self, tenant: TenantId) -> StoreResult<Vec<TenantUser>>;
    /// Creates an invited account (no password yet). `PlanLimit` past `maxUsersPerTenant`,
    /// `Taken("email")` for an address already used in this tenant.
    async fn invite_user(
        &self,
        tenant: TenantId,
        new: NewUser,
        actor: &Actor,
    ) -> StoreResult<TenantUser>;
    /// Changes name, role or active flag; ends the account's sessions when it is deactivated.
    /// `LastOwner` when no active OWNER would remain.
    async fn update_user(
        &self,
        tenant: TenantId,
        id: Uuid,
        patch: UserPatch,
        actor: &Actor,
    ) -> StoreResult<TenantUser>;
    /// Deletes an account and its sessions. `LastOwner` for the last active OWNER.
    async fn delete_user(&self, tenant: TenantId, id: Uuid, actor: &Actor) -> StoreResult<()>;
    /// Stores the hash of a password-reset token for the account, replacing an earlier one.
    async fn set_reset_token(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        token_hash: &str,
        expires: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Sets a password through a one-time token: unknown, used or expired tokens answer
    /// `InvalidToken`. Clears the token and any lock-out, ends every session of the account and
    /// writes the audit row, in one transaction.
    async fn redeem_token(
        &self,
        tenant: TenantId,
        kind: TokenKind,
        token_hash: &str,
        password_hash: &str,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<TenantUser>;
    /// Changes a signed-in account's password and ends all its sessions.
    async fn change_password(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        password_hash: &str,
        actor: &Actor,
    ) -> StoreResult<()>;
    /// Counts a failed sign-in (for a known account when `user_id` is given) and writes the
    /// `auth.login_failed` audit row; at `threshold` consecutive failures the account is locked
    /// until `locked_until`.
    async fn record_failed_login(
        &self,
        tenant: TenantId,
        user_id: Option<Uuid>,
        email: &str,
        actor: &Actor,
        threshold: i32,
        locked_until: OffsetDateTime,
    ) -> StoreResult<()>;

    // ----- sessions (not tenant-scoped: a session names its own site) -----

    /// The session with this id hash, if it has not expired at `now`.
    async fn session_load(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SessionRecord>>;
    /// Creates or replaces a session.
    async fn session_save(&self, record: &SessionRecord) -> StoreResult<()>;
    async fn session_delete(&self, id_hash: &str) -> StoreResult<()>;
    /// Deletes sessions that expired before `now`; answers how many.
    async fn sessions_purge_expired(&self, now: OffsetDateTime) -> StoreResult<u64>;

    // ----- tenant: queues and service types -----

    async fn list_queues(&self, tenant: TenantId) -> StoreResult<Vec<QueueSummary>>;
    async fn queue(&self, tenant: TenantId, id: Uuid) -> StoreResult<Option<Queue>>;
    async fn queue_stats(&self, tenant: TenantId, id: Uuid) -> StoreResult<QueueStats>;
    /// `PlanLimit` past `maxQueuesPerMerchant`; `NotFound` for another tenant's merchant.
    async fn create_queue(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        settings: QueueSettings,
        actor: &Actor,
    ) -> StoreResult<Queue>;
    async fn update_queue(
        &self,
        tenant: TenantId,
        id: Uuid,
        settings: QueueSettings,
        actor: &Actor,
    ) -> StoreResult<Queue>;
    /// Deletes a queue and its history; `QueueHasCustomers` while anyone waits or is called.
    async fn delete_queue(&self, tenant: TenantId, id: Uuid, actor: &Actor) -> StoreResult<()>;
    async fn set_accepting(
        &self,
        tenant: TenantId,
        id: Uuid,
        accepting: bool,
        actor: &Actor,
    ) -> StoreResult<Queue>;

    async fn service_types(&self, tenant: TenantId) -> StoreResult<Vec<ServiceType>>;
    async fn create_service_type(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        new: NewServiceType,
        actor: &Actor,
    ) -> StoreResult<ServiceType>;
    async fn update_service_type(
        &self,
        tenant: TenantId,
        id: Uuid,
        new: NewServiceType,
        actor: &Actor,
    ) -> StoreResult<ServiceType>;
    async fn delete_service_type(
        &self,
        tenant: TenantId,
        id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()>;

    // ----- tenant: the queue engine -----

    /// Adds a customer at the end of the line with the day's next ticket number.
    /// Refuses with `QueueClosed` / `QueueFull`; answers the existing place for a phone
    /// already waiting, and the first answer for a repeated `Idempotency-Key`.
    async fn join_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        new: NewEntry,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<Joined>;

    /// A customer's place by their session key: live position and estimate, and the queue's
    /// name. One statement: this is the most frequent read of all (every status page, poll and
    /// reconnect).
    async fn place_by_session(
        &self,
        tenant: TenantId,
        session_id: &str,
    ) -> StoreResult<Option<Place>>;

    /// A customer's entry by their session key (live position and estimate).
    async fn entry_by_session(
        &self,
        tenant: TenantId,
        session_id: &str,
    ) -> StoreResult<Option<QueueEntry>> {
        Ok(self
            .place_by_session(tenant, session_id)
            .await?
            .map(|p| p.entry))
    }

    /// A queue with its numbers, its waiting line and its called and seated customers
    /// (`GET /api/queues/:id`, the staff board), with as few statements as the backend allows.
    async fn queue_board(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Option<QueueBoard>>;

    /// Entries of a queue with the given statuses: waiting ones in line order, the others
    /// most recent first.
    async fn queue_entries(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        statuses: &[EntryStatus],
    ) -> StoreResult<Vec<QueueEntry>>;

    /// Applies one move of the state machine to one entry of the queue.
    async fn transition(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        entry_id: Uuid,
        transition: Transition,
        actor: &Actor,
    ) -> StoreResult<QueueEntry>;

    /// Calls the first waiting customer; `QueueEmpty` when nobody waits. Concurrent callers
    /// always get different customers.
    async fn call_next(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<QueueEntry>;

    /// Calls several waiting customers at once (all or nothing).
    async fn call_bulk(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        selection: BulkSelection,
        actor: &Actor,
    ) -> StoreResult<Vec<QueueEntry>>;

    /// Puts the listed waiting entries in the given order within the places they hold now.
    /// `StaleOrder` if any of them is no longer waiting in this queue.
    async fn reorder(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        entry_ids: &[Uuid],
        actor: &Actor,
    ) -> StoreResult<()>;

    /// The customer leaves by their own hand; `CancellationNotAllowed` when the queue forbids it.
    async fn cancel_by_customer(
        &self,
        tenant: TenantId,
        session_id: &str,
        actor: &Actor,
    ) -> StoreResult<QueueEntry>;

    /// Analytics events of a queue, oldest first (for reports and tests).
    async fn analytics_events(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Vec<AnalyticsEvent>>;

    // ----- tenant: business settings, quick messages, reports (staff dashboard) -----

    /// Changes a merchant's profile; `Taken("email")` when another merchant of the tenant uses
    /// the address. Writes the `merchant.update` audit row.
    async fn update_merchant_profile(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        profile: MerchantProfile,
        actor: &Actor,
    ) -> StoreResult<Merchant>;
    /// Sets (or clears) logo and brand colour; audit `merchant.branding`.
    async fn update_merchant_branding(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        branding: Branding,
        actor: &Actor,
    ) -> StoreResult<Merchant>;
    /// The stored opening hours of a merchant, by weekday (days never set are absent).
    async fn business_hours(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
    ) -> StoreResult<Vec<BusinessHours>>;
    /// Replaces the given weekdays' hours in one transaction; audit `merchant.hours`.
    async fn set_business_hours(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        hours: &[BusinessHours],
        actor: &Actor,
    ) -> StoreResult<Vec<BusinessHours>>;

    /// The tenant's quick-message templates, by name.
    async fn notification_templates(
        &self,
        tenant: TenantId,
    ) -> StoreResult<Vec<NotificationTemplate>>;
    /// `NotFound` for another tenant's merchant.
    async fn create_notification_template(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        new: NewTemplate,
        actor: &Actor,
    ) -> StoreResult<NotificationTemplate>;
    async fn update_notification_template(
        &self,
        tenant: TenantId,
        id: Uuid,
        new: NewTemplate,
        actor: &Actor,
    ) -> StoreResult<NotificationTemplate>;
    async fn delete_notification_template(
        &self,
        tenant: TenantId,
        id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()>;

    /// Records a notification about an entry; `NotFound` for another tenant's entry.
    async fn record_notification(
        &self,
        tenant: TenantId,
        new: NewNotification,
    ) -> StoreResult<NotificationLog>;
    /// The notifications of one entry, oldest first.
    async fn notification_history(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
    ) -> StoreResult<Vec<NotificationLog>>;

    /// Per queue (every queue of the tenant, oldest first), what became of the customers who joined
    /// in `[from, to)`.
    async fn queue_activity(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<QueueActivity>>;

    // ----- platform: the BackOffice (operators; every method sees all tenants) -----

    async fn backoffice_user_by_id(&self, id: Uuid) -> StoreResult<Option<BackOfficeUser>>;
    /// Every operator, by e-mail.
    async fn list_backoffice_users(&self) -> StoreResult<Vec<BackOfficeUser>>;
    /// Stamps `lastLogin`, clears failures and writes the `auth.login` operator audit row.
    async fn backoffice_login_succeeded(&self, user_id: Uuid, actor: &Actor) -> StoreResult<()>;
    /// Counts a failed sign-in (for a known operator when `user_id` is given), locking the
    /// account until `locked_until` at `threshold` failures; writes `auth.login_failed`.
    async fn backoffice_login_failed(
        &self,
        user_id: Option<Uuid>,
        email: &str,
        actor: &Actor,
        threshold: i32,
        locked_until: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Enrols (`Some`) or removes (`None`) an operator's TOTP secret, with its audit row.
    async fn set_backoffice_totp(
        &self,
        user_id: Uuid,
        secret: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<()>;
    /// Accepts a TOTP time step once: answers false when this step (or a later one) was used.
    async fn use_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool>;
    /// Writes one operator audit row on its own (sign-out, refused access, …).
    async fn backoffice_audit(&self, actor: &Actor, action: OperatorAction) -> StoreResult<()>;
    async fn backoffice_audit_logs(
        &self,
        filter: &PlatformAuditFilter,
    ) -> StoreResult<Page<BackOfficeAuditEntry>>;
    async fn backoffice_audit_log(&self, id: Uuid) -> StoreResult<Option<BackOfficeAuditEntry>>;
    /// Tenants' audit trails, across tenants.
    async fn platform_audit_logs(
        &self,
        filter: &PlatformAuditFilter,
    ) -> StoreResult<Page<TenantAuditEntry>>;
    async fn platform_audit_log(&self, id: Uuid) -> StoreResult<Option<TenantAuditEntry>>;

    /// Tenants by slug, filtered by search (name, slug, domain), status and plan.
    async fn list_tenants(&self, query: &PlatformQuery) -> StoreResult<Page<TenantOverview>>;
    async fn tenant_overview(&self, id: TenantId) -> StoreResult<Option<TenantOverview>>;
    /// Tenant, subscription with the given terms, first merchant and invited OWNER, the tenant's
    /// `tenant.create` audit row and the operator's, in one transaction. `Taken("slug")`,
    /// `Taken("domain")`.
    async fn operator_create_tenant(
        &self,
        new: OperatorNewTenant,
        actor: &Actor,
    ) -> StoreResult<TenantCreated>;
    /// Changes name, custom domain and subscription terms; the operator audit row holds the
    /// values before and after. `Taken("domain")`.
    async fn update_tenant(
        &self,
        id: TenantId,
        patch: TenantPatch,
        actor: &Actor,
    ) -> StoreResult<TenantOverview>;
    /// Switches a tenant on or off; switching off ends its staff's sessions.
    async fn set_tenant_active(
        &self,
        id: TenantId,
        active: bool,
        actor: &Actor,
    ) -> StoreResult<Tenant>;
    /// Deletes a tenant and every row that belongs to it (and its staff's sessions) in one
    /// transaction; the operator audit trail keeps its rows with the tenant unset. Answers the
    /// deleted tenant.
    async fn delete_tenant(&self, id: TenantId, actor: &Actor) -> StoreResult<Tenant>;
    /// Records a provisioning outcome; `attempts` counts failures since the last success.
    async fn set_provisioning(
        &self,
        id: TenantId,
        status: &str,
        error: Option<&str>,
        next_attempt_at: Option<OffsetDateTime>,
    ) -> StoreResult<Provisioning>;
    /// Tenants whose provisioning is pending, or failed and due for a retry at `now`.
    async fn tenants_to_provision(&self, now: OffsetDateTime) -> StoreResult<Vec<Tenant>>;

    /// Staff accounts across tenants, by tenant slug and e-mail.
    async fn platform_users(&self, query: &PlatformQuery) -> StoreResult<Page<PlatformUser>>;
    async fn platform_user(&self, id: Uuid) -> StoreResult<Option<PlatformUser>>;
    /// An operator (de)activates a staff account: sessions end on deactivation; audit rows on
    /// both trails.
    async fn operator_set_user_active(
        &self,
        id: Uuid,
        active: bool,
        actor: &Actor,
    ) -> StoreResult<PlatformUser>;
    async fn platform_merchants(
        &self,
        query: &PlatformQuery,
    ) -> StoreResult<Page<PlatformMerchant>>;
    async fn platform_merchant(&self, id: Uuid) -> StoreResult<Option<PlatformMerchant>>;

    async fn system_settings(&self) -> StoreResult<SystemSettings>;
    /// Stores every setting and the operator audit row (before and after) in one transaction.
    async fn save_system_settings(
        &self,
        settings: &SystemSettings,
        actor: &Actor,
    ) -> StoreResult<()>;
    /// Counts for the platform dashboard at `now`.
    async fn platform_stats(&self, now: OffsetDateTime) -> StoreResult<PlatformStats>;
    /// One batch of the retention purge (TSD §10.3), across every tenant, in one transaction:
    /// at most `limit` finished queue entries (completed, cancelled, no-show) that joined before
    /// `cutoff`, with what hangs off them, and at most `limit` analytics events older than
    /// `cutoff`. Entries still waiting, called or seated are kept however old. The retention
    /// job calls it until a batch comes back short.
    async fn purge_history(&self, cutoff: OffsetDateTime, limit: u32) -> StoreResult<Purged>;

    // ----- tenant: uploaded images -----

    /// Stores an image of the tenant under `name` (its content's hash and extension, so the
    /// same name always holds the same bytes); storing a name again changes nothing.
    async fn save_upload(&self, tenant: TenantId, name: &str, bytes: &[u8]) -> StoreResult<()>;
    /// The bytes of an image of the tenant.
    async fn upload(&self, tenant: TenantId, name: &str) -> StoreResult<Option<Vec<u8>>>;

    // ----- tenant: webchat (TSD §4.3) -----

    /// Stores one chat message of a queue entry; `NotFound` for an entry of another tenant.
    async fn add_chat_message(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
        sender: crate::ChatSender,
        content: &str,
        now: OffsetDateTime,
    ) -> StoreResult<crate::ChatMessage>;

    /// The chat of a queue entry, oldest first: the last [`crate::CHAT_HISTORY_LIMIT`]
    /// messages. Empty for an entry of another tenant.
    async fn chat_messages(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
    ) -> StoreResult<Vec<crate::ChatMessage>>;

    /// The entries of this phone that are still waiting or called, newest first, with the keys
    /// a chat-session recovery checks.
    async fn chat_sessions_by_phone(
        &self,
        tenant: TenantId,
        phone: &str,
    ) -> StoreResult<Vec<crate::ChatSession>>;

    // ----- tenant: realtime fan-out -----

    /// A queue with its waiting line for the realtime fan-out (its only read): the queue,
    /// each waiting customer's id, session id and ticket (line order; with
    /// [`crate::LineRead::Count`] only how many), the number called, and the recent call times
    /// the pace is computed from (as of `now`). `None` for a queue that is not the tenant's.
    /// PostgreSQL reads it on connections of its own, so that the fan-out never waits behind
    /// requests for the pool.
    async fn fanout_line(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        now: OffsetDateTime,
        read: crate::LineRead,
    ) -> StoreResult<Option<crate::FanoutLine>>;
}
