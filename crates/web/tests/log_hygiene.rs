//! Passwords, one-time tokens, session ids and API tokens never reach the logs: every log line
//! of a run through sign-in, reset, invitation and sign-out is captured at TRACE level and
//! searched for them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{PASSWORD, TestApp, call};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_appear_in_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let app = TestApp::spawn().await;
    let t = app.tenant("secret").await;
    let mut secrets = vec![PASSWORD.to_string(), t.token.clone()];

    let res = app
        .public(&t, Method::POST, "/api/auth/login")
        .json(&json!({"email": t.owner_email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    secrets.push(cookie.split('=').nth(1).unwrap().to_string());
    let body: Value = res.json().await.unwrap();
    secrets.push(body["token"].as_str().unwrap().to_string());
    secrets.push(body["csrfToken"].as_str().unwrap().to_string());
    let wrong = "an-incorrect-password-guess";
    secrets.push(wrong.into());
    let (status, _) = call(
        app.public(&t, Method::POST, "/api/auth/login")
            .json(&json!({"email": t.owner_email, "password": wrong})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    call(
        app.public(&t, Method::POST, "/api/auth/forgot-password")
            .json(&json!({"email": t.owner_email})),
    )
    .await;
    let reset = app
        .mail
        .wait_for(&t.owner_email)
        .await
        .unwrap()
        .link_token()
        .unwrap();
    secrets.push(reset.clone());
    let new_password = "the new secret phrase";
    secrets.push(new_password.into());
    // The reset page carries the token in its query string.
    let res = app
        .public(
            &t,
            Method::GET,
            &format!("/auth/reset-password?token={reset}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, _) = call(
        app.public(&t, Method::POST, "/api/auth/reset-password")
            .json(&json!({"token": reset, "password": new_password})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, invite) = call(
        app.staff(&t, Method::POST, "/api/users")
            .json(&json!({"email": "hire@secret.example", "fullName": "Hire", "role": "STAFF"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let invite_token = app
        .mail
        .wait_for("hire@secret.example")
        .await
        .unwrap()
        .link_token()
        .unwrap();
    secrets.push(invite_token.clone());
    let first_password = "first password of hire";
    secrets.push(first_password.into());
    let (status, _) = call(
        app.public(&t, Method::POST, "/api/auth/accept-invite")
            .json(&json!({"token": invite_token, "password": first_password})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).to_string();
    assert!(
        logs.lines().count() > 20,
        "the capture saw too little to prove anything:\n{logs}"
    );
    assert!(logs.contains("/api/auth/login"), "requests are logged");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret reached the logs: {}…",
            &secret[..6.min(secret.len())]
        );
    }
}
