//! Limits on sockets: a staff socket signed in with a token is disconnected when the token
//! expires, one signed in with a browser session when the session ends, and a socket that
//! keeps guessing session ids is cut off.

use crate::client::{Clients, Kind, url};
use crate::common::TestApp;
use crate::{join_at, staff_socket};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_staff_socket_is_disconnected_when_its_token_expires() {
    // Tokens live a few seconds here: long enough to connect and join on a busy machine.
    let app = TestApp::spawn_with(|s| s.api_token_ttl = Duration::from_secs(4)).await;
    let t = app.tenant("expiry").await;
    for kind in [Kind::Js, Kind::Python] {
        let Some(mut c) = Clients::start("a_staff_socket_is_disconnected", kind).await else {
            return;
        };
        // A fresh token, the rooms joined at once.
        let token = app
            .login(&t.slug, &t.owner_email, crate::common::PASSWORD)
            .await;
        let t = crate::common::Tenant { token, ..t.clone() };
        staff_socket(&mut c, "staff", app.addr, &t, "websocket").await;
        let gone = c
            .wait(
                |l| l["id"] == "staff" && l.get("disconnect").is_some(),
                Duration::from_secs(30),
            )
            .await
            .unwrap_or_else(|| panic!("{kind:?}: not disconnected at expiry"));
        assert!(
            gone["disconnect"].as_str().unwrap().contains("server"),
            "{kind:?}: {gone}"
        );
        // The expired token no longer connects.
        let again = c
            .connect(
                "again",
                &url(&t.slug, app.addr),
                json!({"token": t.token}),
                "websocket",
            )
            .await;
        assert_eq!(again, Err("unauthorized".into()), "{kind:?}");
        c.exit().await;
    }
}

#[tokio::test]
async fn a_staff_socket_is_disconnected_when_its_browser_session_ends() {
    let app = TestApp::spawn_with(|s| s.staff_socket_recheck = Duration::from_secs(1)).await;
    let t = app.tenant("signout").await;
    for kind in [Kind::Js, Kind::Python] {
        let Some(mut c) = Clients::start("a_staff_socket_is_disconnected_when", kind).await else {
            return;
        };
        // Signed in as a browser is: the session cookie and its CSRF token.
        let res = app
            .public(&t, reqwest::Method::POST, "/api/auth/login")
            .json(&json!({"email": t.owner_email, "password": crate::common::PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK, "{kind:?}: login");
        let cookie = res.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_string();
        let body: serde_json::Value = res.json().await.unwrap();
        let csrf = body["csrfToken"].as_str().unwrap().to_string();
        c.connect_with_headers(
            "board",
            &url(&t.slug, app.addr),
            json!({}),
            "websocket",
            json!({"Cookie": cookie}),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let ack = c
            .call("board", "join-queue", json!([t.queue.to_string()]))
            .await;
        assert_eq!(
            ack,
            json!({"ok": true}),
            "{kind:?}: the cookie signs the socket in"
        );
        // A few checks pass while the session holds.
        let early = c
            .wait(
                |l| l["id"] == "board" && l.get("disconnect").is_some(),
                Duration::from_millis(2500),
            )
            .await;
        assert!(
            early.is_none(),
            "{kind:?}: disconnected while signed in: {early:?}"
        );

        let res = app
            .public(&t, reqwest::Method::POST, "/api/auth/logout")
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            reqwest::StatusCode::NO_CONTENT,
            "{kind:?}: logout"
        );
        let gone = c
            .wait(
                |l| l["id"] == "board" && l.get("disconnect").is_some(),
                Duration::from_secs(15),
            )
            .await
            .unwrap_or_else(|| panic!("{kind:?}: still connected after signing out"));
        assert!(
            gone["disconnect"].as_str().unwrap().contains("server"),
            "{kind:?}: {gone}"
        );
        c.exit().await;
    }
}

#[tokio::test]
async fn a_socket_guessing_session_ids_is_cut_off() {
    let app = TestApp::spawn().await;
    let t = app.tenant("guess").await;
    let entry = join_at(&app, app.addr, &t, "Ana", 1).await;
    let sid = entry["sessionId"].as_str().unwrap();
    for kind in [Kind::Js, Kind::Python] {
        let Some(mut c) = Clients::start("a_socket_guessing_session_ids", kind).await else {
            return;
        };
        c.connect("guess", &url(&t.slug, app.addr), json!({}), "websocket")
            .await
            .unwrap();
        for i in 0..10 {
            let event = if i % 2 == 0 {
                "customer:join"
            } else {
                "webchat:join"
            };
            let guess = format!("{i:032x}");
            assert_eq!(
                c.call("guess", event, json!([guess])).await,
                json!({"ok": false, "error": "forbidden"}),
                "{kind:?}: guess {i}"
            );
        }
        // Even the right session id is refused now, and the socket is disconnected.
        assert_eq!(
            c.call("guess", "customer:join", json!([sid])).await,
            json!({"ok": false, "error": "rate_limited"}),
            "{kind:?}"
        );
        c.wait(
            |l| l["id"] == "guess" && l.get("disconnect").is_some(),
            Duration::from_secs(10),
        )
        .await
        .unwrap_or_else(|| panic!("{kind:?}: not disconnected"));

        // A new socket starts afresh.
        c.connect("own", &url(&t.slug, app.addr), json!({}), "websocket")
            .await
            .unwrap();
        assert_eq!(
            c.call("own", "customer:join", json!([sid])).await,
            json!({"ok": true})
        );
        c.exit().await;
    }
}
