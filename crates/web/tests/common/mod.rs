//! A running QMS app for API tests: the real router on a loopback port over a fresh
//! [`TestDb`], and a client that addresses tenants by `Host` header.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod external;

use qms_domain::Plan;
use qms_store::Store;
use qms_testkit::{TestDb, new_tenant, open_queue};
use qms_web::{AppState, Settings};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub db: TestDb,
    pub mail: qms_testkit::smtp::SmtpSink,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// A tenant made for a test, with an owner who can sign in with [`PASSWORD`].
#[derive(Debug, Clone)]
pub struct Tenant {
    pub slug: String,
    pub tenant: qms_domain::TenantId,
    pub merchant: Uuid,
    pub queue: Uuid,
    pub owner_email: String,
    pub token: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// The app with its settings adjusted. Requests come from 127.0.0.1, which is a trusted
    /// proxy here, so a test can act as many clients by sending `X-Forwarded-For`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let db = TestDb::new().await;
        let mail = qms_testkit::smtp::SmtpSink::start().await;
        let mut settings = Settings::local("test-secret-0123456789abcdef0123456789");
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        settings.smtp_url = Some(mail.url());
        adjust(&mut settings);
        let (addr, tx) = start_server(db.store.clone(), settings).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            db,
            mail,
            addr,
            client,
            shutdown: Some(tx),
        }
    }

    /// A second instance of the app on the same database (as another `qms` process would
    /// be), with its own settings; it stops when the answer is dropped.
    pub async fn another_instance(&self, adjust: impl FnOnce(&mut Settings)) -> Instance {
        let mut settings = Settings::local("test-secret-0123456789abcdef0123456789");
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        adjust(&mut settings);
        let (addr, tx) = start_server(self.db.another_store().await, settings).await;
        Instance {
            addr,
            _shutdown: tx,
        }
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.db.store.clone()
    }

    /// A request to `path` on `host` (e.g. `demo.localhost`).
    pub fn on(&self, host: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("http://{}{}", self.addr, path))
            .header(reqwest::header::HOST, host)
    }

    /// Creates a tenant with an open queue "Main" and signs its owner in.
    pub async fn tenant(&self, slug: &str) -> Tenant {
        self.tenant_with_plan(slug, Plan::Enterprise).await
    }

    pub async fn tenant_with_plan(&self, slug: &str, plan: Plan) -> Tenant {
        let owner_email = format!("owner@{slug}.example");
        let mut new = new_tenant(slug, plan, &owner_email);
        new.owner_password_hash = Some(
            qms_web::auth::hash_password(PASSWORD.into())
                .await
                .expect("hash"),
        );
        let created = self.db.store.create_tenant(new).await.expect("tenant");
        let queue = self
            .db
            .store
            .create_queue(
                created.tenant.id,
                created.merchant.id,
                open_queue("Main"),
                &qms_store::Actor::system(),
            )
            .await
            .expect("queue");
        let token = self.login(slug, &owner_email, PASSWORD).await;
        Tenant {
            slug: slug.to_string(),
            tenant: created.tenant.id,
            merchant: created.merchant.id,
            queue: queue.id,
            owner_email,
            token,
        }
    }

    pub async fn login(&self, slug: &str, email: &str, password: &str) -> String {
        let res = self
            .on(&host(slug), Method::POST, "/api/auth/login")
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), StatusCode::OK, "login of {email} failed");
        let body: Value = res.json().await.expect("login body");
        body["token"].as_str().expect("token").to_string()
    }

    /// A staff request with the tenant's owner token.
    pub fn staff(&self, t: &Tenant, method: Method, path: &str) -> RequestBuilder {
        self.on(&host(&t.slug), method, path).bearer_auth(&t.token)
    }

    /// A public request on the tenant's host.
    pub fn public(&self, t: &Tenant, method: Method, path: &str) -> RequestBuilder {
        self.on(&host(&t.slug), method, path)
    }

    /// Joins the tenant's queue with a name and phone (as a client of its own address);
    /// answers the entry JSON.
    pub async fn join(&self, t: &Tenant, name: &str, phone: &str) -> Value {
        let res = self
            .public(t, Method::POST, &format!("/api/queues/{}/join", t.queue))
            .header("x-forwarded-for", client_address(phone))
            .json(
                &serde_json::json!({"customerName": name, "customerPhone": phone, "partySize": 2}),
            )
            .send()
            .await
            .expect("join");
        assert_eq!(res.status(), StatusCode::CREATED, "join of {name}");
        res.json().await.expect("join body")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Another instance of the app (see [`TestApp::another_instance`]).
pub struct Instance {
    pub addr: SocketAddr,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Serves the app over `store` on a loopback port once its realtime server is ready.
async fn start_server(
    store: Arc<dyn Store>,
    settings: Settings,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let state = AppState::new(store, settings, None).expect("state");
    state
        .realtime
        .ready(std::time::Duration::from_secs(10))
        .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = qms_web::serve(listener, state, async {
            let _ = rx.await;
        })
        .await;
    });
    (addr, tx)
}

pub fn host(slug: &str) -> String {
    format!("{slug}.localhost")
}

/// Sends and answers (status, JSON body or Null).
pub async fn call(req: RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, body)
}

/// A distinct valid Malaysian mobile number for each n.
pub fn phone(n: u32) -> String {
    qms_testkit::phone(n)
}

/// A distinct documentation address (198.18.0.0/15) per key, to act as many clients.
pub fn client_address(key: &str) -> String {
    let h = key
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!(
        "198.{}.{}.{}",
        18 + (h >> 16) % 2,
        (h >> 8) % 256,
        h % 254 + 1
    )
}
