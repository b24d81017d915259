//! Several instances on one database and one Redis: an event caused on B reaches a socket on
//! A, once; and when Redis restarts, HTTP keeps answering, each instance keeps delivering to
//! its own sockets, and cross-instance delivery comes back by itself within 10 s.
//!
//! The first test uses the Redis of `TEST_REDIS_URL` (default `redis://127.0.0.1:6379`); the
//! restart test starts its own `redis-server` on a free port, so it never disturbs others.

use crate::client::{Clients, Kind};
use crate::common::{Tenant, TestApp};
use crate::{customer_socket, join_at, staff_socket};
use std::time::{Duration, Instant};

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Skips (or fails under `QMS_TEST_STRICT=1`) when `what` is missing.
fn require(test: &str, ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    let line = format!("skipped {test}: missing {what}");
    assert!(!qms_testkit::strict(), "{line} (QMS_TEST_STRICT=1)");
    println!("{line}");
    false
}

async fn redis_answers(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let ping = async {
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()
    };
    tokio::time::timeout(Duration::from_secs(2), ping)
        .await
        .ok()
        .flatten()
        .is_some()
}

/// A prefix of Redis channels of this test alone.
fn prefix(test: &str) -> String {
    format!("qms-test-{test}-{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn an_event_caused_on_one_instance_reaches_sockets_on_another() {
    let test = "an_event_caused_on_one_instance_reaches_sockets_on_another";
    let url = redis_url();
    if !require(test, redis_answers(&url).await, &format!("Redis at {url}")) {
        return;
    }
    let prefix = prefix("two");
    let (u, p) = (url.clone(), prefix.clone());
    let a = TestApp::spawn_with(move |s| {
        s.redis_url = Some(u);
        s.redis_prefix = p;
    })
    .await;
    let b = a
        .another_instance(|s| {
            s.redis_url = Some(url);
            s.redis_prefix = prefix;
        })
        .await;
    let t = a.tenant("cluster").await;
    let Some(mut js) = Clients::start(test, Kind::Js).await else {
        return;
    };
    let Some(mut py) = Clients::start(test, Kind::Python).await else {
        return;
    };
    staff_socket(&mut js, "board-a", a.addr, &t, "websocket").await;
    staff_socket(&mut py, "board-b", b.addr, &t, "polling").await;

    // A join on B reaches the board on A (and the one on B), once each.
    let entry = join_at(&a, b.addr, &t, "Fay", 1).await;
    let sid = entry["sessionId"].as_str().unwrap().to_string();
    let on_a = js
        .event("board-a", "queue:update", |u| {
            u["entry"]["id"] == entry["id"]
        })
        .await;
    assert_eq!(on_a.expect("board on A")["action"], "customer-joined");
    py.event("board-b", "queue:update", |u| {
        u["entry"]["id"] == entry["id"]
    })
    .await
    .expect("board on B");

    // A customer on A hears of a call made through B.
    customer_socket(&mut js, "fay", a.addr, &t, &sid, "polling").await;
    let res = a
        .client
        .post(format!(
            "http://{}/api/queues/{}/call-next",
            b.addr, t.queue
        ))
        .header(reqwest::header::HOST, crate::common::host(&t.slug))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let called = js
        .event("fay", "notification", |n| n["type"] == "called")
        .await;
    assert_eq!(
        called.expect("customer on A called through B")["ticketNumber"],
        entry["ticketNumber"]
    );

    js.settle(Duration::from_millis(500)).await;
    py.settle(Duration::from_millis(300)).await;
    for (c, id) in [(&js, "board-a"), (&py, "board-b")] {
        let updates = c.all(id, "queue:update");
        assert_eq!(updates.len(), 2, "{id}: {updates:?}");
    }
    assert_eq!(
        js.all("fay", "notification").len(),
        1,
        "the customer's notification came once"
    );
    js.exit().await;
    py.exit().await;
}

/// A `redis-server` of this test on its own port, stopped when dropped.
struct OwnRedis {
    port: u16,
    child: Option<tokio::process::Child>,
}

impl OwnRedis {
    async fn start(port: u16) -> OwnRedis {
        let child = tokio::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start redis-server");
        let me = OwnRedis {
            port,
            child: Some(child),
        };
        for _ in 0..50 {
            if redis_answers(&me.url()).await {
                return me;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("redis-server on port {port} did not start");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Causes a change on B and answers whether the board on A hears of it within `wait`.
async fn reaches_a(
    app: &TestApp,
    b: std::net::SocketAddr,
    t: &Tenant,
    c: &mut Clients,
    n: u32,
    wait: Duration,
) -> bool {
    let entry = join_at(app, b, t, &format!("Probe {n}"), n).await;
    c.wait(
        |l| {
            l["id"] == "board-a"
                && l["event"] == "queue:update"
                && l["args"][0]["entry"]["id"] == entry["id"]
        },
        wait,
    )
    .await
    .is_some()
}

#[tokio::test]
async fn cross_instance_delivery_survives_a_redis_restart() {
    let test = "cross_instance_delivery_survives_a_redis_restart";
    let has_redis = std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !require(
        test,
        has_redis,
        "redis-server (apt-get install redis-server)",
    ) {
        return;
    }
    let mut redis = OwnRedis::start(free_port()).await;
    let (url, prefix) = (redis.url(), prefix("restart"));
    let (u, p) = (url.clone(), prefix.clone());
    let a = TestApp::spawn_with(move |s| {
        s.redis_url = Some(u);
        s.redis_prefix = p;
    })
    .await;
    let b = a
        .another_instance(|s| {
            s.redis_url = Some(url);
            s.redis_prefix = prefix;
        })
        .await;
    let t = a.tenant("restart").await;
    let Some(mut c) = Clients::start(test, Kind::Js).await else {
        return;
    };
    staff_socket(&mut c, "board-a", a.addr, &t, "websocket").await;
    staff_socket(&mut c, "board-b", b.addr, &t, "websocket").await;
    assert!(
        reaches_a(&a, b.addr, &t, &mut c, 1, Duration::from_secs(5)).await,
        "no delivery before the restart"
    );

    // Redis goes away: HTTP still answers (no 5xx), B still tells its own sockets.
    redis.stop().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let entry = join_at(&a, b.addr, &t, "During outage", 2).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a join took {:?} while Redis was down",
        started.elapsed()
    );
    c.event("board-b", "queue:update", |u| {
        u["entry"]["id"] == entry["id"]
    })
    .await
    .expect("local delivery on B while Redis is down");
    let (status, _) = crate::common::call(a.staff(
        &t,
        reqwest::Method::GET,
        &format!("/api/queues/{}", t.queue),
    ))
    .await;
    assert_eq!(status, 200);

    // Redis comes back on the same port: delivery across instances resumes within 10 s.
    let mut redis = OwnRedis::start(redis.port).await;
    let back = Instant::now();
    let mut n = 3;
    let mut resumed = false;
    while back.elapsed() < Duration::from_secs(10) {
        if reaches_a(&a, b.addr, &t, &mut c, n, Duration::from_millis(700)).await {
            resumed = true;
            break;
        }
        n += 1;
    }
    assert!(
        resumed,
        "cross-instance delivery did not resume within 10 s of Redis coming back"
    );
    println!(
        "cross-instance delivery resumed {:?} after Redis came back",
        back.elapsed()
    );
    // And it stays single: one more change arrives exactly once on A.
    let entry = join_at(&a, b.addr, &t, "After", 99).await;
    c.event("board-a", "queue:update", |u| {
        u["entry"]["id"] == entry["id"]
    })
    .await
    .expect("after the restart");
    c.settle(Duration::from_millis(300)).await;
    let copies = c
        .all("board-a", "queue:update")
        .iter()
        .filter(|u| u["entry"]["id"] == entry["id"])
        .count();
    assert_eq!(copies, 1);
    c.exit().await;
    redis.stop().await;
}
