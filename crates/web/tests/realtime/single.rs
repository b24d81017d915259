//! One instance: staff boards get `queue:update`, customers get `notification`, over both
//! official clients and both transports, exactly once each; joins outside one's rights are
//! refused.

use crate::client::{Clients, Kind, TRANSPORTS, url};
use crate::common::{TestApp, call};
use crate::{customer_socket, join_at, staff_post, staff_socket};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn staff_board_gets_queue_updates_with_both_clients_over_both_transports() {
    let app = TestApp::spawn().await;
    let t = app.tenant("board").await;
    let mut n = 0;
    for kind in [Kind::Js, Kind::Python] {
        let Some(mut c) = Clients::start("staff_board_gets_queue_updates", kind).await else {
            return;
        };
        for transport in TRANSPORTS {
            n += 1;
            let id = format!("staff-{transport}");
            staff_socket(&mut c, &id, app.addr, &t, transport).await;
            let name = format!("Guest {kind:?} {transport}");
            let entry = join_at(&app, app.addr, &t, &name, n).await;
            let update = c
                .event(&id, "queue:update", |u| u["entry"]["id"] == entry["id"])
                .await
                .unwrap_or_else(|| panic!("{kind:?}/{transport}: no queue:update"));
            assert_eq!(update["action"], "customer-joined");
            assert_eq!(update["queueId"], t.queue.to_string());
            assert_eq!(update["entry"]["customerName"], name.as_str());
            assert_eq!(update["stats"]["waiting"], entry["position"]);
            assert_eq!(
                update["stats"]["nextPosition"],
                entry["position"].as_i64().unwrap() + 1
            );
            assert!(update["stats"]["averageWaitTime"].is_number());
            // In both the tenant and the queue room, the socket still gets it once.
            c.settle(Duration::from_millis(300)).await;
            let copies = c
                .all(&id, "queue:update")
                .into_iter()
                .filter(|u| u["entry"]["id"] == entry["id"])
                .count();
            assert_eq!(copies, 1, "{kind:?}/{transport}: duplicated queue:update");
            c.disconnect(&id).await;
        }
        c.exit().await;
    }
}

#[tokio::test]
async fn customers_are_notified_when_called_and_when_their_place_changes() {
    let app = TestApp::spawn().await;
    let t = app.tenant("notify").await;
    let first = join_at(&app, app.addr, &t, "Ana", 1).await;
    let second = join_at(&app, app.addr, &t, "Ben", 2).await;
    let third = join_at(&app, app.addr, &t, "Cai", 3).await;
    let Some(mut js) = Clients::start("customers_are_notified", Kind::Js).await else {
        return;
    };
    let Some(mut py) = Clients::start("customers_are_notified", Kind::Python).await else {
        return;
    };
    let sid = |e: &serde_json::Value| e["sessionId"].as_str().unwrap().to_string();
    customer_socket(&mut js, "ana", app.addr, &t, &sid(&first), "websocket").await;
    customer_socket(&mut py, "ben", app.addr, &t, &sid(&second), "polling").await;
    customer_socket(&mut js, "cai", app.addr, &t, &sid(&third), "polling").await;

    staff_post(&app, &t, &format!("/api/queues/{}/call-next", t.queue)).await;

    let called = js
        .event("ana", "notification", |n| n["type"] == "called")
        .await
        .expect("Ana called");
    assert_eq!(called["queueName"], "Main");
    assert_eq!(called["status"], "called");
    assert_eq!(called["position"], 0);
    assert!(called["message"].as_str().unwrap().contains("turn"));
    let ben = py
        .event("ben", "notification", |n| n["type"] == "update")
        .await
        .expect("Ben moved up");
    assert_eq!(ben["position"], 1);
    assert_eq!(ben["queueName"], "Main");
    assert!(ben["estimatedWaitTime"].as_i64().unwrap() >= 0);
    // Cai reaches place 2: near the front, reminded (instead of a plain update).
    let cai = js
        .event("cai", "notification", |n| n["position"] == 2)
        .await
        .expect("Cai moved up");
    assert_eq!(cai["type"], "reminder");

    // Seated: only Ana hears about it; nobody's place changed.
    staff_post(
        &app,
        &t,
        &format!(
            "/api/queues/{}/seat/{}",
            t.queue,
            first["id"].as_str().unwrap()
        ),
    )
    .await;
    js.event("ana", "notification", |n| n["status"] == "seated")
        .await
        .expect("Ana seated");
    js.settle(Duration::from_millis(300)).await;
    py.settle(Duration::from_millis(300)).await;
    assert_eq!(
        js.all("ana", "notification").len(),
        2,
        "Ana: called, seated — once each"
    );
    assert_eq!(py.all("ben", "notification").len(), 1, "Ben: one update");
    assert_eq!(js.all("cai", "notification").len(), 1, "Cai: one reminder");
    js.exit().await;
    py.exit().await;
}

