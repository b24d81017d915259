//! The application state every handler can reach: the store, the settings, the tenant cache,
//! the signing keys and the realtime server. Cheap to clone (all shared behind `Arc`).

use crate::auth::{StaffCache, TokenKeys};
use crate::limits::Limits;
use crate::mail::{Mailer, NoMailer, SmtpMailer};
use crate::realtime::Realtime;
use crate::settings::Settings;
use crate::tenancy::TenantCache;
use metrics_exporter_prometheus::PrometheusHandle;
use qms_store::Store;
use std::ops::Deref;
use std::sync::Arc;

/// Cloned by every layer and extractor of every request, so it is one pointer: cloning it is
/// one reference count, not one per part. Fields are reached through [`Deref`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What every handler can reach (see [`AppState`]).
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub tenants: Arc<TenantCache>,
    /// Staff accounts read by recent requests (see [`StaffCache`]).
    pub staff: Arc<StaffCache>,
    pub keys: Arc<TokenKeys>,
    pub metrics: Option<PrometheusHandle>,
    pub limits: Arc<Limits>,
    pub mailer: Arc<dyn Mailer>,
    /// Makes tenants' host names reach us (TSD §5.2).
    pub provisioner: Arc<dyn crate::provision::DomainProvisioner>,
    /// Background jobs' and components' last outcomes.
    pub jobs: Arc<crate::jobs::Jobs>,
    /// The Socket.IO server (rooms, events, fan-out across instances).
    pub realtime: Realtime,
}

impl AppState {
    /// Fails when the session secret cannot make a signing key, the mail settings are bad or
    /// `REDIS_URL` is not a Redis URL. Call inside a Tokio runtime (realtime starts its worker).
    pub fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        metrics: Option<PrometheusHandle>,
    ) -> Result<Self, String> {
        let keys =
            TokenKeys::new(&settings.session_secret).map_err(|e| format!("SESSION_SECRET: {e}"))?;
        let mailer: Arc<dyn Mailer> = match &settings.smtp_url {
            Some(url) => Arc::new(
                SmtpMailer::new(url, &settings.mail_from)
                    .map_err(|e| format!("SMTP_URL/MAIL_FROM: {e}"))?,
            ),
            None => Arc::new(NoMailer),
        };
        let provisioner = crate::provision::from_config(&settings.domain_provisioner)
            .map_err(|e| format!("DOMAIN_PROVISIONER: {e}"))?;
        let realtime = Realtime::new(&settings)?;
        let state = AppState(Arc::new(Shared {
            store,
            settings: Arc::new(settings),
            tenants: Arc::new(TenantCache::default()),
            staff: Arc::default(),
            keys: Arc::new(keys),
            metrics,
            limits: Arc::new(Limits::default()),
            mailer,
            provisioner,
            jobs: Arc::default(),
            realtime,
        }));
        state.realtime.start(state.clone());
        Ok(state)
    }
}
