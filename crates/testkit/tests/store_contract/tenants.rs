//! Platform records and accounts: tenants with their subscription, merchant and owner, lookups
//! by slug, id and domain, BackOffice users, staff logins and the audit trail with its filters.

use crate::common::recent;
use qms_domain::{Plan, Role};
use qms_store::{Actor, AuditFilter, NewBackOfficeUser, StoreError};
use qms_testkit::{TestDb, assert_refused, new_tenant, newest, ok, postgres_url};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

#[tokio::test]
async fn the_store_names_its_backend_and_answers_ping() {
    let db = TestDb::new().await;
    assert_eq!(db.store.backend(), db.backend);
    let want = if postgres_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(db.backend, want);
    ok("ping", db.store.ping().await);
    assert_eq!(ok("tenant_count", db.store.tenant_count().await), 0);
}

#[tokio::test]
async fn creating_a_tenant_makes_its_subscription_merchant_and_owner() {
    let db = TestDb::new().await;
    let s = &db.store;
    for (i, plan) in Plan::ALL.into_iter().enumerate() {
        let slug = format!("plan-{i}");
        let email = format!("owner@{slug}.example");
        let mut new = new_tenant(&slug, plan, &email);
        new.timezone = "Asia/Kuala_Lumpur".into();
        new.owner_password_hash = (i % 2 == 0).then(|| format!("$argon2id$hash-{i}"));
        let created = ok("create_tenant", s.create_tenant(new.clone()).await);

        let t = &created.tenant;
        assert_eq!(t.slug, slug);
        assert_eq!(t.name, new.name);
        assert_eq!(t.domain, None);
        assert!(t.is_active);
        recent(Some(t.created_at), "tenant.createdAt");

        let sub = ok("subscription", s.subscription(t.id).await);
        let limits = plan.limits();
        assert_eq!(sub.tenant_id, t.id);
        assert_eq!(sub.plan, plan);
        assert_eq!(sub.status, "active");
        assert_eq!(sub.max_merchants, limits.max_merchants);
        assert_eq!(sub.max_queues_per_merchant, limits.max_queues_per_merchant);
        assert_eq!(sub.max_users_per_tenant, limits.max_users_per_tenant);
        assert_eq!(sub.ai_features, limits.ai_features);
        assert_eq!(sub.analytics, limits.analytics);
        assert_eq!(sub.custom_branding, limits.custom_branding);
        assert_eq!(sub.priority_support, limits.priority_support);

        let m = &created.merchant;
        assert_eq!(m.tenant_id, t.id);
        assert_eq!(m.business_name, new.name);
        assert_eq!(m.email, email);
        assert_eq!(m.timezone, "Asia/Kuala_Lumpur");
        assert_eq!(m.country, "MY");
        assert!(m.is_active);
        assert_eq!(ok("merchants", s.merchants(t.id).await), vec![m.clone()]);

        let o = &created.owner;
        assert_eq!(o.tenant_id, t.id);
        assert_eq!(o.email, email);
        assert_eq!(o.full_name, new.owner_name);
        assert_eq!(o.role, Role::Owner);
        assert!(o.is_active);
        assert_eq!(o.last_login, None);
        assert_eq!(o.password_hash, new.owner_password_hash);
        assert_eq!(
            ok("user_by_email", s.user_by_email(t.id, &email).await).as_ref(),
            Some(o)
        );
        assert_eq!(
            ok("user_by_id", s.user_by_id(t.id, o.id).await).as_ref(),
            Some(o)
        );

        assert_eq!(
            ok("tenant_by_slug", s.tenant_by_slug(&slug).await).as_ref(),
            Some(t)
        );
        assert_eq!(
            ok("tenant_by_id", s.tenant_by_id(t.id).await).as_ref(),
            Some(t)
        );

        let audit = ok("audit_logs", s.audit_logs(t.id, &newest(100)).await);
        let creates: Vec<_> = audit
            .iter()
            .filter(|a| a.action == "tenant.create")
            .collect();
        assert_eq!(creates.len(), 1, "{audit:#?}");
        assert_eq!(creates[0].resource_id, Some(t.id.to_string()));
        assert_eq!(creates[0].tenant_id, Some(t.id));

        assert_eq!(ok("tenant_count", s.tenant_count().await), i as i64 + 1);
    }
    assert_eq!(ok("tenant_by_slug", s.tenant_by_slug("nobody").await), None);
    let stranger = qms_domain::TenantId(Uuid::now_v7());
    assert_eq!(ok("tenant_by_id", s.tenant_by_id(stranger).await), None);
    assert_refused(s.subscription(stranger).await, &StoreError::NotFound);
    assert!(ok("merchants", s.merchants(stranger).await).is_empty());
}

