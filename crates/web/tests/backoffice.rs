//! The BackOffice through HTTP: who can reach it from which host, tenants created, switched
//! and deleted through its forms (with the audit rows each action leaves), provisioning against
//! a local server speaking Render's custom-domain API, the Caddy "ask" endpoint, operators'
//! lock-out and TOTP, and the browser walk-through of the issue (`e2e/backoffice.mjs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::external::{Requirement, require, run};
use common::{PASSWORD, TestApp, call, host};
use qms_store::{NewBackOfficeUser, PlatformAuditFilter, TenantId};
use reqwest::{Method, StatusCode};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

const ADMIN: &str = "admin.localhost";
const OPS_EMAIL: &str = "ops@platform.example";

async fn operator(app: &TestApp) {
    app.store()
        .create_backoffice_user(NewBackOfficeUser {
            email: OPS_EMAIL.into(),
            full_name: "Ops".into(),
            password_hash: qms_web::auth::hash_password(PASSWORD.into()).await.unwrap(),
        })
        .await
        .unwrap();
}

/// The session cookie a response sets.
fn cookie_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("qms_session=") && !v.starts_with("qms_session=;"))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// The `_csrf` value of the first form of a page.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").expect("a CSRF field") + 20;
    html[at..].split('"').next().unwrap().to_string()
}

/// A signed-in operator's browser: its cookie and CSRF token.
struct Console<'a> {
    app: &'a TestApp,
    host: String,
    cookie: String,
    csrf: String,
}

