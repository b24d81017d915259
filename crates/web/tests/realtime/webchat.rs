//! Webchat (TSD §4.3): a round trip between a customer and the staff over both official
//! clients, the history after a reconnect, and the REST twins (send, history, recovery).

use crate::client::{Clients, Kind, url};
use crate::common::{TestApp, call, host, phone};
use crate::{join_at, staff_socket};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn webchat_round_trip_and_history_after_reconnect() {
    let app = TestApp::spawn().await;
    let t = app.tenant("chat").await;
    let entry = join_at(&app, app.addr, &t, "Dina", 1).await;
    let sid = entry["sessionId"].as_str().unwrap().to_string();
    let Some(mut staff) = Clients::start("webchat_round_trip", Kind::Js).await else {
        return;
    };
    let Some(mut cust) = Clients::start("webchat_round_trip", Kind::Python).await else {
        return;
    };
    staff_socket(&mut staff, "staff", app.addr, &t, "polling").await;
    cust.connect(
        "cust",
        &url(&t.slug, app.addr),
        json!({"sessionId": sid}),
        "websocket",
    )
    .await
    .unwrap();
    assert_eq!(
        cust.call("cust", "webchat:join", json!([sid])).await,
        json!({"ok": true})
    );
    let history = cust
        .event("cust", "webchat:history", |_| true)
        .await
        .expect("history");
    assert_eq!(history, json!([]));
    assert_eq!(
        staff.call("staff", "webchat:join", json!([sid])).await,
        json!({"ok": true})
    );

    // Customer → staff: the message in the chat room, and a notice in the queue room.
    let ack = cust
        .call(
            "cust",
            "webchat:message",
            json!([{"sessionId": sid, "content": "Is there a high chair?"}]),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["message"]["sender"], "customer");
    let got = staff
        .event("staff", "message", |m| m["sender"] == "customer")
        .await
        .expect("staff got it");
    assert_eq!(got["content"], "Is there a high chair?");
    assert!(got["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(got["metadata"]["sessionId"], sid.as_str());
    let notice = staff
        .event("staff", "webchat:new-message", |_| true)
        .await
        .expect("notice");
    assert_eq!(notice, json!({"sessionId": sid, "customerName": "Dina"}));
    cust.event("cust", "message", |m| m["sender"] == "customer")
        .await
        .expect("echo to the room");

    // Staff → customer.
    let ack = staff
        .call(
            "staff",
            "webchat:message",
            json!([{"sessionId": sid, "content": "Yes,\nwe have two."}]),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let reply = cust
        .event("cust", "message", |m| m["sender"] == "staff")
        .await
        .expect("reply");
    assert_eq!(reply["content"], "Yes,\nwe have two.");

    // Refused: blank, too long, control characters, another session.
    for bad in ["   ", &"x".repeat(1001), "bell\u{7}"] {
        let ack = cust
            .call(
                "cust",
                "webchat:message",
                json!([{"sessionId": sid, "content": bad}]),
            )
            .await;
        assert_eq!(ack, json!({"ok": false, "error": "bad_request"}), "{bad:?}");
    }
    let other = cust
        .call(
            "cust",
            "webchat:message",
            json!([{"sessionId": "0123456789abcdef0123456789abcdef", "content": "hi"}]),
        )
        .await;
    assert_eq!(other, json!({"ok": false, "error": "forbidden"}));

    // Reconnect: a new socket gets the whole conversation in order.
    cust.disconnect("cust").await;
    cust.connect("cust2", &url(&t.slug, app.addr), json!({}), "polling")
        .await
        .unwrap();
    assert_eq!(
        cust.call("cust2", "webchat:join", json!([sid])).await,
        json!({"ok": true})
    );
    let history = cust
        .event("cust2", "webchat:history", |_| true)
        .await
        .expect("history");
    let lines: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["sender"].clone(), m["content"].clone()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (json!("customer"), json!("Is there a high chair?")),
            (json!("staff"), json!("Yes,\nwe have two."))
        ]
    );
    staff.settle(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        staff.all("staff", "webchat:new-message").len(),
        1,
        "one notice per customer message"
    );
    assert_eq!(staff.all("staff", "message").len(), 2, "each message once");
    staff.exit().await;
    cust.exit().await;
}

#[tokio::test]
async fn webchat_rest_twins() {
    let app = TestApp::spawn().await;
    let t = app.tenant("chatrest").await;
    let other = app.tenant("chatother").await;
    let entry = join_at(&app, app.addr, &t, "Eli", 7).await;
    let sid = entry["sessionId"].as_str().unwrap();

    // The customer sends with their session id; staff with their token.
    let (status, body) = call(
        app.public(&t, Method::POST, "/api/queue/webchat/send")
            .json(&json!({"sessionId": sid, "content": "hello"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["sender"], "customer");
    let (status, body) = call(
        app.staff(&t, Method::POST, "/api/queue/webchat/send")
            .json(&json!({"sessionId": sid, "content": "hi Eli"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["sender"], "staff");
    let (status, body) =
        call(app.public(&t, Method::GET, &format!("/api/queue/webchat/{sid}"))).await;
    assert_eq!(status, 200);
    assert_eq!(body["customerName"], "Eli");
    let senders: Vec<_> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sender"].clone())
        .collect();
    assert_eq!(senders, vec![json!("customer"), json!("staff")]);

    // Bad content is a field error; another tenant's host knows nothing of the session.
    let (status, body) = call(
        app.public(&t, Method::POST, "/api/queue/webchat/send")
            .json(&json!({"sessionId": sid, "content": ""})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["content"].is_string(), "{body}");
    let (status, _) =
        call(app.public(&other, Method::GET, &format!("/api/queue/webchat/{sid}"))).await;
    assert_eq!(status, 404);
    let (status, _) = call(
        app.staff(&other, Method::POST, "/api/queue/webchat/send")
            .json(&json!({"sessionId": sid, "content": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    // A token for another tenant is refused outright.
    let (status, _) = call(
        app.on(&host(&t.slug), Method::POST, "/api/queue/webchat/send")
            .bearer_auth(&other.token)
            .json(&json!({"sessionId": sid, "content": "x"})),
    )
    .await;
    assert_eq!(status, 401);

    // Recovery: the phone and the code give the session back; a wrong code does not.
    let code = entry["verificationCode"].as_str().unwrap();
    let (status, body) = call(
        app.public(&t, Method::POST, "/api/queue/webchat/recovery")
            .json(&json!({"customerPhone": phone(7), "verificationCode": code})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessionId"], sid);
    assert_eq!(body["queueId"], t.queue.to_string());
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let (status, _) = call(
        app.public(&t, Method::POST, "/api/queue/webchat/recovery")
            .json(&json!({"customerPhone": phone(7), "verificationCode": wrong})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        app.public(&other, Method::POST, "/api/queue/webchat/recovery")
            .json(&json!({"customerPhone": phone(7), "verificationCode": code})),
    )
    .await;
    assert_eq!(status, 404, "another tenant's host");
    // A device that remembered the session id checks it is still a live chat.
    let (status, body) = call(
        app.public(&t, Method::POST, "/api/queue/webchat/recovery")
            .json(&json!({"sessionId": sid})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessionId"], sid);
    let (status, _) = call(
        app.public(&other, Method::POST, "/api/queue/webchat/recovery")
            .json(&json!({"sessionId": sid})),
    )
    .await;
    assert_eq!(status, 404, "a session of another tenant");
    let (status, _) = call(
        app.public(&t, Method::POST, "/api/queue/webchat/recovery")
            .json(&json!({"sessionId": sid, "verificationCode": code})),
    )
    .await;
    assert_eq!(status, 400, "either a session id or phone and code");
    // Guessing is limited per phone.
    let mut limited = false;
    for _ in 0..10 {
        let (status, _) = call(
            app.public(&t, Method::POST, "/api/queue/webchat/recovery")
                .json(&json!({"customerPhone": phone(7), "verificationCode": wrong})),
        )
        .await;
        limited |= status == 429;
    }
    assert!(limited, "recovery attempts are not limited");

    // Once the visit is over the chat is closed.
    crate::staff_post(
        &app,
        &t,
        &format!(
            "/api/queues/{}/cancel/{}",
            t.queue,
            entry["id"].as_str().unwrap()
        ),
    )
    .await;
    let (status, body) = call(
        app.public(&t, Method::POST, "/api/queue/webchat/send")
            .json(&json!({"sessionId": sid, "content": "still there?"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "chat_closed");
    let (status, _) = call(
        app.public(&t, Method::POST, "/api/queue/webchat/recovery")
            .json(&json!({"sessionId": sid})),
    )
    .await;
    assert_eq!(status, 404, "a closed chat is not recovered");
}
