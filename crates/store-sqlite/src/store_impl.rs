//! `impl Store for SqliteStore`: each method hands over to the module that owns its tables.

use crate::SqliteStore;
use crate::journal::Audit;
use async_trait::async_trait;
use qms_domain::TenantId;
use qms_domain::entry::{EntryStatus, Transition};
use qms_domain::queue::QueueSettings;
use qms_store::*;
use time::OffsetDateTime;
use uuid::Uuid;

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map(|_| ())
            .map_err(StoreError::backend)
    }

    async fn tenant_count(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
            .fetch_one(&self.reader)
            .await
            .map_err(StoreError::backend)
    }

    async fn create_tenant(&self, new: NewTenant) -> StoreResult<TenantCreated> {
        self.do_create_tenant(new).await
    }

    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>> {
        self.do_tenant_by("slug", slug).await
    }

    async fn tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>> {
        self.do_tenant_by("domain", domain).await
    }

    async fn tenant_by_id(&self, id: TenantId) -> StoreResult<Option<Tenant>> {
        self.do_tenant_by_id(id).await
    }

    async fn create_backoffice_user(&self, new: NewBackOfficeUser) -> StoreResult<BackOfficeUser> {
        self.do_create_backoffice_user(new).await
    }

    async fn backoffice_user_by_email(&self, email: &str) -> StoreResult<Option<BackOfficeUser>> {
        self.do_backoffice_user_by_email(email).await
    }

    async fn subscription(&self, tenant: TenantId) -> StoreResult<Subscription> {
        self.do_subscription(tenant).await
    }

    async fn merchants(&self, tenant: TenantId) -> StoreResult<Vec<Merchant>> {
        self.do_merchants(tenant).await
    }

    async fn user_by_email(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> StoreResult<Option<TenantUser>> {
        self.do_user_by_email(tenant, email).await
    }

    async fn user_by_id(&self, tenant: TenantId, id: Uuid) -> StoreResult<Option<TenantUser>> {
        self.do_user_by_id(tenant, id).await
    }

    async fn record_login(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        self.do_record_login(tenant, user_id, actor).await
    }

    async fn audit(
        &self,
        tenant: TenantId,
        actor: &Actor,
        action: &str,
        resource: &str,
        resource_id: Option<String>,
        details: Option<serde_json::Value>,
    ) -> StoreResult<()> {
        let audit = Audit {
            action,
            resource,
            resource_id,
            details,
        };
        self.do_audit(tenant, actor, audit).await
    }

    async fn audit_logs(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
    ) -> StoreResult<Vec<AuditLog>> {
        self.do_audit_logs(tenant, filter).await
    }

    async fn list_users(&self, tenant: TenantId) -> StoreResult<Vec<TenantUser>> {
        self.do_list_users(tenant).await
    }

    async fn invite_user(
        &self,
        tenant: TenantId,
        new: NewUser,
        actor: &Actor,
    ) -> StoreResult<TenantUser> {
        self.do_invite_user(tenant, new, actor).await
    }

    async fn update_user(
        &self,
        tenant: TenantId,
        id: Uuid,
        patch: UserPatch,
        actor: &Actor,
    ) -> StoreResult<TenantUser> {
        self.do_update_user(tenant, id, patch, actor).await
    }

    async fn delete_user(&self, tenant: TenantId, id: Uuid, actor: &Actor) -> StoreResult<()> {
        self.do_delete_user(tenant, id, actor).await
    }

    async fn set_reset_token(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        token_hash: &str,
        expires: OffsetDateTime,
    ) -> StoreResult<()> {
        self.do_set_reset_token(tenant, user_id, token_hash, expires)
            .await
    }

    async fn redeem_token(
        &self,
        tenant: TenantId,
        kind: TokenKind,
        token_hash: &str,
        password_hash: &str,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<TenantUser> {
        self.do_redeem_token(tenant, kind, token_hash, password_hash, actor, now)
            .await
    }

    async fn change_password(
        &self,
        tenant: TenantId,
        user_id: Uuid,
        password_hash: &str,
        actor: &Actor,
    ) -> StoreResult<()> {
        self.do_change_password(tenant, user_id, password_hash, actor)
            .await
    }

    async fn record_failed_login(
        &self,
        tenant: TenantId,
        user_id: Option<Uuid>,
        email: &str,
        actor: &Actor,
        threshold: i32,
        locked_until: OffsetDateTime,
    ) -> StoreResult<()> {
        self.do_record_failed_login(tenant, user_id, email, actor, threshold, locked_until)
            .await
    }

    async fn session_load(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SessionRecord>> {
        self.do_session_load(id_hash, now).await
    }

    async fn session_save(&self, record: &SessionRecord) -> StoreResult<()> {
        self.do_session_save(record).await
    }

    async fn session_delete(&self, id_hash: &str) -> StoreResult<()> {
        self.do_session_delete(id_hash).await
    }

    async fn sessions_purge_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
        self.do_sessions_purge_expired(now).await
    }

    async fn list_queues(&self, tenant: TenantId) -> StoreResult<Vec<QueueSummary>> {
        self.do_list_queues(tenant).await
    }

    async fn queue(&self, tenant: TenantId, id: Uuid) -> StoreResult<Option<Queue>> {
        self.do_queue(tenant, id).await
    }

    async fn queue_stats(&self, tenant: TenantId, id: Uuid) -> StoreResult<QueueStats> {
        self.do_queue_stats(tenant, id).await
    }

    async fn create_queue(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        settings: QueueSettings,
        actor: &Actor,
    ) -> StoreResult<Queue> {
        self.do_create_queue(tenant, merchant_id, settings, actor)
            .await
    }

    async fn update_queue(
        &self,
        tenant: TenantId,
        id: Uuid,
        settings: QueueSettings,
        actor: &Actor,
    ) -> StoreResult<Queue> {
        self.do_update_queue(tenant, id, settings, actor).await
    }

    async fn delete_queue(&self, tenant: TenantId, id: Uuid, actor: &Actor) -> StoreResult<()> {
        self.do_delete_queue(tenant, id, actor).await
    }

    async fn set_accepting(
        &self,
        tenant: TenantId,
        id: Uuid,
        accepting: bool,
        actor: &Actor,
    ) -> StoreResult<Queue> {
        self.do_set_accepting(tenant, id, accepting, actor).await
    }

    async fn service_types(&self, tenant: TenantId) -> StoreResult<Vec<ServiceType>> {
        self.do_service_types(tenant).await
    }

    async fn create_service_type(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        new: NewServiceType,
        actor: &Actor,
    ) -> StoreResult<ServiceType> {
        self.do_create_service_type(tenant, merchant_id, new, actor)
            .await
    }

    async fn update_service_type(
        &self,
        tenant: TenantId,
        id: Uuid,
        new: NewServiceType,
        actor: &Actor,
    ) -> StoreResult<ServiceType> {
        self.do_update_service_type(tenant, id, new, actor).await
    }

    async fn delete_service_type(
        &self,
        tenant: TenantId,
        id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        self.do_delete_service_type(tenant, id, actor).await
    }

    async fn join_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        new: NewEntry,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<Joined> {
        self.do_join_queue(tenant, queue_id, new, actor, now).await
    }

    async fn place_by_session(
        &self,
        tenant: TenantId,
        session_id: &str,
    ) -> StoreResult<Option<Place>> {
        self.do_place_by_session(tenant, session_id).await
    }

    async fn queue_board(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Option<QueueBoard>> {
        self.do_queue_board(tenant, queue_id).await
    }

    async fn queue_entries(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        statuses: &[EntryStatus],
    ) -> StoreResult<Vec<QueueEntry>> {
        self.do_queue_entries(tenant, queue_id, statuses).await
    }

    async fn transition(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        entry_id: Uuid,
        transition: Transition,
        actor: &Actor,
    ) -> StoreResult<QueueEntry> {
        self.do_transition(tenant, queue_id, entry_id, transition, actor)
            .await
    }

    async fn call_next(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<QueueEntry> {
        self.do_call_next(tenant, queue_id, actor).await
    }

    async fn call_bulk(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        selection: BulkSelection,
        actor: &Actor,
    ) -> StoreResult<Vec<QueueEntry>> {
        self.do_call_bulk(tenant, queue_id, selection, actor).await
    }

    async fn reorder(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        entry_ids: &[Uuid],
        actor: &Actor,
    ) -> StoreResult<()> {
        self.do_reorder(tenant, queue_id, entry_ids, actor).await
    }

    async fn cancel_by_customer(
        &self,
        tenant: TenantId,
        session_id: &str,
        actor: &Actor,
    ) -> StoreResult<QueueEntry> {
        self.do_cancel_by_customer(tenant, session_id, actor).await
    }

    async fn analytics_events(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Vec<AnalyticsEvent>> {
        self.do_analytics_events(tenant, queue_id).await
    }

    async fn update_merchant_profile(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        profile: MerchantProfile,
        actor: &Actor,
    ) -> StoreResult<Merchant> {
        self.do_update_merchant_profile(tenant, merchant_id, profile, actor)
            .await
    }

    async fn update_merchant_branding(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        branding: Branding,
        actor: &Actor,
    ) -> StoreResult<Merchant> {
        self.do_update_merchant_branding(tenant, merchant_id, branding, actor)
            .await
    }

    async fn business_hours(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
    ) -> StoreResult<Vec<BusinessHours>> {
        self.do_business_hours(tenant, merchant_id).await
    }

    async fn set_business_hours(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        hours: &[BusinessHours],
        actor: &Actor,
    ) -> StoreResult<Vec<BusinessHours>> {
        self.do_set_business_hours(tenant, merchant_id, hours, actor)
            .await
    }

    async fn notification_templates(
        &self,
        tenant: TenantId,
    ) -> StoreResult<Vec<NotificationTemplate>> {
        self.do_notification_templates(tenant).await
    }

    async fn create_notification_template(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        new: NewTemplate,
        actor: &Actor,
    ) -> StoreResult<NotificationTemplate> {
        self.do_create_notification_template(tenant, merchant_id, new, actor)
            .await
    }

    async fn update_notification_template(
        &self,
        tenant: TenantId,
        id: Uuid,
        new: NewTemplate,
        actor: &Actor,
    ) -> StoreResult<NotificationTemplate> {
        self.do_update_notification_template(tenant, id, new, actor)
            .await
    }

    async fn delete_notification_template(
        &self,
        tenant: TenantId,
        id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        self.do_delete_notification_template(tenant, id, actor)
            .await
    }

    async fn record_notification(
        &self,
        tenant: TenantId,
        new: NewNotification,
    ) -> StoreResult<NotificationLog> {
        self.do_record_notification(tenant, new).await
    }

    async fn notification_history(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
    ) -> StoreResult<Vec<NotificationLog>> {
        self.do_notification_history(tenant, entry_id).await
    }

    async fn queue_activity(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<QueueActivity>> {
        self.do_queue_activity(tenant, from, to).await
    }

    // ----- platform: the BackOffice -----

    async fn backoffice_user_by_id(&self, id: Uuid) -> StoreResult<Option<BackOfficeUser>> {
        self.do_backoffice_user_by_id(id).await
    }

    async fn list_backoffice_users(&self) -> StoreResult<Vec<BackOfficeUser>> {
        self.do_list_backoffice_users().await
    }

    async fn backoffice_login_succeeded(&self, user_id: Uuid, actor: &Actor) -> StoreResult<()> {
        self.do_backoffice_login_succeeded(user_id, actor).await
    }

    async fn backoffice_login_failed(
        &self,
        user_id: Option<Uuid>,
        email: &str,
        actor: &Actor,
        threshold: i32,
        locked_until: OffsetDateTime,
    ) -> StoreResult<()> {
        self.do_backoffice_login_failed(user_id, email, actor, threshold, locked_until)
            .await
    }

    async fn set_backoffice_totp(
        &self,
        user_id: Uuid,
        secret: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<()> {
        self.do_set_backoffice_totp(user_id, secret, actor).await
    }

    async fn use_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool> {
        self.do_use_totp_step(user_id, step).await
    }

    async fn backoffice_audit(&self, actor: &Actor, action: OperatorAction) -> StoreResult<()> {
        self.do_backoffice_audit(actor, action).await
    }

    async fn backoffice_audit_logs(
        &self,
        filter: &PlatformAuditFilter,
    ) -> StoreResult<Page<BackOfficeAuditEntry>> {
        self.do_backoffice_audit_logs(filter).await
    }

    async fn backoffice_audit_log(&self, id: Uuid) -> StoreResult<Option<BackOfficeAuditEntry>> {
        self.do_backoffice_audit_log(id).await
    }

    async fn platform_audit_logs(
        &self,
        filter: &PlatformAuditFilter,
    ) -> StoreResult<Page<TenantAuditEntry>> {
        self.do_platform_audit_logs(filter).await
    }

    async fn platform_audit_log(&self, id: Uuid) -> StoreResult<Option<TenantAuditEntry>> {
        self.do_platform_audit_log(id).await
    }

    async fn list_tenants(&self, query: &PlatformQuery) -> StoreResult<Page<TenantOverview>> {
        self.do_list_tenants(query).await
    }

    async fn tenant_overview(&self, id: TenantId) -> StoreResult<Option<TenantOverview>> {
        self.do_tenant_overview(id).await
    }

    async fn operator_create_tenant(
        &self,
        new: OperatorNewTenant,
        actor: &Actor,
    ) -> StoreResult<TenantCreated> {
        self.do_operator_create_tenant(new, actor).await
    }

    async fn update_tenant(
        &self,
        id: TenantId,
        patch: TenantPatch,
        actor: &Actor,
    ) -> StoreResult<TenantOverview> {
        self.do_update_tenant(id, patch, actor).await
    }

    async fn set_tenant_active(
        &self,
        id: TenantId,
        active: bool,
        actor: &Actor,
    ) -> StoreResult<Tenant> {
        self.do_set_tenant_active(id, active, actor).await
    }

    async fn delete_tenant(&self, id: TenantId, actor: &Actor) -> StoreResult<Tenant> {
        self.do_delete_tenant(id, actor).await
    }

    async fn set_provisioning(
        &self,
        id: TenantId,
        status: &str,
        error: Option<&str>,
        next_attempt_at: Option<OffsetDateTime>,
    ) -> StoreResult<Provisioning> {
        self.do_set_provisioning(id, status, error, next_attempt_at)
            .await
    }

    async fn tenants_to_provision(&self, now: OffsetDateTime) -> StoreResult<Vec<Tenant>> {
        self.do_tenants_to_provision(now).await
    }

    async fn platform_users(&self, query: &PlatformQuery) -> StoreResult<Page<PlatformUser>> {
        self.do_platform_users(query).await
    }

    async fn platform_user(&self, id: Uuid) -> StoreResult<Option<PlatformUser>> {
        self.do_platform_user(id).await
    }

    async fn operator_set_user_active(
        &self,
        id: Uuid,
        active: bool,
        actor: &Actor,
    ) -> StoreResult<PlatformUser> {
        self.do_operator_set_user_active(id, active, actor).await
    }

    async fn platform_merchants(
        &self,
        query: &PlatformQuery,
    ) -> StoreResult<Page<PlatformMerchant>> {
        self.do_platform_merchants(query).await
    }

    async fn platform_merchant(&self, id: Uuid) -> StoreResult<Option<PlatformMerchant>> {
        self.do_platform_merchant(id).await
    }

    async fn system_settings(&self) -> StoreResult<SystemSettings> {
        self.do_system_settings().await
    }

    async fn save_system_settings(
        &self,
        settings: &SystemSettings,
        actor: &Actor,
    ) -> StoreResult<()> {
        self.do_save_system_settings(settings, actor).await
    }

    async fn platform_stats(&self, now: OffsetDateTime) -> StoreResult<PlatformStats> {
        self.do_platform_stats(now).await
    }

    async fn purge_history(&self, cutoff: OffsetDateTime, limit: u32) -> StoreResult<Purged> {
        self.do_purge_history(cutoff, limit).await
    }

    async fn save_upload(&self, tenant: TenantId, name: &str, bytes: &[u8]) -> StoreResult<()> {
        self.do_save_upload(tenant, name, bytes).await
    }

    async fn upload(&self, tenant: TenantId, name: &str) -> StoreResult<Option<Vec<u8>>> {
        self.do_upload(tenant, name).await
    }

    async fn add_chat_message(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
        sender: ChatSender,
        content: &str,
        now: OffsetDateTime,
    ) -> StoreResult<ChatMessage> {
        self.do_add_chat_message(tenant, entry_id, sender, content, now)
            .await
    }

    async fn chat_messages(
        &self,
        tenant: TenantId,
        entry_id: Uuid,
    ) -> StoreResult<Vec<ChatMessage>> {
        self.do_chat_messages(tenant, entry_id).await
    }

    async fn chat_sessions_by_phone(
        &self,
        tenant: TenantId,
        phone: &str,
    ) -> StoreResult<Vec<ChatSession>> {
        self.do_chat_sessions_by_phone(tenant, phone).await
    }

    async fn fanout_line(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        now: OffsetDateTime,
        read: qms_store::LineRead,
    ) -> StoreResult<Option<qms_store::FanoutLine>> {
        self.do_fanout_line(tenant, queue_id, now, read).await
    }
}