impl<'a> Console<'a> {
    async fn sign_in(app: &'a TestApp, host: &str) -> Console<'a> {
        let res = app
            .on(host, Method::POST, "/backoffice/login")
            .form(&[("email", OPS_EMAIL), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "operator sign-in");
        assert_eq!(res.headers()["location"], "/backoffice");
        let cookie = cookie_of(&res).expect("a session cookie");
        let mut c = Console {
            app,
            host: host.to_string(),
            cookie,
            csrf: String::new(),
        };
        let page = c.get("/backoffice").await;
        c.csrf = csrf_of(&page);
        c
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .on(&self.host, method, path)
            .header("cookie", &self.cookie)
    }

    /// A page that must answer 200.
    async fn get(&self, path: &str) -> String {
        let res = self.req(Method::GET, path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.text().await.unwrap()
    }

    /// Posts a form with the CSRF token; answers status, location and body.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", &self.csrf)];
        fields.extend_from_slice(form);
        let res = self
            .req(Method::POST, path)
            .form(&fields)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, location, res.text().await.unwrap())
    }

    async fn create(&self, slug: &str, plan: &str, owner: &str) -> (StatusCode, String) {
        let (status, _, body) = self
            .post(
                "/backoffice/tenants/create",
                &[
                    ("name", &format!("{slug} Foods")),
                    ("slug", slug),
                    ("plan", plan),
                    ("status", "active"),
                    ("max_merchants", "1"),
                    ("max_queues_per_merchant", "4"),
                    ("max_users_per_tenant", "9"),
                    ("analytics", "on"),
                    ("owner_name", "Ann Owner"),
                    ("owner_email", owner),
                    ("timezone", "Asia/Kuala_Lumpur"),
                    ("country", "my"),
                    ("domain", ""),
                ],
            )
            .await;
        (status, body)
    }

    async fn tenant_id(&self, slug: &str) -> TenantId {
        self.app
            .store()
            .tenant_by_slug(slug)
            .await
            .unwrap()
            .expect("tenant")
            .id
    }
}

async fn status_of(app: &TestApp, host: &str, path: &str) -> StatusCode {
    app.on(host, Method::GET, path)
        .send()
        .await
        .unwrap()
        .status()
}

/// Every page route of the BackOffice (ids filled with a real tenant's and user's).
fn console_paths(tenant: TenantId, user: uuid::Uuid) -> Vec<(Method, String)> {
    let mut paths: Vec<(Method, String)> = [
        "/backoffice",
        "/backoffice/dashboard",
        "/backoffice/tenants",
        "/backoffice/tenants/create",
        "/backoffice/users",
        "/backoffice/merchants",
        "/backoffice/audit-logs",
        "/backoffice/settings",
        "/backoffice/account/totp",
    ]
    .into_iter()
    .map(|p| (Method::GET, p.to_string()))
    .collect();
    paths.push((Method::GET, format!("/backoffice/tenants/{tenant}")));
    paths.push((Method::GET, format!("/backoffice/tenants/{tenant}/edit")));
    paths.push((Method::GET, format!("/backoffice/users/{user}")));
    for p in ["toggle", "delete", "provision", "edit"] {
        paths.push((Method::POST, format!("/backoffice/tenants/{tenant}/{p}")));
    }
    paths.push((Method::POST, format!("/backoffice/users/{user}/toggle")));
    paths.push((Method::POST, "/backoffice/tenants/create".into()));
    paths.push((Method::POST, "/backoffice/settings".into()));
    paths.push((Method::POST, "/backoffice/logout".into()));
    paths
}

#[tokio::test]
async fn only_operators_reach_the_console_and_only_on_console_hosts() {
    let app = TestApp::spawn().await;
    operator(&app).await;
    let t = app.tenant("acme").await;
    let owner = app
        .store()
        .user_by_email(t.tenant, &t.owner_email)
        .await
        .unwrap()
        .unwrap();

    // A tenant owner's browser session on its own host.
    let res = app
        .on(&host("acme"), Method::POST, "/auth/login")
        .form(&[("email", t.owner_email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let staff_cookie = cookie_of(&res).unwrap();
    let console = Console::sign_in(&app, ADMIN).await;

    let before = app
        .store()
        .backoffice_audit_logs(&PlatformAuditFilter::default())
        .await
        .unwrap()
        .total;
    for (method, path) in console_paths(t.tenant, owner.id) {
        // Nobody, a tenant's staff session (with its own CSRF token), a tenant's API token:
        // never the console, on any host.
        for console_host in [ADMIN, "localhost", "localhost:3000", "127.0.0.1"] {
            for who in ["nobody", "staff", "bearer"] {
                let mut req = app
                    .on(console_host, method.clone(), &path)
                    .header("x-forwarded-for", "198.18.0.9");
                req = match who {
                    "staff" => req.header("cookie", &staff_cookie),
                    "bearer" => req.bearer_auth(&t.token),
                    _ => req,
                };
                if method == Method::POST {
                    req = req.form(&[("confirm", "acme"), ("_csrf", "x")]);
                }
                let res = req.send().await.unwrap();
                let status = res.status();
                let location = res
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_string());
                let body = res.text().await.unwrap();
                let refused = (status == StatusCode::SEE_OTHER
                    && location.as_deref() == Some("/backoffice/login"))
                    || status == StatusCode::FORBIDDEN;
                assert!(
                    refused,
                    "{method} {path} on {console_host} as {who}: {status} {location:?}"
                );
                assert!(!body.contains("acme Foods") && !body.contains(&t.owner_email));
            }
        }
        // On a tenant's host the console does not exist, even for an operator.
        let res = app
            .on(&host("acme"), method.clone(), &path)
            .header("cookie", &console.cookie)
            .form(&[("_csrf", console.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{method} {path} on acme"
        );
    }
    // Nothing above changed anything.
    assert!(
        app.store()
            .tenant_by_slug("acme")
            .await
            .unwrap()
            .unwrap()
            .is_active
    );
    let after = app
        .store()
        .backoffice_audit_logs(&PlatformAuditFilter::default())
        .await
        .unwrap()
        .total;
    assert_eq!(after, before);

    // The slug check answers JSON 401 to anyone but an operator.
    let (status, body) = call(
        app.on(ADMIN, Method::GET, "/backoffice/tenants/check-slug?slug=x")
            .header("cookie", &staff_cookie),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");

    // The operator's session is worthless on a tenant's host.
    let (status, _) = call(
        app.on(&host("acme"), Method::GET, "/api/queues")
            .header("cookie", &console.cookie),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let res = app
        .on(&host("acme"), Method::GET, "/api/auth/session")
        .header("cookie", &console.cookie)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());

    // The operator reaches every page, on the admin host and on the bare domain.
    for path in ["/backoffice", "/backoffice/tenants", "/backoffice/users"] {
        console.get(path).await;
    }
    let bare = Console::sign_in(&app, "localhost").await;
    assert!(bare.get("/backoffice/tenants").await.contains("acme"));
    assert_eq!(
        app.on(ADMIN, Method::GET, "/")
            .send()
            .await
            .unwrap()
            .headers()["location"],
        "/backoffice"
    );
    let res = console
        .req(Method::GET, "/backoffice/tenants")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");

    // Sessions of operators expire after 15 idle minutes at most.
    let id = console.cookie.trim_start_matches("qms_session=");
    let record = app
        .store()
        .session_load(
            &qms_web::session::hash_secret(id),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(record.expire <= OffsetDateTime::now_utc() + time::Duration::minutes(15));

    // Signing out ends the session.
    let (status, location, _) = console.post("/backoffice/logout", &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/backoffice/login")
    );
    let res = console
        .req(Method::GET, "/backoffice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_tenant_lives_through_the_console_and_every_action_is_audited() {
    let app = TestApp::spawn().await;
    operator(&app).await;
    let c = Console::sign_in(&app, ADMIN).await;

    // The slug check, as the form uses it.
    for (slug, want) in [
        ("acme", "available"),
        ("admin", "reserved"),
        ("A!", "invalid"),
        ("ab", "invalid"),
    ] {
        let (status, body) = call(c.req(
            Method::GET,
            &format!("/backoffice/tenants/check-slug?slug={slug}"),
        ))
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], want, "{slug}: {body}");
    }
    let form = c.get("/backoffice/tenants/create").await;
    assert!(form.contains("data-check-url") && form.contains("/static/backoffice.js"));

    // Bad input is answered with the fields to fix, and writes nothing.
    let (status, _, body) = c
        .post(
            "/backoffice/tenants/create",
            &[("name", "X"), ("slug", "admin"), ("plan", "GOLD")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("slug is reserved") && body.contains("aria-invalid"));
    assert_eq!(app.store().tenant_count().await.unwrap(), 0);

    let (status, body) = c.create("acme", "BASIC", "owner@acme.example").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.contains("E-mailed to the owner"));
    let id = c.tenant_id("acme").await;
    let sub = app.store().subscription(id).await.unwrap();
    assert_eq!(sub.plan, qms_domain::Plan::Basic);
    assert_eq!(
        (
            sub.max_queues_per_merchant,
            sub.max_users_per_tenant,
            sub.analytics,
            sub.ai_features
        ),
        (4, 9, true, false)
    );
    let (_, body) = call(c.req(Method::GET, "/backoffice/tenants/check-slug?slug=acme")).await;
    assert_eq!(body["status"], "taken");
    let (status, body) = c.create("acme", "FREE", "other@acme.example").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("already taken"));

    // The site answers, and the owner joins through the e-mailed link.
    assert_eq!(status_of(&app, "acme.localhost", "/").await, StatusCode::OK);
    let mail = app
        .mail
        .wait_for("owner@acme.example")
        .await
        .expect("invitation");
    assert!(
        mail.text()
            .contains("http://acme.localhost/auth/accept-invite?token=")
    );
    let token = mail.link_token().unwrap();
    let res = app
        .on("acme.localhost", Method::POST, "/auth/accept-invite")
        .form(&[("token", token.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let owner_token = app.login("acme", "owner@acme.example", PASSWORD).await;
    assert!(!owner_token.is_empty());

    // Off: the site and its API are gone; on: back.
    let page = format!("/backoffice/tenants/{id}");
    let (status, location, _) = c.post(&format!("{page}/toggle"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{page}?done=deactivated"));
    assert!(c.get(&location).await.contains("switched off"));
    assert_eq!(
        status_of(&app, "acme.localhost", "/").await,
        StatusCode::NOT_FOUND
    );
    let (status, _) = call(
        app.on("acme.localhost", Method::GET, "/api/queues")
            .bearer_auth(&owner_token),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    c.post(&format!("{page}/toggle"), &[]).await;
    assert_eq!(status_of(&app, "acme.localhost", "/").await, StatusCode::OK);

    // Edit: plan and name; the details page shows them.
    let (status, location, body) = c
        .post(
            &format!("{page}/edit"),
            &[
                ("name", "Acme Dining"),
                ("plan", "PREMIUM"),
                ("status", "active"),
                ("max_merchants", "3"),
                ("max_queues_per_merchant", "10"),
                ("max_users_per_tenant", "25"),
                ("domain", "queue.acme-dining.test"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let details = c.get(&location).await;
    assert!(details.contains("Acme Dining") && details.contains("PREMIUM"));
    assert_eq!(
        status_of(&app, "queue.acme-dining.test", "/").await,
        StatusCode::OK
    );

    // Users across tenants: switch the owner off and on.
    let owner = app
        .store()
        .user_by_email(id, "owner@acme.example")
        .await
        .unwrap()
        .unwrap();
    assert!(
        c.get("/backoffice/users?tenant=acme")
            .await
            .contains("owner@acme.example")
    );
    let (status, _, _) = c
        .post(&format!("/backoffice/users/{}/toggle", owner.id), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = call(
        app.on("acme.localhost", Method::POST, "/api/auth/login")
            .json(&serde_json::json!({"email": "owner@acme.example", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    c.post(&format!("/backoffice/users/{}/toggle", owner.id), &[])
        .await;
    assert!(c.get("/backoffice/merchants").await.contains("acme Foods"));

    // Settings.
    let settings = c.get("/backoffice/settings").await;
    assert!(settings.contains("BASIC.max_users_per_tenant"));
    let mut form: Vec<(String, String)> = vec![
        ("site_name".into(), "Queue Cloud".into()),
        ("support_email".into(), "help@queue.example".into()),
        ("default_timezone".into(), "Asia/Singapore".into()),
        ("retention_months".into(), "12".into()),
    ];
    for plan in ["FREE", "BASIC", "PREMIUM", "ENTERPRISE"] {
        for f in [
            "max_merchants",
            "max_queues_per_merchant",
            "max_users_per_tenant",
        ] {
            form.push((format!("{plan}.{f}"), "7".into()));
        }
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, location, _) = c.post("/backoffice/settings", &form).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/backoffice/settings?done=settings")
    );
    assert!(
        c.get("/backoffice/tenants/create")
            .await
            .contains("Asia/Singapore")
    );
    let (status, _, body) = c
        .post(
            "/backoffice/settings",
            &[("site_name", ""), ("retention_months", "0")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Retention must be"));

    // Delete: a wrong confirmation changes nothing; the right one removes everything.
    let (status, _, body) = c
        .post(&format!("{page}/delete"), &[("confirm", "acm")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Type the tenant"));
    assert!(app.store().tenant_by_id(id).await.unwrap().is_some());
    let (status, location, _) = c
        .post(&format!("{page}/delete"), &[("confirm", "acme")])
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/backoffice/tenants?done=deleted")
    );
    assert_eq!(
        status_of(&app, "acme.localhost", "/").await,
        StatusCode::NOT_FOUND
    );
    let left: Vec<_> = app
        .db
        .tenant_row_counts(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Every action above is in the audit view, newest first.
    let log = c.get("/backoffice/audit-logs").await;
    for action in [
        "auth.login",
        "tenant.create",
        "tenant.deactivate",
        "tenant.activate",
        "tenant.update",
        "user.deactivate",
        "user.activate",
        "settings.update",
        "tenant.delete",
    ] {
        assert!(
            log.contains(&format!("<code>{action}</code>")),
            "{action} in the audit view"
        );
    }
    assert!(log.find("tenant.delete") < log.find("tenant.create"));
    let tenants_only = c.get("/backoffice/audit-logs?action=tenant.de").await;
    assert!(tenants_only.contains("tenant.delete") && !tenants_only.contains("tenant.create"));
    let rows = app
        .store()
        .backoffice_audit_logs(&PlatformAuditFilter {
            action: Some("tenant.update".into()),
            ..PlatformAuditFilter::default()
        })
        .await
        .unwrap();
    let detail = c
        .get(&format!("/backoffice/audit-logs/{}", rows.items[0].id))
        .await;
    assert!(detail.contains("before") && detail.contains("after"));
    assert!(detail.contains("Acme Dining"));
    // The tenants' own trail is there too.
    assert!(
        c.get("/backoffice/audit-logs?trail=tenants")
            .await
            .contains("Tenants")
    );
    // The dashboard counts what is left.
    let dash = c.get("/backoffice").await;
    assert!(dash.contains("System health") && dash.contains("Database"));
}

#[tokio::test]
async fn without_a_mail_server_the_invitation_link_is_shown_once() {
    let app = TestApp::spawn_with(|s| s.smtp_url = None).await;
    operator(&app).await;
    let c = Console::sign_in(&app, ADMIN).await;
    let (status, body) = c.create("bistro", "FREE", "owner@bistro.example").await;
    assert_eq!(status, StatusCode::CREATED);
    let at = body.find("id=\"invite-url\">").expect("the link is shown") + 15;
    let link = body[at..].split('<').next().unwrap();
    let token = link.split("token=").nth(1).unwrap();
    let res = app
        .on("bistro.localhost", Method::POST, "/auth/accept-invite")
        .form(&[("token", token), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.login("bistro", "owner@bistro.example", PASSWORD).await;
    // Only once: the tenant's page never shows it again.
    let id = c.tenant_id("bistro").await;
    assert!(
        !c.get(&format!("/backoffice/tenants/{id}"))
            .await
            .contains(token)
    );
}

#[tokio::test]
async fn deleting_a_busy_tenant_leaves_no_row_of_it_in_any_table() {
    let app = TestApp::spawn().await;
    operator(&app).await;
    let doomed = app.tenant("doomed").await;
    let kept = app.tenant("kept").await;
    for t in [&doomed, &kept] {
        for n in 0..3 {
            app.join(t, &format!("Guest {n}"), &common::phone(n + 10))
                .await;
        }
        let (status, _) = call(app.staff(
            t,
            Method::POST,
            &format!("/api/queues/{}/call-next", t.queue),
        ))
        .await;
        assert!(status.is_success());
        let (status, _) = call(app.staff(t, Method::POST, "/api/users").json(
            &serde_json::json!({"email": format!("staff@{}.example", t.slug), "fullName": "Sam", "role": "STAFF"}),
        ))
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let c = Console::sign_in(&app, ADMIN).await;
    c.post(
        &format!("/backoffice/tenants/{}/toggle", doomed.tenant),
        &[],
    )
    .await;
    c.post(
        &format!("/backoffice/tenants/{}/toggle", doomed.tenant),
        &[],
    )
    .await;
    let before = app.db.tenant_row_counts(doomed.tenant).await.unwrap();
    let busy = before.iter().filter(|(_, n)| *n > 0).count();
    assert!(busy >= 8, "the tenant has rows in many tables: {before:?}");
    let kept_before = app.db.tenant_row_counts(kept.tenant).await.unwrap();

    let (status, _, _) = c
        .post(
            &format!("/backoffice/tenants/{}/delete", doomed.tenant),
            &[("confirm", "doomed")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = app.db.tenant_row_counts(doomed.tenant).await.unwrap();
    assert_eq!(after.len(), before.len());
    let left: Vec<_> = after.iter().filter(|(_, n)| *n > 0).collect();
    assert!(
        left.is_empty(),
        "rows of the deleted tenant remain: {left:?}"
    );
    assert_eq!(
        app.db.tenant_row_counts(kept.tenant).await.unwrap(),
        kept_before
    );
    // Its API token no longer works anywhere; the other tenant is untouched.
    let (status, _) = call(app.staff(&doomed, Method::GET, "/api/queues")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(app.staff(&kept, Method::GET, "/api/queues")).await;
    assert_eq!(status, StatusCode::OK);
}

/// What the fake Render API received: (method, path, authorization, body).
type Seen = Arc<Mutex<Vec<(String, String, String, serde_json::Value)>>>;

/// A local server speaking Render's custom-domain API; it fails the first `failures` creations
/// with a 503.
async fn fake_render(failures: usize) -> (String, Seen) {
    use axum::extract::{Path, State};
    use axum::http::HeaderMap;
    use axum::routing::{delete, post};
    let seen: Seen = Arc::default();
    let left = Arc::new(Mutex::new(failures));
    #[derive(Clone)]
    struct Fake {
        seen: Seen,
        left: Arc<Mutex<usize>>,
    }
    async fn create(
        State(f): State<Fake>,
        Path(service): Path<String>,
        headers: HeaderMap,
        body: axum::Json<serde_json::Value>,
    ) -> (StatusCode, axum::Json<serde_json::Value>) {
        let auth = headers["authorization"].to_str().unwrap().to_string();
        f.seen.lock().unwrap().push((
            "POST".into(),
            format!("/v1/services/{service}/custom-domains"),
            auth,
            body.0.clone(),
        ));
        let mut left = f.left.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"message": "try again later"})),
            );
        }
        let name = body.0["name"].clone();
        (
            StatusCode::CREATED,
            axum::Json(serde_json::json!([{
                "id": "cdm-1", "name": name, "domainType": "subdomain",
                "verificationStatus": "verified", "createdAt": "2026-11-26T00:00:00Z",
                "server": {"id": service, "name": "qms"}
            }])),
        )
    }
    async fn remove(
        State(f): State<Fake>,
        Path((service, name)): Path<(String, String)>,
        headers: HeaderMap,
    ) -> StatusCode {
        let auth = headers["authorization"].to_str().unwrap().to_string();
        f.seen.lock().unwrap().push((
            "DELETE".into(),
            format!("/v1/services/{service}/custom-domains/{name}"),
            auth,
            serde_json::Value::Null,
        ));
        StatusCode::NO_CONTENT
    }
    let router = axum::Router::new()
        .route("/v1/services/{service}/custom-domains", post(create))
        .route(
            "/v1/services/{service}/custom-domains/{name}",
            delete(remove),
        )
        .with_state(Fake {
            seen: seen.clone(),
            left,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}/v1"), seen)
}

#[tokio::test]
async fn subdomains_are_provisioned_through_render_and_failures_are_retried() {
    let (api_url, seen) = fake_render(1).await;
    let render = qms_web::provision::ProvisionerConfig::Render {
        api_url: api_url.clone(),
        api_key: "rnd_test_key".into(),
        service_id: "srv-test".into(),
    };
    let config = render.clone();
    let app = TestApp::spawn_with(move |s| s.domain_provisioner = config).await;
    operator(&app).await;
    let c = Console::sign_in(&app, ADMIN).await;

    // The first call fails: the tenant exists all the same, with the failure recorded.
    let (status, body) = c.create("acme", "BASIC", "owner@acme.example").await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(
        body.contains("failed") && body.contains("HTTP 503"),
        "{body}"
    );
    let id = c.tenant_id("acme").await;
    let o = app.store().tenant_overview(id).await.unwrap().unwrap();
    assert_eq!(o.provisioning.status, "failed");
    assert_eq!(o.provisioning.attempts, 1);
    assert!(
        o.provisioning
            .error
            .as_deref()
            .unwrap()
            .contains("try again later")
    );
    assert!(o.provisioning.next_attempt_at.unwrap() > OffsetDateTime::now_utc());
    assert_eq!(status_of(&app, "acme.localhost", "/").await, StatusCode::OK);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (method, path, auth, body) = &seen[0];
        assert_eq!(
            (method.as_str(), path.as_str()),
            ("POST", "/v1/services/srv-test/custom-domains")
        );
        assert_eq!(auth, "Bearer rnd_test_key");
        assert_eq!(
            body,
            &serde_json::json!({"name": "acme.localhost", "certificateType": "managed"})
        );
    }
    let dash = c.get("/backoffice").await;
    assert!(dash.contains("Provisioning (render)"));

    // The retry job takes it once it is due.
    let mut settings = qms_web::Settings::local("test-secret-0123456789abcdef0123456789");
    settings.domain_provisioner = render;
    let state = qms_web::AppState::new(app.store(), settings, None).unwrap();
    assert_eq!(
        qms_web::provision::retry_due(&state).await.unwrap(),
        0,
        "not due yet"
    );
    app.store()
        .set_provisioning(
            id,
            "failed",
            Some("503"),
            Some(OffsetDateTime::now_utc() - time::Duration::seconds(1)),
        )
        .await
        .unwrap();
    qms_web::jobs::run_provisioning(&state).await;
    let o = app.store().tenant_overview(id).await.unwrap().unwrap();
    assert_eq!(
        (o.provisioning.status.as_str(), o.provisioning.attempts),
        ("provisioned", 0)
    );
    let job = state.jobs.get(qms_web::jobs::PROVISIONING).unwrap();
    assert!(job.ok && job.detail.contains("1 tenant"));

    // A custom domain is provisioned when it is set; deleting the tenant removes its hosts.
    c.post(
        &format!("/backoffice/tenants/{id}/edit"),
        &[
            ("name", "Acme"),
            ("plan", "BASIC"),
            ("status", "active"),
            ("max_merchants", "1"),
            ("max_queues_per_merchant", "5"),
            ("max_users_per_tenant", "10"),
            ("domain", "queue.acme.test"),
        ],
    )
    .await;
    let (status, location, _) = c
        .post(&format!("/backoffice/tenants/{id}/provision"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(c.get(&location).await.contains("provisioned"));
    c.post(
        &format!("/backoffice/tenants/{id}/delete"),
        &[("confirm", "acme")],
    )
    .await;
    let seen = seen.lock().unwrap();
    let names: Vec<String> = seen
        .iter()
        .map(|(m, p, _, b)| format!("{m} {p} {}", b["name"].as_str().unwrap_or("")))
        .collect();
    assert!(
        names.contains(&"POST /v1/services/srv-test/custom-domains queue.acme.test".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"DELETE /v1/services/srv-test/custom-domains/acme.localhost ".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"DELETE /v1/services/srv-test/custom-domains/queue.acme.test ".to_string()),
        "{names:?}"
    );
}

#[tokio::test]
async fn the_ask_endpoint_allows_only_platform_hosts_and_active_tenants() {
    let app = TestApp::spawn_with(|s| {
        s.domain_provisioner = qms_web::provision::ProvisionerConfig::Ask;
    })
    .await;
    operator(&app).await;
    let t = app.tenant("acme").await;
    app.db
        .set_tenant_domain(t.tenant, "queue.acme.test")
        .await
        .unwrap();
    let app = &app;
    let ask = |domain: &str| {
        let url = format!("/internal/domain-allowed?domain={domain}");
        async move { status_of(app, "localhost", &url).await }
    };
    assert_eq!(ask("acme.localhost").await, StatusCode::OK);
    assert_eq!(ask("queue.acme.test").await, StatusCode::OK);
    assert_eq!(ask("admin.localhost").await, StatusCode::OK);
    assert_eq!(ask("localhost").await, StatusCode::OK);
    assert_eq!(ask("nope.localhost").await, StatusCode::NOT_FOUND);
    assert_eq!(ask("evil.example").await, StatusCode::NOT_FOUND);
    assert_eq!(ask("a.b.localhost").await, StatusCode::NOT_FOUND);
    assert_eq!(ask("127.0.0.1").await, StatusCode::NOT_FOUND);
    assert_eq!(
        status_of(app, "localhost", "/internal/domain-allowed").await,
        StatusCode::BAD_REQUEST
    );
    // It answers on any host (Caddy asks with its own) and follows the tenant's status.
    assert_eq!(
        status_of(
            app,
            "acme.localhost",
            "/internal/domain-allowed?domain=acme.localhost"
        )
        .await,
        StatusCode::OK
    );
    let c = Console::sign_in(app, ADMIN).await;
    c.post(&format!("/backoffice/tenants/{}/toggle", t.tenant), &[])
        .await;
    assert_eq!(ask("acme.localhost").await, StatusCode::NOT_FOUND);
    assert_eq!(ask("queue.acme.test").await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn operators_are_locked_out_after_ten_failures_and_may_add_a_second_factor() {
    let app = TestApp::spawn().await;
    operator(&app).await;
    let attempt = |password: &'static str, from: String| {
        let app = &app;
        async move {
            app.on(ADMIN, Method::POST, "/backoffice/login")
                .header("x-forwarded-for", from)
                .form(&[("email", OPS_EMAIL), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Unknown addresses and wrong passwords look the same.
    let res = app
        .on(ADMIN, Method::POST, "/backoffice/login")
        .form(&[("email", "nobody@x.example"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Wrong e-mail or password.")
    );
    for i in 0..10 {
        assert_eq!(
            attempt("wrong password", format!("198.18.1.{i}")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked, even with the right password and from a fresh address.
    assert_eq!(
        attempt(PASSWORD, "198.18.2.1".into()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let rows = app
        .store()
        .backoffice_audit_logs(&PlatformAuditFilter {
            action: Some("auth.login_failed".into()),
            ..PlatformAuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.total, 11);

    // A second operator enrols TOTP, then needs a code (each code works once).
    app.store()
        .create_backoffice_user(NewBackOfficeUser {
            email: "two@platform.example".into(),
            full_name: "Two".into(),
            password_hash: qms_web::auth::hash_password(PASSWORD.into()).await.unwrap(),
        })
        .await
        .unwrap();
    let login = |from: &'static str| {
        let app = &app;
        async move {
            app.on(ADMIN, Method::POST, "/backoffice/login")
                .header("x-forwarded-for", from)
                .form(&[("email", "two@platform.example"), ("password", PASSWORD)])
                .send()
                .await
                .unwrap()
        }
    };
    let res = login("198.18.3.1").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_of(&res).unwrap();
    let page = app
        .on(ADMIN, Method::GET, "/backoffice/account/totp")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("otpauth://totp/") && page.contains("data:image/svg+xml"));
    let csrf = csrf_of(&page);
    let at = page.find("name=\"secret\" value=\"").unwrap() + 21;
    let secret = page[at..].split('"').next().unwrap().to_string();
    let now = OffsetDateTime::now_utc();
    let code = qms_web::backoffice::totp::code_at(&secret, now).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let enrol = |code: String| {
        let (app, cookie, csrf, secret) = (&app, &cookie, &csrf, &secret);
        async move {
            app.on(ADMIN, Method::POST, "/backoffice/account/totp")
                .header("cookie", cookie)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("secret", secret.as_str()),
                    ("code", code.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(enrol(wrong.into()).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(enrol(code.clone()).await, StatusCode::SEE_OTHER);
    let user = app
        .store()
        .backoffice_user_by_email("two@platform.example")
        .await
        .unwrap()
        .unwrap();
    assert!(user.totp_enabled());

    // Password alone no longer signs in: a ticket for the code step comes back.
    let res = login("198.18.3.2").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(cookie_of(&res).is_none());
    let page = res.text().await.unwrap();
    let at = page.find("name=\"ticket\" value=\"").unwrap() + 21;
    let ticket = page[at..].split('"').next().unwrap().to_string();
    let code_step = |ticket: String, code: String| {
        let app = &app;
        async move {
            app.on(ADMIN, Method::POST, "/backoffice/login/totp")
                .header("x-forwarded-for", "198.18.3.3")
                .form(&[("ticket", ticket.as_str()), ("code", code.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    // The code used to enrol is spent; a forged ticket is refused.
    assert_eq!(
        code_step(ticket.clone(), code.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        code_step("forged".into(), code.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let next =
        qms_web::backoffice::totp::code_at(&secret, now + time::Duration::seconds(30)).unwrap();
    let res = code_step(ticket.clone(), next.clone()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_of(&res).unwrap();
    let res = app
        .on(ADMIN, Method::GET, "/backoffice")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Replaying the same code with the same ticket fails.
    assert_eq!(
        code_step(ticket, next).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let rows = app
        .store()
        .backoffice_audit_logs(&PlatformAuditFilter {
            actor: Some(user.id),
            ..PlatformAuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = rows.items.iter().map(|r| r.action.as_str()).collect();
    assert!(actions.contains(&"auth.totp_enable") && actions.contains(&"auth.login"));
}

#[tokio::test]
async fn the_browser_walk_through_of_the_issue() {
    if require(
        "the_browser_walk_through_of_the_issue",
        &[
            Requirement::NodePackage("playwright-core"),
            Requirement::NodePackage("axe-core"),
            Requirement::Chromium,
        ],
    )
    .is_none()
    {
        return;
    }
    let app = TestApp::spawn_with(|s| s.smtp_url = None).await;
    operator(&app).await;
    let (ok, stdout, stderr) = run(
        "node",
        "backoffice.mjs",
        &[],
        &[
            ("QMS_PORT", app.addr.port().to_string()),
            ("QMS_OPERATOR_EMAIL", OPS_EMAIL.into()),
            ("QMS_PASSWORD", PASSWORD.into()),
        ],
        Duration::from_secs(180),
    )
    .await;
    assert!(
        ok,
        "e2e/backoffice.mjs failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(stdout.contains("backoffice walk-through: ok"), "{stdout}");
    // What the browser did is in the store too.
    let id = app
        .store()
        .tenant_by_slug("acme")
        .await
        .unwrap()
        .expect("acme")
        .id;
    let sub = app.store().subscription(id).await.unwrap();
    assert_eq!(sub.plan, qms_domain::Plan::Basic);
    let rows = app
        .store()
        .backoffice_audit_logs(&PlatformAuditFilter {
            tenant: Some(id),
            ..PlatformAuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = rows.items.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["tenant.activate", "tenant.deactivate", "tenant.create"]
    );
}

#[tokio::test]
async fn the_retention_purge_follows_the_operators_setting_and_reports_on_the_board() {
    let app = TestApp::spawn().await;
    let t = app.tenant("keeper").await;
    let done = app.join(&t, "Done", &common::phone(1)).await;
    let waiting = app.join(&t, "Still here", &common::phone(2)).await;
    let id = done["id"].as_str().unwrap();
    for step in ["call", "seat", "complete"] {
        let path = format!("/api/queues/{}/{step}/{id}", t.queue);
        let (status, _) = call(app.staff(&t, Method::POST, &path)).await;
        assert_eq!(status, StatusCode::OK, "{step}");
    }
    let store = app.store();
    let mut settings = store.system_settings().await.unwrap();
    settings.retention_months = 2;
    store
        .save_system_settings(&settings, &qms_store::Actor::system())
        .await
        .unwrap();
    let state = qms_web::AppState::new(
        store.clone(),
        qms_web::Settings::local("test-secret-0123456789abcdef0123456789"),
        None,
    )
    .unwrap();
    let found = |entry: &serde_json::Value| {
        let store = store.clone();
        let session = entry["sessionId"].as_str().unwrap().to_string();
        async move {
            store
                .entry_by_session(t.tenant, &session)
                .await
                .unwrap()
                .is_some()
        }
    };
    let events = || async {
        store
            .analytics_events(t.tenant, t.queue)
            .await
            .unwrap()
            .len()
    };
    assert!(events().await >= 5, "two joins and three moves");

    // Two months of 31 days later, less a day: nothing is old enough yet.
    let now = OffsetDateTime::now_utc();
    qms_web::jobs::run_retention(&state, now + time::Duration::days(61)).await;
    let job = state.jobs.get(qms_web::jobs::RETENTION).unwrap();
    assert!(job.ok, "{}", job.detail);
    assert!(
        job.detail
            .ends_with("finished queue entries removed 0, analytics events removed 0"),
        "{}",
        job.detail
    );
    assert!(found(&done).await && found(&waiting).await);

    // A day after that, today's finished entry and every event go; the waiting customer stays.
    qms_web::jobs::run_retention(&state, now + time::Duration::days(63)).await;
    let job = state.jobs.get(qms_web::jobs::RETENTION).unwrap();
    assert!(job.ok, "{}", job.detail);
    assert!(
        job.detail.contains("finished queue entries removed 1, "),
        "{}",
        job.detail
    );
    assert_eq!(job.runs, 2);
    assert!(!found(&done).await, "the finished entry was kept");
    assert!(found(&waiting).await, "the waiting customer was purged");
    assert_eq!(events().await, 0);
}
