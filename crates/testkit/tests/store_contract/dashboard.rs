//! What the staff dashboard stores and reads: the merchant's profile, branding and opening
//! hours, quick-message templates, an entry's notification history, and per-queue activity
//! counts — each change with its audit row, nothing half-written, and nothing visible to or
//! changeable by another tenant.

use crate::common::{apply, join};
use qms_domain::entry::Transition;
use qms_store::{
    Branding, BusinessHours, MerchantProfile, NewNotification, NewTemplate, Store, StoreError,
};
use qms_testkit::{Fixture, TestDb, assert_refused, newest, ok, open_queue};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

async fn last_audit(s: &dyn Store, fx: &Fixture) -> (String, Option<String>) {
    let rows = ok("audit_logs", s.audit_logs(fx.tenant, &newest(1)).await);
    let row = rows.into_iter().next().expect("an audit row");
    (row.action, row.resource_id)
}

async fn audit_count(s: &dyn Store, fx: &Fixture) -> usize {
    ok("audit_logs", s.audit_logs(fx.tenant, &newest(1000)).await).len()
}

fn profile(name: &str, email: &str) -> MerchantProfile {
    MerchantProfile {
        business_name: name.into(),
        email: email.into(),
        phone: "+60123456789".into(),
        business_type: "salon".into(),
        timezone: "Asia/Kuala_Lumpur".into(),
        country: "MY".into(),
    }
}

fn hours(day: i32, open: &str, close: &str, closed: bool) -> BusinessHours {
    BusinessHours {
        day_of_week: day,
        open_time: open.into(),
        close_time: close.into(),
        is_closed: closed,
    }
}

fn template(name: &str, content: &str) -> NewTemplate {
    NewTemplate {
        name: name.into(),
        channel: "WEBCHAT".into(),
        content: content.into(),
        is_active: true,
    }
}

fn notification(entry: Uuid, message: &str) -> NewNotification {
    NewNotification {
        queue_entry_id: entry,
        channel: "WEBCHAT".into(),
        status: "SENT".into(),
        message: message.into(),
        error_message: None,
    }
}

#[tokio::test]
async fn merchant_profile_and_branding_are_updated_with_their_audit_rows() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("profile").await;
    let actor = fx.staff();

    let p = profile("Salon Sari", "hello@sari.example");
    let m = ok(
        "update_merchant_profile",
        s.update_merchant_profile(fx.tenant, fx.merchant, p.clone(), &actor)
            .await,
    );
    assert_eq!(
        (
            m.business_name.as_str(),
            m.email.as_str(),
            m.phone.as_str(),
            m.business_type.as_str(),
            m.timezone.as_str(),
            m.country.as_str()
        ),
        (
            "Salon Sari",
            "hello@sari.example",
            "+60123456789",
            "salon",
            "Asia/Kuala_Lumpur",
            "MY"
        )
    );
    let listed = ok("merchants", s.merchants(fx.tenant).await);
    assert_eq!(listed, vec![m.clone()]);
    assert_eq!(
        last_audit(s, &fx).await,
        ("merchant.update".into(), Some(fx.merchant.to_string()))
    );

    let b = Branding {
        logo_url: Some("/uploads/logo/abc.png".into()),
        brand_color: Some("#123abc".into()),
    };
    let m2 = ok(
        "update_merchant_branding",
        s.update_merchant_branding(fx.tenant, fx.merchant, b, &actor)
            .await,
    );
    assert_eq!(m2.logo_url.as_deref(), Some("/uploads/logo/abc.png"));
    assert_eq!(m2.brand_color.as_deref(), Some("#123abc"));
    assert_eq!(m2.business_name, "Salon Sari", "branding keeps the profile");
    assert_eq!(
        last_audit(s, &fx).await,
        ("merchant.branding".into(), Some(fx.merchant.to_string()))
    );
    let cleared = ok(
        "clear branding",
        s.update_merchant_branding(fx.tenant, fx.merchant, Branding::default(), &actor)
            .await,
    );
    assert_eq!((cleared.logo_url, cleared.brand_color), (None, None));

    // A constraint violation (unknown business type) changes nothing and writes no audit row.
    let before = audit_count(s, &fx).await;
    let mut bad = profile("Renamed", "other@sari.example");
    bad.business_type = "casino".into();
    let r = s
        .update_merchant_profile(fx.tenant, fx.merchant, bad, &actor)
        .await;
    assert!(r.is_err(), "{r:?}");
    let still = ok("merchants", s.merchants(fx.tenant).await);
    assert_eq!(still[0].business_name, "Salon Sari");
    assert_eq!(still[0].email, "hello@sari.example");
    assert_eq!(audit_count(s, &fx).await, before);

    assert_refused(
        s.update_merchant_profile(fx.tenant, Uuid::now_v7(), p, &actor)
            .await,
        &StoreError::NotFound,
    );
}

