//! The merchant's branding and time zone on the customer pages: the brand colour through
//! `/brand.css` (with shades that keep WCAG AA), the logo from our own uploads, and queue hours
//! shown in the merchant's time zone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, host};
use qms_store::{Actor, Branding, MerchantProfile};
use reqwest::{Method, StatusCode};

async fn get_page(app: &TestApp, slug: &str, path: &str) -> String {
    let res = app.on(&host(slug), Method::GET, path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn the_brand_colour_and_logo_follow_the_merchant() {
    let app = TestApp::spawn().await;
    let t = app.tenant("brandy").await;
    app.store()
        .update_merchant_branding(
            t.tenant,
            t.merchant,
            Branding {
                logo_url: Some("/uploads/logo/abc.png".into()),
                brand_color: Some("#ffe600".into()),
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    let css = get_page(&app, &t.slug, "/brand.css").await;
    // A light yellow: dark text on it, and a darker shade for buttons and links.
    assert!(css.contains("--brand:#ffe600;--on-brand:#111111;"), "{css}");
    assert!(!css.contains("--brand-strong:#ffe600"), "{css}");
    let html = get_page(&app, &t.slug, "/").await;
    assert!(html.contains("href=\"/brand.css?v=ffe600\""));
    assert!(html.contains("<meta name=\"theme-color\" content=\"#ffe600\">"));
    assert!(html.contains("<img class=\"logo\" src=\"/uploads/logo/abc.png\""));

    // A logo on another site is not shown: the CSP allows only our own images.
    app.store()
        .update_merchant_branding(
            t.tenant,
            t.merchant,
            Branding {
                logo_url: Some("https://cdn.example/logo.png".into()),
                brand_color: None,
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    let html = get_page(&app, &t.slug, "/").await;
    assert!(!html.contains("cdn.example"));
    assert!(
        html.contains("href=\"/brand.css?v=e85d04\""),
        "default colour again"
    );
}

#[tokio::test]
async fn opening_times_are_shown_in_the_merchants_time_zone() {
    let app = TestApp::spawn().await;
    let t = app.tenant("kl").await;
    let tz = "Asia/Kuala_Lumpur";
    app.store()
        .update_merchant_profile(
            t.tenant,
            t.merchant,
            MerchantProfile {
                business_name: "KL Kopitiam".into(),
                email: "kopi@kl.example".into(),
                phone: "+60123456789".into(),
                business_type: "restaurant".into(),
                timezone: tz.into(),
                country: "MY".into(),
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let opens = qms_domain::queue::local_time(now + time::Duration::hours(2), tz, now);
    let closes = qms_domain::queue::local_time(now + time::Duration::hours(3), tz, now);
    let mut s = app
        .store()
        .queue(t.tenant, t.queue)
        .await
        .unwrap()
        .unwrap()
        .settings;
    s.business_hours_start = opens.time.clone();
    s.business_hours_end = closes.time;
    app.store()
        .update_queue(t.tenant, t.queue, s, &Actor::system())
        .await
        .unwrap();
    let expected = if opens.days_ahead == 0 {
        format!("Closed now. Opens today at {}.", opens.time)
    } else {
        format!("Closed now. Opens tomorrow at {}.", opens.time)
    };
    let html = get_page(&app, &t.slug, "/").await;
    assert!(html.contains("KL Kopitiam"));
    assert!(html.contains(&expected), "{expected} in {html}");
    let html = get_page(&app, &t.slug, &format!("/queue/{}", t.queue)).await;
    assert!(html.contains(&expected));
}
