//! Browser sessions, CSRF, lock-out, password flows and rate limits, from the outside.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PASSWORD, TestApp, call, client_address, host};
use qms_domain::Plan;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

fn set_cookie(res: &Response) -> String {
    res.headers()
        .get("set-cookie")
        .expect("set-cookie")
        .to_str()
        .unwrap()
        .to_string()
}

/// `qms_session=<id>` from a Set-Cookie value.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

async fn login(
    app: &TestApp,
    t: &common::Tenant,
    email: &str,
    password: &str,
    xff: &str,
) -> Response {
    app.public(t, Method::POST, "/api/auth/login")
        .header("x-forwarded-for", xff)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// Signs the owner in through the API; answers (cookie pair, csrf token).
async fn browser_login(app: &TestApp, t: &common::Tenant) -> (String, String) {
    let res = login(app, t, &t.owner_email, PASSWORD, "198.18.0.1").await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = cookie_pair(&set_cookie(&res));
    let body: Value = res.json().await.unwrap();
    (cookie, body["csrfToken"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn session_cookies_are_host_only_httponly_lax_and_secure_in_production() {
    let app = TestApp::spawn().await;
    let t = app.tenant("cookies").await;
    let res = login(&app, &t, &t.owner_email, PASSWORD, "198.18.0.1").await;
    let c = set_cookie(&res);
    assert!(c.starts_with("qms_session="), "{c}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=86400"] {
        assert!(c.contains(flag), "{flag} missing: {c}");
    }
    assert!(
        !c.to_ascii_lowercase().contains("domain"),
        "cookie must be host-only: {c}"
    );
    assert!(!c.contains("Secure"), "plain http in development: {c}");

    let prod = TestApp::spawn_with(|s| s.environment = qms_web::Environment::Production).await;
    let t = prod.tenant("cookies").await;
    let res = login(&prod, &t, &t.owner_email, PASSWORD, "198.18.0.1").await;
    let c = set_cookie(&res);
    assert!(
        c.starts_with("__Host-qms_session=") && c.contains("Secure"),
        "{c}"
    );
    assert!(res.headers().get("strict-transport-security").is_some());
}

#[tokio::test]
async fn login_rotates_the_session_and_logout_ends_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant("rotate").await;
    let (first, _) = browser_login(&app, &t).await;
    let (status, me) = call(
        app.public(&t, Method::GET, "/api/auth/session")
            .header("cookie", &first),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["email"], t.owner_email.as_str());

    // Signing in again from the same browser makes a new id and ends the old one.
    let res = app
        .public(&t, Method::POST, "/api/auth/login")
        .header("cookie", &first)
        .json(&json!({"email": t.owner_email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let second = cookie_pair(&set_cookie(&res));
    let csrf: Value = res.json().await.unwrap();
    let csrf = csrf["csrfToken"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let (status, _) = call(
        app.public(&t, Method::GET, "/api/auth/session")
            .header("cookie", &first),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the pre-login session must be gone"
    );

    // The cookie is worth nothing on another tenant's host.
    let other = app.tenant("other").await;
    let (status, _) = call(
        app.public(&other, Method::GET, "/api/queues")
            .header("cookie", &second),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = call(
        app.public(&t, Method::POST, "/api/auth/logout")
            .header("cookie", &second)
            .header("x-csrf-token", &csrf),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        app.public(&t, Method::GET, "/api/auth/session")
            .header("cookie", &second),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "logout must end the session"
    );
    let logs = app
        .store()
        .audit_logs(t.tenant, &qms_store::AuditFilter::default())
        .await
        .unwrap();
    assert!(logs.iter().any(|l| l.action == "auth.logout"));
}

#[tokio::test]
async fn cookie_requests_need_the_csrf_token_and_same_origin() {
    let app = TestApp::spawn().await;
    let t = app.tenant("csrf").await;
    let (cookie, csrf) = browser_login(&app, &t).await;
    let toggle = format!("/api/queues/{}/toggle", t.queue);
    let origin = format!("http://{}", host(&t.slug));

    let (status, body) = call(
        app.public(&t, Method::POST, &toggle)
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "missing token");
    assert_eq!(body["error"]["code"], "csrf");
    let (status, _) = call(
        app.public(&t, Method::POST, &toggle)
            .header("cookie", &cookie)
            .header("x-csrf-token", "0".repeat(64)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "wrong token");
    let (status, _) = call(
        app.public(&t, Method::POST, &toggle)
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("origin", "http://evil.example"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "cross-origin");
    let (status, _) = call(
        app.public(&t, Method::POST, &toggle)
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("sec-fetch-site", "cross-site"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "cross-site fetch");
    let q = app.store().queue(t.tenant, t.queue).await.unwrap().unwrap();
    assert!(
        q.settings.accepting_customers,
        "refused requests changed nothing"
    );

    let (status, body) = call(
        app.public(&t, Method::POST, &toggle)
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("origin", &origin),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["acceptingCustomers"], false);

    // The HTML form carries the token as a field.
    let res = app
        .public(&t, Method::POST, "/auth/logout")
        .header("cookie", &cookie)
        .header("origin", &origin)
        .form(&[("_csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .public(&t, Method::POST, "/auth/logout")
        .header("cookie", &cookie)
        .header("origin", &origin)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A bearer token needs no CSRF token.
    let (status, _) = call(app.staff(&t, Method::POST, &toggle)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn ten_failed_sign_ins_lock_the_account_and_the_address() {
    let app = TestApp::spawn().await;
    let t = app.tenant("lock").await;
    // Ten failures from ten addresses: the account locks.
    for i in 0..10 {
        let res = login(
            &app,
            &t,
            &t.owner_email,
            "wrong password",
            &format!("198.18.1.{}", i + 1),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login(&app, &t, &t.owner_email, PASSWORD, "198.18.2.1").await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the right password is refused while locked"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "locked_out");

    // Ten failures from one address, for addresses that have no account: the address locks.
    let u = app.tenant("other").await;
    for i in 0..10 {
        let res = login(
            &app,
            &u,
            &format!("nobody{i}@x.example"),
            "whatever it is",
            "198.18.3.3",
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login(&app, &u, &u.owner_email, PASSWORD, "198.18.3.3").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = login(&app, &u, &u.owner_email, PASSWORD, "198.18.3.4").await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "another address is not locked"
    );
    let failed = app
        .store()
        .audit_logs(
            t.tenant,
            &qms_store::AuditFilter {
                action: Some("auth.login_failed".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(failed.len(), 10);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_an_emailed_one_time_link() {
    let app = TestApp::spawn().await;
    let t = app.tenant("reset").await;
    let (cookie, _) = browser_login(&app, &t).await;
    let (s1, known) = call(
        app.public(&t, Method::POST, "/api/auth/forgot-password")
            .json(&json!({"email": t.owner_email})),
    )
    .await;
    let (s2, unknown) = call(
        app.public(&t, Method::POST, "/api/auth/forgot-password")
            .json(&json!({"email": "nobody@x.example"})),
    )
    .await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(
        known, unknown,
        "the answer must not tell whether the address exists"
    );

    let mail = app
        .mail
        .wait_for(&t.owner_email)
        .await
        .expect("reset e-mail");
    assert_eq!(app.mail.mails().len(), 1, "no mail for an unknown address");
    let token = mail.link_token().expect("link in the message");
    assert_eq!(token.len(), 64);

    let (status, body) = call(
        app.public(&t, Method::POST, "/api/auth/reset-password")
            .json(&json!({"token": token, "password": "short"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let new_password = "a brand new passphrase";
    let (status, _) = call(
        app.public(&t, Method::POST, "/api/auth/reset-password")
            .json(&json!({"token": token, "password": new_password})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(
        app.public(&t, Method::POST, "/api/auth/reset-password")
            .json(&json!({"token": token, "password": "another passphrase"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "single use");
    assert_eq!(body["error"]["code"], "invalid_token");

    assert_eq!(
        login(&app, &t, &t.owner_email, PASSWORD, "198.18.4.1")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, &t, &t.owner_email, new_password, "198.18.4.1")
            .await
            .status(),
        StatusCode::OK
    );
    let (status, _) = call(
        app.public(&t, Method::GET, "/api/auth/session")
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a password change ends old sessions"
    );
}

#[tokio::test]
async fn changing_the_password_ends_every_session() {
    let app = TestApp::spawn().await;
    let t = app.tenant("change").await;
    let (cookie, _) = browser_login(&app, &t).await;
    let (status, _) = call(
        app.staff(&t, Method::POST, "/api/auth/change-password")
            .json(&json!({"currentPassword": "not it", "newPassword": "a brand new passphrase"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(
        app.staff(&t, Method::POST, "/api/auth/change-password")
            .json(&json!({"currentPassword": PASSWORD, "newPassword": "a brand new passphrase"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        app.public(&t, Method::GET, "/api/auth/session")
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn invitations_are_emailed_and_accepted_once() {
    let app = TestApp::spawn().await;
    let t = app.tenant("invite").await;
    let (status, body) = call(app.staff(&t, Method::POST, "/api/users").json(
        &json!({"email": "New.Host@Invite.Example", "fullName": "New Host", "role": "STAFF"}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["emailSent"], true);
    assert!(
        body["inviteUrl"].is_null(),
        "the link is e-mailed, not answered"
    );
    assert_eq!(body["user"]["invited"], true);
    let mail = app
        .mail
        .wait_for("new.host@invite.example")
        .await
        .expect("invitation");
    let token = mail.link_token().expect("link in the message");

    let res = app
        .public(
            &t,
            Method::GET,
            &format!("/auth/accept-invite?token={token}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .public(&t, Method::POST, "/auth/accept-invite")
        .form(&[
            ("token", token.as_str()),
            ("password", "welcome aboard friend"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("password is set"));
    let res = app
        .public(&t, Method::POST, "/auth/accept-invite")
        .form(&[
            ("token", token.as_str()),
            ("password", "welcome aboard again"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        login(
            &app,
            &t,
            "new.host@invite.example",
            "welcome aboard friend",
            "198.18.5.1"
        )
        .await
        .status(),
        StatusCode::OK
    );

    // Without a mail server the link is answered once to the inviting admin.
    let nomail = TestApp::spawn_with(|s| s.smtp_url = None).await;
    let t = nomail.tenant("nomail").await;
    let (status, body) = call(
        nomail
            .staff(&t, Method::POST, "/api/users")
            .json(&json!({"email": "x@nomail.example", "fullName": "X", "role": "MANAGER"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["emailSent"], false);
    assert!(
        body["inviteUrl"]
            .as_str()
            .unwrap()
            .contains("/auth/accept-invite?token=")
    );
}

#[tokio::test]
async fn owners_are_protected_and_user_limits_hold() {
    let app = TestApp::spawn().await;
    let t = app.tenant_with_plan("limits", Plan::Free).await; // FREE: 5 users
    let owner = app
        .store()
        .user_by_email(t.tenant, &t.owner_email)
        .await
        .unwrap()
        .unwrap();
    let (status, body) = call(
        app.staff(&t, Method::PUT, &format!("/api/users/{}", owner.id))
            .json(&json!({"role": "ADMIN"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "last_owner");
    let (status, _) =
        call(app.staff(&t, Method::DELETE, &format!("/api/users/{}", owner.id))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    for i in 0..4 {
        let (status, _) = call(app.staff(&t, Method::POST, "/api/users").json(
            &json!({"email": format!("u{i}@limits.example"), "fullName": "U", "role": "STAFF"}),
        ))
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, body) = call(
        app.staff(&t, Method::POST, "/api/users")
            .json(&json!({"email": "u9@limits.example", "fullName": "U", "role": "STAFF"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "plan_limit");
    let (status, body) = call(
        app.staff(&t, Method::POST, "/api/users")
            .json(&json!({"email": "bad", "fullName": "", "role": "KING"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn api_requests_are_limited_per_tenant_and_client_by_plan() {
    let app = TestApp::spawn().await;
    let t = app.tenant_with_plan("busy", Plan::Free).await; // FREE: 100 per 15 minutes
    // The sign-in of the fixture used one request from 127.0.0.1; use a fresh client address.
    let mut last = None;
    for i in 0..100 {
        let res = app
            .staff(&t, Method::GET, "/api/queues")
            .header("x-forwarded-for", "198.18.9.9")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
        last = Some(res);
    }
    let last = last.unwrap();
    assert_eq!(last.headers()["ratelimit-limit"], "100");
    assert_eq!(last.headers()["ratelimit-remaining"], "0");
    let res = app
        .staff(&t, Method::GET, "/api/queues")
        .header("x-forwarded-for", "198.18.9.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    // Another client of the same tenant is not affected.
    let res = app
        .staff(&t, Method::GET, "/api/queues")
        .header("x-forwarded-for", "198.18.9.10")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // From a peer that is not a trusted proxy, rotating X-Forwarded-For changes nothing.
    let direct = TestApp::spawn_with(|s| s.trusted_proxies.clear()).await;
    let t = direct.tenant_with_plan("direct", Plan::Free).await;
    let mut refused = 0;
    for i in 0..120 {
        let res = direct
            .staff(&t, Method::GET, "/api/queues")
            .header("x-forwarded-for", client_address(&i.to_string()))
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert!(
        refused >= 20,
        "rotating the header dodged the limit ({refused} refused)"
    );
}

#[tokio::test]
async fn a_bot_cannot_flood_a_queue() {
    let app = TestApp::spawn().await;
    let t = app.tenant("flood").await;
    let path = format!("/api/queues/{}/join", t.queue);
    let mut statuses = Vec::new();
    for i in 0..31 {
        let res = app
            .public(&t, Method::POST, &path)
            .header("x-forwarded-for", "198.18.7.7")
            .json(&json!({"customerName": "Bot", "customerPhone": common::phone(7000 + i)}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status());
    }
    assert!(statuses[..30].iter().all(|s| *s == StatusCode::CREATED));
    assert_eq!(statuses[30], StatusCode::TOO_MANY_REQUESTS);
    // One phone number from many addresses.
    let mut last = StatusCode::OK;
    for i in 0..6 {
        let res = app
            .public(&t, Method::POST, &path)
            .header("x-forwarded-for", format!("198.18.8.{}", i + 1))
            .json(&json!({"customerName": "Same", "customerPhone": "+60129999999"}))
            .send()
            .await
            .unwrap();
        last = res.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let waiting = app
        .store()
        .queue_entries(t.tenant, t.queue, &[qms_domain::EntryStatus::Waiting])
        .await
        .unwrap();
    assert_eq!(
        waiting.len(),
        31,
        "30 bot entries and one for the repeated phone"
    );
}