#[tokio::test]
async fn business_hours_are_replaced_per_day_all_or_nothing() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("hours").await;
    let actor = fx.staff();

    assert!(ok("hours", s.business_hours(fx.tenant, fx.merchant).await).is_empty());
    let week: Vec<_> = (0..7).map(|d| hours(d, "10:00", "22:00", d == 1)).collect();
    let stored = ok(
        "set_business_hours",
        s.set_business_hours(fx.tenant, fx.merchant, &week, &actor)
            .await,
    );
    assert_eq!(stored, week);
    assert_eq!(
        last_audit(s, &fx).await,
        ("merchant.hours".into(), Some(fx.merchant.to_string()))
    );

    // Changing two days leaves the others as they were.
    let change = [
        hours(5, "11:00", "23:30", false),
        hours(1, "09:00", "17:00", false),
    ];
    let stored = ok(
        "set some days",
        s.set_business_hours(fx.tenant, fx.merchant, &change, &actor)
            .await,
    );
    assert_eq!(stored.len(), 7);
    assert_eq!(stored[5], change[0]);
    assert_eq!(stored[1], change[1]);
    assert_eq!(stored[0], week[0]);

    // A bad day in the batch refuses the whole batch.
    let before = audit_count(s, &fx).await;
    let batch = [
        hours(0, "06:00", "07:00", false),
        hours(9, "06:00", "07:00", false),
    ];
    let r = s
        .set_business_hours(fx.tenant, fx.merchant, &batch, &actor)
        .await;
    assert!(r.is_err(), "{r:?}");
    let after = ok("hours", s.business_hours(fx.tenant, fx.merchant).await);
    assert_eq!(after, stored, "nothing half-saved");
    assert_eq!(audit_count(s, &fx).await, before);

    assert_refused(
        s.set_business_hours(fx.tenant, Uuid::now_v7(), &week, &actor)
            .await,
        &StoreError::NotFound,
    );
}

#[tokio::test]
async fn templates_are_created_listed_updated_and_deleted() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("templates").await;
    let actor = fx.staff();

    let ready = ok(
        "create",
        s.create_notification_template(
            fx.tenant,
            fx.merchant,
            template("Table ready", "Hi {name}, your table is ready!"),
            &actor,
        )
        .await,
    );
    assert_eq!(ready.tenant_id, fx.tenant);
    assert_eq!(ready.merchant_id, Some(fx.merchant));
    assert_eq!(ready.content, "Hi {name}, your table is ready!");
    assert_eq!(ready.channel, "WEBCHAT");
    assert!(ready.is_active);
    assert_eq!(
        last_audit(s, &fx).await,
        (
            "notification_template.create".into(),
            Some(ready.id.to_string())
        )
    );
    let almost = ok(
        "create",
        s.create_notification_template(
            fx.tenant,
            fx.merchant,
            template("Almost there", "You are number {position} ({ticket})"),
            &actor,
        )
        .await,
    );
    let names: Vec<_> = ok("list", s.notification_templates(fx.tenant).await)
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Almost there", "Table ready"], "by name");

    let mut changed = template("Table ready", "Your table is waiting, {name}.");
    changed.is_active = false;
    let updated = ok(
        "update",
        s.update_notification_template(fx.tenant, ready.id, changed, &actor)
            .await,
    );
    assert_eq!(updated.content, "Your table is waiting, {name}.");
    assert!(!updated.is_active);
    assert_eq!(updated.created_at, ready.created_at);
    assert_eq!(
        last_audit(s, &fx).await,
        (
            "notification_template.update".into(),
            Some(ready.id.to_string())
        )
    );

    ok(
        "delete",
        s.delete_notification_template(fx.tenant, almost.id, &actor)
            .await,
    );
    let left = ok("list", s.notification_templates(fx.tenant).await);
    assert_eq!(left, vec![updated]);
    assert_refused(
        s.delete_notification_template(fx.tenant, almost.id, &actor)
            .await,
        &StoreError::NotFound,
    );
    assert_refused(
        s.update_notification_template(fx.tenant, almost.id, template("x", "y"), &actor)
            .await,
        &StoreError::NotFound,
    );
    assert_refused(
        s.create_notification_template(fx.tenant, Uuid::now_v7(), template("x", "y"), &actor)
            .await,
        &StoreError::NotFound,
    );
}

