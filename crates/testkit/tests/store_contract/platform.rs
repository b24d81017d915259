//! The BackOffice's store methods: tenants created, listed, changed, switched off and deleted by
//! operators (with both audit trails), provisioning state, lists across tenants, operators'
//! sign-in, lock-out and TOTP steps, system settings and platform counts.

use crate::common::{entry_in, live, now_s, recent, session};
use qms_domain::entry::EntryStatus;
use qms_domain::{Plan, Role, TenantId};
use qms_store::*;
use qms_testkit::{TestDb, assert_refused, new_tenant, ok};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// An operator and their audit actor.
async fn operator(s: &dyn Store, email: &str) -> (BackOfficeUser, Actor) {
    let user = ok(
        "create_backoffice_user",
        s.create_backoffice_user(NewBackOfficeUser {
            email: email.into(),
            full_name: "Ops".into(),
            password_hash: "$argon2id$x".into(),
        })
        .await,
    );
    let actor = Actor {
        user_id: Some(user.id),
        user_type: UserType::Superadmin,
        ip_address: Some("198.51.100.4".into()),
        user_agent: Some("contract".into()),
    };
    (user, actor)
}

fn new_by_operator(slug: &str, plan: Plan) -> OperatorNewTenant {
    let mut terms = SubscriptionTerms::of_plan(plan);
    terms.max_users_per_tenant = 7;
    OperatorNewTenant {
        tenant: new_tenant(slug, plan, &format!("owner@{slug}.example")),
        terms,
        domain: None,
        owner_invite_token_hash: format!("invite-{slug}"),
        owner_invite_expires: OffsetDateTime::now_utc() + Duration::days(7),
        provisioning_status: provisioning::PENDING.into(),
    }
}

async fn operator_rows(s: &dyn Store, f: PlatformAuditFilter) -> Vec<BackOfficeAuditEntry> {
    ok("backoffice_audit_logs", s.backoffice_audit_logs(&f).await).items
}

#[tokio::test]
async fn an_operator_creates_a_tenant_with_its_terms_owner_invitation_and_audit_rows() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let (op, actor) = operator(s, "ops@platform.example").await;
    let mut new = new_by_operator("acme", Plan::Basic);
    new.domain = Some("queue.acme.test".into());
    let created = ok(
        "operator_create_tenant",
        s.operator_create_tenant(new.clone(), &actor).await,
    );
    let t = &created.tenant;
    assert_eq!((t.slug.as_str(), t.is_active), ("acme", true));
    assert_eq!(t.domain.as_deref(), Some("queue.acme.test"));
    let o = ok("tenant_overview", s.tenant_overview(t.id).await).expect("overview");
    assert_eq!(SubscriptionTerms::of(&o.subscription), new.terms);
    assert_eq!(o.subscription.max_users_per_tenant, 7);
    assert_eq!(o.provisioning.status, "pending");
    assert_eq!(o.provisioning.attempts, 0);
    assert_eq!(
        o.usage,
        TenantUsage {
            users: 1,
            merchants: 1,
            ..TenantUsage::default()
        }
    );
    assert!(created.owner.invited && created.owner.role == Role::Owner);

    // The owner's invitation works once.
    let owner = ok(
        "redeem",
        s.redeem_token(
            t.id,
            TokenKind::Invite,
            "invite-acme",
            "$argon2id$owner",
            &Actor::system(),
            OffsetDateTime::now_utc(),
        )
        .await,
    );
    assert_eq!(owner.id, created.owner.id);
    assert!(!owner.invited);

    // Both trails: the tenant's and the operators'.
    let tenant_rows = ok(
        "audit_logs",
        s.audit_logs(t.id, &qms_testkit::newest(10)).await,
    );
    let create = tenant_rows
        .iter()
        .find(|a| a.action == "tenant.create")
        .expect("tenant.create on the tenant's trail");
    assert_eq!(create.user_type, "SUPERADMIN");
    assert_eq!(create.user_id, Some(op.id));
    let rows = operator_rows(s, PlatformAuditFilter::default()).await;
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (r.action.as_str(), r.resource.as_str()),
        ("tenant.create", "tenant")
    );
    assert_eq!(r.backoffice_user_id, Some(op.id));
    assert_eq!(r.actor_email.as_deref(), Some("ops@platform.example"));
    assert_eq!(r.tenant_id, Some(t.id));
    assert_eq!(r.tenant_slug.as_deref(), Some("acme"));
    assert_eq!(r.resource_id, Some(t.id.to_string()));
    assert_eq!(r.ip_address.as_deref(), Some("198.51.100.4"));
    let details = r.details.as_ref().expect("details");
    assert_eq!(details["after"]["terms"]["plan"], "BASIC");
    assert_eq!(details["after"]["domain"], "queue.acme.test");
    recent(Some(r.created_at), "audit createdAt");
    assert_eq!(
        ok("backoffice_audit_log", s.backoffice_audit_log(r.id).await).as_ref(),
        Some(r)
    );

    // A taken slug or domain writes nothing at all.
    let count = ok("tenant_count", s.tenant_count().await);
    assert_refused(
        s.operator_create_tenant(new_by_operator("acme", Plan::Free), &actor)
            .await,
        &StoreError::Taken("slug"),
    );
    let mut clash = new_by_operator("other", Plan::Free);
    clash.domain = Some("queue.acme.test".into());
    assert_refused(
        s.operator_create_tenant(clash, &actor).await,
        &StoreError::Taken("domain"),
    );
    assert_eq!(ok("tenant_count", s.tenant_count().await), count);
    assert_eq!(ok("by slug", s.tenant_by_slug("other").await), None);
    assert_eq!(
        operator_rows(s, PlatformAuditFilter::default()).await.len(),
        1
    );
}

