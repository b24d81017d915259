//! The customer pages over HTTP: the business's queues, the join form without JavaScript (field
//! messages, nothing stored on bad input, 303 to the place), every error a customer can meet,
//! the status page, leaving the queue, the chat page, QR code and poster, languages, branding,
//! the CSP (no inline script or style) and each page's weight on the wire.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Tenant, TestApp, call, host, phone};
use qms_domain::EntryStatus;
use qms_domain::queue::QueueSettings;
use qms_store::{Actor, NewServiceType};
use reqwest::header::{
    ACCEPT_ENCODING, ACCEPT_LANGUAGE, CONTENT_ENCODING, COOKIE, LOCATION, SET_COOKIE,
};
use reqwest::{Method, Response, StatusCode};

/// Posts the join form of the tenant's queue as a browser without JavaScript would.
async fn post_form(
    app: &TestApp,
    t: &Tenant,
    fields: &[(&str, &str)],
    cookie: Option<&str>,
) -> Response {
    let mut req = app
        .public(t, Method::POST, &format!("/queue/{}", t.queue))
        .header(
            "x-forwarded-for",
            common::client_address(&format!("{fields:?}")),
        )
        .form(fields);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    req.send().await.expect("form post")
}

fn good_form<'a>(name: &'a str, number: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("country_code", "+60"),
        ("phone", number),
        ("party_size", "3"),
        ("special_requests", "Baby chair please"),
        ("idem", ""),
    ]
}

/// The `qms_place=…` pair of a response's cookies.
fn place_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("qms_place="))
        .map(|v| v.split(';').next().unwrap().to_string())
}