#[tokio::test]
async fn notifications_are_recorded_per_entry_in_order() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("notify").await;
    let ann = join(s, &fx, "Ann", "+60123000001").await;
    let bob = join(s, &fx, "Bob", "+60123000002").await;

    let first = ok(
        "record",
        s.record_notification(fx.tenant, notification(ann.id, "You joined"))
            .await,
    );
    let mut failed = notification(ann.id, "Your table is ready");
    failed.channel = "WHATSAPP".into();
    failed.status = "FAILED".into();
    failed.error_message = Some("no WhatsApp account".into());
    let second = ok("record", s.record_notification(fx.tenant, failed).await);
    ok(
        "record",
        s.record_notification(fx.tenant, notification(bob.id, "Hello Bob"))
            .await,
    );

    let history = ok("history", s.notification_history(fx.tenant, ann.id).await);
    assert_eq!(history, vec![first.clone(), second.clone()]);
    assert_eq!(history[1].channel, "WHATSAPP");
    assert_eq!(
        history[1].error_message.as_deref(),
        Some("no WhatsApp account")
    );
    assert!(history[0].sent_at <= history[1].sent_at);
    assert_eq!(
        ok("history", s.notification_history(fx.tenant, bob.id).await).len(),
        1
    );
    assert!(
        ok(
            "history",
            s.notification_history(fx.tenant, Uuid::now_v7()).await
        )
        .is_empty()
    );
    assert_refused(
        s.record_notification(fx.tenant, notification(Uuid::now_v7(), "x"))
            .await,
        &StoreError::NotFound,
    );
}

#[tokio::test]
async fn queue_activity_counts_what_became_of_each_customer() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("activity").await;
    let quiet = ok(
        "create_queue",
        s.create_queue(fx.tenant, fx.merchant, open_queue("Quiet"), &fx.staff())
            .await,
    );
    let start = OffsetDateTime::now_utc() - Duration::minutes(1);
    let mut ids = Vec::new();
    for i in 1..=6 {
        ids.push(join(s, &fx, "Guest", &format!("+6012300010{i}")).await.id);
    }
    // 1 seated, 2 completed, 3 no-show, 4 cancelled while waiting, 5 called, 6 waiting.
    apply(s, &fx, ids[0], Transition::Call).await;
    apply(s, &fx, ids[0], Transition::Seat).await;
    for t in [Transition::Call, Transition::Seat, Transition::Complete] {
        apply(s, &fx, ids[1], t).await;
    }
    apply(s, &fx, ids[2], Transition::Call).await;
    apply(s, &fx, ids[2], Transition::NoShow).await;
    apply(s, &fx, ids[3], Transition::Cancel).await;
    apply(s, &fx, ids[4], Transition::Call).await;
    let end = OffsetDateTime::now_utc() + Duration::minutes(1);

    let report = ok(
        "queue_activity",
        s.queue_activity(fx.tenant, start, end).await,
    );
    assert_eq!(
        report.iter().map(|r| r.queue_id).collect::<Vec<_>>(),
        vec![fx.queue, quiet.id],
        "every queue, in creation order"
    );
    let main = &report[0];
    assert_eq!(main.queue_name, "Main");
    assert_eq!(
        (
            main.joined,
            main.called,
            main.served,
            main.cancelled,
            main.no_show,
            main.active
        ),
        (6, 4, 2, 1, 1, 2)
    );
    let wait = main.average_wait_seconds.expect("four were called");
    assert!((0.0..120.0).contains(&wait), "{wait}");
    let empty = &report[1];
    assert_eq!((empty.joined, empty.served, empty.active), (0, 0, 0));
    assert_eq!(empty.average_wait_seconds, None);

    // Customers who joined outside the period are not counted.
    let later = ok(
        "queue_activity",
        s.queue_activity(fx.tenant, end, end + Duration::days(1))
            .await,
    );
    assert_eq!(later[0].joined, 0);
    assert_eq!(later[0].average_wait_seconds, None);
}

