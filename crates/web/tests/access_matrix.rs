//! Who may call what: every API route walked with every kind of caller, against a table of
//! expected statuses written out below. Columns:
//!
//! | col | caller |
//! |---|---|
//! | anon | nobody signed in |
//! | cust | a customer of tenant A (they hold a session id, no credentials) |
//! | staff, mgr, admin, owner | tenant A's members with those roles (API tokens) |
//! | b_tok | tenant B's owner using B's token on A's host |
//! | b_ids | tenant A's owner with B's ids in the URL |
//! | bo | a BackOffice operator's session cookie on A's host |
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, call, phone};
use qms_domain::{Role, Transition};
use qms_store::{Actor, NewServiceType, NewUser, SessionRecord};
use qms_web::session::{SessionData, SessionKind, hash_secret, random_secret};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use time::OffsetDateTime;
use uuid::Uuid;

const COLS: [&str; 9] = [
    "anon", "cust", "staff", "mgr", "admin", "owner", "b_tok", "b_ids", "bo",
];

/// What a route needs prepared in the tenant whose ids go into the URL.
#[derive(Clone, Copy)]
enum Need {
    Nothing,
    Entry(&'static [Transition]),
    FreshQueue,
    ServiceType,
    StaffUser,
}

struct Route {
    method: Method,
    path: &'static str,
    body: fn(u32) -> Option<Value>,
    need: Need,
    expect: [u16; 9],
}

fn none(_: u32) -> Option<Value> {
    None
}

// Shorthands for the common rows.
const STAFF_ROUTE: [u16; 9] = [401, 401, 200, 200, 200, 200, 401, 404, 401];
const MANAGER_ROUTE: [u16; 9] = [401, 401, 403, 200, 200, 200, 401, 404, 401];
const ADMIN_ROUTE: [u16; 9] = [401, 401, 403, 403, 200, 200, 401, 404, 401];

fn routes() -> Vec<Route> {
    use Method as M;
    use Transition as T;
    vec![
        Route {
            method: M::GET,
            path: "/api/queues",
            body: none,
            need: Need::Nothing,
            expect: [401, 401, 200, 200, 200, 200, 401, 200, 401],
        },
        Route {
            method: M::POST,
            path: "/api/queues",
            body: |n| Some(json!({"name": format!("Q{n}")})),
            need: Need::Nothing,
            expect: [401, 401, 403, 201, 201, 201, 401, 201, 401],
        },
        Route {
            method: M::GET,
            path: "/api/queues/{q}",
            body: none,
            need: Need::Nothing,
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::PUT,
            path: "/api/queues/{q}",
            body: |_| Some(json!({"description": "x"})),
            need: Need::Nothing,
            expect: MANAGER_ROUTE,
        },
        Route {
            method: M::DELETE,
            path: "/api/queues/{fq}",
            body: none,
            need: Need::FreshQueue,
            expect: [401, 401, 403, 204, 204, 204, 401, 404, 401],
        },
        Route {
            method: M::POST,
            path: "/api/queues/{fq}/toggle",
            body: none,
            need: Need::FreshQueue,
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::POST,
            path: "/api/queues/{q}/join",
            body: |n| Some(json!({"customerName": "M", "customerPhone": phone(500_000 + n)})),
            need: Need::Nothing,
            expect: [201, 201, 201, 201, 201, 201, 201, 404, 201],
        },
        Route {
            method: M::GET,
            path: "/api/queues/entry/{sid}",
            body: none,
            need: Need::Entry(&[]),
            expect: [200, 200, 200, 200, 200, 200, 200, 404, 200],
        },
        Route {
            method: M::POST,
            path: "/api/queues/entry/{sid}/cancel",
            body: none,
            need: Need::Entry(&[]),
            expect: [200, 200, 200, 200, 200, 200, 200, 404, 200],
        },
        Route {
            method: M::POST,
            path: "/api/queues/{q}/call-next",
            body: none,
            need: Need::Entry(&[]),
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::POST,
            path: "/api/queues/{q}/call/{e}",
            body: none,
            need: Need::Entry(&[]),
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::POST,
            path: "/api/queues/{q}/seat/{e}",
            body: none,
            need: Need::Entry(&[T::Call]),
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::POST,
            path: "/api/queues/{q}/complete/{e}",
            body: none,
            need: Need::Entry(&[T::Call, T::Seat]),
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::POST,
            path: "/api/queues/{q}/cancel/{e}",
            body: none,
            need: Need::Entry(&[]),
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::POST,
            path: "/api/queues/{q}/no-show/{e}",
            body: none,
            need: Need::Entry(&[T::Call]),
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::POST,
            path: "/api/queues/{q}/requeue/{e}",
            body: none,
            need: Need::Entry(&[T::Call, T::NoShow]),
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::PUT,
            path: "/api/queues/{q}/order",
            body: |_| Some(json!({"entryIds": ["{e}"]})),
            need: Need::Entry(&[]),
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::POST,
            path: "/api/queues/{q}/call-bulk",
            body: |_| Some(json!({"entryIds": ["{e}"]})),
            need: Need::Entry(&[]),
            expect: STAFF_ROUTE,
        },
        Route {
            method: M::GET,
            path: "/api/service-types",
            body: none,
            need: Need::Nothing,
            expect: [401, 401, 200, 200, 200, 200, 401, 200, 401],
        },
        Route {
            method: M::POST,
            path: "/api/service-types",
            body: |n| Some(json!({"name": format!("S{n}")})),
            need: Need::Nothing,
            expect: [401, 401, 403, 201, 201, 201, 401, 201, 401],
        },
        Route {
            method: M::PUT,
            path: "/api/service-types/{st}",
            body: |n| Some(json!({"name": format!("S{n}")})),
            need: Need::ServiceType,
            expect: MANAGER_ROUTE,
        },
        Route {
            method: M::DELETE,
            path: "/api/service-types/{st}",
            body: none,
            need: Need::ServiceType,
            expect: [401, 401, 403, 204, 204, 204, 401, 404, 401],
        },
        Route {
            method: M::GET,
            path: "/api/users",
            body: none,
            need: Need::Nothing,
            expect: [401, 401, 403, 403, 200, 200, 401, 200, 401],
        },
        Route {
            method: M::POST,
            path: "/api/users",
            body: |n| {
                Some(
                    json!({"email": format!("new{n}@a.example"), "fullName": "New", "role": "STAFF"}),
                )
            },
            need: Need::Nothing,
            expect: [401, 401, 403, 403, 201, 201, 401, 201, 401],
        },
        Route {
            method: M::PUT,
            path: "/api/users/{u}",
            body: |_| Some(json!({"fullName": "Renamed"})),
            need: Need::StaffUser,
            expect: ADMIN_ROUTE,
        },
        Route {
            method: M::DELETE,
            path: "/api/users/{u}",
            body: none,
            need: Need::StaffUser,
            expect: [401, 401, 403, 403, 204, 204, 401, 404, 401],
        },
        Route {
            method: M::GET,
            path: "/api/audit-logs",
            body: none,
            need: Need::Nothing,
            expect: [401, 401, 403, 403, 200, 200, 401, 200, 401],
        },
        Route {
            method: M::GET,
            path: "/api/auth/session",
            body: none,
            need: Need::Nothing,
            expect: [401, 401, 200, 200, 200, 200, 401, 200, 401],
        },
        Route {
            method: M::POST,
            path: "/api/auth/logout",
            body: none,
            need: Need::Nothing,
            expect: [401, 401, 204, 204, 204, 204, 401, 204, 401],
        },
    ]
}

struct Ids {
    q: Uuid,
    e: Option<Uuid>,
    sid: Option<String>,
    fq: Option<Uuid>,
    st: Option<Uuid>,
    u: Option<Uuid>,
}

async fn prepare(app: &TestApp, t: &common::Tenant, need: Need, n: u32) -> Ids {
    let store = app.store();
    let actor = Actor::system();
    let mut ids = Ids {
        q: t.queue,
        e: None,
        sid: None,
        fq: None,
        st: None,
        u: None,
    };
    match need {
        Need::Nothing => {}
        Need::Entry(moves) => {
            let entry = qms_testkit::new_entry("Cell", &phone(n));
            let sid = entry.session_id.clone();
            let joined = store
                .join_queue(t.tenant, t.queue, entry, &actor, OffsetDateTime::now_utc())
                .await
                .unwrap();
            let e = joined.entry().id;
            for m in moves {
                store
                    .transition(t.tenant, t.queue, e, *m, &actor)
                    .await
                    .unwrap();
            }
            ids.e = Some(e);
            ids.sid = Some(sid);
        }
        Need::FreshQueue => {
            let q = store
                .create_queue(
                    t.tenant,
                    t.merchant,
                    qms_testkit::open_queue(&format!("F{n}")),
                    &actor,
                )
                .await
                .unwrap();
            ids.fq = Some(q.id);
        }
        Need::ServiceType => {
            let st = NewServiceType {
                name: format!("T{n}"),
                description: None,
                estimated_duration: 10,
                is_active: true,
            };
            ids.st = Some(
                store
                    .create_service_type(t.tenant, t.merchant, st, &actor)
                    .await
                    .unwrap()
                    .id,
            );
        }
        Need::StaffUser => {
            let new = NewUser {
                email: format!("cell{n}@x.example"),
                full_name: "Cell".into(),
                role: Role::Staff,
                invite_token_hash: hash_secret(&random_secret()),
                invite_expires: OffsetDateTime::now_utc() + time::Duration::days(1),
            };
            ids.u = Some(store.invite_user(t.tenant, new, &actor).await.unwrap().id);
        }
    }
    ids
}

fn fill(template: &str, ids: &Ids) -> String {
    let s = |o: Option<Uuid>| o.map(|u| u.to_string()).unwrap_or_default();
    template
        .replace("{q}", &ids.q.to_string())
        .replace("{e}", &s(ids.e))
        .replace("{sid}", ids.sid.as_deref().unwrap_or(""))
        .replace("{fq}", &s(ids.fq))
        .replace("{st}", &s(ids.st))
        .replace("{u}", &s(ids.u))
}

/// Signs in a new member of `t` with `role` and answers their API token.
async fn member(app: &TestApp, t: &common::Tenant, role: Role) -> String {
    let email = format!("{}@{}.example", role.as_str().to_lowercase(), t.slug);
    let token = random_secret();
    let new = NewUser {
        email: email.clone(),
        full_name: role.as_str().into(),
        role,
        invite_token_hash: hash_secret(&token),
        invite_expires: OffsetDateTime::now_utc() + time::Duration::days(1),
    };
    let store = app.store();
    store
        .invite_user(t.tenant, new, &Actor::system())
        .await
        .unwrap();
    let hash = qms_web::auth::hash_password(common::PASSWORD.into())
        .await
        .unwrap();
    store
        .redeem_token(
            t.tenant,
            qms_store::TokenKind::Invite,
            &hash_secret(&token),
            &hash,
            &Actor::system(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    app.login(&t.slug, &email, common::PASSWORD).await
}

/// A BackOffice session as the BackOffice would store it: (cookie id, CSRF token).
async fn backoffice_session(app: &TestApp) -> (String, String) {
    let user = app
        .store()
        .create_backoffice_user(qms_store::NewBackOfficeUser {
            email: "ops@platform.example".into(),
            full_name: "Ops".into(),
            password_hash: qms_web::auth::hash_password(common::PASSWORD.into())
                .await
                .unwrap(),
        })
        .await
        .unwrap();
    let id = random_secret();
    let now = OffsetDateTime::now_utc();
    let data = SessionData {
        kind: SessionKind::Backoffice,
        tenant: None,
        user: user.id,
        csrf: random_secret(),
        created: now.unix_timestamp(),
        seen: now.unix_timestamp(),
    };
    let record = SessionRecord {
        id_hash: hash_secret(&id),
        data: serde_json::to_string(&data).unwrap(),
        user_id: Some(user.id),
        expire: now + time::Duration::hours(1),
    };
    app.store().session_save(&record).await.unwrap();
    (id, data.csrf)
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_table_says() {
    let app = TestApp::spawn().await;
    let a = app.tenant("alpha").await;
    let b = app.tenant("bravo").await;
    let staff = member(&app, &a, Role::Staff).await;
    let manager = member(&app, &a, Role::Manager).await;
    let admin = member(&app, &a, Role::Admin).await;
    let (bo_cookie, bo_csrf) = backoffice_session(&app).await;
    let counter = AtomicU32::new(1);

    let mut mismatches = Vec::new();
    let mut cells = 0;
    for route in routes() {
        for (col, want) in route.expect.iter().enumerate() {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            // The column "b_ids" puts B's ids into A's URLs; every other column uses A's.
            let ids_of = if COLS[col] == "b_ids" { &b } else { &a };
            let ids = prepare(&app, ids_of, route.need, n).await;
            let path = fill(route.path, &ids);
            let mut req = app
                .on("alpha.localhost", route.method.clone(), &path)
                .header(
                    "x-forwarded-for",
                    common::client_address(&format!("cell{n}")),
                );
            req = match COLS[col] {
                "staff" => req.bearer_auth(&staff),
                "mgr" => req.bearer_auth(&manager),
                "admin" => req.bearer_auth(&admin),
                "owner" | "b_ids" => req.bearer_auth(&a.token),
                "b_tok" => req.bearer_auth(&b.token),
                "bo" => req
                    .header("cookie", format!("qms_session={bo_cookie}"))
                    .header("x-csrf-token", &bo_csrf),
                _ => req,
            };
            if let Some(body) = (route.body)(n) {
                let body = serde_json::from_str::<Value>(&fill(&body.to_string(), &ids)).unwrap();
                req = req.json(&body);
            }
            let (status, answer) = call(req).await;
            cells += 1;
            if status.as_u16() != *want {
                mismatches.push(format!(
                    "{} {} as {}: want {want}, got {} {answer}",
                    route.method,
                    route.path,
                    COLS[col],
                    status.as_u16()
                ));
            }
            if status.is_client_error() && status != StatusCode::NOT_FOUND {
                assert!(
                    answer["error"]["code"].is_string(),
                    "{} {}: error without a code: {answer}",
                    route.method,
                    route.path
                );
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {cells} cells differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(cells >= 250, "the table shrank: {cells} cells");
}
