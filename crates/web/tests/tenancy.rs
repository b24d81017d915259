//! Tenants by host name, the operations endpoints, and hostile input at the HTTP edge.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, call};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn hosts_resolve_to_tenants_backoffice_or_landing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("acme").await;

    let res = app
        .on("acme.localhost:3000", Method::GET, "/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Tenant acme"));

    let res = app
        .on("localhost:3000", Method::GET, "/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let landing = res.text().await.unwrap();
    assert!(landing.contains("demo.localhost") && landing.contains("/backoffice/login"));

    let res = app
        .on("nope.localhost:3000", Method::GET, "/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Tenant not found"));

    let (status, body) = call(app.on("nope.localhost", Method::GET, "/api/queues")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");

    // The BackOffice is not a tenant, and never a server error.
    let res = app
        .on("admin.localhost:3000", Method::GET, "/backoffice/login")
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_server_error());
    let (status, _) = call(app.on("admin.localhost", Method::GET, "/api/queues")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A custom domain reaches its tenant.
    app.db
        .set_tenant_domain(t.tenant, "queue.acme-food.test")
        .await
        .unwrap();
    let res = app
        .on("queue.acme-food.test", Method::GET, "/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_inactive_tenant_is_not_found() {
    let app = TestApp::spawn().await;
    // Made straight in the store: no request may have cached it as active.
    let new = qms_testkit::new_tenant("sleepy", qms_domain::Plan::Free, "owner@sleepy.example");
    app.store().create_tenant(new).await.unwrap();
    app.db
        .exec("UPDATE tenants SET is_active = (1 = 0) WHERE slug = 'sleepy'")
        .await
        .unwrap();
    let res = app
        .on("sleepy.localhost", Method::GET, "/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, body) = call(
        app.on("sleepy.localhost", Method::POST, "/api/auth/login")
            .json(
                &serde_json::json!({"email": "owner@sleepy.example", "password": common::PASSWORD}),
            ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn health_and_metrics_answer_on_any_host() {
    let app = TestApp::spawn().await;
    let (status, body) = call(app.on("localhost", Method::GET, "/api/health")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    let (status, _) = call(app.on("unknown.localhost", Method::GET, "/api/health")).await;
    assert_eq!(status, StatusCode::OK);
    let res = app.on("localhost", Method::GET, "/").send().await.unwrap();
    let id = res
        .headers()
        .get("x-request-id")
        .expect("request id")
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 36);
    assert_eq!(
        res.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
}

#[tokio::test]
async fn the_api_is_described_in_openapi() {
    let app = TestApp::spawn().await;
    let t = app.tenant("docs").await;
    let (status, spec) = call(app.public(&t, Method::GET, "/api/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/queues",
        "/api/queues/{id}/join",
        "/api/queues/{id}/call-next",
        "/api/queues/entry/{sessionId}",
        "/api/queues/{id}/order",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let res = app
        .public(&t, Method::GET, "/api/docs/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("swagger"));
}

/// Sends raw bytes and answers the status line's code.
async fn raw(app: &TestApp, request: &[u8]) -> u16 {
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn hostile_requests_never_cause_a_server_error() {
    let app = TestApp::spawn().await;
    app.tenant("safe").await;
    let big = "x".repeat(200 * 1024);
    let cases: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\nHost: ../../etc/passwd\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: a.b.c.localhost\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n".to_vec(),
        [b"GET / HTTP/1.1\r\nHost: safe.localhost\xff\xfe\r\nConnection: close\r\n\r\n".as_slice()].concat(),
        format!("GET / HTTP/1.1\r\nHost: safe.localhost\r\nX-Big: {big}\r\nConnection: close\r\n\r\n").into_bytes(),
        format!("GET / HTTP/1.1\r\nHost: {big}.localhost\r\nConnection: close\r\n\r\n").into_bytes(),
        b"GET /api/queues/%FF%FE HTTP/1.1\r\nHost: safe.localhost\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET /api/queues/entry/%FF%FE%00 HTTP/1.1\r\nHost: safe.localhost\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET /\xff\xfe HTTP/1.1\r\nHost: safe.localhost\r\nConnection: close\r\n\r\n".to_vec(),
        b"POST /api/queues/not-a-uuid/join HTTP/1.1\r\nHost: safe.localhost\r\nContent-Type: application/json\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{{{".to_vec(),
    ];
    for (i, case) in cases.iter().enumerate() {
        let code = raw(&app, case).await;
        assert!(
            (400..500).contains(&code) || code == 200 || code == 0,
            "case {i} answered {code}"
        );
        assert!(code < 500, "case {i} answered {code}");
    }
    // The server is still up.
    let (status, _) = call(app.on("localhost", Method::GET, "/api/health")).await;
    assert_eq!(status, StatusCode::OK);
}