async fn get_page(app: &TestApp, t: &Tenant, path: &str) -> (StatusCode, String) {
    let res = app.public(t, Method::GET, path).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn entries(app: &TestApp, t: &Tenant) -> Vec<qms_store::QueueEntry> {
    app.store()
        .queue_entries(t.tenant, t.queue, &EntryStatus::ALL)
        .await
        .unwrap()
}

async fn settings(app: &TestApp, t: &Tenant) -> QueueSettings {
    app.store()
        .queue(t.tenant, t.queue)
        .await
        .unwrap()
        .unwrap()
        .settings
}

#[tokio::test]
async fn home_lists_open_queues_with_waits_and_join_buttons() {
    let app = TestApp::spawn().await;
    let t = app.tenant("noodles").await;
    app.join(&t, "Ann", &phone(1)).await;
    app.join(&t, "Bob", &phone(2)).await;

    let (status, html) = get_page(&app, &t, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Join the queue"), "{html}");
    assert!(html.contains(&format!("href=\"/queue/{}\"", t.queue)));
    assert!(html.contains(">Join Main<"));
    assert!(html.contains("<dt>People waiting</dt><dd>2</dd>"), "{html}");
    assert!(
        html.contains("<dt>Estimated wait</dt><dd>15 min</dd>"),
        "{html}"
    );
    assert!(html.contains("href=\"/brand.css?v=e85d04\""));
    assert!(
        html.contains("id=\"resume\" hidden"),
        "no place on this device yet"
    );

    // A paused queue stays listed, without a join button.
    app.store()
        .set_accepting(t.tenant, t.queue, false, &Actor::system())
        .await
        .unwrap();
    let (_, html) = get_page(&app, &t, "/").await;
    assert!(!html.contains(">Join Main<"));
    assert!(html.contains("This queue is not taking new customers right now."));

    // The platform's landing page is untouched.
    let res = app.on("localhost", Method::GET, "/").send().await.unwrap();
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Open the demo restaurant")
    );
}

#[tokio::test]
async fn the_join_page_asks_for_what_it_needs() {
    let app = TestApp::spawn().await;
    let t = app.tenant("joinpage").await;
    let (status, html) = get_page(&app, &t, &format!("/queue/{}", t.queue)).await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "<label for=\"name\">Your name</label>",
        "<label for=\"phone\">Phone number</label>",
        "name=\"country_code\"",
        "value=\"+60\"",
        "<label for=\"party_size\">Number of people</label>",
        "<label for=\"special_requests\">Special requests (optional)</label>",
        "<option value=\"2\" selected>2</option>",
        "method=\"post\" action=\"/queue/",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    assert!(
        !html.contains("name=\"service_type\""),
        "no service types yet"
    );

    let st = app
        .store()
        .create_service_type(
            t.tenant,
            t.merchant,
            NewServiceType {
                name: "Takeaway".into(),
                description: None,
                estimated_duration: 5,
                is_active: true,
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    let (_, html) = get_page(&app, &t, &format!("/queue/{}", t.queue)).await;
    assert!(html.contains("<label for=\"service_type\">Service</label>"));
    assert!(html.contains(&format!("<option value=\"{}\">Takeaway</option>", st.id)));

    // Joining with the service type stores it.
    let id = st.id.to_string();
    let mut fields = good_form("Sam", "012-345 0001");
    fields.push(("service_type", &id));
    let res = post_form(&app, &t, &fields, None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(entries(&app, &t).await[0].service_type_id, Some(st.id));
}

#[tokio::test]
async fn joining_without_javascript_lands_on_the_place() {
    let app = TestApp::spawn().await;
    let t = app.tenant("nojs").await;
    let res = post_form(&app, &t, &good_form("Siti", "012-345 6789"), None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()[LOCATION].to_str().unwrap().to_string();
    let cookie = place_cookie(&res).expect("the place is remembered in a cookie");
    let rows = entries(&app, &t).await;
    assert_eq!(rows.len(), 1);
    let e = &rows[0];
    assert_eq!(
        e.customer_phone, "+60123456789",
        "national number in the merchant's country"
    );
    assert_eq!(e.party_size, 3);
    assert_eq!(e.special_requests.as_deref(), Some("Baby chair please"));
    assert_eq!(location, format!("/queue/status/{}", e.session_id));
    assert_eq!(cookie, format!("qms_place={}", e.session_id));
    let raw_cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(raw_cookie.contains("HttpOnly") && raw_cookie.contains("SameSite=Lax"));

    let (status, html) = get_page(&app, &t, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<p class=\"ticket-no\">{}</p>", e.ticket_number)));
    assert!(
        html.contains("<strong id=\"position\">1</strong>"),
        "{html}"
    );
    assert!(html.contains("You are next!"));
    assert!(html.contains("Estimated wait: about 5 min"));
    assert!(html.contains(&format!(
        "Code {} · keep it to find your place again on another phone",
        e.verification_code
    )));
    assert!(html.contains("<noscript><meta http-equiv=\"refresh\" content=\"30\"></noscript>"));
    assert!(html.contains("aria-live=\"polite\""));
    assert!(html.contains(&format!("action=\"/queue/status/{}/cancel\"", e.session_id)));

    // A second customer is behind the first.
    let res = post_form(&app, &t, &good_form("Tan", "+65 8123 4567"), None).await;
    let second = res.headers()[LOCATION].to_str().unwrap().to_string();
    let (_, html) = get_page(&app, &t, &second).await;
    assert!(html.contains("<strong id=\"position\">2</strong>"));
    assert!(html.contains("1 person ahead of you"));
    assert_eq!(entries(&app, &t).await[1].customer_phone, "+6581234567");

    // Back on the home page with the cookie: "back to your place".
    let res = app
        .public(&t, Method::GET, "/")
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("href=\"{location}\">Back to your place</a>")),
        "{html}"
    );

    // A double submit of the same rendered form answers the same place.
    let mut fields = good_form("Lee", "012-345 1111");
    fields.retain(|(k, _)| *k != "idem");
    fields.push(("idem", "form-key-1"));
    let a = post_form(&app, &t, &fields, None).await;
    let b = post_form(&app, &t, &fields, None).await;
    assert_eq!(a.headers()[LOCATION], b.headers()[LOCATION]);
    assert_eq!(entries(&app, &t).await.len(), 3);
}

#[tokio::test]
async fn invalid_input_shows_field_messages_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("badinput").await;
    let res = post_form(
        &app,
        &t,
        &[
            ("name", "   "),
            ("country_code", "+60"),
            ("phone", "123"),
            ("party_size", "0"),
            ("special_requests", &"x".repeat(501)),
        ],
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(place_cookie(&res).is_none());
    let html = res.text().await.unwrap();
    for needle in [
        "Please check the form",
        "<p class=\"field-error\" id=\"name-error\">Please enter your name.</p>",
        "id=\"phone-error\">This phone number does not look right.",
        "<p class=\"field-error\" id=\"party_size-error\">Choose between 1 and 20 people.</p>",
        "id=\"special_requests-error\">Please keep special requests under 500 characters.",
        "aria-invalid=\"true\" aria-describedby=\"name-error\"",
        "<a href=\"#phone\">",
        "value=\"123\"",
    ] {
        assert!(html.contains(needle), "missing {needle} in {html}");
    }
    assert!(entries(&app, &t).await.is_empty(), "nothing stored");

    // Only the phone is wrong: the other answers stay in the form.
    let res = post_form(
        &app,
        &t,
        &[
            ("name", "Mei"),
            ("country_code", "+60"),
            ("phone", ""),
            ("party_size", "4"),
        ],
        None,
    )
    .await;
    let html = res.text().await.unwrap();
    assert!(html.contains("Please enter your phone number."));
    assert!(!html.contains("name-error"));
    assert!(html.contains("value=\"Mei\""));
    assert!(html.contains("<option value=\"4\" selected>4</option>"));

    // An unknown service type is a field error too.
    let mut fields = good_form("Mei", "012-345 2222");
    fields.push(("service_type", "not-an-id"));
    let res = post_form(&app, &t, &fields, None).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Please choose a service from the list.")
    );
    assert!(entries(&app, &t).await.is_empty(), "still nothing stored");
}

