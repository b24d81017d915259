//! The staff dashboard through HTTP, as a browser uses it: signed in with the session cookie,
//! every page for every role (a 403 page where the role may not look), every form refused with
//! its field errors and nothing half-saved, and the JSON routes the board's script calls.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, call, host, phone};
use qms_domain::{Role, Transition};
use qms_store::{Actor, NewNotification, NewUser, TokenKind};
use qms_web::session::{hash_secret, random_secret};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// A signed-in browser: its session cookie and the page's CSRF token.
struct Browser {
    host: String,
    cookie: String,
    csrf: String,
}

/// Makes a member with `role` who can sign in with the test password; answers the e-mail.
async fn member(app: &TestApp, t: &common::Tenant, role: Role) -> String {
    let email = format!("{}@{}.example", role.as_str().to_lowercase(), t.slug);
    if role == Role::Owner {
        return t.owner_email.clone();
    }
    let token = random_secret();
    let store = app.store();
    store
        .invite_user(
            t.tenant,
            NewUser {
                email: email.clone(),
                full_name: format!("{} Person", role.as_str()),
                role,
                invite_token_hash: hash_secret(&token),
                invite_expires: OffsetDateTime::now_utc() + time::Duration::days(1),
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    let hash = qms_web::auth::hash_password(common::PASSWORD.into())
        .await
        .unwrap();
    store
        .redeem_token(
            t.tenant,
            TokenKind::Invite,
            &hash_secret(&token),
            &hash,
            &Actor::system(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    email
}

/// Signs in through the sign-in form and reads the CSRF token from the dashboard.
async fn sign_in(app: &TestApp, slug: &str, email: &str) -> Browser {
    let res = app
        .on(&host(slug), Method::POST, "/auth/login")
        .form(&[("email", email), ("password", common::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_string();
    let mut b = Browser {
        host: host(slug),
        cookie,
        csrf: String::new(),
    };
    let (status, html) = get(app, &b, "/dashboard").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    b.csrf = meta_csrf(&html);
    b
}

fn meta_csrf(html: &str) -> String {
    let start = html
        .find("name=\"csrf-token\" content=\"")
        .expect("csrf meta")
        + "name=\"csrf-token\" content=\"".len();
    html[start..start + 64].to_string()
}

async fn get(app: &TestApp, b: &Browser, path: &str) -> (StatusCode, String) {
    let res = app
        .on(&b.host, Method::GET, path)
        .header(header::COOKIE, &b.cookie)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Posts a form with the CSRF field; answers status, body and `Location`.
async fn post(
    app: &TestApp,
    b: &Browser,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let mut all: Vec<(&str, &str)> = vec![("_csrf", b.csrf.as_str())];
    all.extend_from_slice(fields);
    let res = app
        .on(&b.host, Method::POST, path)
        .header(header::COOKIE, &b.cookie)
        .form(&all)
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (res.status(), res.text().await.unwrap(), location)
}

/// A JSON request as the board's script sends it (cookie and `X-CSRF-Token`).
fn fetch(app: &TestApp, b: &Browser, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.on(&b.host, method, path)
        .header(header::COOKIE, &b.cookie)
        .header("x-csrf-token", &b.csrf)
}

async fn spawn() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let app = TestApp::spawn_with(move |s| s.data_dir = path).await;
    (app, dir)
}

async fn join_sized(app: &TestApp, t: &common::Tenant, name: &str, n: u32, size: i64) -> Value {
    let (status, body) = call(
        app.public(t, Method::POST, &format!("/api/queues/{}/join", t.queue))
            .header("x-forwarded-for", common::client_address(name))
            .json(&json!({"customerName": name, "customerPhone": phone(n), "partySize": size})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn every_page_for_every_role() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("pages").await;
    join_sized(&app, &t, "Aisyah", 1, 2).await;

    // Signed out: every page sends the browser to the sign-in page.
    for path in [
        "/dashboard",
        "/dashboard/queues",
        "/dashboard/analytics",
        "/dashboard/settings",
        "/dashboard/users",
    ] {
        let res = app
            .on(&host(&t.slug), Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()[header::LOCATION], "/auth/login", "{path}");
    }

    let pages = [
        "/dashboard",
        "/dashboard/queues",
        "/dashboard/analytics",
        "/dashboard/settings",
        "/dashboard/users",
    ];
    let expected: [(Role, [u16; 5]); 4] = [
        (Role::Staff, [200, 200, 403, 403, 403]),
        (Role::Manager, [200, 200, 200, 200, 403]),
        (Role::Admin, [200, 200, 200, 200, 200]),
        (Role::Owner, [200, 200, 200, 200, 200]),
    ];
    for (role, statuses) in expected {
        let email = member(&app, &t, role).await;
        let b = sign_in(&app, &t.slug, &email).await;
        for (path, want) in pages.iter().zip(statuses) {
            let (status, html) = get(&app, &b, path).await;
            assert_eq!(status.as_u16(), want, "{role} on {path}");
            assert!(
                html.contains("<nav class=\"dash-nav\""),
                "{role} {path}: the frame"
            );
            if want == 403 {
                assert!(html.contains("Not allowed"), "{role} {path}: 403 page");
            }
            // The navigation offers exactly what the role may open.
            assert_eq!(
                html.contains("href=\"/dashboard/users\""),
                role.at_least(Role::Admin),
                "{role} {path}: users link"
            );
            assert_eq!(
                html.contains("href=\"/dashboard/settings\""),
                role.at_least(Role::Manager),
                "{role} {path}: settings link"
            );
        }
        let (_, settings) = get(&app, &b, "/dashboard/settings").await;
        if role.at_least(Role::Manager) {
            assert!(settings.contains("id=\"queues\""), "{role}: queue settings");
            assert!(settings.contains("id=\"templates\""), "{role}: templates");
            assert_eq!(
                settings.contains("Business profile"),
                role.at_least(Role::Admin),
                "{role}: business settings"
            );
        }
    }
}

#[tokio::test]
async fn the_board_renders_lanes_party_bands_and_escapes_names() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("board").await;
    let a = join_sized(&app, &t, "Aisyah", 1, 2).await;
    join_sized(&app, &t, "Wei <script>alert(1)</script>", 2, 4).await;
    let c = join_sized(&app, &t, "Priya", 3, 6).await;
    join_sized(&app, &t, "John", 4, 9).await;
    let store = app.store();
    let actor = Actor::system();
    let id = |v: &Value| v["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap();
    store
        .transition(t.tenant, t.queue, id(&c), Transition::Call, &actor)
        .await
        .unwrap();
    store
        .transition(t.tenant, t.queue, id(&a), Transition::Call, &actor)
        .await
        .unwrap();
    store
        .transition(t.tenant, t.queue, id(&a), Transition::Seat, &actor)
        .await
        .unwrap();

    let email = member(&app, &t, Role::Staff).await;
    let br = sign_in(&app, &t.slug, &email).await;
    let (status, html) = get(&app, &br, "/dashboard/queues").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)"), "names are escaped");
    assert!(html.contains("Wei &#60;script&#62;") || html.contains("Wei &lt;script&gt;"));
    assert!(html.contains("<meta name=\"csrf-token\" content=\""));
    assert!(html.contains("src=\"/static/board.js\""));
    assert!(!html.contains("<script>"), "no inline script");
    // Each lane holds its customers, with the party band of TSD §6.2.
    let lane = |name: &str| {
        let start = html.find(&format!("data-lane=\"{name}\"")).unwrap();
        let end = html[start..].find("</ol>").unwrap() + start;
        html[start..end].to_string()
    };
    let waiting = lane("waiting");
    assert!(waiting.contains("party-m") && waiting.contains("Wei"));
    assert!(waiting.contains("party-xl") && waiting.contains("John"));
    assert!(waiting.contains("data-act=\"call\"") && waiting.contains("data-act=\"drag\""));
    assert!(
        waiting.find("Wei").unwrap() < waiting.find("John").unwrap(),
        "line order"
    );
    let called = lane("called");
    assert!(called.contains("party-l") && called.contains("Priya"));
    assert!(called.contains("data-act=\"seat\"") && called.contains("data-act=\"no-show\""));
    let seated = lane("seated");
    assert!(seated.contains("party-s") && seated.contains("Aisyah"));
    assert!(seated.contains("data-act=\"complete\""));
    assert!(html.contains("data-act=\"call-next\"") && html.contains("data-act=\"toggle\""));

    // The overview counts them.
    let (_, overview) = get(&app, &br, "/dashboard").await;
    assert!(overview.contains("data-kpi=\"waiting\">2<"), "{overview}");
    assert!(overview.contains("data-kpi=\"served\">1<"));

    // The board's REST read answers the same, for resync after a reconnect.
    let (status, board) = call(fetch(&app, &br, Method::GET, "/api/board")).await;
    assert_eq!(status, StatusCode::OK);
    let q = &board["queues"][0];
    assert_eq!(q["entries"].as_array().unwrap().len(), 2);
    assert_eq!(q["called"][0]["customerName"], "Priya");
    assert_eq!(q["seated"][0]["customerName"], "Aisyah");
    assert_eq!(board["merchantId"], t.merchant.to_string());
}

#[tokio::test]
async fn staff_cannot_manage_users_or_settings_by_any_route() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("guards").await;
    let email = member(&app, &t, Role::Staff).await;
    let b = sign_in(&app, &t.slug, &email).await;
    let users_before = app.store().list_users(t.tenant).await.unwrap();
    let queue_before = app.store().queue(t.tenant, t.queue).await.unwrap();

    let (status, body) = call(fetch(&app, &b, Method::GET, "/api/users")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = call(
        fetch(&app, &b, Method::POST, "/api/users")
            .json(&json!({"email": "x@y.example", "fullName": "X", "role": "STAFF"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, html, _) = post(
        &app,
        &b,
        "/dashboard/users/invite",
        &[
            ("email", "x@y.example"),
            ("fullName", "X"),
            ("role", "ADMIN"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Not allowed"));
    let owner = users_before.iter().find(|u| u.role == Role::Owner).unwrap();
    let (status, _, _) = post(
        &app,
        &b,
        &format!("/dashboard/users/{}/active", owner.id),
        &[("active", "false")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(
        &app,
        &b,
        &format!("/dashboard/settings/queues/{}", t.queue),
        &[("name", "Hijacked"), ("maxCapacity", "5")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(
        &app,
        &b,
        "/dashboard/settings/profile",
        &[("businessName", "Hijacked")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(
        &app,
        &b,
        "/dashboard/settings/templates",
        &[("name", "X"), ("content", "Y")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (method, path, body) in [
        (
            Method::PUT,
            "/api/merchant",
            json!({"businessName": "X", "email": "a@b.example", "businessType": "retail", "timezone": "UTC", "country": "MY"}),
        ),
        (
            Method::PUT,
            "/api/merchant/hours",
            json!([{"dayOfWeek": 1, "openTime": "09:00", "closeTime": "10:00"}]),
        ),
        (
            Method::PUT,
            "/api/merchant/branding",
            json!({"brandColor": "#000000"}),
        ),
        (
            Method::POST,
            "/api/notification-templates",
            json!({"name": "X", "content": "Y"}),
        ),
    ] {
        let (status, _) = call(fetch(&app, &b, method, path).json(&body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = call(fetch(&app, &b, Method::GET, "/api/analytics/dashboard")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Staff may read what the board needs.
    for path in ["/api/board", "/api/notification-templates", "/api/merchant"] {
        let (status, _) = call(fetch(&app, &b, Method::GET, path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    // A form without the CSRF token is refused before anything else.
    let res = app
        .on(&b.host, Method::POST, "/dashboard/settings/templates")
        .header(header::COOKIE, &b.cookie)
        .form(&[("name", "X"), ("content", "Y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    assert_eq!(
        app.store().list_users(t.tenant).await.unwrap(),
        users_before
    );
    assert_eq!(
        app.store().queue(t.tenant, t.queue).await.unwrap(),
        queue_before
    );
    assert!(
        app.store()
            .notification_templates(t.tenant)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_profile_form_shows_field_errors_and_saves_all_or_nothing() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("profile").await;
    let email = member(&app, &t, Role::Admin).await;
    let b = sign_in(&app, &t.slug, &email).await;
    let before = app.store().merchants(t.tenant).await.unwrap();

    let (status, html, _) = post(
        &app,
        &b,
        "/dashboard/settings/profile",
        &[
            ("businessName", "New Name"),
            ("email", "not-an-email"),
            ("phone", "12"),
            ("businessType", "casino"),
            ("timezone", "Mars/Olympus"),
            ("country", "XX"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in [
        "profile-email-note",
        "profile-businessType-note",
        "profile-timezone-note",
        "profile-country-note",
    ] {
        assert!(
            html.contains(&format!("class=\"field-error\" id=\"{id}\"")),
            "{id} in {html}"
        );
    }
    assert!(html.contains("value=\"New Name\""), "typed values are kept");
    assert!(html.contains("aria-invalid=\"true\""));
    assert_eq!(
        app.store().merchants(t.tenant).await.unwrap(),
        before,
        "nothing saved"
    );

    let (status, _, location) = post(
        &app,
        &b,
        "/dashboard/settings/profile",
        &[
            ("businessName", "  Kopi Corner "),
            ("email", "Hello@Kopi.example"),
            ("phone", "012-345 6789"),
            ("businessType", "restaurant"),
            ("timezone", "Asia/Kuala_Lumpur"),
            ("country", "my"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/settings?saved=profile#business")
    );
    let m = &app.store().merchants(t.tenant).await.unwrap()[0];
    assert_eq!(m.business_name, "Kopi Corner");
    assert_eq!(m.email, "hello@kopi.example");
    assert_eq!(m.phone, "+60123456789");
    assert_eq!(m.country, "MY");
    let (_, page) = get(&app, &b, "/dashboard/settings?saved=profile").await;
    assert!(page.contains("Business profile saved."));
    assert!(page.contains("Kopi Corner"), "the frame shows the new name");
}

#[tokio::test]
async fn the_hours_form_refuses_a_bad_day_and_saves_nothing() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("hours").await;
    let b = sign_in(&app, &t.slug, &t.owner_email).await;
    let mut fields: Vec<(String, String)> = Vec::new();
    for d in 0..7 {
        fields.push((format!("open{d}"), "10:00".into()));
        fields.push((format!("close{d}"), "22:00".into()));
    }
    fields.push(("closed1".into(), "on".into()));
    fields[5].1 = "25:61".into(); // Tuesday opens at an impossible time
    let as_refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, html, _) = post(&app, &b, "/dashboard/settings/hours", &as_refs).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"close2-err\""), "{html}");
    assert!(html.contains("value=\"25:61\""));
    assert!(
        app.store()
            .business_hours(t.tenant, t.merchant)
            .await
            .unwrap()
            .is_empty()
    );

    fields[5].1 = "23:00".into();
    let as_refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, _, location) = post(&app, &b, "/dashboard/settings/hours", &as_refs).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/settings?saved=hours#hours")
    );
    let hours = app
        .store()
        .business_hours(t.tenant, t.merchant)
        .await
        .unwrap();
    assert_eq!(hours.len(), 7);
    assert!(hours[1].is_closed && !hours[0].is_closed);
    assert_eq!(hours[2].close_time, "23:00");
    let (status, api) = call(fetch(&app, &b, Method::GET, "/api/merchant")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api["hours"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn queue_and_service_type_forms_validate_every_field() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("queues").await;
    let email = member(&app, &t, Role::Manager).await;
    let b = sign_in(&app, &t.slug, &email).await;
    let before = app.store().queue(t.tenant, t.queue).await.unwrap().unwrap();
    let path = format!("/dashboard/settings/queues/{}", t.queue);

    let (status, html, _) = post(
        &app,
        &b,
        &path,
        &[
            ("name", " "),
            ("maxCapacity", "0"),
            ("averageServiceTime", "abc"),
            ("notificationInterval", "5"),
            ("businessHoursStart", "09:00"),
            ("businessHoursEnd", "9pm"),
            ("isActive", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let key = format!("queue-{}", t.queue);
    for (field, message) in [
        ("name", "Is required"),
        ("maxCapacity", "Must be between 1 and 1000"),
        ("averageServiceTime", "Must be a whole number"),
        ("businessHoursEnd", "Must be a time like 17:00"),
    ] {
        assert!(
            html.contains(&format!("id=\"{key}-{field}-note\">{message}")),
            "{field}: {html}"
        );
    }
    assert_eq!(
        app.store().queue(t.tenant, t.queue).await.unwrap().unwrap(),
        before,
        "nothing saved"
    );

    let (status, _, location) = post(
        &app,
        &b,
        &path,
        &[
            ("name", "Dine-in"),
            ("description", "Tables"),
            ("maxCapacity", "80"),
            ("averageServiceTime", "12"),
            ("notificationInterval", "7"),
            ("businessHoursStart", "10:00"),
            ("businessHoursEnd", "22:30"),
            ("isActive", "on"),
            ("acceptingCustomers", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.unwrap(),
        format!("/dashboard/settings?saved=queue#{key}")
    );
    let q = app.store().queue(t.tenant, t.queue).await.unwrap().unwrap();
    assert_eq!(q.settings.name, "Dine-in");
    assert_eq!(q.settings.max_capacity, 80);
    assert!(q.settings.accepting_customers && !q.settings.allow_cancellation);

    // Ids that cannot exist are a 404 page.
    for bad in ["not-a-uuid", &uuid::Uuid::now_v7().to_string()] {
        let (status, _, _) = post(
            &app,
            &b,
            &format!("/dashboard/settings/queues/{bad}"),
            &[("name", "X")],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }

    // A new queue; an empty name is refused.
    let (status, html, _) = post(&app, &b, "/dashboard/settings/queues", &[("name", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"new-queue-name-note\">Is required"));
    let (status, _, _) = post(&app, &b, "/dashboard/settings/queues", &[("name", "Bar")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(app.store().list_queues(t.tenant).await.unwrap().len(), 2);

    // Service types.
    let (status, html, _) = post(
        &app,
        &b,
        "/dashboard/settings/service-types",
        &[
            ("name", "Takeaway"),
            ("estimatedDuration", "9999"),
            ("isActive", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"new-st-estimatedDuration-note\">Must be between 1 and 480 minutes")
    );
    assert!(
        app.store()
            .service_types(t.tenant)
            .await
            .unwrap()
            .is_empty()
    );
    let (status, _, _) = post(
        &app,
        &b,
        "/dashboard/settings/service-types",
        &[
            ("name", "Takeaway"),
            ("estimatedDuration", "10"),
            ("isActive", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let st = app.store().service_types(t.tenant).await.unwrap().remove(0);
    assert_eq!((st.name.as_str(), st.estimated_duration), ("Takeaway", 10));
    let (status, _, _) = post(
        &app,
        &b,
        &format!("/dashboard/settings/service-types/{}", st.id),
        &[("name", "Take-away"), ("estimatedDuration", "12")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let st2 = app.store().service_types(t.tenant).await.unwrap().remove(0);
    assert_eq!((st2.name.as_str(), st2.is_active), ("Take-away", false));
    let (status, _, _) = post(
        &app,
        &b,
        &format!("/dashboard/settings/service-types/{}/delete", st.id),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        app.store()
            .service_types(t.tenant)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn message_templates_through_forms_and_api() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("tpl").await;
    let mgr = member(&app, &t, Role::Manager).await;
    let b = sign_in(&app, &t.slug, &mgr).await;

    let (status, html, _) = post(
        &app,
        &b,
        "/dashboard/settings/templates",
        &[
            ("name", "Ready"),
            ("content", "Hi {nmae}!"),
            ("channel", "WEBCHAT"),
            ("isActive", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"new-tpl-content-note\">Uses {nmae}"),
        "{html}"
    );
    assert!(html.contains(">Hi {nmae}!</textarea>"), "typed text kept");
    assert!(
        app.store()
            .notification_templates(t.tenant)
            .await
            .unwrap()
            .is_empty()
    );

    let (status, _, location) = post(
        &app,
        &b,
        "/dashboard/settings/templates",
        &[
            ("name", "Table ready"),
            ("content", "Hi {name}, table for {ticket} is ready!"),
            ("channel", "WEBCHAT"),
            ("isActive", "on"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/settings?saved=template#templates")
    );
    let tpl = app
        .store()
        .notification_templates(t.tenant)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(tpl.content, "Hi {name}, table for {ticket} is ready!");

    // Staff read them for the board; only managers and above change them.
    let staff = member(&app, &t, Role::Staff).await;
    let sb = sign_in(&app, &t.slug, &staff).await;
    let (status, list) = call(fetch(&app, &sb, Method::GET, "/api/notification-templates")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["name"], "Table ready");
    let (status, _) = call(
        fetch(
            &app,
            &sb,
            Method::PUT,
            &format!("/api/notification-templates/{}", tpl.id),
        )
        .json(&json!({"name": "X", "content": "Y"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(
        fetch(
            &app,
            &b,
            Method::PUT,
            &format!("/api/notification-templates/{}", tpl.id),
        )
        .json(&json!({"name": "Table ready", "content": "{position} left", "channel": "SMS"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["channel"], "SMS");
    let (status, body) = call(
        fetch(&app, &b, Method::POST, "/api/notification-templates")
            .json(&json!({"name": "", "content": "", "channel": "FAX"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["name", "content", "channel"] {
        assert!(body["error"]["fields"][f].is_string(), "{f}: {body}");
    }

    let (status, _, _) = post(
        &app,
        &b,
        &format!("/dashboard/settings/templates/{}/delete", tpl.id),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        app.store()
            .notification_templates(t.tenant)
            .await
            .unwrap()
            .is_empty()
    );
    let (status, _, _) = post(
        &app,
        &b,
        &format!("/dashboard/settings/templates/{}/delete", tpl.id),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn logo_form(bytes: Vec<u8>, name: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "logo",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    )
}

#[tokio::test]
async fn branding_logo_upload_and_brand_colour() {
    let (app, dir) = spawn().await;
    let t = app.tenant("brand").await;
    let other = app.tenant("other-brand").await;
    let b = sign_in(&app, &t.slug, &t.owner_email).await;

    // Only images, recognised by their bytes, and small ones.
    let (status, body) = call(
        fetch(&app, &b, Method::POST, "/api/merchant/logo")
            .multipart(logo_form(b"GIF89a....".to_vec(), "logo.png")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"]["fields"]["logo"],
        "must be a PNG, JPEG or WebP image"
    );
    let mut big = PNG.to_vec();
    big.resize(600 * 1024, 0);
    let (status, body) = call(
        fetch(&app, &b, Method::POST, "/api/merchant/logo").multipart(logo_form(big, "big.png")),
    )
    .await;
    assert!(
        status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status} {body}"
    );
    assert!(body["error"]["fields"]["logo"].is_string(), "{body}");
    let m = &app.store().merchants(t.tenant).await.unwrap()[0];
    assert_eq!(m.logo_url, None, "nothing stored");

    // Staff may not; the owner may.
    let staff = member(&app, &t, Role::Staff).await;
    let sb = sign_in(&app, &t.slug, &staff).await;
    let (status, _) = call(
        fetch(&app, &sb, Method::POST, "/api/merchant/logo")
            .multipart(logo_form(PNG.to_vec(), "logo.png")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(
        fetch(&app, &b, Method::POST, "/api/merchant/logo")
            .multipart(logo_form(PNG.to_vec(), "whatever.gif")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = body["logoUrl"].as_str().unwrap().to_string();
    assert!(
        url.starts_with("/uploads/logo/") && url.ends_with(".png"),
        "{url}"
    );
    // Kept in the database, not in this instance's data folder: another instance, with a data
    // folder of its own, serves it too.
    assert!(!dir.path().join("uploads").exists());
    let elsewhere = tempfile::tempdir().unwrap();
    let other_instance = app
        .another_instance(|s| s.data_dir = elsewhere.path().to_path_buf())
        .await;
    let res = app
        .client
        .get(format!("http://{}{url}", other_instance.addr))
        .header(header::HOST, host(&t.slug))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    let res = app
        .on(&host(&t.slug), Method::GET, &url)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    // A logo uploaded when they were files in the data folder is still served from there.
    let legacy = dir.path().join("uploads").join(t.tenant.0.to_string());
    std::fs::create_dir_all(&legacy).unwrap();
    std::fs::write(legacy.join("0123456789abcdef0123456789abcdef.png"), PNG).unwrap();
    let res = app
        .on(
            &host(&t.slug),
            Method::GET,
            "/uploads/logo/0123456789abcdef0123456789abcdef.png",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    // Another tenant's host does not serve it; made-up names are not found.
    let res = app
        .on(&host(&other.slug), Method::GET, &url)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .on(
            &host(&t.slug),
            Method::GET,
            "/uploads/logo/..%2F..%2Fqms.db",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, html) = get(&app, &b, "/dashboard").await;
    assert!(
        html.contains(&format!("src=\"{url}\"")),
        "the frame shows the logo"
    );

    // Brand colour: validated, and served as a stylesheet.
    let (status, html, _) = post(
        &app,
        &b,
        "/dashboard/settings/branding",
        &[("brandColor", "orange")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"branding-brandColor-note\">Must be a colour like #e85d04"));
    let (status, _, _) = post(
        &app,
        &b,
        "/dashboard/settings/branding",
        &[("brandColor", "#1A2B3C")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let css = app
        .on(&host(&t.slug), Method::GET, "/brand.css")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(css.contains("--brand:#1a2b3c"), "{css}");
    let (_, page) = get(&app, &b, "/dashboard").await;
    assert!(
        page.contains("/brand.css?v=1a2b3c"),
        "the stylesheet link changes with the colour"
    );
    let m = &app.store().merchants(t.tenant).await.unwrap()[0];
    assert_eq!(
        m.logo_url.as_deref(),
        Some(url.as_str()),
        "the colour keeps the logo"
    );

    let (status, _, location) = post(
        &app,
        &b,
        "/dashboard/settings/branding",
        &[("removeLogo", "on")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/settings?saved=logo#branding")
    );
    let m = &app.store().merchants(t.tenant).await.unwrap()[0];
    assert_eq!(
        (m.logo_url.as_deref(), m.brand_color.as_deref()),
        (None, Some("#1a2b3c"))
    );
}

#[tokio::test]
async fn the_users_page_invites_changes_roles_and_deactivates() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("team").await;
    let admin = member(&app, &t, Role::Admin).await;
    let b = sign_in(&app, &t.slug, &admin).await;

    let (status, html, _) = post(
        &app,
        &b,
        "/dashboard/users/invite",
        &[("email", "nope"), ("fullName", ""), ("role", "STAFF")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"invite-email-err\""));
    assert!(html.contains("id=\"invite-name-err\""));
    assert!(html.contains("value=\"nope\""));
    let count = app.store().list_users(t.tenant).await.unwrap().len();

    // An ADMIN cannot make an OWNER: the form says so and nothing is created.
    let (status, html, _) = post(
        &app,
        &b,
        "/dashboard/users/invite",
        &[
            ("email", "boss@team.example"),
            ("fullName", "Boss"),
            ("role", "OWNER"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Your role does not allow this"), "{html}");
    assert_eq!(app.store().list_users(t.tenant).await.unwrap().len(), count);

    let (status, _, location) = post(
        &app,
        &b,
        "/dashboard/users/invite",
        &[
            ("email", "Host@Team.example"),
            ("fullName", "New Host"),
            ("role", "STAFF"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/dashboard/users?done=invited"));
    assert!(app.mail.wait_for("host@team.example").await.is_some());
    let host_user = app
        .store()
        .user_by_email(t.tenant, "host@team.example")
        .await
        .unwrap()
        .unwrap();
    let (_, html) = get(&app, &b, "/dashboard/users?done=invited").await;
    assert!(
        html.contains("Invitation sent.") && html.contains("New Host") && html.contains("Invited")
    );

    let (status, _, _) = post(
        &app,
        &b,
        &format!("/dashboard/users/{}/role", host_user.id),
        &[("role", "MANAGER")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html, _) = post(
        &app,
        &b,
        &format!("/dashboard/users/{}/role", host_user.id),
        &[("role", "EMPEROR")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Must be STAFF, MANAGER, ADMIN or OWNER"));
    let (status, _, location) = post(
        &app,
        &b,
        &format!("/dashboard/users/{}/active", host_user.id),
        &[("active", "false")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/dashboard/users?done=deactivated")
    );
    let u = app
        .store()
        .user_by_id(t.tenant, host_user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((u.role, u.is_active), (Role::Manager, false));

    // The owner cannot be touched by an ADMIN.
    let owner = app
        .store()
        .user_by_email(t.tenant, &t.owner_email)
        .await
        .unwrap()
        .unwrap();
    let (status, _, _) = post(
        &app,
        &b,
        &format!("/dashboard/users/{}/active", owner.id),
        &[("active", "false")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        app.store()
            .user_by_id(t.tenant, owner.id)
            .await
            .unwrap()
            .unwrap()
            .is_active
    );
}

#[tokio::test]
async fn analytics_counts_today_and_this_week() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("stats").await;
    let store = app.store();
    let actor = Actor::system();
    let mut ids = Vec::new();
    for (i, name) in ["A", "B", "C", "D"].into_iter().enumerate() {
        let v = join_sized(&app, &t, name, i as u32 + 1, 2).await;
        ids.push(v["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap());
    }
    for t_ in [Transition::Call, Transition::Seat] {
        store
            .transition(t.tenant, t.queue, ids[0], t_, &actor)
            .await
            .unwrap();
    }
    for t_ in [Transition::Call, Transition::NoShow] {
        store
            .transition(t.tenant, t.queue, ids[1], t_, &actor)
            .await
            .unwrap();
    }
    store
        .transition(t.tenant, t.queue, ids[2], Transition::Cancel, &actor)
        .await
        .unwrap();

    let mgr = member(&app, &t, Role::Manager).await;
    let b = sign_in(&app, &t.slug, &mgr).await;
    for period in ["1d", "week", "7d"] {
        let (status, r) = call(fetch(
            &app,
            &b,
            Method::GET,
            &format!("/api/analytics/dashboard?period={period}"),
        ))
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let totals = &r["totals"];
        assert_eq!(
            (
                totals["joined"].as_i64(),
                totals["served"].as_i64(),
                totals["noShow"].as_i64(),
                totals["cancelled"].as_i64(),
                totals["active"].as_i64()
            ),
            (Some(4), Some(1), Some(1), Some(1), Some(1)),
            "{period}: {r}"
        );
        assert_eq!(totals["noShowRate"].as_f64(), Some(50.0));
        assert!(totals["averageWaitMinutes"].as_f64().unwrap() >= 0.0);
        assert_eq!(r["queues"][0]["queueName"], "Main");
        let days = r["days"].as_array().unwrap();
        let today_line = days.last().unwrap();
        assert_eq!(today_line["joined"].as_i64(), Some(4));
        if period == "7d" {
            assert_eq!(days.len(), 7);
        }
    }
    let (status, _) = call(fetch(
        &app,
        &b,
        Method::GET,
        "/api/analytics/dashboard?period=30y",
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, html) = get(&app, &b, "/dashboard/analytics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<caption>Today by queue</caption>"));
    assert!(html.contains("<caption>This week by queue</caption>"));
    assert!(
        html.contains(
            "<th scope=\"row\">Main</th><td>4</td><td>1</td><td>1</td><td>1</td><td>1</td>"
        ),
        "{html}"
    );
    let (_, overview) = get(&app, &b, "/dashboard").await;
    assert!(overview.contains("data-kpi=\"noshow\">50%<"), "{overview}");
}

#[tokio::test]
async fn notification_history_is_per_entry_and_per_tenant() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("notes").await;
    let other = app.tenant("notes-other").await;
    let e = join_sized(&app, &t, "Ann", 1, 2).await;
    let id: uuid::Uuid = e["id"].as_str().unwrap().parse().unwrap();
    app.store()
        .record_notification(
            t.tenant,
            NewNotification {
                queue_entry_id: id,
                channel: "WEBCHAT".into(),
                status: "SENT".into(),
                message: "You're up next".into(),
                error_message: None,
            },
        )
        .await
        .unwrap();
    let staff = member(&app, &t, Role::Staff).await;
    let b = sign_in(&app, &t.slug, &staff).await;
    let (status, list) = call(fetch(
        &app,
        &b,
        Method::GET,
        &format!("/api/entries/{id}/notifications"),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["message"], "You're up next");
    assert_eq!(list[0]["channel"], "WEBCHAT");
    let (status, list) = call(app.staff(
        &other,
        Method::GET,
        &format!("/api/entries/{id}/notifications"),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn a_template_is_sent_to_the_chat_and_recorded_in_the_history() {
    let (app, _dir) = spawn().await;
    let t = app.tenant("quick").await;
    let other = app.tenant("quick-other").await;
    let e = join_sized(&app, &t, "Ann", 1, 2).await;
    let session = e["sessionId"].as_str().unwrap().to_string();
    let id = e["id"].as_str().unwrap().to_string();
    let tpl = app
        .store()
        .create_notification_template(
            t.tenant,
            t.merchant,
            qms_store::NewTemplate {
                name: "Almost".into(),
                channel: "WEBCHAT".into(),
                content: "Hi {name}, you are number {position} ({ticket}), about {wait} min."
                    .into(),
                is_active: true,
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    let staff = member(&app, &t, Role::Staff).await;
    let b = sign_in(&app, &t.slug, &staff).await;
    let path = format!("/api/notification-templates/{}/send", tpl.id);

    let (status, body) =
        call(fetch(&app, &b, Method::POST, &path).json(&json!({"sessionId": session}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ticket = e["ticketNumber"].as_str().unwrap();
    let wait = e["estimatedWaitTime"].as_i64().unwrap();
    let want = format!("Hi Ann, you are number 1 ({ticket}), about {wait} min.");
    assert_eq!(body["content"], want.as_str());
    assert_eq!(body["sender"], "staff");

    // The customer's chat has it, and so has the entry's notification history.
    let (_, chat) =
        call(app.public(&t, Method::GET, &format!("/api/queue/webchat/{session}"))).await;
    assert_eq!(chat["messages"][0]["content"], want.as_str());
    let (_, history) = call(fetch(
        &app,
        &b,
        Method::GET,
        &format!("/api/entries/{id}/notifications"),
    ))
    .await;
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["message"], want.as_str());
    assert_eq!(
        (
            history[0]["channel"].as_str(),
            history[0]["status"].as_str()
        ),
        (Some("WEBCHAT"), Some("SENT"))
    );

    // Not another tenant's customer, not a made-up template, not a finished visit.
    let (status, _) = call(
        app.staff(&other, Method::POST, &path)
            .json(&json!({"sessionId": session})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        fetch(
            &app,
            &b,
            Method::POST,
            &format!("/api/notification-templates/{}/send", uuid::Uuid::now_v7()),
        )
        .json(&json!({"sessionId": session})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.store()
        .transition(
            t.tenant,
            t.queue,
            id.parse().unwrap(),
            Transition::Cancel,
            &Actor::system(),
        )
        .await
        .unwrap();
    let (status, body) =
        call(fetch(&app, &b, Method::POST, &path).json(&json!({"sessionId": session}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "chat_closed");
    let (_, history) = call(fetch(
        &app,
        &b,
        Method::GET,
        &format!("/api/entries/{id}/notifications"),
    ))
    .await;
    assert_eq!(
        history.as_array().unwrap().len(),
        1,
        "a refused send is not recorded"
    );
}