#[tokio::test]
async fn joins_outside_ones_rights_are_refused() {
    let app = TestApp::spawn().await;
    let a = app.tenant("alpha").await;
    let b = app.tenant("bravo").await;
    let b_entry = join_at(&app, app.addr, &b, "Bea", 1).await;
    let a_entry = join_at(&app, app.addr, &a, "Abe", 2).await;
    let Some(mut c) = Clients::start("joins_outside_ones_rights_are_refused", Kind::Js).await
    else {
        return;
    };
    let forbidden = json!({"ok": false, "error": "forbidden"});

    // Staff of A on A's host, naming B's merchant and queue.
    staff_socket(&mut c, "staff-a", app.addr, &a, "websocket").await;
    assert_eq!(
        c.call("staff-a", "merchant:join", json!([b.merchant.to_string()]))
            .await,
        forbidden
    );
    assert_eq!(
        c.call("staff-a", "join-queue", json!([b.queue.to_string()]))
            .await,
        forbidden
    );
    assert_eq!(
        c.call("staff-a", "webchat:join", json!([b_entry["sessionId"]]))
            .await,
        forbidden
    );
    assert_eq!(
        c.call("staff-a", "customer:join", json!([a_entry["sessionId"]]))
            .await,
        forbidden
    );
    assert_eq!(
        c.call("staff-a", "join-queue", json!(["not-a-uuid"])).await,
        json!({"ok": false, "error": "bad_request"})
    );

    // A customer may join their own rooms only, and never a queue or merchant room.
    c.connect("cust", &url(&a.slug, app.addr), json!({}), "polling")
        .await
        .unwrap();
    assert_eq!(
        c.call("cust", "join-queue", json!([a.queue.to_string()]))
            .await,
        forbidden
    );
    assert_eq!(
        c.call("cust", "merchant:join", json!([a.merchant.to_string()]))
            .await,
        forbidden
    );
    assert_eq!(
        c.call("cust", "customer:join", json!([b_entry["sessionId"]]))
            .await,
        forbidden
    );
    assert_eq!(
        c.call(
            "cust",
            "webchat:join",
            json!(["0123456789abcdef0123456789abcdef"])
        )
        .await,
        forbidden
    );
    assert_eq!(
        c.call("cust", "customer:join", json!([a_entry["sessionId"]]))
            .await,
        json!({"ok": true})
    );
    // An event the server does not know is answered too, not left to time out.
    assert_eq!(
        c.call("cust", "queue:call-next", json!([a.queue.to_string()]))
            .await,
        json!({"ok": false, "error": "unknown_event"})
    );

    // Handshakes: a bad token, a token of another tenant, an unknown host.
    let bad = c
        .connect(
            "bad",
            &url(&a.slug, app.addr),
            json!({"token": "nope"}),
            "websocket",
        )
        .await;
    assert_eq!(bad, Err("unauthorized".into()));
    let other = c
        .connect(
            "other",
            &url(&b.slug, app.addr),
            json!({"token": a.token}),
            "websocket",
        )
        .await;
    assert_eq!(other, Err("unauthorized".into()));
    let ghost = c
        .connect("ghost", &url("ghost", app.addr), json!({}), "websocket")
        .await;
    assert_eq!(ghost, Err("tenant_not_found".into()));

    // After all that, a change in A reaches the customer's own room and nothing else leaks.
    staff_post(&app, &a, &format!("/api/queues/{}/call-next", a.queue)).await;
    c.event("cust", "notification", |n| n["type"] == "called")
        .await
        .expect("own notification");
    c.settle(Duration::from_millis(300)).await;
    assert!(
        c.all("cust", "queue:update").is_empty(),
        "a customer got a queue:update"
    );
    assert!(c.all("cust", "webchat:history").is_empty());
    c.exit().await;
}

#[tokio::test]
async fn the_browser_client_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(format!(
            "http://{}/static/vendor/socket.io-4.8.4.min.js",
            app.addr
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000, immutable")
    );
    let body = res.text().await.unwrap();
    assert!(
        body.starts_with("/*!\n * Socket.IO v4.8.4"),
        "{}",
        &body[..40]
    );
    // The HTTP API is untouched by the Socket.IO layer.
    let (status, _) = call(app.on("localhost", Method::GET, "/api/health")).await;
    assert_eq!(status, 200);
}