#[tokio::test]
async fn tenants_are_listed_with_search_filters_paging_and_usage() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let (_, actor) = operator(s, "ops@platform.example").await;
    for (slug, plan) in [
        ("bravo-cafe", Plan::Basic),
        ("alpha-bistro", Plan::Free),
        ("charlie_x", Plan::Premium),
        ("delta-bistro", Plan::Basic),
    ] {
        let slug = slug.replace('_', "-");
        ok(
            "create",
            s.operator_create_tenant(new_by_operator(&slug, plan), &actor)
                .await,
        );
    }
    let delta = ok("slug", s.tenant_by_slug("delta-bistro").await).expect("delta");
    ok("off", s.set_tenant_active(delta.id, false, &actor).await);
    let fx = db.tenant("echo").await; // ENTERPRISE, one queue
    entry_in(s, &fx, EntryStatus::Waiting, "+60123000001").await;

    let list = |q: PlatformQuery| async move { ok("list_tenants", s.list_tenants(&q).await) };
    let all = list(PlatformQuery::default()).await;
    assert_eq!(all.total, 5);
    let slugs: Vec<&str> = all.items.iter().map(|o| o.tenant.slug.as_str()).collect();
    assert_eq!(
        slugs,
        [
            "alpha-bistro",
            "bravo-cafe",
            "charlie-x",
            "delta-bistro",
            "echo"
        ]
    );
    let echo = &all.items[4];
    assert_eq!(echo.subscription.plan, Plan::Enterprise);
    assert_eq!(echo.usage.queues, 1);
    assert_eq!(echo.usage.max_queues_of_a_merchant, 1);
    assert_eq!(echo.usage.customers_30d, 1);
    assert_eq!(echo.provisioning.status, "none");

    let bistro = list(PlatformQuery {
        search: Some("BISTRO".into()),
        ..PlatformQuery::default()
    })
    .await;
    assert_eq!(bistro.total, 2);
    let basic_active = list(PlatformQuery {
        plan: Some(Plan::Basic),
        active: Some(true),
        ..PlatformQuery::default()
    })
    .await;
    assert_eq!(basic_active.total, 1);
    assert_eq!(basic_active.items[0].tenant.slug, "bravo-cafe");
    let inactive = list(PlatformQuery {
        active: Some(false),
        ..PlatformQuery::default()
    })
    .await;
    assert_eq!(inactive.items.len(), 1);
    assert_eq!(inactive.items[0].tenant.slug, "delta-bistro");
    // Wildcards in the search are literal.
    let none = list(PlatformQuery {
        search: Some("_".into()),
        ..PlatformQuery::default()
    })
    .await;
    assert_eq!(none.total, 0);
    let page = list(PlatformQuery {
        limit: 2,
        offset: 2,
        ..PlatformQuery::default()
    })
    .await;
    assert_eq!(page.total, 5);
    let slugs: Vec<&str> = page.items.iter().map(|o| o.tenant.slug.as_str()).collect();
    assert_eq!(slugs, ["charlie-x", "delta-bistro"]);
}

