//! Run-time settings of the web application. The `qms` binary builds them from defaults, an
//! optional `qms.toml` and the environment; tests build them directly.

use std::net::IpAddr;
use std::time::Duration;

/// Development or production: production insists on explicit secrets and secure cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone)]
pub struct Settings {
    /// Tenants live at `{slug}.{base_domain}`; the BackOffice at `admin.{base_domain}`.
    pub base_domain: String,
    /// The port the server listens on, used when building absolute links.
    pub public_port: Option<u16>,
    pub environment: Environment,
    /// Secret for signing sessions and API tokens. Never logged.
    pub session_secret: String,
    /// Lifetime of the API tokens answered by `POST /api/auth/login`.
    pub api_token_ttl: Duration,
    /// How often a staff socket's sign-in is checked again (session ended or expired,
    /// account deactivated); the socket is disconnected when it no longer holds.
    pub staff_socket_recheck: Duration,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// When set, `/metrics` needs `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// The mail server for invitations and password resets (`smtp://…`); none disables e-mail.
    pub smtp_url: Option<String>,
    /// The sender of e-mail.
    pub mail_from: String,
    /// How tenants' subdomains are provisioned (`DOMAIN_PROVISIONER`, `RENDER_*`).
    pub domain_provisioner: crate::provision::ProvisionerConfig,
    /// The data folder: the SQLite file by default, and the logos uploaded before they moved
    /// into the database (under `uploads/`, still served).
    pub data_dir: std::path::PathBuf,
    /// Redis for Socket.IO rooms across instances (`redis://…`); none keeps rooms in-process.
    /// May hold a password: never logged.
    pub redis_url: Option<String>,
    /// Prefix of the Redis channels, so that deployments sharing one Redis stay apart.
    pub redis_prefix: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("base_domain", &self.base_domain)
            .field("public_port", &self.public_port)
            .field("environment", &self.environment)
            .field("session_secret", &"<redacted>")
            .field("api_token_ttl", &self.api_token_ttl)
            .field("staff_socket_recheck", &self.staff_socket_recheck)
            .field("trusted_proxies", &self.trusted_proxies)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("domain_provisioner", &self.domain_provisioner)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Settings {
    /// Settings for tests and local runs: `localhost`, development mode, the given secret.
    pub fn local(session_secret: impl Into<String>) -> Self {
        Settings {
            base_domain: "localhost".into(),
            public_port: None,
            environment: Environment::Development,
            session_secret: session_secret.into(),
            api_token_ttl: Duration::from_secs(15 * 60),
            staff_socket_recheck: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
            metrics_token: None,
            smtp_url: None,
            mail_from: "QMS <no-reply@localhost.localdomain>".into(),
            domain_provisioner: Default::default(),
            data_dir: "./data".into(),
            redis_url: None,
            redis_prefix: "qms".into(),
        }
    }

    /// `http://{host}:{port}` for links printed or e-mailed (https in production).
    pub fn url_for_host(&self, host: &str) -> String {
        let scheme = match self.environment {
            Environment::Production => "https",
            Environment::Development => "http",
        };
        match self.public_port {
            Some(p) if !(p == 80 && scheme == "http" || p == 443 && scheme == "https") => {
                format!("{scheme}://{host}:{p}")
            }
            _ => format!("{scheme}://{host}"),
        }
    }

    pub fn tenant_url(&self, slug: &str) -> String {
        self.url_for_host(&format!("{slug}.{}", self.base_domain))
    }
}
