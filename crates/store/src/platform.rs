//! Records of the platform operator's console (the BackOffice, TSD §3.1 and §6.3): tenants with
//! their subscription, provisioning state and usage, lists across tenants, the operators' own
//! audit trail, system settings and platform statistics.

use crate::model::{AuditLog, Merchant, NewTenant, Subscription, Tenant, TenantUser};
use qms_domain::{Plan, TenantId};
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, Time};
use uuid::Uuid;

/// One page of a longer list, and how many rows the whole list has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Filters of the BackOffice lists (tenants, users, merchants); a list ignores what it has no
/// use for (users and merchants have no plan).
#[derive(Debug, Clone)]
pub struct PlatformQuery {
    /// Case-insensitive part of a name, slug or e-mail.
    pub search: Option<String>,
    pub tenant: Option<TenantId>,
    pub active: Option<bool>,
    pub plan: Option<Plan>,
    pub limit: i64,
    pub offset: i64,
}

impl Default for PlatformQuery {
    fn default() -> Self {
        PlatformQuery {
            search: None,
            tenant: None,
            active: None,
            plan: None,
            limit: 50,
            offset: 0,
        }
    }
}

impl PlatformQuery {
    /// The search text as a `LIKE` pattern (lower case, wildcards in the text escaped with `\`).
    pub fn like_pattern(&self) -> Option<String> {
        let s = self.search.as_deref()?.trim().to_lowercase();
        if s.is_empty() {
            return None;
        }
        let escaped: String = s
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        Some(format!("%{escaped}%"))
    }
}

/// Subscription statuses the schema accepts.
pub const SUBSCRIPTION_STATUSES: [&str; 5] =
    ["active", "trial", "suspended", "cancelled", "expired"];

/// The limits and feature flags of a subscription as the operator sets them (TSD §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionTerms {
    pub plan: Plan,
    pub status: String,
    pub max_merchants: i32,
    pub max_queues_per_merchant: i32,
    pub max_users_per_tenant: i32,
    pub ai_features: bool,
    pub analytics: bool,
    pub custom_branding: bool,
    pub priority_support: bool,
}

impl SubscriptionTerms {
    /// The defaults of a plan (see [`Plan::limits`]), status `active`.
    pub fn of_plan(plan: Plan) -> Self {
        let l = plan.limits();
        SubscriptionTerms {
            plan,
            status: "active".into(),
            max_merchants: l.max_merchants,
            max_queues_per_merchant: l.max_queues_per_merchant,
            max_users_per_tenant: l.max_users_per_tenant,
            ai_features: l.ai_features,
            analytics: l.analytics,
            custom_branding: l.custom_branding,
            priority_support: l.priority_support,
        }
    }

    /// The terms a subscription has now.
    pub fn of(s: &Subscription) -> Self {
        SubscriptionTerms {
            plan: s.plan,
            status: s.status.clone(),
            max_merchants: s.max_merchants,
            max_queues_per_merchant: s.max_queues_per_merchant,
            max_users_per_tenant: s.max_users_per_tenant,
            ai_features: s.ai_features,
            analytics: s.analytics,
            custom_branding: s.custom_branding,
            priority_support: s.priority_support,
        }
    }
}

/// Where a tenant's host name stands with the domain provisioner (TSD §5.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provisioning {
    /// `none` (nothing asked), `pending`, `provisioned` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub attempts: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// Provisioning statuses.
pub mod provisioning {
    pub const NONE: &str = "none";
    pub const PENDING: &str = "pending";
    pub const PROVISIONED: &str = "provisioned";
    pub const FAILED: &str = "failed";
}

/// What a tenant uses, to set against its plan's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TenantUsage {
    pub users: i64,
    pub merchants: i64,
    pub queues: i64,
    /// Queues of the merchant that has the most (the limit is per merchant).
    pub max_queues_of_a_merchant: i64,
    /// Customers who joined in the last 30 days.
    pub customers_30d: i64,
}