#[tokio::test]
async fn already_in_the_queue_links_to_the_place_only_on_the_same_device() {
    let app = TestApp::spawn().await;
    let t = app.tenant("again").await;
    let res = post_form(&app, &t, &good_form("Ali", "012-345 3333"), None).await;
    let cookie = place_cookie(&res).unwrap();
    let place = res.headers()[LOCATION].to_str().unwrap().to_string();

    let res = post_form(&app, &t, &good_form("Ali", "0123453333"), Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    assert!(html.contains("You are already in this queue."));
    assert!(html.contains(&format!("href=\"{place}\">Go to your place</a>")));

    // The join page itself says so on this device.
    let res = app
        .public(&t, Method::GET, &format!("/queue/{}", t.queue))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("href=\"{place}\">Go to your place</a>")));
    assert!(!html.contains("<form method=\"post\""));

    // Someone else typing the same number does not get the place's secret link.
    let res = post_form(&app, &t, &good_form("Ali", "+60 12-345 3333"), None).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    assert!(html.contains("This phone number is already in this queue."));
    assert!(html.contains("href=\"/webchat\">Find your place with your code</a>"));
    assert!(!html.contains(&place));
    assert_eq!(entries(&app, &t).await.len(), 1);
}

#[tokio::test]
async fn a_full_queue_and_a_closed_queue_say_so() {
    let app = TestApp::spawn().await;
    let t = app.tenant("limits").await;
    let mut s = settings(&app, &t).await;
    s.max_capacity = 1;
    app.store()
        .update_queue(t.tenant, t.queue, s.clone(), &Actor::system())
        .await
        .unwrap();
    app.join(&t, "First", &phone(10)).await;
    let res = post_form(&app, &t, &good_form("Second", "012-345 4444"), None).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Sorry, this queue is full right now.")
    );
    let (_, html) = get_page(&app, &t, "/").await;
    assert!(html.contains("This queue is full right now."));

    // Closed by the clock: the next opening in the merchant's time zone (the test tenant's is
    // UTC; `qms_domain::queue::local_time` is tested with others).
    let tz = "UTC";
    let now = time::OffsetDateTime::now_utc();
    let opens = now + time::Duration::hours(2);
    let local = qms_domain::queue::local_time(opens, tz, now);
    let end = qms_domain::queue::local_time(now + time::Duration::hours(3), tz, now);
    s.max_capacity = 100;
    s.business_hours_start = local.time.clone();
    s.business_hours_end = end.time.clone();
    app.store()
        .update_queue(t.tenant, t.queue, s, &Actor::system())
        .await
        .unwrap();
    let expected = if local.days_ahead == 0 {
        format!("Closed now. Opens today at {}.", local.time)
    } else {
        format!("Closed now. Opens tomorrow at {}.", local.time)
    };
    let (_, html) = get_page(&app, &t, "/").await;
    assert!(html.contains(&expected), "{expected} in {html}");
    let (_, html) = get_page(&app, &t, &format!("/queue/{}", t.queue)).await;
    assert!(html.contains(&expected));
    assert!(!html.contains("<form method=\"post\""));
    let res = post_form(&app, &t, &good_form("Late", "012-345 5555"), None).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains(&expected));
    assert_eq!(entries(&app, &t).await.len(), 1);
}

