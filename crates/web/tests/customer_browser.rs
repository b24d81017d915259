//! The customer pages in a real browser: `e2e/customer.mjs` drives Debian's headless Chromium
//! through playwright-core against the app on a loopback port (`demo.localhost` resolves to
//! 127.0.0.1 in Chromium). It joins through the form, watches the place go to "called" live,
//! leaves from another customer's page, runs axe-core on every page and weighs each page with
//! the browser cache off. Skipped (one line) without Node, the npm packages or Chromium, unless
//! `QMS_TEST_STRICT=1`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use common::external::{Requirement, require, run};
use std::time::Duration;

#[tokio::test]
async fn a_customer_joins_follows_and_is_called_in_chromium() {
    if require(
        "a_customer_joins_follows_and_is_called_in_chromium",
        &[
            Requirement::NodePackage("playwright-core"),
            Requirement::NodePackage("axe-core"),
            Requirement::Chromium,
        ],
    )
    .is_none()
    {
        return;
    }
    let app = TestApp::spawn().await;
    let t = app.tenant("demo").await;
    let base = format!("http://demo.localhost:{}", app.addr.port());
    let (ok, stdout, stderr) = run(
        "node",
        "customer.mjs",
        &[],
        &[
            ("BASE_URL", base),
            ("TOKEN", t.token.clone()),
            ("QUEUE_ID", t.queue.to_string()),
        ],
        Duration::from_secs(180),
    )
    .await;
    let line = stdout.lines().last().unwrap_or_default();
    let report: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|_| panic!("no report from customer.mjs:\n{stdout}\n{stderr}"));
    assert!(
        ok,
        "browser test failed: {:#}\n{stderr}",
        report["failures"]
    );
    assert_eq!(report["failures"], serde_json::json!([]));
    for (page, v) in report["axe"].as_object().expect("axe results") {
        assert_eq!(v, &serde_json::json!([]), "axe violations on {page}");
    }
    let called_ms = report["calledMs"].as_u64().expect("called");
    println!("the called screen appeared {called_ms} ms after the call");
    assert!(called_ms <= 2000);
    for page in ["home", "join", "status", "webchat"] {
        let bytes = report["weights"][page]["bytes"].as_u64().expect("weight");
        println!(
            "{page}: {bytes} bytes transferred ({})",
            report["weights"][page]["files"]
        );
        assert!(
            bytes > 0 && bytes < 100 * 1024,
            "{page} weighs {bytes} bytes"
        );
    }
}