#[tokio::test]
async fn changes_and_switches_record_before_and_after() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let (op, actor) = operator(s, "ops@platform.example").await;
    let a = ok(
        "create",
        s.operator_create_tenant(new_by_operator("alpha", Plan::Free), &actor)
            .await,
    );
    let b = ok(
        "create",
        s.operator_create_tenant(new_by_operator("bravo", Plan::Free), &actor)
            .await,
    );
    let mut terms = SubscriptionTerms::of_plan(Plan::Premium);
    terms.status = "trial".into();
    terms.max_queues_per_merchant = 99;
    let patch = TenantPatch {
        name: "Alpha Foods".into(),
        domain: Some("q.alpha.test".into()),
        terms: terms.clone(),
    };
    let o = ok(
        "update_tenant",
        s.update_tenant(a.tenant.id, patch, &actor).await,
    );
    assert_eq!(o.tenant.name, "Alpha Foods");
    assert_eq!(o.tenant.domain.as_deref(), Some("q.alpha.test"));
    assert_eq!(SubscriptionTerms::of(&o.subscription), terms);
    assert_eq!(
        ok("subscription", s.subscription(a.tenant.id).await).max_queues_per_merchant,
        99
    );
    assert_eq!(
        ok("by domain", s.tenant_by_domain("q.alpha.test").await).map(|t| t.id),
        Some(a.tenant.id)
    );
    let clash = TenantPatch {
        name: "Bravo".into(),
        domain: Some("q.alpha.test".into()),
        terms: SubscriptionTerms::of_plan(Plan::Free),
    };
    assert_refused(
        s.update_tenant(b.tenant.id, clash, &actor).await,
        &StoreError::Taken("domain"),
    );
    assert_refused(
        s.update_tenant(
            TenantId::new(),
            TenantPatch {
                name: "x".into(),
                domain: None,
                terms: SubscriptionTerms::of_plan(Plan::Free),
            },
            &actor,
        )
        .await,
        &StoreError::NotFound,
    );

    // Switching off ends the tenant's staff sessions, and only theirs.
    let now = now_s();
    ok(
        "save",
        s.session_save(&session(
            "a-owner",
            Some(a.owner.id),
            now + Duration::hours(1),
        ))
        .await,
    );
    ok(
        "save",
        s.session_save(&session(
            "b-owner",
            Some(b.owner.id),
            now + Duration::hours(1),
        ))
        .await,
    );
    let off = ok("off", s.set_tenant_active(a.tenant.id, false, &actor).await);
    assert!(!off.is_active);
    assert!(!live(s, "a-owner").await);
    assert!(live(s, "b-owner").await);
    let on = ok("on", s.set_tenant_active(a.tenant.id, true, &actor).await);
    assert!(on.is_active);

    let rows = operator_rows(
        s,
        PlatformAuditFilter {
            tenant: Some(a.tenant.id),
            ..PlatformAuditFilter::default()
        },
    )
    .await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "tenant.activate",
            "tenant.deactivate",
            "tenant.update",
            "tenant.create"
        ]
    );
    let update = &rows[2].details.as_ref().expect("details");
    assert_eq!(update["before"]["name"], "Tenant alpha");
    assert_eq!(update["after"]["name"], "Alpha Foods");
    assert_eq!(update["before"]["terms"]["plan"], "FREE");
    assert_eq!(update["after"]["terms"]["maxQueuesPerMerchant"], 99);
    assert_eq!(
        rows[1].details.as_ref().expect("d")["after"]["isActive"],
        false
    );

    // Filters: action prefix, actor, time window.
    let f = |action: &str| PlatformAuditFilter {
        action: Some(action.into()),
        ..PlatformAuditFilter::default()
    };
    assert_eq!(operator_rows(s, f("tenant.")).await.len(), 5);
    assert_eq!(operator_rows(s, f("tenant.de")).await.len(), 1);
    assert_eq!(operator_rows(s, f("tenant%")).await.len(), 0);
    let mine = PlatformAuditFilter {
        actor: Some(op.id),
        ..PlatformAuditFilter::default()
    };
    assert_eq!(operator_rows(s, mine).await.len(), 5);
    let nobody = PlatformAuditFilter {
        actor: Some(Uuid::now_v7()),
        ..PlatformAuditFilter::default()
    };
    assert!(operator_rows(s, nobody).await.is_empty());
    let future = PlatformAuditFilter {
        from: Some(OffsetDateTime::now_utc() + Duration::minutes(1)),
        ..PlatformAuditFilter::default()
    };
    assert!(operator_rows(s, future).await.is_empty());
    let window = PlatformAuditFilter {
        from: Some(now - Duration::minutes(1)),
        to: Some(OffsetDateTime::now_utc() + Duration::minutes(1)),
        limit: 2,
        offset: 1,
        ..PlatformAuditFilter::default()
    };
    let page = ok("page", s.backoffice_audit_logs(&window).await);
    assert_eq!((page.total, page.items.len()), (5, 2));
}

