//! Limits on sockets: a staff socket signed in with a token is disconnected when the token
//! expires, and a socket that keeps guessing session ids is cut off.

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