#[tokio::test]
async fn another_tenant_sees_and_changes_none_of_it() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let a = db.tenant("dash-a").await;
    let b = db.tenant("dash-b").await;
    let (bt, actor) = (b.tenant, b.staff());
    let nf = StoreError::NotFound;

    let t = ok(
        "create",
        s.create_notification_template(a.tenant, a.merchant, template("Ready", "Hi"), &a.staff())
            .await,
    );
    ok(
        "hours",
        s.set_business_hours(
            a.tenant,
            a.merchant,
            &[hours(2, "08:00", "16:00", false)],
            &a.staff(),
        )
        .await,
    );
    let ann = join(s, &a, "Ann", "+60123000001").await;
    ok(
        "record",
        s.record_notification(a.tenant, notification(ann.id, "Hi Ann"))
            .await,
    );
    let a_merchants = ok("merchants", s.merchants(a.tenant).await);
    let a_hours = ok("hours", s.business_hours(a.tenant, a.merchant).await);
    let a_history = ok("history", s.notification_history(a.tenant, ann.id).await);
    let a_audits = audit_count(s, &a).await;
    let b_audits = audit_count(s, &b).await;
    let now = OffsetDateTime::now_utc();

    // Reads answer nothing.
    assert!(ok("templates", s.notification_templates(bt).await).is_empty());
    assert!(ok("hours", s.business_hours(bt, a.merchant).await).is_empty());
    assert!(ok("history", s.notification_history(bt, ann.id).await).is_empty());
    let activity = ok(
        "activity",
        s.queue_activity(bt, now - Duration::hours(1), now + Duration::hours(1))
            .await,
    );
    assert_eq!(
        activity
            .iter()
            .map(|r| (r.queue_id, r.joined))
            .collect::<Vec<_>>(),
        vec![(b.queue, 0)]
    );

    // Writes are refused as if nothing existed.
    assert_refused(
        s.update_merchant_profile(bt, a.merchant, profile("Hijacked", "x@y.example"), &actor)
            .await,
        &nf,
    );
    assert_refused(
        s.update_merchant_branding(bt, a.merchant, Branding::default(), &actor)
            .await,
        &nf,
    );
    assert_refused(
        s.set_business_hours(bt, a.merchant, &[hours(2, "00:00", "01:00", true)], &actor)
            .await,
        &nf,
    );
    assert_refused(
        s.create_notification_template(bt, a.merchant, template("X", "Y"), &actor)
            .await,
        &nf,
    );
    assert_refused(
        s.update_notification_template(bt, t.id, template("X", "Y"), &actor)
            .await,
        &nf,
    );
    assert_refused(s.delete_notification_template(bt, t.id, &actor).await, &nf);
    assert_refused(
        s.record_notification(bt, notification(ann.id, "spam"))
            .await,
        &nf,
    );

    // A is untouched and B's refused writes left no audit rows.
    assert_eq!(ok("merchants", s.merchants(a.tenant).await), a_merchants);
    assert_eq!(
        ok("hours", s.business_hours(a.tenant, a.merchant).await),
        a_hours
    );
    assert_eq!(
        ok("history", s.notification_history(a.tenant, ann.id).await),
        a_history
    );
    assert_eq!(
        ok("templates", s.notification_templates(a.tenant).await),
        vec![t]
    );
    assert_eq!(audit_count(s, &a).await, a_audits);
    assert_eq!(audit_count(s, &b).await, b_audits);
}