#[tokio::test]
async fn deleting_a_tenant_leaves_no_row_of_it_anywhere() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let (_, actor) = operator(s, "ops@platform.example").await;
    let doomed = db.tenant("doomed").await;
    let kept = db.tenant("kept").await;
    for fx in [&doomed, &kept] {
        entry_in(s, fx, EntryStatus::Waiting, "+60123000002").await;
        entry_in(s, fx, EntryStatus::Completed, "+60123000003").await;
        ok(
            "set_tenant_active",
            s.set_tenant_active(fx.tenant, true, &actor).await,
        );
        ok(
            "save",
            s.session_save(&session(
                &fx.slug,
                Some(fx.owner),
                now_s() + Duration::hours(1),
            ))
            .await,
        );
    }
    let before = db.tenant_row_counts(doomed.tenant).await.expect("counts");
    assert!(
        before.iter().any(|(t, n)| t == "queue_entries" && *n == 2),
        "{before:?}"
    );
    assert!(
        before
            .iter()
            .any(|(t, n)| t == "backoffice_audit_logs" && *n == 1),
        "{before:?}"
    );
    let kept_before = db.tenant_row_counts(kept.tenant).await.expect("counts");

    let gone = ok(
        "delete_tenant",
        s.delete_tenant(doomed.tenant, &actor).await,
    );
    assert_eq!(gone.slug, "doomed");

    let after = db.tenant_row_counts(doomed.tenant).await.expect("counts");
    assert!(after.len() >= 15, "tables found: {after:?}");
    let left: Vec<_> = after.iter().filter(|(_, n)| *n > 0).collect();
    assert!(
        left.is_empty(),
        "rows of the deleted tenant remain: {left:?}"
    );
    assert_eq!(
        db.tenant_row_counts(kept.tenant).await.expect("counts"),
        kept_before
    );
    assert!(!live(s, "doomed").await, "the tenant's sessions end");
    assert!(live(s, "kept").await);
    assert_eq!(ok("by id", s.tenant_by_id(doomed.tenant).await), None);
    assert_eq!(ok("by slug", s.tenant_by_slug("doomed").await), None);
    assert_refused(
        s.delete_tenant(doomed.tenant, &actor).await,
        &StoreError::NotFound,
    );

    // The operators' trail keeps its rows, no longer tied to the tenant.
    let rows = operator_rows(
        s,
        PlatformAuditFilter {
            action: Some("tenant.".into()),
            ..PlatformAuditFilter::default()
        },
    )
    .await;
    let delete = rows
        .iter()
        .find(|r| r.action == "tenant.delete")
        .expect("tenant.delete");
    assert_eq!(delete.tenant_id, None);
    assert_eq!(delete.resource_id, Some(doomed.tenant.to_string()));
    assert_eq!(
        delete.details.as_ref().expect("details")["before"]["slug"],
        "doomed"
    );
    let earlier = rows
        .iter()
        .find(|r| r.action == "tenant.activate" && r.resource_id == Some(doomed.tenant.to_string()))
        .expect("earlier row kept");
    assert_eq!(earlier.tenant_id, None);
    // The slug is free again.
    ok(
        "create again",
        s.operator_create_tenant(new_by_operator("doomed", Plan::Free), &actor)
            .await,
    );
}