#[tokio::test]
async fn unknown_places_and_queues_are_explained() {
    let app = TestApp::spawn().await;
    let t = app.tenant("lost").await;
    let other = app.tenant("other").await;
    let theirs = app.join(&other, "Theirs", &phone(20)).await;
    let theirs = theirs["sessionId"].as_str().unwrap();
    for path in [
        format!("/queue/status/{}", "ab".repeat(16)),
        "/queue/status/not-hex".to_string(),
        format!("/queue/status/{theirs}"),
    ] {
        let (status, html) = get_page(&app, &t, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("We cannot find this place in line"), "{path}");
        assert!(html.contains("href=\"/\""));
    }
    for path in [
        format!("/queue/{}", uuid::Uuid::new_v4()),
        format!("/queue/{}", other.queue),
        "/queue/nonsense".to_string(),
    ] {
        let (status, html) = get_page(&app, &t, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("This queue does not exist or has been removed."));
    }
    let res = app
        .public(&t, Method::POST, &format!("/queue/{}", other.queue))
        .form(&good_form("X", "012-345 6666"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(entries(&app, &other).await.len() == 1);
}

#[tokio::test]
async fn the_status_page_follows_the_place_and_the_customer_can_leave() {
    let app = TestApp::spawn().await;
    let t = app.tenant("follow").await;
    let a = app.join(&t, "Ann", &phone(30)).await;
    let b = app.join(&t, "Bob", &phone(31)).await;
    let a_page = format!("/queue/status/{}", a["sessionId"].as_str().unwrap());
    let b_page = format!("/queue/status/{}", b["sessionId"].as_str().unwrap());

    let (status, _) = call(app.staff(
        &t,
        Method::POST,
        &format!("/api/queues/{}/call/{}", t.queue, a["id"].as_str().unwrap()),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = get_page(&app, &t, &a_page).await;
    assert!(html.contains("class=\"customer status-called\""));
    assert!(html.contains("<h1 id=\"headline\">It is your turn!</h1>"));
    assert!(html.contains("Please come to the counter now and show ticket M-001."));
    let (_, html) = get_page(&app, &t, &b_page).await;
    assert!(html.contains("<strong id=\"position\">1</strong>"));

    // Bob leaves from his page (no JavaScript: a form and a redirect).
    let res = app
        .public(&t, Method::POST, &format!("{b_page}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION].to_str().unwrap(), b_page);
    let (_, html) = get_page(&app, &t, &b_page).await;
    assert!(html.contains("You have left the queue."));
    assert!(
        !html.contains("http-equiv=\"refresh\""),
        "a finished place stops refreshing"
    );
    assert!(!html.contains("/cancel\""), "no leave button any more");
    let rows = entries(&app, &t).await;
    assert_eq!(
        rows.iter()
            .find(|e| e.customer_name == "Bob")
            .unwrap()
            .status,
        EntryStatus::Cancelled
    );

    // Leaving twice is explained, not an error page.
    let res = app
        .public(&t, Method::POST, &format!("{b_page}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Your place can no longer be cancelled.")
    );

    // A queue that forbids leaving online shows no button and refuses the form.
    let mut s = settings(&app, &t).await;
    s.allow_cancellation = false;
    app.store()
        .update_queue(t.tenant, t.queue, s, &Actor::system())
        .await
        .unwrap();
    let c = app.join(&t, "Cy", &phone(32)).await;
    let c_page = format!("/queue/status/{}", c["sessionId"].as_str().unwrap());
    let (_, html) = get_page(&app, &t, &c_page).await;
    assert!(!html.contains("Leave the queue"));
    let res = app
        .public(&t, Method::POST, &format!("{c_page}/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("This queue does not allow leaving online.")
    );
    let rows = entries(&app, &t).await;
    assert_eq!(
        rows.iter()
            .find(|e| e.customer_name == "Cy")
            .unwrap()
            .status,
        EntryStatus::Waiting
    );
}

#[tokio::test]
async fn the_chat_page_finds_the_place_of_this_device() {
    let app = TestApp::spawn().await;
    let t = app.tenant("chatty").await;
    let (status, html) = get_page(&app, &t, "/webchat").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("You are not in a queue right now."));
    assert!(html.contains("data-session=\"\""));
    // Without a place, the script offers to find it by phone number and code.
    assert!(html.contains("<form id=\"recover\""));
    assert!(html.contains("<label for=\"recover-code\">6-digit code</label>"));

    let res = post_form(&app, &t, &good_form("Chat", "012-345 7777"), None).await;
    let cookie = place_cookie(&res).unwrap();
    let sid = cookie.trim_start_matches("qms_place=");
    let res = app
        .public(&t, Method::GET, "/webchat")
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("data-session=\"{sid}\"")));
    assert!(html.contains("M-001 · Main"));
    assert!(html.contains("<label for=\"chat-input\">Message</label>"));
    assert!(html.contains("src=\"/static/vendor/socket.io-4.8.4.min.js\""));
}

#[tokio::test]
async fn qr_code_and_poster_point_at_the_join_page() {
    let app = TestApp::spawn().await;
    let t = app.tenant("qr").await;
    let res = app
        .public(&t, Method::GET, &format!("/queue/{}/qr.svg", t.queue))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    let svg = res.text().await.unwrap();
    let url = format!("http://{}/queue/{}", host(&t.slug), t.queue);
    assert_eq!(
        Some(svg.as_str()),
        qms_web::pages::customer::qr::qr_svg(&url).as_deref(),
        "the code encodes {url}"
    );
    assert!(svg.contains("<svg"));

    let (status, html) = get_page(&app, &t, &format!("/queue/{}/poster", t.queue)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("src=\"/queue/{}/qr.svg\"", t.queue)));
    assert!(html.contains(&format!("<strong>{url}</strong>")));
    assert!(html.contains("Scan to join the queue"));
    assert!(html.contains("<p class=\"poster-queue\">Main</p>"));

    let (status, _) = get_page(&app, &t, &format!("/queue/{}/qr.svg", uuid::Uuid::new_v4())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_speak_the_customers_language() {
    let app = TestApp::spawn().await;
    let t = app.tenant("bahasa").await;
    let home = |lang: &'static str| {
        app.public(&t, Method::GET, "/")
            .header(ACCEPT_LANGUAGE, lang)
            .send()
    };
    let html = home("ms-MY,ms;q=0.9,en;q=0.5")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"ms\">"));
    assert!(html.contains("Sertai barisan"));
    let html = home("zh-CN,zh;q=0.9").await.unwrap().text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("排队取号"));
    let html = home("fr-FR").await.unwrap().text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));

    // The switcher remembers the choice in a cookie, which then beats Accept-Language.
    let res = app
        .public(&t, Method::GET, "/?lang=ms")
        .header(ACCEPT_LANGUAGE, "zh-CN")
        .send()
        .await
        .unwrap();
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.starts_with("lang=ms;"));
    assert!(res.text().await.unwrap().contains("<html lang=\"ms\">"));
    let html = app
        .public(&t, Method::GET, &format!("/queue/{}", t.queue))
        .header(ACCEPT_LANGUAGE, "zh-CN")
        .header(COOKIE, "lang=ms")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<label for=\"name\">Nama anda</label>"));
    assert!(html.contains(&format!("href=\"/queue/{}?lang=zh-CN\"", t.queue)));
    assert!(html.contains("<span aria-current=\"true\" lang=\"ms\">Bahasa Melayu</span>"));

    // Field messages are translated too.
    let res = app
        .public(&t, Method::POST, &format!("/queue/{}", t.queue))
        .header(COOKIE, "lang=zh-CN")
        .form(&[("name", ""), ("phone", "1")])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("请输入您的姓名。"));
    assert!(html.contains("电话号码似乎不正确"));
}