/// A tenant as the BackOffice shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantOverview {
    pub tenant: Tenant,
    pub subscription: Subscription,
    pub provisioning: Provisioning,
    pub usage: TenantUsage,
}

/// A tenant created by an operator: the tenant, its terms, an invited OWNER (one-time link) and
/// the first provisioning status.
#[derive(Debug, Clone)]
pub struct OperatorNewTenant {
    /// Slug, name, plan, time zone, country and owner (its `owner_password_hash` is ignored:
    /// the owner is invited).
    pub tenant: NewTenant,
    pub terms: SubscriptionTerms,
    pub domain: Option<String>,
    pub owner_invite_token_hash: String,
    pub owner_invite_expires: OffsetDateTime,
    /// `pending` when a provisioner must act, `provisioned` when nothing is needed.
    pub provisioning_status: String,
}

/// An operator's change to a tenant.
#[derive(Debug, Clone)]
pub struct TenantPatch {
    pub name: String,
    pub domain: Option<String>,
    pub terms: SubscriptionTerms,
}

/// A tenant's staff account, with its tenant, for lists across tenants.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformUser {
    #[serde(flatten)]
    pub user: TenantUser,
    pub tenant_slug: String,
    pub tenant_name: String,
}

/// A merchant with its tenant and how many queues it runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformMerchant {
    #[serde(flatten)]
    pub merchant: Merchant,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub queues: i64,
}

/// One operator action to record in the BackOffice audit trail.
#[derive(Debug, Clone)]
pub struct OperatorAction {
    pub action: String,
    pub resource: String,
    pub resource_id: Option<String>,
    /// The tenant the action concerns, if any.
    pub tenant: Option<TenantId>,
    pub details: Option<serde_json::Value>,
}

impl OperatorAction {
    pub fn new(action: &str, resource: &str) -> Self {
        OperatorAction {
            action: action.into(),
            resource: resource.into(),
            resource_id: None,
            tenant: None,
            details: None,
        }
    }
    pub fn id(mut self, id: impl ToString) -> Self {
        self.resource_id = Some(id.to_string());
        self
    }
    pub fn tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// A row of the BackOffice audit trail, with the operator's e-mail and the tenant's slug when
/// they still exist.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackOfficeAuditEntry {
    pub id: Uuid,
    pub backoffice_user_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub tenant_id: Option<TenantId>,
    pub tenant_slug: Option<String>,
    pub action: String,
    pub resource: String,
    pub resource_id: Option<String>,
    pub details: Option<serde_json::Value>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A row of a tenant's audit trail, with the tenant's slug, for the view across tenants.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantAuditEntry {
    #[serde(flatten)]
    pub log: AuditLog,
    pub tenant_slug: Option<String>,
}

/// Which audit rows to read (either trail), newest first. `actor` is the BackOffice user on the
/// operators' trail and the tenant user on the tenants' trail; `action` matches a prefix.
#[derive(Debug, Clone)]
pub struct PlatformAuditFilter {
    pub tenant: Option<TenantId>,
    pub actor: Option<Uuid>,
    pub action: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub limit: i64,
    pub offset: i64,
}

impl Default for PlatformAuditFilter {
    fn default() -> Self {
        PlatformAuditFilter {
            tenant: None,
            actor: None,
            action: None,
            from: None,
            to: None,
            limit: 50,
            offset: 0,
        }
    }
}

impl PlatformAuditFilter {
    /// The action prefix as a `LIKE` pattern.
    pub fn action_pattern(&self) -> Option<String> {
        let a = self.action.as_deref()?.trim();
        if a.is_empty() {
            return None;
        }
        let escaped: String = a
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        Some(format!("{escaped}%"))
    }
}

/// What one batch of the retention purge removed ([`crate::Store::purge_history`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Finished queue entries, each with its chat messages, notification log and push
    /// subscriptions.
    pub queue_entries: u64,
    pub analytics_events: u64,
}