#[tokio::test]
async fn provisioning_failures_are_counted_and_retried_when_due() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let (_, actor) = operator(s, "ops@platform.example").await;
    let a = ok(
        "create",
        s.operator_create_tenant(new_by_operator("alpha", Plan::Free), &actor)
            .await,
    );
    let id = a.tenant.id;
    let now = now_s();
    // Just created: pending, but the first attempt is the creator's, so not due yet.
    assert!(ok("due", s.tenants_to_provision(now).await).is_empty());
    let later = now + Duration::minutes(3);
    let due = ok("due later", s.tenants_to_provision(later).await);
    assert_eq!(due.iter().map(|t| t.id).collect::<Vec<_>>(), vec![id]);

    let p = ok(
        "failed",
        s.set_provisioning(
            id,
            "failed",
            Some("502 from API"),
            Some(now + Duration::minutes(1)),
        )
        .await,
    );
    assert_eq!(p.status, "failed");
    assert_eq!(p.attempts, 1);
    assert_eq!(p.error.as_deref(), Some("502 from API"));
    assert_eq!(p.next_attempt_at, Some(now + Duration::minutes(1)));
    let p = ok(
        "failed again",
        s.set_provisioning(
            id,
            "failed",
            Some("timeout"),
            Some(now + Duration::minutes(2)),
        )
        .await,
    );
    assert_eq!(p.attempts, 2);
    assert!(ok("not yet", s.tenants_to_provision(now).await).is_empty());
    assert_eq!(
        ok(
            "due",
            s.tenants_to_provision(now + Duration::minutes(2)).await
        )
        .len(),
        1
    );
    // Inactive tenants wait.
    ok("off", s.set_tenant_active(id, false, &actor).await);
    assert!(ok("inactive", s.tenants_to_provision(later).await).is_empty());
    ok("on", s.set_tenant_active(id, true, &actor).await);

    let p = ok(
        "provisioned",
        s.set_provisioning(id, "provisioned", None, None).await,
    );
    assert_eq!(
        (p.status.as_str(), p.attempts, p.error.as_deref()),
        ("provisioned", 0, None)
    );
    assert!(ok("done", s.tenants_to_provision(later).await).is_empty());
    let o = ok("overview", s.tenant_overview(id).await).expect("overview");
    assert_eq!(o.provisioning, p);
    assert_refused(
        s.set_provisioning(TenantId::new(), "failed", None, None)
            .await,
        &StoreError::NotFound,
    );
}

#[tokio::test]
async fn users_and_merchants_are_listed_across_tenants_and_toggled_by_operators() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let (op, actor) = operator(s, "ops@platform.example").await;
    let a = db.tenant("alpha").await;
    let b = db.tenant("bravo").await;
    let users = ok(
        "platform_users",
        s.platform_users(&PlatformQuery::default()).await,
    );
    assert_eq!(users.total, 2);
    assert_eq!(users.items[0].tenant_slug, "alpha");
    assert_eq!(users.items[1].user.email, "owner@bravo.example");
    let only_b = ok(
        "by tenant",
        s.platform_users(&PlatformQuery {
            tenant: Some(b.tenant),
            ..PlatformQuery::default()
        })
        .await,
    );
    assert_eq!(only_b.total, 1);
    let searched = ok(
        "search",
        s.platform_users(&PlatformQuery {
            search: Some("ALPHA".into()),
            ..PlatformQuery::default()
        })
        .await,
    );
    assert_eq!(searched.items.len(), 1);
    assert_eq!(searched.items[0].user.id, a.owner);

    ok(
        "save",
        s.session_save(&session(
            "a-owner",
            Some(a.owner),
            now_s() + Duration::hours(1),
        ))
        .await,
    );
    let off = ok(
        "deactivate",
        s.operator_set_user_active(a.owner, false, &actor).await,
    );
    assert!(!off.user.is_active);
    assert!(!live(s, "a-owner").await);
    let inactive = ok(
        "inactive",
        s.platform_users(&PlatformQuery {
            active: Some(false),
            ..PlatformQuery::default()
        })
        .await,
    );
    assert_eq!(inactive.items.len(), 1);
    let tenant_trail = ok(
        "tenant trail",
        s.platform_audit_logs(&PlatformAuditFilter {
            tenant: Some(a.tenant),
            action: Some("user.".into()),
            ..PlatformAuditFilter::default()
        })
        .await,
    );
    assert_eq!(tenant_trail.total, 1);
    let row = &tenant_trail.items[0];
    assert_eq!(row.tenant_slug.as_deref(), Some("alpha"));
    assert_eq!(row.log.user_id, Some(op.id));
    assert_eq!(
        ok("one", s.platform_audit_log(row.log.id).await).as_ref(),
        Some(row)
    );
    let op_trail = operator_rows(
        s,
        PlatformAuditFilter {
            action: Some("user.deactivate".into()),
            ..PlatformAuditFilter::default()
        },
    )
    .await;
    assert_eq!(op_trail.len(), 1);
    assert_eq!(op_trail[0].tenant_id, Some(a.tenant));
    assert_eq!(
        op_trail[0].details.as_ref().expect("d")["before"]["isActive"],
        true
    );
    ok(
        "activate",
        s.operator_set_user_active(a.owner, true, &actor).await,
    );
    assert_refused(
        s.operator_set_user_active(Uuid::now_v7(), true, &actor)
            .await,
        &StoreError::NotFound,
    );
    // Every tenant's trail is visible across tenants, filtered by tenant.
    let all = ok(
        "all",
        s.platform_audit_logs(&PlatformAuditFilter::default()).await,
    );
    assert!(all.items.iter().any(|r| r.log.tenant_id == Some(b.tenant)));

    let merchants = ok(
        "merchants",
        s.platform_merchants(&PlatformQuery::default()).await,
    );
    assert_eq!(merchants.total, 2);
    assert_eq!(merchants.items[0].tenant_slug, "alpha");
    assert_eq!(merchants.items[0].queues, 1);
    let m = ok("merchant", s.platform_merchant(b.merchant).await).expect("merchant");
    assert_eq!(m.merchant.tenant_id, b.tenant);
    assert_eq!(m.tenant_name, "Tenant bravo");
    assert_eq!(ok("none", s.platform_merchant(Uuid::now_v7()).await), None);
    assert_eq!(ok("none", s.platform_user(Uuid::now_v7()).await), None);
}

