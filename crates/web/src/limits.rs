//! Rate limits (TSD §7.3, stricter): per tenant and client address by plan for the API, per
//! address and per phone for public joins, per address and per account for sign-in and
//! password-reset requests. Counters live in this instance's memory (GCRA via `governor`); the
//! per-account lock-out after failed sign-ins is stored with the account, so it holds across
//! instances.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use qms_domain::{Plan, TenantId};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// The plan window of TSD §7.3.
pub const PLAN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins before an account or address is locked out, and for how long.
pub const LOGIN_FAILURES: u32 = 10;
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// One keyed limiter: `burst` requests per `window`, refilled evenly.
pub struct Limiter<K: Hash + Eq + Clone> {
    inner: Keyed<K>,
    limit: u32,
    window: Duration,
}

/// The outcome of one check, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window is full again (allowed) or until a retry can pass (refused).
    pub reset_secs: u64,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn new(limit: u32, window: Duration) -> Self {
        let burst = NonZeroU32::new(limit.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(window / burst.get())
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst);
        Limiter {
            inner: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            limit: burst.get(),
            window,
        }
    }

    /// Counts one request for `key`.
    pub fn check(&self, key: &K) -> Decision {
        let per_cell = self.window.as_secs_f64() / f64::from(self.limit);
        match self.inner.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = self.limit.saturating_sub(remaining);
                Decision {
                    allowed: true,
                    limit: self.limit,
                    remaining,
                    reset_secs: (f64::from(used) * per_cell).ceil() as u64,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Decision {
                    allowed: false,
                    limit: self.limit,
                    remaining: 0,
                    reset_secs: wait.as_secs().max(1),
                }
            }
        }
    }

    /// Forgets keys whose buckets are full again (keeps memory bounded).
    pub fn prune(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

/// Every limiter of one instance.
pub struct Limits {
    plans: [Limiter<(TenantId, IpAddr)>; 4],
    pub join_per_ip: Limiter<(TenantId, IpAddr)>,
    pub join_per_phone: Limiter<(TenantId, String)>,
    pub login_failures_per_ip: Limiter<IpAddr>,
    pub reset_per_ip: Limiter<IpAddr>,
    pub reset_per_account: Limiter<(TenantId, String)>,
    locked_ips: std::sync::RwLock<std::collections::HashMap<IpAddr, std::time::Instant>>,
}

impl Default for Limits {
    fn default() -> Self {
        let plan = |p: Plan| Limiter::new(p.limits().requests_per_window, PLAN_WINDOW);
        Limits {
            plans: [
                plan(Plan::Free),
                plan(Plan::Basic),
                plan(Plan::Premium),
                plan(Plan::Enterprise),
            ],
            join_per_ip: Limiter::new(30, Duration::from_secs(10 * 60)),
            join_per_phone: Limiter::new(5, Duration::from_secs(15 * 60)),
            login_failures_per_ip: Limiter::new(LOGIN_FAILURES, LOCKOUT),
            reset_per_ip: Limiter::new(5, Duration::from_secs(15 * 60)),
            reset_per_account: Limiter::new(3, Duration::from_secs(15 * 60)),
            locked_ips: Default::default(),
        }
    }
}

impl Limits {
    /// Counts one API request of a client of a tenant against the tenant's plan.
    pub fn plan(&self, plan: Plan, tenant: TenantId, ip: IpAddr) -> Decision {
        let i = match plan {
            Plan::Free => 0,
            Plan::Basic => 1,
            Plan::Premium => 2,
            Plan::Enterprise => 3,
        };
        self.plans[i].check(&(tenant, ip))
    }

    /// True while `ip` has used up its failed sign-ins. Does not count anything.
    pub fn login_locked(&self, ip: IpAddr) -> bool {
        self.locked_ips
            .read()
            .map(|m| {
                m.get(&ip)
                    .is_some_and(|until| *until > std::time::Instant::now())
            })
            .unwrap_or(false)
    }

    /// Records a failed sign-in from `ip`; answers true when the address is now locked out.
    pub fn login_failed(&self, ip: IpAddr) -> bool {
        let decision = self.login_failures_per_ip.check(&ip);
        if !decision.allowed || decision.remaining == 0 {
            if let Ok(mut m) = self.locked_ips.write() {
                m.insert(ip, std::time::Instant::now() + LOCKOUT);
            }
            return true;
        }
        false
    }

    pub fn prune(&self) {
        for l in &self.plans {
            l.prune();
        }
        self.join_per_ip.prune();
        self.join_per_phone.prune();
        self.login_failures_per_ip.prune();
        self.reset_per_ip.prune();
        self.reset_per_account.prune();
        if let Ok(mut m) = self.locked_ips.write() {
            let now = std::time::Instant::now();
            m.retain(|_, until| *until > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limiter_allows_its_burst_then_refuses() {
        let l = Limiter::new(3, Duration::from_secs(900));
        let k = "client";
        let d: Vec<_> = (0..4).map(|_| l.check(&k)).collect();
        assert!(d[..3].iter().all(|d| d.allowed));
        assert_eq!(
            d.iter().map(|d| d.remaining).collect::<Vec<_>>(),
            vec![2, 1, 0, 0]
        );
        assert!(!d[3].allowed);
        assert!(d[3].reset_secs >= 1 && d[3].reset_secs <= 300);
        assert!(l.check(&"other").allowed, "keys are independent");
    }

    #[test]
    fn plans_differ() {
        let limits = Limits::default();
        let t = TenantId::new();
        let ip: IpAddr = [192, 0, 2, 1].into();
        assert_eq!(limits.plan(Plan::Free, t, ip).limit, 100);
        assert_eq!(limits.plan(Plan::Enterprise, t, ip).limit, 10_000);
    }

    #[test]
    fn ten_failures_lock_an_address() {
        let limits = Limits::default();
        let ip: IpAddr = [192, 0, 2, 2].into();
        assert!(!limits.login_locked(ip));
        let locked: Vec<_> = (0..LOGIN_FAILURES)
            .map(|_| limits.login_failed(ip))
            .collect();
        assert!(locked[..LOGIN_FAILURES as usize - 1].iter().all(|l| !l));
        assert!(locked[LOGIN_FAILURES as usize - 1]);
        assert!(limits.login_locked(ip));
    }
}