/// The platform's settings (the `system_settings` table, one row per key).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemSettings {
    pub site_name: String,
    pub support_email: String,
    /// IANA name; the time zone new tenants start with.
    pub default_timezone: String,
    /// Months that finished queue entries and analytics events are kept (TSD §10.3).
    pub retention_months: i32,
    /// The terms a new tenant on each plan starts with, in [`Plan::ALL`] order.
    pub plan_defaults: Vec<SubscriptionTerms>,
}

impl Default for SystemSettings {
    fn default() -> Self {
        SystemSettings {
            site_name: "QMS".into(),
            support_email: String::new(),
            default_timezone: "UTC".into(),
            retention_months: 6,
            plan_defaults: Plan::ALL
                .into_iter()
                .map(SubscriptionTerms::of_plan)
                .collect(),
        }
    }
}

impl SystemSettings {
    /// The default terms of a plan.
    pub fn terms_for(&self, plan: Plan) -> SubscriptionTerms {
        self.plan_defaults
            .iter()
            .find(|t| t.plan == plan)
            .cloned()
            .unwrap_or_else(|| SubscriptionTerms::of_plan(plan))
    }

    /// The rows to store: key and JSON value.
    pub fn to_rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("site_name".to_string(), json(&self.site_name)),
            ("support_email".to_string(), json(&self.support_email)),
            ("default_timezone".to_string(), json(&self.default_timezone)),
            ("retention_months".to_string(), json(&self.retention_months)),
        ];
        for plan in Plan::ALL {
            rows.push((
                format!("plan_defaults.{}", plan.as_str()),
                json(&self.terms_for(plan)),
            ));
        }
        rows
    }

    /// Settings from stored rows; a missing or unreadable row keeps its default.
    pub fn from_rows(rows: &[(String, String)]) -> Self {
        let mut s = SystemSettings::default();
        for (key, value) in rows {
            match key.as_str() {
                "site_name" => set(&mut s.site_name, value),
                "support_email" => set(&mut s.support_email, value),
                "default_timezone" => set(&mut s.default_timezone, value),
                "retention_months" => set(&mut s.retention_months, value),
                k => {
                    if let Some(plan) = k.strip_prefix("plan_defaults.")
                        && let Ok(plan) = plan.parse::<Plan>()
                        && let Ok(terms) = serde_json::from_str::<SubscriptionTerms>(value)
                        && terms.plan == plan
                        && let Some(slot) = s.plan_defaults.iter_mut().find(|t| t.plan == plan)
                    {
                        *slot = terms;
                    }
                }
            }
        }
        s
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn set<T: for<'de> Deserialize<'de>>(slot: &mut T, value: &str) {
    if let Ok(v) = serde_json::from_str(value) {
        *slot = v;
    }
}

/// New tenants in one week (weeks start on Monday, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WeekCount {
    pub week_start: Date,
    pub count: i64,
}

/// The platform at a glance (TSD §6.3).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PlatformStats {
    pub tenants_active: i64,
    pub tenants_inactive: i64,
    /// Every plan, in [`Plan::ALL`] order, with its number of tenants.
    pub tenants_by_plan: Vec<(Plan, i64)>,
    /// The last [`WEEKS`] weeks, oldest first, the current week last.
    pub new_tenants_per_week: Vec<WeekCount>,
    /// Queues that are active and taking customers.
    pub active_queues: i64,
    pub customers_waiting: i64,
    /// Customers seated or served since midnight UTC / the first of the month (UTC).
    pub served_today: i64,
    pub served_this_month: i64,
}

/// How many weeks [`PlatformStats::new_tenants_per_week`] covers.
pub const WEEKS: usize = 8;

/// Midnight UTC of `now`'s day.
pub fn day_start(now: OffsetDateTime) -> OffsetDateTime {
    now.to_offset(time::UtcOffset::UTC)
        .replace_time(Time::MIDNIGHT)
}

