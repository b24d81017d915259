//! Conversions between PostgreSQL rows and the store's records. Columns have native types
//! (uuid, timestamptz, boolean, jsonb); enums are text parsed into the domain types.

use qms_domain::entry::{EntryStatus, Platform};
use qms_domain::queue::QueueSettings;
use qms_domain::{Plan, Role, TenantId};
use qms_store::{
    AuditLog, BackOfficeUser, Merchant, Queue, QueueEntry, ServiceType, StoreError, StoreResult,
    Subscription, Tenant, TenantUser,
};
use sqlx::Row;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// `t` cut to whole milliseconds, the precision both backends store (SQLite keeps Unix
/// milliseconds), so that the same call answers the same times on either.
pub(crate) fn ms(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.unix_timestamp_nanos();
    OffsetDateTime::from_unix_timestamp_nanos(nanos - nanos.rem_euclid(1_000_000)).unwrap_or(t)
}

/// The current time at millisecond precision.
pub(crate) fn now() -> OffsetDateTime {
    ms(OffsetDateTime::now_utc())
}

pub(crate) fn get<'r, T>(row: &'r PgRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(col).map_err(StoreError::backend)
}

fn tenant_id(row: &PgRow, col: &str) -> StoreResult<TenantId> {
    Ok(TenantId(get(row, col)?))
}

fn parsed<T: std::str::FromStr>(row: &PgRow, col: &str) -> StoreResult<T> {
    let s: String = get(row, col)?;
    s.parse()
        .map_err(|_| StoreError::Backend(format!("bad value {s:?} in column {col}")))
}

