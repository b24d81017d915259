//! Tenants: their ids, subdomain slugs and subscription plans with the limits of TSD §2.1.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The id of a tenant. Every tenant-scoped storage method takes one as its first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub Uuid);

impl TenantId {
    pub fn new() -> Self {
        TenantId(Uuid::now_v7())
    }
}

impl Default for TenantId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Host labels that can never be a tenant's slug.
pub const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "backoffice",
    "billing",
    "blog",
    "cdn",
    "dashboard",
    "demo-admin",
    "dev",
    "docs",
    "ftp",
    "help",
    "internal",
    "mail",
    "metrics",
    "ns1",
    "ns2",
    "root",
    "smtp",
    "static",
    "staging",
    "status",
    "support",
    "test",
    "www",
];

/// Why a slug cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("slug must be 3-50 characters of a-z, 0-9 and '-', not starting or ending with '-'")]
    Invalid,
    #[error("slug is reserved")]
    Reserved,
}

/// Checks a subdomain slug: 3–50 characters `[a-z0-9-]`, no leading/trailing hyphen, not reserved.
pub fn validate_slug(slug: &str) -> Result<(), SlugError> {
    let ok_len = (3..=50).contains(&slug.len());
    let ok_chars = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok_len || !ok_chars || slug.starts_with('-') || slug.ends_with('-') {
        return Err(SlugError::Invalid);
    }
    if RESERVED_SLUGS.contains(&slug) {
        return Err(SlugError::Reserved);
    }
    Ok(())
}

/// A subscription plan (TSD §7.3 names them; §2.1 gives the limits they carry).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, Default,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Plan {
    #[default]
    Free,
    Basic,
    Premium,
    Enterprise,
}

/// What a plan allows: the TenantSubscription limits and feature flags of TSD §2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanLimits {
    pub max_merchants: i32,
    pub max_queues_per_merchant: i32,
    pub max_users_per_tenant: i32,
    pub ai_features: bool,
    pub analytics: bool,
    pub custom_branding: bool,
    pub priority_support: bool,
    /// Requests per client per 15 minutes (TSD §7.3).
    pub requests_per_window: u32,
}

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Free, Plan::Basic, Plan::Premium, Plan::Enterprise];

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "FREE",
            Plan::Basic => "BASIC",
            Plan::Premium => "PREMIUM",
            Plan::Enterprise => "ENTERPRISE",
        }
    }

    /// The default limits a new subscription on this plan starts with (editable afterwards).
    pub fn limits(self) -> PlanLimits {
        let (m, q, u, ai, an, cb, ps, rpw) = match self {
            Plan::Free => (1, 3, 5, false, false, false, false, 100),
            Plan::Basic => (1, 5, 10, false, true, false, false, 500),
            Plan::Premium => (3, 10, 25, true, true, true, false, 2000),
            Plan::Enterprise => (20, 50, 200, true, true, true, true, 10000),
        };
        PlanLimits {
            max_merchants: m,
            max_queues_per_merchant: q,
            max_users_per_tenant: u,
            ai_features: ai,
            analytics: an,
            custom_branding: cb,
            priority_support: ps,
            requests_per_window: rpw,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Plan {
    type Err = UnknownPlan;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Plan::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownPlan)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("plan must be one of FREE, BASIC, PREMIUM, ENTERPRISE")]
pub struct UnknownPlan;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_rules() {
        assert_eq!(validate_slug("demo"), Ok(()));
        assert_eq!(validate_slug("my-cafe-2"), Ok(()));
        assert_eq!(validate_slug("ab"), Err(SlugError::Invalid));
        assert_eq!(validate_slug(&"a".repeat(51)), Err(SlugError::Invalid));
        assert_eq!(validate_slug("Demo"), Err(SlugError::Invalid));
        assert_eq!(validate_slug("-abc"), Err(SlugError::Invalid));
        assert_eq!(validate_slug("abc-"), Err(SlugError::Invalid));
        assert_eq!(validate_slug("caf\u{e9}"), Err(SlugError::Invalid));
        assert_eq!(validate_slug("admin"), Err(SlugError::Reserved));
        assert_eq!(validate_slug("www"), Err(SlugError::Reserved));
    }

    #[test]
    fn bigger_plans_allow_more() {
        let mut last = 0;
        for plan in Plan::ALL {
            let l = plan.limits();
            assert!(l.requests_per_window > last);
            last = l.requests_per_window;
        }
        assert_eq!(Plan::Free.limits().requests_per_window, 100);
        assert_eq!(Plan::Enterprise.limits().requests_per_window, 10000);
    }
}