#[tokio::test]
async fn a_used_slug_is_taken_and_nothing_is_half_made() {
    let db = TestDb::new().await;
    let s = &db.store;
    let first = ok(
        "create_tenant",
        s.create_tenant(new_tenant("dup", Plan::Free, "a@dup.example"))
            .await,
    );
    let again = s
        .create_tenant(new_tenant("dup", Plan::Basic, "b@dup.example"))
        .await;
    assert_refused(again, &StoreError::Taken("slug"));
    assert_eq!(ok("tenant_count", s.tenant_count().await), 1);
    let found = ok("tenant_by_slug", s.tenant_by_slug("dup").await).expect("first tenant");
    assert_eq!(found.id, first.tenant.id);
    assert_eq!(
        ok("subscription", s.subscription(found.id).await).plan,
        Plan::Free
    );
    assert_eq!(ok("merchants", s.merchants(found.id).await).len(), 1);
    assert_eq!(
        ok("user", s.user_by_email(found.id, "b@dup.example").await),
        None
    );
}

#[tokio::test]
async fn tenants_are_found_by_their_custom_domain() {
    let db = TestDb::new().await;
    let a = db.tenant("alpha").await;
    let b = db.tenant("bravo").await;
    assert_eq!(
        ok(
            "by_domain",
            db.store.tenant_by_domain("queue.alpha.example").await
        ),
        None
    );
    let changed = db.set_tenant_domain(a.tenant, "queue.alpha.example").await;
    assert_eq!(changed.expect("set the domain"), 1);
    let found = ok(
        "by_domain",
        db.store.tenant_by_domain("queue.alpha.example").await,
    );
    let found = found.expect("tenant by its domain");
    assert_eq!(found.id, a.tenant);
    assert_eq!(found.domain.as_deref(), Some("queue.alpha.example"));
    assert_eq!(
        ok("by_domain", db.store.tenant_by_domain("alpha").await),
        None
    );
    assert_eq!(
        ok(
            "by_domain",
            db.store.tenant_by_domain("bravo.example").await
        ),
        None
    );
    let b_row = ok("by_id", db.store.tenant_by_id(b.tenant).await).expect("bravo");
    assert_eq!(b_row.domain, None);
}

#[tokio::test]
async fn backoffice_users_are_unique_by_email() {
    let db = TestDb::new().await;
    let s = &db.store;
    let new = NewBackOfficeUser {
        email: "ops@platform.example".into(),
        full_name: "Platform Operator".into(),
        password_hash: "$argon2id$ops".into(),
    };
    let made = ok(
        "create_backoffice_user",
        s.create_backoffice_user(new.clone()).await,
    );
    assert_eq!(made.email, new.email);
    assert_eq!(made.full_name, new.full_name);
    assert_eq!(made.password_hash, new.password_hash);
    assert!(made.is_active);
    let found = ok(
        "by_email",
        s.backoffice_user_by_email("ops@platform.example").await,
    );
    assert_eq!(found, Some(made.clone()));
    let dup = NewBackOfficeUser {
        full_name: "Someone Else".into(),
        ..new
    };
    assert_refused(
        s.create_backoffice_user(dup).await,
        &StoreError::Taken("email"),
    );
    let still = ok(
        "by_email",
        s.backoffice_user_by_email("ops@platform.example").await,
    );
    assert_eq!(
        still.map(|u| u.full_name),
        Some("Platform Operator".to_string())
    );
    assert_eq!(
        ok(
            "by_email",
            s.backoffice_user_by_email("nobody@x.example").await
        ),
        None
    );
    // BackOffice users are not tenants' users.
    let fx = db.tenant("gamma").await;
    assert_eq!(
        ok(
            "user",
            s.user_by_email(fx.tenant, "ops@platform.example").await
        ),
        None
    );
}

#[tokio::test]
async fn a_login_is_stamped_and_audited() {
    let db = TestDb::new().await;
    let s = &db.store;
    let fx = db.tenant("delta").await;
    let actor = fx.staff();
    ok(
        "record_login",
        s.record_login(fx.tenant, fx.owner, &actor).await,
    );
    let owner = ok("user_by_id", s.user_by_id(fx.tenant, fx.owner).await).expect("owner");
    recent(owner.last_login, "lastLogin");

    let audit = ok("audit_logs", s.audit_logs(fx.tenant, &newest(1)).await);
    assert_eq!(audit.len(), 1);
    let row = &audit[0];
    assert_eq!(row.action, "auth.login");
    assert_eq!(row.resource, "tenant_user");
    assert_eq!(row.resource_id, Some(fx.owner.to_string()));
    assert_eq!(row.user_id, Some(fx.owner));
    assert_eq!(row.user_type, "MERCHANT");
    assert_eq!(row.ip_address.as_deref(), Some("203.0.113.7"));
    assert_eq!(row.user_agent.as_deref(), Some("qms-testkit"));

    let before = ok("audit_logs", s.audit_logs(fx.tenant, &newest(1000)).await).len();
    let unknown = s.record_login(fx.tenant, Uuid::now_v7(), &actor).await;
    assert_refused(unknown, &StoreError::NotFound);
    assert_eq!(
        ok("audit_logs", s.audit_logs(fx.tenant, &newest(1000)).await).len(),
        before
    );
}

