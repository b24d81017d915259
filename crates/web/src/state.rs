//! The application state every handler can reach: the store, the settings, the tenant cache
//! and the signing keys. Cheap to clone (all shared behind `Arc`).

use crate::auth::TokenKeys;
use crate::settings::Settings;
use crate::tenancy::TenantCache;
use metrics_exporter_prometheus::PrometheusHandle;
use qms_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub tenants: Arc<TenantCache>,
    pub keys: Arc<TokenKeys>,
    pub metrics: Option<PrometheusHandle>,
}

impl AppState {
    /// Fails only when the session secret cannot make a signing key.
    pub fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        metrics: Option<PrometheusHandle>,
    ) -> Result<Self, jsonwebtoken::errors::Error> {
        let keys = TokenKeys::new(&settings.session_secret)?;
        Ok(AppState {
            store,
            settings: Arc::new(settings),
            tenants: Arc::new(TenantCache::default()),
            keys: Arc::new(keys),
            metrics,
        })
    }
}
