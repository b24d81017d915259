//! Configuration: defaults, then an optional `qms.toml` (or the file named by `QMS_CONFIG`),
//! then the environment. A bad value stops start-up with one line naming the setting.

use anyhow::{Context, Result, anyhow, bail};
use qms_web::provision::ProvisionerConfig;
use qms_web::{Environment, Settings};
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Everything the binary needs to run.
pub struct Config {
    pub port: u16,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// PostgreSQL connections per instance (`DATABASE_POOL_SIZE`); `None`: the store's default.
    pub database_pool_size: Option<u32>,
    pub redis_url: Option<String>,
    pub web: Settings,
}

/// The optional `qms.toml`; every key may be left out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    port: Option<u16>,
    base_domain: Option<String>,
    database_url: Option<String>,
    database_pool_size: Option<u32>,
    redis_url: Option<String>,
    session_secret: Option<String>,
    environment: Option<String>,
    data_dir: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    metrics_token: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    domain_provisioner: Option<String>,
    render_api_url: Option<String>,
    render_api_key: Option<String>,
    render_service_id: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn load() -> Result<Config> {
        let file = match env("QMS_CONFIG") {
            Some(path) => read_file(Path::new(&path))?,
            None if Path::new("qms.toml").exists() => read_file(Path::new("qms.toml"))?,
            None => FileConfig::default(),
        };
        let domain_provisioner = provisioner(&file)?;
        let port = match env("PORT") {
            Some(p) => p
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| anyhow!("PORT must be a number from 1 to 65535 (got {p:?})"))?,
            None => file.port.unwrap_or(3000),
        };
        let environment = match env("QMS_ENV").or(file.environment) {
            None => Environment::Development,
            Some(e) => match e.trim().to_ascii_lowercase().as_str() {
                "development" | "dev" => Environment::Development,
                "production" | "prod" => Environment::Production,
                _ => bail!("QMS_ENV must be development or production (got {e:?})"),
            },
        };
        let data_dir = PathBuf::from(
            env("QMS_DATA_DIR")
                .or(file.data_dir)
                .unwrap_or_else(|| "./data".into()),
        );
        let database_url = env("DATABASE_URL")
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("qms.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("DATABASE_URL must start with sqlite:// or postgres:// (got another scheme)");
        }
        let redis_url = env("REDIS_URL").or(file.redis_url);
        if let Some(r) = &redis_url
            && !(r.starts_with("redis://") || r.starts_with("rediss://"))
        {
            bail!("REDIS_URL must start with redis:// or rediss://");
        }
        let base_domain = env("BASE_DOMAIN")
            .or(file.base_domain)
            .unwrap_or_else(|| "localhost".into());
        let base_domain = base_domain
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if base_domain.is_empty()
            || !base_domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            bail!("BASE_DOMAIN must be a host name such as localhost or queues.example.com");
        }
        let session_secret = match env("SESSION_SECRET").or(file.session_secret) {
            Some(s) if s.len() >= 32 => s,
            Some(_) => bail!("SESSION_SECRET must be at least 32 characters"),
            None if environment == Environment::Production => {
                bail!(
                    "SESSION_SECRET is required when QMS_ENV=production (at least 32 random characters)"
                )
            }
            None => local_secret(&data_dir)?,
        };
        let trusted_proxies = match env("TRUSTED_PROXIES") {
            Some(list) => list
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            None => file.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<IpAddr>()
                    .map(|ip| ip.to_canonical())
                    .map_err(|_| anyhow!("TRUSTED_PROXIES: {p:?} is not an IP address"))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut web = Settings::local(session_secret);
        web.base_domain = base_domain;
        web.public_port = Some(port);
        web.environment = environment;
        web.trusted_proxies = trusted_proxies;
        web.data_dir = data_dir.clone();
        web.metrics_token = env("METRICS_TOKEN").or(file.metrics_token);
        web.smtp_url = env("SMTP_URL").or(file.smtp_url);
        if let Some(url) = &web.smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            bail!("SMTP_URL must start with smtp:// or smtps://");
        }
        web.redis_url = redis_url.clone();
        if let Some(prefix) = env("REDIS_PREFIX") {
            if prefix.is_empty() || prefix.contains('#') {
                bail!("REDIS_PREFIX must be a non-empty name without '#'");
            }
            web.redis_prefix = prefix;
        }
        if let Some(from) = env("MAIL_FROM").or(file.mail_from) {
            web.mail_from = from;
        }
        web.domain_provisioner = domain_provisioner;
        let database_pool_size = match env("DATABASE_POOL_SIZE") {
            Some(n) => Some(
                n.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        anyhow!("DATABASE_POOL_SIZE must be a number from 1 to 1000 (got {n:?})")
                    })?,
            ),
            None => file.database_pool_size,
        };
        Ok(Config {
            port,
            data_dir,
            database_url,
            database_pool_size,
            redis_url,
            web,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

/// `DOMAIN_PROVISIONER=none|ask|render` and, for `render`, `RENDER_API_KEY`,
/// `RENDER_SERVICE_ID` and optionally `RENDER_API_URL` (TSD §5.2).
fn provisioner(file: &FileConfig) -> Result<ProvisionerConfig> {
    let kind = env("DOMAIN_PROVISIONER")
        .or(file.domain_provisioner.clone())
        .unwrap_or_else(|| "none".into());
    Ok(match kind.trim().to_ascii_lowercase().as_str() {
        "none" => ProvisionerConfig::None,
        "ask" | "caddy" => ProvisionerConfig::Ask,
        "render" => {
            let api_key = env("RENDER_API_KEY")
                .or(file.render_api_key.clone())
                .ok_or_else(|| anyhow!("DOMAIN_PROVISIONER=render needs RENDER_API_KEY"))?;
            let service_id = env("RENDER_SERVICE_ID")
                .or(file.render_service_id.clone())
                .ok_or_else(|| anyhow!("DOMAIN_PROVISIONER=render needs RENDER_SERVICE_ID"))?;
            let api_url = env("RENDER_API_URL")
                .or(file.render_api_url.clone())
                .unwrap_or_else(|| qms_web::provision::RENDER_API_URL.into());
            if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
                bail!(
                    "RENDER_API_URL must start with https:// (or http:// for a local test server)"
                );
            }
            if !service_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                bail!("RENDER_SERVICE_ID must be a service id such as srv-abc123");
            }
            ProvisionerConfig::Render {
                api_url,
                api_key,
                service_id,
            }
        }
        other => bail!("DOMAIN_PROVISIONER must be none, ask or render (got {other:?})"),
    })
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow!("{}: {}", path.display(), e.message()))
}

/// The development secret kept in the data folder, made on first start.
fn local_secret(data_dir: &Path) -> Result<String> {
    let path = data_dir.join("session_secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if s.len() >= 32 {
            return Ok(s);
        }
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let bytes: [u8; 32] = rand::random();
    let secret = hex::encode(bytes);
    std::fs::write(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(secret)
}