pub(crate) fn tenant(row: &PgRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: tenant_id(row, "id")?,
        name: get(row, "name")?,
        slug: get(row, "slug")?,
        domain: get(row, "domain")?,
        is_active: get(row, "is_active")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(crate) fn subscription(row: &PgRow) -> StoreResult<Subscription> {
    Ok(Subscription {
        tenant_id: tenant_id(row, "tenant_id")?,
        plan: parsed::<Plan>(row, "plan")?,
        status: get(row, "status")?,
        priority: get(row, "priority")?,
        billing_cycle: get(row, "billing_cycle")?,
        max_merchants: get(row, "max_merchants")?,
        max_queues_per_merchant: get(row, "max_queues_per_merchant")?,
        max_users_per_tenant: get(row, "max_users_per_tenant")?,
        ai_features: get(row, "ai_features")?,
        analytics: get(row, "analytics")?,
        custom_branding: get(row, "custom_branding")?,
        priority_support: get(row, "priority_support")?,
    })
}

pub(crate) fn merchant(row: &PgRow) -> StoreResult<Merchant> {
    Ok(Merchant {
        id: get(row, "id")?,
        tenant_id: tenant_id(row, "tenant_id")?,
        business_name: get(row, "business_name")?,
        email: get(row, "email")?,
        phone: get(row, "phone")?,
        business_type: get(row, "business_type")?,
        timezone: get(row, "timezone")?,
        country: get(row, "country")?,
        is_active: get(row, "is_active")?,
        logo_url: get(row, "logo_url")?,
        brand_color: get(row, "brand_color")?,
        banner_image_url: get(row, "banner_image_url")?,
    })
}

pub(crate) fn user(row: &PgRow) -> StoreResult<TenantUser> {
    let password_hash: Option<String> = get(row, "password_hash")?;
    Ok(TenantUser {
        id: get(row, "id")?,
        tenant_id: tenant_id(row, "tenant_id")?,
        email: get(row, "email")?,
        full_name: get(row, "full_name")?,
        role: parsed::<Role>(row, "role")?,
        is_active: get(row, "is_active")?,
        last_login: get(row, "last_login")?,
        invited: password_hash.is_none(),
        password_hash,
        locked_until: get(row, "locked_until")?,
    })
}

pub(crate) fn backoffice_user(row: &PgRow) -> StoreResult<BackOfficeUser> {
    Ok(BackOfficeUser {
        id: get(row, "id")?,
        email: get(row, "email")?,
        full_name: get(row, "full_name")?,
        is_active: get(row, "is_active")?,
        last_login: get(row, "last_login")?,
        password_hash: get(row, "password_hash")?,
        totp_secret: get(row, "totp_secret")?,
        locked_until: get(row, "locked_until")?,
    })
}

pub(crate) fn queue(row: &PgRow) -> StoreResult<Queue> {
    Ok(Queue {
        id: get(row, "id")?,
        tenant_id: tenant_id(row, "tenant_id")?,
        merchant_id: get(row, "merchant_id")?,
        settings: QueueSettings {
            name: get(row, "name")?,
            description: get(row, "description")?,
            is_active: get(row, "is_active")?,
            accepting_customers: get(row, "accepting_customers")?,
            max_capacity: get(row, "max_capacity")?,
            average_service_time: get(row, "average_service_time")?,
            auto_notifications: get(row, "auto_notifications")?,
            notification_interval: get(row, "notification_interval")?,
            allow_cancellation: get(row, "allow_cancellation")?,
            require_confirmation: get(row, "require_confirmation")?,
            business_hours_start: get(row, "business_hours_start")?,
            business_hours_end: get(row, "business_hours_end")?,
        },
        current_serving: get(row, "current_serving")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

/// An entry row; a bigint `live_position` must be selected alongside (0 when not waiting).
/// The estimate is filled in by the caller from the queue's pace.
pub(crate) fn entry(row: &PgRow) -> StoreResult<QueueEntry> {
    Ok(QueueEntry {
        id: get(row, "id")?,
        tenant_id: tenant_id(row, "tenant_id")?,
        queue_id: get(row, "queue_id")?,
        customer_id: get(row, "customer_id")?,
        customer_name: get(row, "customer_name")?,
        customer_phone: get(row, "customer_phone")?,
        platform: parsed::<Platform>(row, "platform")?,
        ticket_number: get(row, "ticket_number")?,
        position: get(row, "live_position")?,
        estimated_wait_time: 0,
        status: parsed::<EntryStatus>(row, "status")?,
        service_type_id: get(row, "service_type_id")?,
        party_size: get(row, "party_size")?,
        notes: get(row, "notes")?,
        special_requests: get(row, "special_requests")?,
        verification_code: get(row, "verification_code")?,
        session_id: get(row, "session_id")?,
        joined_at: get(row, "joined_at")?,
        called_at: get(row, "called_at")?,
        served_at: get(row, "served_at")?,
        completed_at: get(row, "completed_at")?,
        requeued_at: get(row, "requeued_at")?,
        last_notified: get(row, "last_notified")?,
        notification_count: get(row, "notification_count")?,
    })
}

pub(crate) fn service_type(row: &PgRow) -> StoreResult<ServiceType> {
    Ok(ServiceType {
        id: get(row, "id")?,
        tenant_id: tenant_id(row, "tenant_id")?,
        merchant_id: get(row, "merchant_id")?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        estimated_duration: get(row, "estimated_duration")?,
        is_active: get(row, "is_active")?,
    })
}

pub(crate) fn audit_log(row: &PgRow) -> StoreResult<AuditLog> {
    let details: Option<sqlx::types::Json<serde_json::Value>> = get(row, "details")?;
    Ok(AuditLog {
        id: get(row, "id")?,
        tenant_id: get::<Option<Uuid>>(row, "tenant_id")?.map(TenantId),
        user_id: get(row, "user_id")?,
        user_type: get(row, "user_type")?,
        action: get(row, "action")?,
        resource: get(row, "resource")?,
        resource_id: get(row, "resource_id")?,
        details: details.map(|d| d.0),
        ip_address: get(row, "ip_address")?,
        user_agent: get(row, "user_agent")?,
        created_at: get(row, "created_at")?,
    })
}