#[tokio::test]
async fn audit_rows_are_written_alone_and_read_newest_first() {
    let db = TestDb::new().await;
    let s = &db.store;
    let fx = db.tenant("echo").await;
    let before = ok("audit_logs", s.audit_logs(fx.tenant, &newest(1000)).await).len();
    let customer = Actor::customer(Some("198.51.100.9".into()), Some("phone".into()));
    for (i, action) in ["test.one", "test.two", "test.three"]
        .into_iter()
        .enumerate()
    {
        let details = serde_json::json!({"n": i, "note": "ünïcode"});
        let r = s
            .audit(
                fx.tenant,
                &customer,
                action,
                "thing",
                Some(format!("id-{i}")),
                Some(details),
            )
            .await;
        ok("audit", r);
        // Distinct timestamps, so "newest first" has one answer on every clock resolution.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let all = ok("audit_logs", s.audit_logs(fx.tenant, &newest(1000)).await);
    assert_eq!(all.len(), before + 3);
    let two = ok("audit_logs", s.audit_logs(fx.tenant, &newest(2)).await);
    assert_eq!(two.len(), 2);
    assert_eq!(two[0].action, "test.three");
    assert_eq!(two[1].action, "test.two");
    let row = &two[0];
    assert_eq!(row.tenant_id, Some(fx.tenant));
    assert_eq!(row.user_id, None);
    assert_eq!(row.user_type, "CUSTOMER");
    assert_eq!(row.resource, "thing");
    assert_eq!(row.resource_id.as_deref(), Some("id-2"));
    assert_eq!(
        row.details,
        Some(serde_json::json!({"n": 2, "note": "ünïcode"}))
    );
    assert_eq!(row.ip_address.as_deref(), Some("198.51.100.9"));
    assert_eq!(row.user_agent.as_deref(), Some("phone"));
    recent(Some(row.created_at), "audit.createdAt");
    assert!(two[0].created_at >= two[1].created_at);
    // Without details or resource id.
    ok(
        "audit",
        s.audit(
            fx.tenant,
            &Actor::system(),
            "test.bare",
            "thing",
            None,
            None,
        )
        .await,
    );
    let newest = ok("audit_logs", s.audit_logs(fx.tenant, &newest(1)).await);
    assert_eq!(newest[0].action, "test.bare");
    assert_eq!(newest[0].user_type, "SYSTEM");
    assert_eq!(newest[0].resource_id, None);
    assert_eq!(newest[0].details, None);
}

#[tokio::test]
async fn audit_rows_are_filtered_and_paged() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("audit-filter").await;
    let (t, staff, system) = (fx.tenant, fx.staff(), qms_store::Actor::system());
    for i in 0..5 {
        let who = if i % 2 == 0 { &staff } else { &system };
        ok(
            "audit",
            s.audit(
                t,
                who,
                &format!("test.{}", i % 2),
                "thing",
                Some(i.to_string()),
                None,
            )
            .await,
        );
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let by_action = AuditFilter {
        action: Some("test.0".into()),
        limit: 10,
        ..AuditFilter::default()
    };
    let rows = ok("audit", s.audit_logs(t, &by_action).await);
    let ids: Vec<_> = rows.iter().filter_map(|r| r.resource_id.clone()).collect();
    assert_eq!(ids, vec!["4", "2", "0"], "newest first");
    let by_user = AuditFilter {
        user_id: Some(fx.owner),
        limit: 10,
        ..AuditFilter::default()
    };
    let rows = ok("audit", s.audit_logs(t, &by_user).await);
    assert!(rows.iter().all(|r| r.user_id == Some(fx.owner)));
    assert_eq!(rows.iter().filter(|r| r.action == "test.0").count(), 3);
    assert!(rows.iter().all(|r| r.action != "test.1"));
    let page = AuditFilter {
        action: Some("test.0".into()),
        limit: 2,
        offset: 1,
        ..AuditFilter::default()
    };
    let ids: Vec<_> = ok("audit", s.audit_logs(t, &page).await)
        .into_iter()
        .filter_map(|r| r.resource_id)
        .collect();
    assert_eq!(ids, vec!["2", "0"]);
    let now = OffsetDateTime::now_utc();
    let hour = time::Duration::hours(1);
    let recent = AuditFilter {
        from: Some(now - hour),
        limit: 100,
        ..AuditFilter::default()
    };
    let all = ok("audit", s.audit_logs(t, &newest(100)).await).len();
    assert_eq!(ok("audit", s.audit_logs(t, &recent).await).len(), all);
    let future = AuditFilter {
        from: Some(now + hour),
        limit: 100,
        ..AuditFilter::default()
    };
    assert!(ok("audit", s.audit_logs(t, &future).await).is_empty());
    let past = AuditFilter {
        to: Some(now - hour),
        limit: 100,
        ..AuditFilter::default()
    };
    assert!(ok("audit", s.audit_logs(t, &past).await).is_empty());
}