#[tokio::test]
async fn the_brand_colour_comes_from_a_stylesheet_not_inline_styles() {
    let app = TestApp::spawn().await;
    let t = app.tenant("brand").await;
    let res = app
        .public(&t, Method::GET, "/brand.css")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(res.text().await.unwrap().contains("--brand:#e85d04;"));

    // Whatever the page, no inline script or style (the CSP would block them).
    let e = app.join(&t, "Css", &phone(40)).await;
    for path in [
        "/".to_string(),
        format!("/queue/{}", t.queue),
        format!("/queue/status/{}", e["sessionId"].as_str().unwrap()),
        "/webchat".to_string(),
        format!("/queue/{}/poster", t.queue),
    ] {
        let (status, html) = get_page(&app, &t, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!html.contains(" style="), "{path} has a style attribute");
        assert!(!html.contains("<style"), "{path} has a style element");
        for (i, _) in html.match_indices("<script") {
            assert!(
                html[i..].starts_with("<script src=\"/static/"),
                "{path}: inline script"
            );
        }
        assert!(
            !html.contains("http://") || path.ends_with("poster"),
            "{path}: an absolute link"
        );
    }
}

/// Sum of what one page costs on the wire: the HTML and each stylesheet and script it links,
/// fetched with `Accept-Encoding: gzip, br` (headers included, roughly).
async fn page_weight(
    app: &TestApp,
    t: &Tenant,
    path: &str,
) -> (usize, Vec<(String, usize, String)>) {
    async fn fetch(app: &TestApp, t: &Tenant, path: &str) -> (usize, String, String) {
        let res = app
            .public(t, Method::GET, path)
            .header(ACCEPT_ENCODING, "gzip, br")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let headers: usize = res
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum();
        let encoding = res
            .headers()
            .get(CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = res.bytes().await.unwrap();
        (
            headers + 20 + body.len(),
            encoding,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }
    let (html_bytes, encoding, _) = fetch(app, t, path).await;
    assert!(!encoding.is_empty(), "{path} is compressed");
    // The links, read from the uncompressed page.
    let (_, html) = get_page(app, t, path).await;
    let mut parts = vec![(path.to_string(), html_bytes, encoding)];
    for attr in ["href=\"", "src=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let url = &rest[..rest.find('"').unwrap()];
            let base = url.split('?').next().unwrap();
            if base.ends_with(".css") || base.ends_with(".js") {
                let (bytes, enc, _) = fetch(app, t, &url.replace("&amp;", "&")).await;
                parts.push((url.to_string(), bytes, enc));
            }
        }
    }
    (parts.iter().map(|p| p.1).sum(), parts)
}

#[tokio::test]
async fn every_customer_page_stays_under_100_kib_on_the_wire() {
    let app = TestApp::spawn().await;
    let t = app.tenant("weight").await;
    for n in 0..15 {
        app.join(&t, &format!("Guest {n}"), &phone(100 + n)).await;
    }
    let e = app.join(&t, "Me", &phone(99)).await;
    let status = format!("/queue/status/{}", e["sessionId"].as_str().unwrap());
    let mut report = String::from("| page | transferred bytes |\n|---|--:|\n");
    for path in [
        "/".to_string(),
        format!("/queue/{}", t.queue),
        status.clone(),
        "/webchat".to_string(),
    ] {
        let (total, parts) = page_weight(&app, &t, &path).await;
        report += &format!("| {path} | {total} |\n");
        for (url, bytes, enc) in &parts {
            report += &format!("|   {url} ({enc}) | {bytes} |\n");
        }
        assert!(total < 100 * 1024, "{path} weighs {total} bytes: {parts:?}");
        assert!(
            parts.len() >= 4,
            "{path}: html, app.css, customer.css, brand.css, scripts"
        );
    }
    println!("{report}");
}