/// Midnight UTC on the first of `now`'s month.
pub fn month_start(now: OffsetDateTime) -> OffsetDateTime {
    let d = day_start(now);
    d.replace_day(1).unwrap_or(d)
}

/// Midnight UTC on the Monday of `now`'s week.
pub fn week_start(now: OffsetDateTime) -> OffsetDateTime {
    let d = day_start(now);
    d - Duration::days(i64::from(d.weekday().number_days_from_monday()))
}

/// Buckets tenant creation times into the last [`WEEKS`] weeks before `now`.
pub fn weekly_counts(created: &[OffsetDateTime], now: OffsetDateTime) -> Vec<WeekCount> {
    let this_week = week_start(now);
    (0..WEEKS)
        .rev()
        .map(|back| {
            let start = this_week - Duration::weeks(back as i64);
            let end = start + Duration::weeks(1);
            WeekCount {
                week_start: start.date(),
                count: created.iter().filter(|t| **t >= start && **t < end).count() as i64,
            }
        })
        .collect()
}

/// The first moment [`PlatformStats::new_tenants_per_week`] covers.
pub fn weeks_since(now: OffsetDateTime) -> OffsetDateTime {
    week_start(now) - Duration::weeks(WEEKS as i64 - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn calendar_boundaries_are_utc() {
        let now = datetime!(2026-11-26 15:30 +08:00); // Thursday, 07:30 UTC
        assert_eq!(day_start(now), datetime!(2026-11-26 0:00 UTC));
        assert_eq!(month_start(now), datetime!(2026-11-01 0:00 UTC));
        assert_eq!(week_start(now), datetime!(2026-11-23 0:00 UTC));
        assert_eq!(weeks_since(now), datetime!(2026-10-05 0:00 UTC));
    }

    #[test]
    fn weeks_are_bucketed_oldest_first() {
        let now = datetime!(2026-11-26 12:00 UTC);
        let created = [
            datetime!(2026-11-23 0:00 UTC),
            datetime!(2026-11-22 23:59 UTC),
            datetime!(2026-10-05 0:00 UTC),
            datetime!(2026-10-04 23:59 UTC),
        ];
        let w = weekly_counts(&created, now);
        assert_eq!(w.len(), WEEKS);
        assert_eq!(w[0].week_start, time::macros::date!(2026 - 10 - 05));
        assert_eq!(w[0].count, 1);
        assert_eq!(w[WEEKS - 2].count, 1);
        assert_eq!(w[WEEKS - 1].count, 1);
        assert_eq!(w.iter().map(|w| w.count).sum::<i64>(), 3);
    }

    #[test]
    fn settings_round_trip_and_ignore_bad_rows() {
        let mut s = SystemSettings {
            site_name: "Queues & Co".into(),
            retention_months: 12,
            ..SystemSettings::default()
        };
        s.plan_defaults[1].max_users_per_tenant = 42;
        let rows = s.to_rows();
        assert_eq!(SystemSettings::from_rows(&rows), s);
        let bad = vec![
            ("retention_months".to_string(), "\"x\"".to_string()),
            ("plan_defaults.BASIC".to_string(), "{}".to_string()),
            ("unknown".to_string(), "1".to_string()),
        ];
        assert_eq!(SystemSettings::from_rows(&bad), SystemSettings::default());
    }

    #[test]
    fn search_patterns_escape_wildcards() {
        let q = PlatformQuery {
            search: Some(" A_c%e ".into()),
            ..PlatformQuery::default()
        };
        assert_eq!(q.like_pattern().as_deref(), Some("%a\\_c\\%e%"));
        let f = PlatformAuditFilter {
            action: Some("tenant.".into()),
            ..PlatformAuditFilter::default()
        };
        assert_eq!(f.action_pattern().as_deref(), Some("tenant.%"));
    }
}
