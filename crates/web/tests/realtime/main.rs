//! Realtime through the official Socket.IO clients (TSD §4): rooms, events, authorisation,
//! webchat, tenant isolation, and several instances through Redis. The clients are the real
//! `socket.io-client` (Node) and `python-socketio` driven by scripts in `e2e/`; a missing one
//! skips with one line (fails under `QMS_TEST_STRICT=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod client;
mod cluster;
mod isolation;
mod limits;
mod notifications;
mod single;
mod webchat;

use client::Clients;
use common::{Tenant, TestApp, call, host};
use reqwest::Method;
use serde_json::{Value, json};

/// Connects a staff socket with the owner's token and joins the merchant and queue rooms.
pub async fn staff_socket(
    c: &mut Clients,
    id: &str,
    addr: std::net::SocketAddr,
    t: &Tenant,
    transport: &str,
) {
    let url = client::url(&t.slug, addr);
    c.connect(id, &url, json!({"token": t.token}), transport)
        .await
        .unwrap_or_else(|e| panic!("staff socket {id}: {e}"));
    let ack = c
        .call(id, "merchant:join", json!([t.merchant.to_string()]))
        .await;
    assert_eq!(ack, json!({"ok": true}), "merchant:join");
    let ack = c.call(id, "join-queue", json!([t.queue.to_string()])).await;
    assert_eq!(ack, json!({"ok": true}), "join-queue");
}

/// Connects a customer socket and joins the customer's own room.
pub async fn customer_socket(
    c: &mut Clients,
    id: &str,
    addr: std::net::SocketAddr,
    t: &Tenant,
    session_id: &str,
    transport: &str,
) {
    let url = client::url(&t.slug, addr);
    c.connect(id, &url, json!({}), transport)
        .await
        .unwrap_or_else(|e| panic!("customer socket {id}: {e}"));
    let ack = c.call(id, "customer:join", json!([session_id])).await;
    assert_eq!(ack, json!({"ok": true}), "customer:join");
}

/// Joins the tenant's queue over HTTP on the instance at `addr`; answers the entry.
pub async fn join_at(
    app: &TestApp,
    addr: std::net::SocketAddr,
    t: &Tenant,
    name: &str,
    n: u32,
) -> Value {
    let res = app
        .client
        .post(format!("http://{addr}/api/queues/{}/join", t.queue))
        .header(reqwest::header::HOST, host(&t.slug))
        .header(
            "x-forwarded-for",
            common::client_address(&format!("{name}{n}")),
        )
        .json(&json!({"customerName": name, "customerPhone": common::phone(n), "partySize": 2}))
        .send()
        .await
        .expect("join");
    assert_eq!(res.status(), 201, "join of {name}");
    res.json().await.expect("join body")
}

/// A staff move over HTTP (e.g. `call-next`), answered 200.
pub async fn staff_post(app: &TestApp, t: &Tenant, path: &str) -> Value {
    let (status, body) = call(app.staff(t, Method::POST, path)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}
