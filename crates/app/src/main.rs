//! `qms`: the QMS server and its administration commands.
//!
//! `qms` or `qms serve` runs the server (migrating, and on an empty development database
//! seeding the demo tenant); `qms migrate`, `qms seed-demo`, `qms tenant create` and
//! `qms backoffice create-user` work on the same configured database.

mod config;
mod seed;

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};
use config::Config;
use qms_domain::Plan;
use qms_domain::tenant::validate_slug;
use qms_domain::validate::{check_password, clean_text, normalize_email};
use qms_store::{NewBackOfficeUser, NewTenant, Store, StoreError};
use std::sync::Arc;

/// Every request allocates many small buffers on both runtime threads and the database
/// threads; mimalloc spends far less time on them than glibc's allocator (docs/PERFORMANCE.md).
/// It is built without transparent huge pages (the workspace's `no_thp`), which keep idle
/// sockets' memory smaller.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "qms",
    version,
    about = "Multi-tenant queue and waitlist server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create the demo tenant and BackOffice user if they do not exist.
    SeedDemo,
    /// Tenant administration.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// BackOffice (platform operator) administration.
    #[command(subcommand)]
    Backoffice(BackofficeCommand),
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant with its subscription, first merchant and OWNER account.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner_email: String,
        #[arg(long)]
        owner_password: String,
        #[arg(long, default_value = "FREE")]
        plan: String,
        #[arg(long, default_value = "Asia/Kuala_Lumpur")]
        timezone: String,
        #[arg(long, default_value = "MY")]
        country: String,
    },
}

#[derive(Subcommand)]
enum BackofficeCommand {
    /// Create a BackOffice user.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    let config = Config::load()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            open_store(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => {
            let store = open_store(&config).await?;
            let report = seed::demo(store.as_ref(), &config).await?;
            report.print(&config);
            Ok(())
        }
        Command::Tenant(TenantCommand::Create {
            slug,
            name,
            owner_email,
            owner_password,
            plan,
            timezone,
            country,
        }) => {
            validate_slug(&slug).map_err(|e| anyhow!("invalid slug {slug:?}: {e}"))?;
            let name = clean_text(&name, 2, 100).map_err(|e| anyhow!("name {e}"))?;
            let owner_email =
                normalize_email(&owner_email).map_err(|e| anyhow!("owner email {e}"))?;
            check_password(&owner_password).map_err(|e| anyhow!("owner password {e}"))?;
            let plan: Plan = plan.parse().map_err(|e| anyhow!("{e}"))?;
            if !qms_domain::queue::is_known_timezone(&timezone) {
                return Err(anyhow!("unknown time zone {timezone:?}"));
            }
            let country = country.trim().to_ascii_uppercase();
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(anyhow!("country must be a two-letter code such as MY"));
            }
            let store = open_store(&config).await?;
            let hash = qms_web::auth::hash_password(owner_password)
                .await
                .map_err(|_| anyhow!("cannot hash the password"))?;
            let new = NewTenant {
                slug: slug.clone(),
                name,
                plan,
                timezone,
                country,
                owner_name: "Owner".into(),
                owner_email: owner_email.clone(),
                owner_password_hash: Some(hash),
            };
            match store.create_tenant(new).await {
                Ok(created) => {
                    println!("tenant {} created ({} plan)", created.tenant.slug, plan);
                    println!("  site:  {}", config.web.tenant_url(&slug));
                    println!("  owner: {owner_email}");
                    Ok(())
                }
                Err(StoreError::Taken("slug")) => Err(anyhow!("slug already taken: {slug}")),
                Err(e) => Err(e.into()),
            }
        }
        Command::Backoffice(BackofficeCommand::CreateUser {
            email,
            password,
            name,
        }) => {
            let email = normalize_email(&email).map_err(|e| anyhow!("email {e}"))?;
            check_password(&password).map_err(|e| anyhow!("password {e}"))?;
            let full_name = clean_text(&name, 1, 100).map_err(|e| anyhow!("name {e}"))?;
            let store = open_store(&config).await?;
            let password_hash = qms_web::auth::hash_password(password)
                .await
                .map_err(|_| anyhow!("cannot hash the password"))?;
            match store
                .create_backoffice_user(NewBackOfficeUser {
                    email: email.clone(),
                    full_name,
                    password_hash,
                })
                .await
            {
                Ok(_) => {
                    println!("BackOffice user {email} created");
                    Ok(())
                }
                Err(StoreError::Taken(_)) => Err(anyhow!("email already taken: {email}")),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Opens (and migrates) the configured database.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data folder {}",
                config.data_dir.display()
            )
        })?;
        let store = qms_store_sqlite::SqliteStore::connect(&config.database_url)
            .await
            .map_err(|e| anyhow!("cannot open the SQLite database: {e}"))?;
        Ok(Arc::new(store))
    } else {
        let store = qms_store_postgres::PgStore::connect_with(
            &config.database_url,
            config.database_pool_size,
        )
        .await
        .map_err(|e| anyhow!("cannot open the PostgreSQL database: {e}"))?;
        Ok(Arc::new(store))
    }
}

async fn serve(config: Config) -> Result<()> {
    init_tracing();
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| anyhow!("cannot start metrics: {e}"))?;
    let store = open_store(&config).await?;
    if store.tenant_count().await? == 0 {
        let report = seed::first_run(store.as_ref(), &config).await?;
        report.print(&config);
    }
    let state = qms_web::AppState::new(store, config.web.clone(), Some(metrics))
        .map_err(|e| anyhow!("bad configuration: {e}"))?;
    if state.realtime.is_distributed() {
        // Serve anyway when Redis is down: rooms work on this instance and join the others
        // once Redis answers.
        if !state
            .realtime
            .ready(std::time::Duration::from_secs(5))
            .await
        {
            tracing::warn!(
                "Redis does not answer yet; realtime events stay on this instance until it does"
            );
        }
    }
    let listener = match tokio::net::TcpListener::bind(("::", config.port)).await {
        Ok(l) => l,
        Err(_) => tokio::net::TcpListener::bind(("0.0.0.0", config.port))
            .await
            .with_context(|| format!("cannot listen on port {}", config.port))?,
    };
    let backend = if config.is_sqlite() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let realtime = if state.realtime.is_distributed() {
        "Socket.IO rooms across instances through Redis"
    } else {
        "Socket.IO rooms in this process"
    };
    tracing::info!(port = config.port, backend, realtime, "QMS is listening");
    println!(
        "QMS is running on port {} ({backend}; {realtime}).",
        config.port
    );
    println!(
        "  landing page: {}",
        config.web.url_for_host(&config.web.base_domain)
    );
    println!("  demo tenant:  {}", config.web.tenant_url("demo"));
    println!(
        "  backoffice:   {}/backoffice",
        config
            .web
            .url_for_host(&format!("admin.{}", config.web.base_domain))
    );
    println!(
        "  health:       {}/api/health",
        config.web.url_for_host(&config.web.base_domain)
    );
    qms_web::serve(listener, state, shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("QMS stopped");
    Ok(())
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if std::env::var("QMS_LOG_FORMAT").is_ok_and(|f| f == "json") {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
