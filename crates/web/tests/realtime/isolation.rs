//! No event ever reaches a socket of another tenant: two tenants with staff and customer
//! sockets on both official clients, canary strings in every change, and a search of
//! everything each socket received.

use crate::client::{Clients, Kind};
use crate::common::TestApp;
use crate::{customer_socket, join_at, staff_post, staff_socket};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn no_event_crosses_tenants() {
    let app = TestApp::spawn().await;
    let a = app.tenant("canary-a").await;
    let b = app.tenant("canary-b").await;
    let Some(mut js) = Clients::start("no_event_crosses_tenants", Kind::Js).await else {
        return;
    };
    let Some(mut py) = Clients::start("no_event_crosses_tenants", Kind::Python).await else {
        return;
    };
    // Each tenant: a waiting customer watching their room and chat, and a staff board.
    let a_entry = join_at(&app, app.addr, &a, "CANARY-A first", 1).await;
    let b_entry = join_at(&app, app.addr, &b, "CANARY-B first", 2).await;
    let sid = |e: &serde_json::Value| e["sessionId"].as_str().unwrap().to_string();
    staff_socket(&mut js, "a-staff", app.addr, &a, "websocket").await;
    staff_socket(&mut py, "b-staff", app.addr, &b, "websocket").await;
    customer_socket(&mut py, "a-cust", app.addr, &a, &sid(&a_entry), "polling").await;
    customer_socket(&mut js, "b-cust", app.addr, &b, &sid(&b_entry), "polling").await;
    assert_eq!(
        js.call("a-staff", "webchat:join", json!([sid(&a_entry)]))
            .await,
        json!({"ok": true})
    );
    assert_eq!(
        py.call("b-staff", "webchat:join", json!([sid(&b_entry)]))
            .await,
        json!({"ok": true})
    );
    assert_eq!(
        py.call("a-cust", "webchat:join", json!([sid(&a_entry)]))
            .await,
        json!({"ok": true})
    );
    assert_eq!(
        js.call("b-cust", "webchat:join", json!([sid(&b_entry)]))
            .await,
        json!({"ok": true})
    );

    // Changes in both tenants, each carrying its canary.
    join_at(&app, app.addr, &a, "CANARY-A second", 3).await;
    join_at(&app, app.addr, &b, "CANARY-B second", 4).await;
    assert_eq!(
        chat(&mut py, "a-cust", sid(&a_entry), "CANARY-A chat").await["ok"],
        true
    );
    assert_eq!(
        chat(&mut js, "b-cust", sid(&b_entry), "CANARY-B chat").await["ok"],
        true
    );
    staff_post(&app, &a, &format!("/api/queues/{}/call-next", a.queue)).await;
    staff_post(&app, &b, &format!("/api/queues/{}/call-next", b.queue)).await;
    let (status, _) = crate::common::call(
        app.staff(&a, Method::PUT, &format!("/api/queues/{}", a.queue))
            .json(&json!({"description": "CANARY-A settings"})),
    )
    .await;
    assert_eq!(status, 200);

    // Each side got its own events...
    js.event("a-staff", "queue:update", |u| u["action"] == "called")
        .await
        .expect("A board: called");
    py.event("b-staff", "queue:update", |u| u["action"] == "called")
        .await
        .expect("B board: called");
    py.event("a-cust", "notification", |n| n["type"] == "called")
        .await
        .expect("A customer called");
    js.event("b-cust", "notification", |n| n["type"] == "called")
        .await
        .expect("B customer called");
    js.event("a-staff", "webchat:new-message", |_| true)
        .await
        .expect("A board: chat");
    py.event("b-staff", "message", |m| m["content"] == "CANARY-B chat")
        .await
        .expect("B staff: chat");
    js.settle(Duration::from_millis(500)).await;
    py.settle(Duration::from_millis(500)).await;

    // ...and nothing of the other's.
    for (c, side, other) in [
        (&js, "a-", "CANARY-B"),
        (&py, "b-", "CANARY-A"),
        (&py, "a-", "CANARY-B"),
        (&js, "b-", "CANARY-A"),
    ] {
        let events = c.events_of(side);
        assert!(!events.is_empty(), "{side} received nothing");
        for e in events {
            assert!(
                !e.to_string().contains(other),
                "{side} socket received {other}: {e}"
            );
        }
    }
    for (c, side, own) in [(&js, "a-", "CANARY-A"), (&py, "b-", "CANARY-B")] {
        assert!(
            c.events_of(side)
                .iter()
                .any(|e| e.to_string().contains(own)),
            "{side} never saw {own}"
        );
    }
    js.exit().await;
    py.exit().await;
}

async fn chat(c: &mut Clients, id: &str, session_id: String, text: &str) -> serde_json::Value {
    c.call(
        id,
        "webchat:message",
        json!([{"sessionId": session_id, "content": text}]),
    )
    .await
}
