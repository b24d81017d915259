//! Conversions between SQLite columns and the store's records: UUID text, Unix-millisecond
//! times, 0/1 booleans and enum text.

use qms_domain::entry::{EntryStatus, Platform};
use qms_domain::queue::QueueSettings;
use qms_domain::{Plan, Role, TenantId};
use qms_store::{
    AuditLog, BackOfficeUser, Merchant, Queue, QueueEntry, ServiceType, StoreError, StoreResult,
    Subscription, Tenant, TenantUser,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

/// The SQL of a scalar subquery: the recent call times of the queue whose id is the SQL
/// expression `$queue`, at or after the parameter `$since`, as a comma-separated list
/// (read back with [`time_list`]). The sample size is a literal ([`wait::PACE_SAMPLE`]), not a
/// parameter: SQLite re-prepares a statement whenever a parameter used as a `LIMIT` is bound
/// again.
macro_rules! recent_calls {
    ($queue:literal, $since:literal) => {
        concat!(
            "(SELECT group_concat(called_at) FROM (
                SELECT c.called_at FROM queue_entries c
                WHERE c.queue_id = ",
            $queue,
            " AND c.called_at >= ",
            $since,
            "
                ORDER BY c.called_at DESC LIMIT 12))"
        )
    };
}
pub(crate) use recent_calls;

const _: () = assert!(
    qms_domain::wait::PACE_SAMPLE == 12,
    "recent_calls! says LIMIT 12"
);