#[tokio::test]
async fn operators_sign_in_get_locked_out_and_use_each_totp_step_once() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let (op, actor) = operator(s, "ops@platform.example").await;
    let (other, _) = operator(s, "b@platform.example").await;
    assert_eq!(
        ok("by id", s.backoffice_user_by_id(op.id).await).map(|u| u.email),
        Some("ops@platform.example".to_string())
    );
    let all = ok("list", s.list_backoffice_users().await);
    assert_eq!(
        all.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![other.id, op.id]
    );
    assert!(!op.totp_enabled() && op.last_login.is_none());

    let anon = Actor {
        user_id: None,
        ..actor.clone()
    };
    let until = now_s() + Duration::minutes(15);
    for _ in 0..2 {
        ok(
            "failed",
            s.backoffice_login_failed(Some(op.id), &op.email, &anon, 3, until)
                .await,
        );
    }
    let u = ok("user", s.backoffice_user_by_id(op.id).await).expect("user");
    assert_eq!(u.locked_until, None);
    ok(
        "unknown",
        s.backoffice_login_failed(None, "nobody@x.example", &anon, 3, until)
            .await,
    );
    ok(
        "third",
        s.backoffice_login_failed(Some(op.id), &op.email, &anon, 3, until)
            .await,
    );
    let u = ok("user", s.backoffice_user_by_id(op.id).await).expect("user");
    assert_eq!(u.locked_until, Some(until));
    ok("login", s.backoffice_login_succeeded(op.id, &actor).await);
    let u = ok("user", s.backoffice_user_by_id(op.id).await).expect("user");
    assert_eq!(u.locked_until, None);
    recent(u.last_login, "lastLogin");
    let failed = operator_rows(
        s,
        PlatformAuditFilter {
            action: Some("auth.login_failed".into()),
            ..PlatformAuditFilter::default()
        },
    )
    .await;
    assert_eq!(failed.len(), 4);
    assert!(failed.iter().all(|r| r.backoffice_user_id.is_none()));
    assert_eq!(failed[0].details.as_ref().expect("d")["locked"], true);
    assert_eq!(
        failed[1].details.as_ref().expect("d")["email"],
        "nobody@x.example"
    );

    ok(
        "totp on",
        s.set_backoffice_totp(op.id, Some("JBSWY3DPEHPK3PXP"), &actor)
            .await,
    );
    let u = ok("user", s.backoffice_user_by_id(op.id).await).expect("user");
    assert_eq!(u.totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
    assert!(ok("step", s.use_totp_step(op.id, 100).await));
    assert!(!ok("replay", s.use_totp_step(op.id, 100).await));
    assert!(!ok("older", s.use_totp_step(op.id, 99).await));
    assert!(ok("next", s.use_totp_step(op.id, 101).await));
    ok("totp off", s.set_backoffice_totp(op.id, None, &actor).await);
    let u = ok("user", s.backoffice_user_by_id(op.id).await).expect("user");
    assert!(!u.totp_enabled());
    assert_refused(
        s.set_backoffice_totp(Uuid::now_v7(), None, &actor).await,
        &StoreError::NotFound,
    );
    let totp = operator_rows(
        s,
        PlatformAuditFilter {
            action: Some("auth.totp".into()),
            ..PlatformAuditFilter::default()
        },
    )
    .await;
    assert_eq!(totp.len(), 2);

    ok(
        "audit",
        s.backoffice_audit(
            &actor,
            OperatorAction::new("auth.logout", "backoffice_user").id(op.id),
        )
        .await,
    );
    let logout = operator_rows(
        s,
        PlatformAuditFilter {
            action: Some("auth.logout".into()),
            ..PlatformAuditFilter::default()
        },
    )
    .await;
    assert_eq!(logout.len(), 1);
    assert_eq!(logout[0].backoffice_user_id, Some(op.id));
}

