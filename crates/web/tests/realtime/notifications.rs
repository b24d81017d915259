//! Customers' `notification`s: only when their place, estimate or status changed, and one
//! `reminder` when they come near the front (place 2, or within the queue's
//! `notificationInterval` minutes). Order of delivery is the proof that nothing extra came:
//! each socket receives the events of the worker's jobs in order, so a later expected event
//! shows that an earlier job sent it nothing more.

use crate::client::{Clients, Kind};
use crate::common::TestApp;
use crate::{customer_socket, join_at, staff_post, staff_socket};
use serde_json::Value;

/// `(type, position, status)` of every notification socket `id` received.
fn told(c: &Clients, id: &str) -> Vec<(String, i64, String)> {
    c.all(id, "notification")
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap().to_string(),
                n["position"].as_i64().unwrap(),
                n["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn t(kind: &str, position: i64, status: &str) -> (String, i64, String) {
    (kind.to_string(), position, status.to_string())
}

#[tokio::test]
async fn customers_hear_only_of_changes_and_get_one_reminder_near_the_front() {
    let app = TestApp::spawn().await;
    // The test queue: 5 minutes per turn, reminders within 5 minutes or at place 2.
    let tn = app.tenant("remind").await;
    let mut people: Vec<Value> = Vec::new();
    for (i, name) in ["Ana", "Ben", "Cai", "Dee", "Eli"].iter().enumerate() {
        people.push(join_at(&app, app.addr, &tn, name, i as u32 + 1).await);
    }
    let Some(mut js) = Clients::start("customers_hear_only_of_changes", Kind::Js).await else {
        return;
    };
    let Some(mut py) = Clients::start("customers_hear_only_of_changes", Kind::Python).await else {
        return;
    };
    let sid = |i: usize| people[i]["sessionId"].as_str().unwrap().to_string();
    // Ana, Cai and Eli on the JavaScript client; Ben and Dee on python-socketio.
    customer_socket(&mut js, "c1", app.addr, &tn, &sid(0), "websocket").await;
    customer_socket(&mut py, "c2", app.addr, &tn, &sid(1), "polling").await;
    customer_socket(&mut js, "c3", app.addr, &tn, &sid(2), "polling").await;
    customer_socket(&mut py, "c4", app.addr, &tn, &sid(3), "websocket").await;
    customer_socket(&mut js, "c5", app.addr, &tn, &sid(4), "websocket").await;
    let call_next = format!("/api/queues/{}/call-next", tn.queue);

    // First call: Ana is called, everyone moves up; Cai reaches place 2 and is reminded.
    staff_post(&app, &tn, &call_next).await;
    js.event("c1", "notification", |n| n["type"] == "called")
        .await
        .expect("Ana called");
    py.event("c2", "notification", |n| n["position"] == 1)
        .await
        .expect("Ben first");
    let cai = js
        .event("c3", "notification", |n| n["type"] == "reminder")
        .await
        .expect("Cai reminded");
    assert_eq!(cai["position"], 2);
    assert_eq!(cai["status"], "waiting");
    assert_eq!(cai["queueName"], "Main");
    assert!(
        cai["message"]
            .as_str()
            .unwrap()
            .contains("Almost your turn")
    );
    py.event("c4", "notification", |n| n["position"] == 3)
        .await
        .expect("Dee third");
    js.event("c5", "notification", |n| n["position"] == 4)
        .await
        .expect("Eli fourth");

    // Second call: Ben is called; Dee reaches place 2 and is reminded; Cai is not again.
    staff_post(&app, &tn, &call_next).await;
    py.event("c4", "notification", |n| n["type"] == "reminder")
        .await
        .expect("Dee reminded");
    js.event("c5", "notification", |n| n["position"] == 3)
        .await
        .expect("Eli third");

    // The last in line leaves: nobody else moved, so only Eli hears of it.
    let eli = people[4]["id"].as_str().unwrap();
    staff_post(&app, &tn, &format!("/api/queues/{}/cancel/{eli}", tn.queue)).await;
    js.event("c5", "notification", |n| n["status"] == "cancelled")
        .await
        .expect("Eli cancelled");

    // Third call: Cai is called, Dee moves to the front. Both heard nothing of the cancel.
    staff_post(&app, &tn, &call_next).await;
    js.event("c3", "notification", |n| n["type"] == "called")
        .await
        .expect("Cai called");
    py.event("c4", "notification", |n| n["position"] == 1)
        .await
        .expect("Dee first");

    assert_eq!(told(&js, "c1"), vec![t("called", 0, "called")]);
    assert_eq!(
        told(&py, "c2"),
        vec![t("update", 1, "waiting"), t("called", 0, "called")]
    );
    assert_eq!(
        told(&js, "c3"),
        vec![
            t("reminder", 2, "waiting"),
            t("update", 1, "waiting"),
            t("called", 0, "called")
        ]
    );
    assert_eq!(
        told(&py, "c4"),
        vec![
            t("update", 3, "waiting"),
            t("reminder", 2, "waiting"),
            t("update", 1, "waiting")
        ]
    );
    assert_eq!(
        told(&js, "c5")[..3],
        [
            t("update", 4, "waiting"),
            t("update", 3, "waiting"),
            t("update", 0, "cancelled")
        ]
    );
    js.exit().await;
    py.exit().await;
}

/// A queue whose line nobody listened to is fanned out with its numbers only (staff still get
/// every `queue:update`); a customer who connects afterwards hears the next move that shifts
/// them.
#[tokio::test]
async fn a_customer_who_connects_to_a_line_nobody_listened_to_hears_the_next_move() {
    let app = TestApp::spawn().await;
    let tn = app.tenant("quiet").await;
    let mut people: Vec<Value> = Vec::new();
    for (i, name) in ["Ana", "Ben", "Cai", "Dee"].iter().enumerate() {
        people.push(join_at(&app, app.addr, &tn, name, i as u32 + 1).await);
    }
    let Some(mut js) = Clients::start("a_customer_who_connects_to_a_quiet_line", Kind::Js).await
    else {
        return;
    };
    staff_socket(&mut js, "board", app.addr, &tn, "websocket").await;
    let call_next = format!("/api/queues/{}/call-next", tn.queue);

    // Two calls with no customer connected: the board hears both, with the line's numbers.
    for (called, waiting) in [(0, 3), (1, 2)] {
        staff_post(&app, &tn, &call_next).await;
        let id = people[called]["id"].clone();
        let update = js
            .event("board", "queue:update", |u| {
                u["action"] == "called" && u["entry"]["id"] == id
            })
            .await
            .expect("the board hears the call");
        assert_eq!(update["stats"]["waiting"], waiting);
        assert_eq!(update["entry"]["status"], "called");
    }

    // Dee connects, third in line then second; the next call moves her to the front.
    let dee = people[3]["sessionId"].as_str().unwrap().to_string();
    customer_socket(&mut js, "dee", app.addr, &tn, &dee, "websocket").await;
    staff_post(&app, &tn, &call_next).await;
    let told = js
        .event("dee", "notification", |n| n["position"] == 1)
        .await
        .expect("Dee hears she is first");
    assert_eq!(told["status"], "waiting");
    let update = js
        .event("board", "queue:update", |u| {
            u["action"] == "called" && u["entry"]["id"] == people[2]["id"]
        })
        .await
        .expect("the board hears the third call");
    assert_eq!(update["stats"]["waiting"], 1);
    js.exit().await;
}
