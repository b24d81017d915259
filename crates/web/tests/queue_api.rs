//! The queue API over HTTP: queue management, joining, every staff move, the error answers,
//! tenant isolation from the outside, and concurrent callers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, call, phone};
use qms_domain::{EntryStatus, Plan};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;

fn waiting_positions(details: &Value) -> Vec<i64> {
    details["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn queues_are_managed_through_the_api() {
    let app = TestApp::spawn().await;
    let t = app.tenant("bistro").await;

    let (status, q) = call(app.staff(&t, Method::POST, "/api/queues").json(&json!({
        "name": "  Patio  ", "maxCapacity": 20, "averageServiceTime": 7,
        "businessHoursStart": "00:00", "businessHoursEnd": "00:00"
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    assert_eq!(q["name"], "Patio");
    assert_eq!(q["maxCapacity"], 20);
    assert_eq!(q["acceptingCustomers"], true);
    let id = q["id"].as_str().unwrap().to_string();

    let (status, list) = call(app.staff(&t, Method::GET, "/api/queues")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[1]["stats"]["waiting"], 0);

    let (status, q) = call(
        app.staff(&t, Method::PUT, &format!("/api/queues/{id}"))
            .json(&json!({"description": "Outside", "maxCapacity": 30})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(q["description"], "Outside");
    assert_eq!(q["maxCapacity"], 30);
    assert_eq!(q["averageServiceTime"], 7, "absent fields keep their value");

    let (status, q) = call(app.staff(&t, Method::POST, &format!("/api/queues/{id}/toggle"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(q["acceptingCustomers"], false);

    let (status, body) = call(
        app.staff(&t, Method::PUT, &format!("/api/queues/{id}"))
            .json(&json!({"maxCapacity": 0, "businessHoursEnd": "25:00", "name": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "validation");
    for f in ["maxCapacity", "businessHoursEnd", "name"] {
        assert!(
            body["error"]["fields"][f].is_string(),
            "{f} not reported: {body}"
        );
    }
    let (_, q) = call(app.staff(&t, Method::GET, &format!("/api/queues/{id}"))).await;
    assert_eq!(q["maxCapacity"], 30, "a refused update changes nothing");

    let (status, _) = call(app.staff(&t, Method::DELETE, &format!("/api/queues/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(app.staff(&t, Method::GET, &format!("/api/queues/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn plan_limits_are_enforced() {
    let app = TestApp::spawn().await;
    let t = app.tenant_with_plan("small", Plan::Free).await; // FREE: 3 queues, one exists
    for name in ["Two", "Three"] {
        let (status, _) = call(
            app.staff(&t, Method::POST, "/api/queues")
                .json(&json!({"name": name})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, body) = call(
        app.staff(&t, Method::POST, "/api/queues")
            .json(&json!({"name": "Four"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "plan_limit");
    let (_, list) = call(app.staff(&t, Method::GET, "/api/queues")).await;
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn staff_routes_need_a_valid_token_of_this_tenant() {
    let app = TestApp::spawn().await;
    let a = app.tenant("alpha").await;
    let b = app.tenant("bravo").await;
    let (status, body) = call(app.public(&a, Method::GET, "/api/queues")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (status, _) = call(
        app.public(&a, Method::GET, "/api/queues")
            .bearer_auth("not.a.token"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // B's token on A's host.
    let (status, _) = call(
        app.public(&a, Method::GET, "/api/queues")
            .bearer_auth(&b.token),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = call(
        app.public(&a, Method::POST, "/api/auth/login")
            .json(&json!({"email": a.owner_email, "password": "wrong password!"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_credentials");
    let logs = app
        .store()
        .audit_logs(a.tenant, &qms_store::AuditFilter::default())
        .await
        .unwrap();
    assert!(logs.iter().any(|l| l.action == "auth.login_failed"));
    assert!(logs.iter().any(|l| l.action == "auth.login"));
}

#[tokio::test]
async fn a_customer_joins_and_is_moved_through_the_whole_lifecycle() {
    let app = TestApp::spawn().await;
    let t = app.tenant("diner").await;
    let q = t.queue;
    let first = app.join(&t, "Ann", "+60 12-345 6789").await;
    assert_eq!(first["customerPhone"], "+60123456789");
    assert_eq!(first["position"], 1);
    assert_eq!(first["status"], "waiting");
    assert_eq!(first["queueName"], "Main");
    assert_eq!(first["ticketNumber"], "M-001");
    assert_eq!(first["sessionId"].as_str().unwrap().len(), 32);
    assert_eq!(first["verificationCode"].as_str().unwrap().len(), 6);
    let second = app.join(&t, "Ben", &phone(2)).await;
    assert_eq!(second["position"], 2);
    assert_eq!(second["ticketNumber"], "M-002");
    assert!(
        second["estimatedWaitTime"].as_i64().unwrap()
            >= first["estimatedWaitTime"].as_i64().unwrap()
    );

    // The same phone again, from another device: 200 with where that place stands, but not
    // its keys (the session id would let anyone who knows a phone number cancel the place)
    // nor what its holder typed.
    let (status, again) = call(
        app.public(&t, Method::POST, &format!("/api/queues/{q}/join"))
            .json(&json!({"customerName": "Mallory", "customerPhone": "+60123456789"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["alreadyWaiting"], true);
    assert_eq!(again["ticketNumber"], first["ticketNumber"]);
    assert_eq!(again["position"], 1);
    for secret in [
        "id",
        "sessionId",
        "verificationCode",
        "customerName",
        "customerPhone",
    ] {
        assert!(again.get(secret).is_none(), "{secret} leaked: {again}");
    }
    // From the device holding the place (its `qms_place` cookie): the whole place.
    let sid = first["sessionId"].as_str().unwrap();
    let (status, again) = call(
        app.public(&t, Method::POST, &format!("/api/queues/{q}/join"))
            .header("cookie", format!("qms_place={sid}"))
            .json(&json!({"customerName": "Ann", "customerPhone": "+60123456789"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["sessionId"], first["sessionId"]);

    // The customer sees their place.
    let sid = first["sessionId"].as_str().unwrap();
    let (status, me) = call(app.public(&t, Method::GET, &format!("/api/queues/entry/{sid}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["position"], 1);

    let e1 = first["id"].as_str().unwrap();
    let e2 = second["id"].as_str().unwrap();
    // Seat before call is refused and changes nothing.
    let (status, body) =
        call(app.staff(&t, Method::POST, &format!("/api/queues/{q}/seat/{e1}"))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "invalid_transition");
    let (_, me) = call(app.public(&t, Method::GET, &format!("/api/queues/entry/{sid}"))).await;
    assert_eq!(me["status"], "waiting");

    let (status, called) =
        call(app.staff(&t, Method::POST, &format!("/api/queues/{q}/call-next"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(called["id"], first["id"]);
    assert_eq!(called["status"], "called");
    assert!(called["calledAt"].is_string());
    let (_, them) = call(app.public(
        &t,
        Method::GET,
        &format!(
            "/api/queues/entry/{}",
            second["sessionId"].as_str().unwrap()
        ),
    ))
    .await;
    assert_eq!(them["position"], 1, "Ben moved up");

    for (action, status_after) in [("no-show", "no_show"), ("requeue", "waiting")] {
        let (status, e) =
            call(app.staff(&t, Method::POST, &format!("/api/queues/{q}/{action}/{e1}"))).await;
        assert_eq!(status, StatusCode::OK, "{action}: {e}");
        assert_eq!(e["status"], status_after);
    }
    let (_, details) = call(app.staff(&t, Method::GET, &format!("/api/queues/{q}"))).await;
    assert_eq!(waiting_positions(&details), vec![1, 2]);
    assert_eq!(
        details["entries"][1]["id"], first["id"],
        "requeued at the end"
    );

    for (action, status_after) in [
        ("call", "called"),
        ("seat", "seated"),
        ("complete", "completed"),
    ] {
        let (status, e) =
            call(app.staff(&t, Method::POST, &format!("/api/queues/{q}/{action}/{e2}"))).await;
        assert_eq!(status, StatusCode::OK, "{action}: {e}");
        assert_eq!(e["status"], status_after);
    }
    let (status, body) =
        call(app.staff(&t, Method::POST, &format!("/api/queues/{q}/cancel/{e2}"))).await;
    assert_eq!(status, StatusCode::CONFLICT, "completed is final: {body}");

    // The customer cancels their own place.
    let (status, e) =
        call(app.public(&t, Method::POST, &format!("/api/queues/entry/{sid}/cancel"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(e["status"], "cancelled");
    let (status, body) =
        call(app.staff(&t, Method::POST, &format!("/api/queues/{q}/call-next"))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "queue_empty");

    // Every move left its audit row and analytics event.
    let events = app.store().analytics_events(t.tenant, q).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "customer-joined",
            "customer-joined",
            "called",
            "no-show",
            "requeued",
            "called",
            "seated",
            "completed",
            "cancelled"
        ]
    );
    let actions: HashSet<_> = app
        .store()
        .audit_logs(
            t.tenant,
            &qms_store::AuditFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.action)
        .collect();
    for a in [
        "queue.join",
        "queue.call",
        "queue.no_show",
        "queue.requeue",
        "queue.seat",
        "queue.complete",
        "queue.cancel",
    ] {
        assert!(actions.contains(a), "audit row {a} missing");
    }
}

#[tokio::test]
async fn joining_is_validated_and_refusals_write_nothing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("strict").await;
    let path = format!("/api/queues/{}/join", t.queue);
    let cases = [
        (
            json!({"customerName": "", "customerPhone": "+60123456789"}),
            "customerName",
        ),
        (
            json!({"customerName": "A\u{0}B", "customerPhone": "+60123456789"}),
            "customerName",
        ),
        (
            json!({"customerName": "x".repeat(101), "customerPhone": "+60123456789"}),
            "customerName",
        ),
        (
            json!({"customerName": "Ann", "customerPhone": "12"}),
            "customerPhone",
        ),
        (json!({"customerName": "Ann"}), "customerPhone"),
        (
            json!({"customerName": "Ann", "customerPhone": "+60123456789", "partySize": 0}),
            "partySize",
        ),
        (
            json!({"customerName": "Ann", "customerPhone": "+60123456789", "partySize": 21}),
            "partySize",
        ),
        (
            json!({"customerName": "Ann", "customerPhone": "+60123456789", "partySize": "two"}),
            "partySize",
        ),
        (
            json!({"customerName": "Ann", "customerPhone": "+60123456789", "notes": "n".repeat(501)}),
            "notes",
        ),
        (
            json!({"customerName": "Ann", "customerPhone": "+60123456789", "platform": "fax"}),
            "platform",
        ),
        (
            json!({"customerName": "Ann", "customerPhone": "+60123456789", "serviceTypeId": "00000000-0000-0000-0000-000000000000"}),
            "serviceTypeId",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = call(app.public(&t, Method::POST, &path).json(&body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "validation");
        assert!(
            answer["error"]["fields"][field].is_string(),
            "{field} not named for {body}: {answer}"
        );
    }
    let (status, answer) = call(
        app.public(&t, Method::POST, &path)
            .header("content-type", "application/json")
            .body("{\"customerName\":"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], "bad_request");
    let (status, _) = call(app.public(&t, Method::POST, &path).body("customerName=Ann")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = json!({"customerName": "Ann", "customerPhone": "+60123456789", "notes": "x".repeat(70 * 1024)});
    let (status, answer) = call(app.public(&t, Method::POST, &path).json(&big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let entries = app
        .store()
        .queue_entries(t.tenant, t.queue, &EntryStatus::ALL)
        .await
        .unwrap();
    assert!(
        entries.is_empty(),
        "refused joins wrote {} entries",
        entries.len()
    );
}

#[tokio::test]
async fn full_and_closed_queues_refuse_customers() {
    let app = TestApp::spawn().await;
    let t = app.tenant("tiny").await;
    let q = t.queue;
    call(
        app.staff(&t, Method::PUT, &format!("/api/queues/{q}"))
            .json(&json!({"maxCapacity": 1})),
    )
    .await;
    app.join(&t, "One", &phone(1)).await;
    let (status, body) = call(
        app.public(&t, Method::POST, &format!("/api/queues/{q}/join"))
            .json(&json!({"customerName": "Two", "customerPhone": phone(2)})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "queue_full");

    call(app.staff(&t, Method::POST, &format!("/api/queues/{q}/toggle"))).await;
    let (status, body) = call(
        app.public(&t, Method::POST, &format!("/api/queues/{q}/join"))
            .json(&json!({"customerName": "Two", "customerPhone": phone(2)})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "queue_closed");

    // Outside opening hours the answer says when the queue opens.
    call(app.staff(&t, Method::POST, &format!("/api/queues/{q}/toggle"))).await;
    let now = time::OffsetDateTime::now_utc();
    let start = format!("{:02}:00", (now.hour() + 2) % 24);
    let end = format!("{:02}:00", (now.hour() + 3) % 24);
    call(
        app.staff(&t, Method::PUT, &format!("/api/queues/{q}"))
            .json(
                &json!({"maxCapacity": 10, "businessHoursStart": start, "businessHoursEnd": end}),
            ),
    )
    .await;
    let (status, body) = call(
        app.public(&t, Method::POST, &format!("/api/queues/{q}/join"))
            .json(&json!({"customerName": "Two", "customerPhone": phone(2)})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "queue_closed");
    assert!(body["error"]["opensAt"].is_string(), "{body}");
}

#[tokio::test]
async fn a_retried_join_with_the_same_idempotency_key_answers_the_first_place() {
    let app = TestApp::spawn().await;
    let t = app.tenant("retry").await;
    let path = format!("/api/queues/{}/join", t.queue);
    let body = json!({"customerName": "Ann", "customerPhone": phone(7)});
    let (s1, a) = call(
        app.public(&t, Method::POST, &path)
            .header("Idempotency-Key", "k-1")
            .json(&body),
    )
    .await;
    let (s2, b) = call(
        app.public(&t, Method::POST, &path)
            .header("Idempotency-Key", "k-1")
            .json(&body),
    )
    .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(a["id"], b["id"]);
    assert_eq!(a["ticketNumber"], b["ticketNumber"]);
    let entries = app
        .store()
        .queue_entries(t.tenant, t.queue, &EntryStatus::ALL)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
}

#[tokio::test]
async fn reorder_and_bulk_call() {
    let app = TestApp::spawn().await;
    let t = app.tenant("bulk").await;
    let q = t.queue;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.join(&t, &format!("C{i}"), &phone(i)).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Drag the third customer to the top.
    let order = vec![
        ids[2].clone(),
        ids[0].clone(),
        ids[1].clone(),
        ids[3].clone(),
        ids[4].clone(),
    ];
    let (status, line) = call(
        app.staff(&t, Method::PUT, &format!("/api/queues/{q}/order"))
            .json(&json!({"entryIds": order})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{line}");
    let got: Vec<_> = line
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, order);
    let positions: Vec<_> = line
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, vec![1, 2, 3, 4, 5]);

    let (status, body) = call(
        app.staff(&t, Method::PUT, &format!("/api/queues/{q}/order"))
            .json(&json!({"entryIds": [ids[0], ids[0]]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, called) = call(
        app.staff(&t, Method::POST, &format!("/api/queues/{q}/call-bulk"))
            .json(&json!({"count": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let called: Vec<_> = called
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(called, vec![ids[2].clone(), ids[0].clone()]);

    // A stale order (an entry no longer waiting) is refused whole.
    let (status, body) = call(
        app.staff(&t, Method::PUT, &format!("/api/queues/{q}/order"))
            .json(&json!({"entryIds": [ids[3], ids[2]]})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "stale_order");
    // A bulk call naming a called entry calls nobody.
    let (status, _) = call(
        app.staff(&t, Method::POST, &format!("/api/queues/{q}/call-bulk"))
            .json(&json!({"entryIds": [ids[3], ids[2]]})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, details) = call(app.staff(&t, Method::GET, &format!("/api/queues/{q}"))).await;
    assert_eq!(waiting_positions(&details), vec![1, 2, 3]);
    assert_eq!(details["called"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn another_tenants_ids_are_not_found_and_untouched() {
    let app = TestApp::spawn().await;
    let a = app.tenant("alpha").await;
    let b = app.tenant("bravo").await;
    let entry = app.join(&a, "Ann", &phone(1)).await;
    let e = entry["id"].as_str().unwrap();
    let sid = entry["sessionId"].as_str().unwrap();
    let qa = a.queue;
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/queues/{qa}"), None),
        (
            Method::PUT,
            format!("/api/queues/{qa}"),
            Some(json!({"name": "Hijacked"})),
        ),
        (Method::DELETE, format!("/api/queues/{qa}"), None),
        (Method::POST, format!("/api/queues/{qa}/toggle"), None),
        (
            Method::POST,
            format!("/api/queues/{qa}/join"),
            Some(json!({"customerName": "Eve", "customerPhone": phone(9)})),
        ),
        (Method::POST, format!("/api/queues/{qa}/call-next"), None),
        (Method::POST, format!("/api/queues/{qa}/call/{e}"), None),
        (
            Method::POST,
            format!("/api/queues/{}/call/{e}", b.queue),
            None,
        ),
        (Method::POST, format!("/api/queues/{qa}/cancel/{e}"), None),
        (
            Method::POST,
            format!("/api/queues/{qa}/call-bulk"),
            Some(json!({"entryIds": [e]})),
        ),
        (
            Method::PUT,
            format!("/api/queues/{qa}/order"),
            Some(json!({"entryIds": [e]})),
        ),
        (Method::GET, format!("/api/queues/entry/{sid}"), None),
        (
            Method::POST,
            format!("/api/queues/entry/{sid}/cancel"),
            None,
        ),
    ];
    for (method, path, body) in routes {
        let mut req = app.staff(&b, method.clone(), &path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let (status, answer) = call(req).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{method} {path} through bravo: {answer}"
        );
        assert!(answer["error"]["code"].is_string());
    }
    let (_, details) = call(app.staff(&a, Method::GET, &format!("/api/queues/{qa}"))).await;
    assert_eq!(details["name"], "Main");
    assert_eq!(details["acceptingCustomers"], true);
    assert_eq!(waiting_positions(&details), vec![1]);
    assert_eq!(details["entries"][0]["status"], "waiting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_call_next_hands_each_customer_to_one_caller() {
    let app = Arc::new(TestApp::spawn().await);
    let t = app.tenant("rush").await;
    let n = 500;
    for i in 0..n {
        let mut e = qms_testkit::new_entry(&format!("C{i}"), &phone(i));
        e.party_size = 1;
        app.store()
            .join_queue(
                t.tenant,
                t.queue,
                e,
                &qms_store::Actor::system(),
                time::OffsetDateTime::now_utc(),
            )
            .await
            .unwrap();
    }
    let mut seen = HashSet::new();
    let mut empties = 0;
    loop {
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let app = app.clone();
            let t = t.clone();
            tasks.push(tokio::spawn(async move {
                call(app.staff(
                    &t,
                    Method::POST,
                    &format!("/api/queues/{}/call-next", t.queue),
                ))
                .await
            }));
        }
        let mut round_empty = 0;
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                StatusCode::OK => assert!(
                    seen.insert(body["id"].as_str().unwrap().to_string()),
                    "called twice: {body}"
                ),
                StatusCode::CONFLICT => {
                    assert_eq!(body["error"]["code"], "queue_empty");
                    round_empty += 1;
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        if round_empty > 0 {
            empties += round_empty;
            assert_eq!(
                seen.len(),
                n as usize,
                "queue_empty before everyone was called"
            );
            break;
        }
    }
    assert!(empties > 0);
    let called = app
        .store()
        .queue_entries(t.tenant, t.queue, &[EntryStatus::Called])
        .await
        .unwrap();
    assert_eq!(called.len(), n as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_joins_get_distinct_places_and_tickets() {
    let app = Arc::new(TestApp::spawn().await);
    let t = app.tenant("crowd").await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let app = app.clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            call(
                app.public(&t, Method::POST, &format!("/api/queues/{}/join", t.queue))
                    .header("x-forwarded-for", common::client_address(&i.to_string()))
                    .json(
                        &json!({"customerName": format!("C{i}"), "customerPhone": phone(100 + i)}),
                    ),
            )
            .await
        }));
    }
    let mut ids = HashSet::new();
    let mut tickets = HashSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.insert(body["id"].as_str().unwrap().to_string());
        tickets.insert(body["ticketNumber"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 64);
    assert_eq!(tickets.len(), 64);
    let (_, details) = call(app.staff(&t, Method::GET, &format!("/api/queues/{}", t.queue))).await;
    assert_eq!(waiting_positions(&details), (1..=64).collect::<Vec<_>>());
}