#[tokio::test]
async fn system_settings_default_save_and_are_audited() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let (_, actor) = operator(s, "ops@platform.example").await;
    let defaults = ok("settings", s.system_settings().await);
    assert_eq!(defaults, SystemSettings::default());
    let mut changed = defaults.clone();
    changed.site_name = "Queue Cloud".into();
    changed.support_email = "help@queue.example".into();
    changed.default_timezone = "Asia/Kuala_Lumpur".into();
    changed.retention_months = 12;
    changed.plan_defaults[1].max_users_per_tenant = 12;
    ok("save", s.save_system_settings(&changed, &actor).await);
    assert_eq!(ok("settings", s.system_settings().await), changed);
    assert_eq!(
        ok("settings", s.system_settings().await)
            .terms_for(Plan::Basic)
            .max_users_per_tenant,
        12
    );
    let rows = operator_rows(
        s,
        PlatformAuditFilter {
            action: Some("settings.".into()),
            ..PlatformAuditFilter::default()
        },
    )
    .await;
    assert_eq!(rows.len(), 1);
    let d = rows[0].details.as_ref().expect("details");
    assert_eq!(d["before"]["siteName"], "QMS");
    assert_eq!(d["after"]["siteName"], "Queue Cloud");
    assert_eq!(d["after"]["retentionMonths"], 12);
}

#[tokio::test]
async fn platform_counts_cover_tenants_queues_and_customers() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let (_, actor) = operator(s, "ops@platform.example").await;
    let empty = ok("stats", s.platform_stats(OffsetDateTime::now_utc()).await);
    assert_eq!(empty.tenants_active + empty.tenants_inactive, 0);
    assert_eq!(empty.tenants_by_plan.len(), 4);
    assert_eq!(empty.new_tenants_per_week.len(), WEEKS);

    let a = db.tenant("alpha").await;
    let b = db.tenant_with_plan("bravo", Plan::Basic).await;
    entry_in(s, &a, EntryStatus::Waiting, "+60123000004").await;
    entry_in(s, &a, EntryStatus::Seated, "+60123000005").await;
    entry_in(s, &b, EntryStatus::Completed, "+60123000006").await;
    entry_in(s, &b, EntryStatus::Cancelled, "+60123000007").await;
    ok("off", s.set_tenant_active(b.tenant, false, &actor).await);

    let now = OffsetDateTime::now_utc();
    let st = ok("stats", s.platform_stats(now).await);
    assert_eq!((st.tenants_active, st.tenants_inactive), (1, 1));
    assert_eq!(
        st.tenants_by_plan,
        vec![
            (Plan::Free, 0),
            (Plan::Basic, 1),
            (Plan::Premium, 0),
            (Plan::Enterprise, 1)
        ]
    );
    assert_eq!(st.new_tenants_per_week[WEEKS - 1].count, 2);
    assert_eq!(
        st.active_queues, 1,
        "bravo is off, so its queue does not count"
    );
    assert_eq!(st.customers_waiting, 1);
    assert_eq!(st.served_today, 2);
    assert_eq!(st.served_this_month, 2);
    let tomorrow = ok("stats", s.platform_stats(now + Duration::days(1)).await);
    assert_eq!(tomorrow.served_today, 0);
}