pub(crate) fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn at(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn id(u: Uuid) -> String {
    u.hyphenated().to_string()
}

pub(crate) fn tid(t: qms_domain::TenantId) -> String {
    id(t.0)
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    col: &str,
) -> StoreResult<T> {
    row.try_get(col).map_err(StoreError::backend)
}

pub(crate) fn uuid(row: &SqliteRow, col: &str) -> StoreResult<Uuid> {
    let s: String = get(row, col)?;
    Uuid::parse_str(&s).map_err(StoreError::backend)
}

pub(crate) fn opt_uuid(row: &SqliteRow, col: &str) -> StoreResult<Option<Uuid>> {
    let s: Option<String> = get(row, col)?;
    s.map(|s| Uuid::parse_str(&s).map_err(StoreError::backend))
        .transpose()
}

pub(crate) fn time(row: &SqliteRow, col: &str) -> StoreResult<OffsetDateTime> {
    Ok(at(get(row, col)?))
}

pub(crate) fn opt_time(row: &SqliteRow, col: &str) -> StoreResult<Option<OffsetDateTime>> {
    Ok(get::<Option<i64>>(row, col)?.map(at))
}

fn parsed<T: std::str::FromStr>(row: &SqliteRow, col: &str) -> StoreResult<T> {
    let s: String = get(row, col)?;
    s.parse()
        .map_err(|_| StoreError::Backend(format!("bad value {s:?} in column {col}")))
}

pub(crate) fn tenant(row: &SqliteRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: TenantId(uuid(row, "id")?),
        name: get(row, "name")?,
        slug: get(row, "slug")?,
        domain: get(row, "domain")?,
        is_active: get(row, "is_active")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(crate) fn subscription(row: &SqliteRow) -> StoreResult<Subscription> {
    Ok(Subscription {
        tenant_id: TenantId(uuid(row, "tenant_id")?),
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

pub(crate) fn merchant(row: &impl Columns) -> StoreResult<Merchant> {
    Ok(Merchant {
        id: row.uuid("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        business_name: row.text("business_name")?,
        email: row.text("email")?,
        phone: row.text("phone")?,
        business_type: row.text("business_type")?,
        timezone: row.text("timezone")?,
        country: row.text("country")?,
        is_active: row.flag("is_active")?,
        logo_url: row.opt_text("logo_url")?,
        brand_color: row.opt_text("brand_color")?,
        banner_image_url: row.opt_text("banner_image_url")?,
    })
}

pub(crate) fn user(row: &SqliteRow) -> StoreResult<TenantUser> {
    let password_hash: Option<String> = get(row, "password_hash")?;
    Ok(TenantUser {
        id: uuid(row, "id")?,
        tenant_id: TenantId(uuid(row, "tenant_id")?),
        email: get(row, "email")?,
        full_name: get(row, "full_name")?,
        role: parsed::<Role>(row, "role")?,
        is_active: get(row, "is_active")?,
        last_login: opt_time(row, "last_login")?,
        invited: password_hash.is_none(),
        password_hash,
        locked_until: opt_time(row, "locked_until")?,
    })
}

pub(crate) fn backoffice_user(row: &SqliteRow) -> StoreResult<BackOfficeUser> {
    Ok(BackOfficeUser {
        id: uuid(row, "id")?,
        email: get(row, "email")?,
        full_name: get(row, "full_name")?,
        is_active: get(row, "is_active")?,
        last_login: opt_time(row, "last_login")?,
        password_hash: get(row, "password_hash")?,
        totp_secret: get(row, "totp_secret")?,
        locked_until: opt_time(row, "locked_until")?,
    })
}

pub(crate) fn queue(row: &impl Columns) -> StoreResult<Queue> {
    Ok(Queue {
        id: row.uuid("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        merchant_id: row.uuid("merchant_id")?,
        settings: QueueSettings {
            name: row.text("name")?,
            description: row.opt_text("description")?,
            is_active: row.flag("is_active")?,
            accepting_customers: row.flag("accepting_customers")?,
            max_capacity: row.int32("max_capacity")?,
            average_service_time: row.int32("average_service_time")?,
            auto_notifications: row.flag("auto_notifications")?,
            notification_interval: row.int32("notification_interval")?,
            allow_cancellation: row.flag("allow_cancellation")?,
            require_confirmation: row.flag("require_confirmation")?,
            business_hours_start: row.text("business_hours_start")?,
            business_hours_end: row.text("business_hours_end")?,
        },
        current_serving: row.int32("current_serving")?,
        created_at: at(row.int("created_at")?),
        updated_at: at(row.int("updated_at")?),
    })
}

/// An entry row; `live_position` must be selected alongside (0 when not waiting).
/// The estimate is filled in by the caller from the queue's pace.
pub(crate) fn entry(row: &impl Columns) -> StoreResult<QueueEntry> {
    Ok(QueueEntry {
        id: row.uuid("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        queue_id: row.uuid("queue_id")?,
        customer_id: row.text("customer_id")?,
        customer_name: row.text("customer_name")?,
        customer_phone: row.text("customer_phone")?,
        platform: row.parsed::<Platform>("platform")?,
        ticket_number: row.text("ticket_number")?,
        position: row.int("live_position")?,
        estimated_wait_time: 0,
        status: row.parsed::<EntryStatus>("status")?,
        service_type_id: row.opt_uuid("service_type_id")?,
        party_size: row.int32("party_size")?,
        notes: row.opt_text("notes")?,
        special_requests: row.opt_text("special_requests")?,
        verification_code: row.text("verification_code")?,
        session_id: row.text("session_id")?,
        joined_at: at(row.int("joined_at")?),
        called_at: row.opt_int("called_at")?.map(at),
        served_at: row.opt_int("served_at")?.map(at),
        completed_at: row.opt_int("completed_at")?.map(at),
        requeued_at: row.opt_int("requeued_at")?.map(at),
        last_notified: row.opt_int("last_notified")?.map(at),
        notification_count: row.int32("notification_count")?,
    })
}

/// A comma-separated list of Unix milliseconds (`group_concat`), or NULL for none.
pub(crate) fn time_list(row: &impl Columns, col: &str) -> StoreResult<Vec<OffsetDateTime>> {
    let Some(list) = row.opt_text(col)? else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(|ms| {
            ms.trim()
                .parse::<i64>()
                .map(at)
                .map_err(|_| StoreError::Backend(format!("bad time {ms:?} in column {col}")))
        })
        .collect()
}

/// The column reads the queue engine's records are made of, from either SQLite library: a
/// row of the async pools (`sqlx`) or of the inline readers (`rusqlite`, [`crate::inline`]).
/// Integers are SQLite integers; booleans are 0/1; text is UTF-8.
pub(crate) trait Columns {
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>>;
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>>;

    fn text(&self, col: &str) -> StoreResult<String> {
        self.opt_text(col)?.ok_or_else(|| null_in(col))
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        self.opt_int(col)?.ok_or_else(|| null_in(col))
    }
    fn int32(&self, col: &str) -> StoreResult<i32> {
        i32::try_from(self.int(col)?)
            .map_err(|_| StoreError::Backend(format!("value out of range in column {col}")))
    }
    fn flag(&self, col: &str) -> StoreResult<bool> {
        Ok(self.int(col)? != 0)
    }
    fn uuid(&self, col: &str) -> StoreResult<Uuid> {
        Uuid::parse_str(&self.text(col)?).map_err(StoreError::backend)
    }
    fn opt_uuid(&self, col: &str) -> StoreResult<Option<Uuid>> {
        self.opt_text(col)?
            .map(|s| Uuid::parse_str(&s).map_err(StoreError::backend))
            .transpose()
    }
    fn parsed<T: std::str::FromStr>(&self, col: &str) -> StoreResult<T> {
        let s = self.text(col)?;
        s.parse()
            .map_err(|_| StoreError::Backend(format!("bad value {s:?} in column {col}")))
    }
}

fn null_in(col: &str) -> StoreError {
    StoreError::Backend(format!("unexpected NULL in column {col}"))
}

impl Columns for SqliteRow {
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        get(self, col)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        get(self, col)
    }
}

pub(crate) fn service_type(row: &SqliteRow) -> StoreResult<ServiceType> {
    Ok(ServiceType {
        id: uuid(row, "id")?,
        tenant_id: TenantId(uuid(row, "tenant_id")?),
        merchant_id: uuid(row, "merchant_id")?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        estimated_duration: get(row, "estimated_duration")?,
        is_active: get(row, "is_active")?,
    })
}

pub(crate) fn audit_log(row: &SqliteRow) -> StoreResult<AuditLog> {
    let details: Option<String> = get(row, "details")?;
    Ok(AuditLog {
        id: uuid(row, "id")?,
        tenant_id: opt_uuid(row, "tenant_id")?.map(TenantId),
        user_id: opt_uuid(row, "user_id")?,
        user_type: get(row, "user_type")?,
        action: get(row, "action")?,
        resource: get(row, "resource")?,
        resource_id: get(row, "resource_id")?,
        details: details.and_then(|d| serde_json::from_str(&d).ok()),
        ip_address: get(row, "ip_address")?,
        user_agent: get(row, "user_agent")?,
        created_at: time(row, "created_at")?,
    })
}
