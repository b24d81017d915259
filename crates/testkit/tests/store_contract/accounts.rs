//! Staff accounts: invitations, role and status changes that never leave a tenant
//! without an active owner, one-time tokens, password changes, failed sign-ins with lock-out,
//! the sessions they end, and tenant isolation for all of them.

use crate::common::{live, now_s, session};
use qms_domain::{Plan, Role};
use qms_store::{AuditFilter, NewUser, Store, StoreError, TenantUser, TokenKind, UserPatch};
use qms_testkit::{Fixture, TestDb, assert_refused, newest, ok};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn invite(email: &str, role: Role, token: &str) -> NewUser {
    NewUser {
        email: email.into(),
        full_name: format!("{role} {email}"),
        role,
        invite_token_hash: token.into(),
        invite_expires: now_s() + Duration::days(7),
    }
}

async fn user(s: &dyn Store, fx: &Fixture, id: Uuid) -> Option<TenantUser> {
    ok("user_by_id", s.user_by_id(fx.tenant, id).await)
}

async fn last_action(s: &dyn Store, fx: &Fixture) -> (String, Option<String>) {
    let row = ok("audit_logs", s.audit_logs(fx.tenant, &newest(1)).await).remove(0);
    (row.action, row.resource_id)
}

#[tokio::test]
async fn staff_are_invited_listed_changed_and_removed() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("staff").await;
    let (t, actor) = (fx.tenant, fx.staff());
    let owner = user(s, &fx, fx.owner).await.expect("owner");
    assert_eq!(ok("list_users", s.list_users(t).await), vec![owner.clone()]);

    let staff = ok(
        "invite",
        s.invite_user(t, invite("zed@staff.example", Role::Staff, "t1"), &actor)
            .await,
    );
    assert_eq!(staff.tenant_id, t);
    assert_eq!(staff.email, "zed@staff.example");
    assert_eq!(staff.role, Role::Staff);
    assert!(staff.invited && staff.is_active);
    assert_eq!(
        (staff.password_hash.as_ref(), staff.last_login),
        (None, None)
    );
    assert_eq!(
        last_action(s, &fx).await,
        ("user.invite".into(), Some(staff.id.to_string()))
    );
    let admin = ok(
        "invite",
        s.invite_user(t, invite("amy@staff.example", Role::Admin, "t2"), &actor)
            .await,
    );
    let listed = ok("list_users", s.list_users(t).await);
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].id, fx.owner, "owners first");
    let mut ids: Vec<_> = listed.iter().map(|u| u.id).collect();
    ids.sort();
    let mut want = vec![fx.owner, staff.id, admin.id];
    want.sort();
    assert_eq!(ids, want);
    let dup = s
        .invite_user(t, invite("zed@staff.example", Role::Manager, "t3"), &actor)
        .await;
    assert_refused(dup, &StoreError::Taken("email"));
    assert_eq!(ok("list_users", s.list_users(t).await).len(), 3);

    let renamed = UserPatch {
        full_name: Some("Zed Zimmer".into()),
        ..UserPatch::default()
    };
    let z = ok("update", s.update_user(t, staff.id, renamed, &actor).await);
    assert_eq!(
        (z.full_name.as_str(), z.role, z.is_active),
        ("Zed Zimmer", Role::Staff, true)
    );
    let promoted = UserPatch {
        role: Some(Role::Manager),
        ..UserPatch::default()
    };
    let z = ok("update", s.update_user(t, staff.id, promoted, &actor).await);
    assert_eq!(
        (z.full_name.as_str(), z.role),
        ("Zed Zimmer", Role::Manager)
    );
    assert_eq!(
        last_action(s, &fx).await,
        ("user.update".into(), Some(staff.id.to_string()))
    );
    ok(
        "session_save",
        s.session_save(&session(
            "s-zed",
            Some(staff.id),
            now_s() + Duration::hours(1),
        ))
        .await,
    );
    ok(
        "session_save",
        s.session_save(&session(
            "s-amy",
            Some(admin.id),
            now_s() + Duration::hours(1),
        ))
        .await,
    );
    let off = UserPatch {
        is_active: Some(false),
        ..UserPatch::default()
    };
    let z = ok("update", s.update_user(t, staff.id, off, &actor).await);
    assert!(!z.is_active);
    assert_eq!(user(s, &fx, staff.id).await, Some(z));
    assert!(
        !live(s, "s-zed").await,
        "deactivation ends the account's sessions"
    );
    assert!(live(s, "s-amy").await, "other accounts keep theirs");

    ok("delete", s.delete_user(t, admin.id, &actor).await);
    assert_eq!(
        last_action(s, &fx).await,
        ("user.delete".into(), Some(admin.id.to_string()))
    );
    assert_eq!(user(s, &fx, admin.id).await, None);
    assert!(
        !live(s, "s-amy").await,
        "deletion ends the account's sessions"
    );
    assert_eq!(ok("list_users", s.list_users(t).await).len(), 2);
    assert_refused(
        s.delete_user(t, admin.id, &actor).await,
        &StoreError::NotFound,
    );
    let r = s
        .update_user(t, admin.id, UserPatch::default(), &actor)
        .await;
    assert_refused(r, &StoreError::NotFound);
}

#[tokio::test]
async fn a_tenant_always_keeps_an_active_owner() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("owners").await;
    let (t, actor) = (fx.tenant, fx.staff());
    let demote = UserPatch {
        role: Some(Role::Admin),
        ..UserPatch::default()
    };
    let off = UserPatch {
        is_active: Some(false),
        ..UserPatch::default()
    };
    assert_refused(
        s.update_user(t, fx.owner, demote.clone(), &actor).await,
        &StoreError::LastOwner,
    );
    assert_refused(
        s.update_user(t, fx.owner, off.clone(), &actor).await,
        &StoreError::LastOwner,
    );
    assert_refused(
        s.delete_user(t, fx.owner, &actor).await,
        &StoreError::LastOwner,
    );
    let o = user(s, &fx, fx.owner).await.expect("owner stays");
    assert_eq!((o.role, o.is_active), (Role::Owner, true));

    let second = ok(
        "invite",
        s.invite_user(t, invite("co@owners.example", Role::Owner, "co"), &actor)
            .await,
    );
    let now = OffsetDateTime::now_utc();
    ok(
        "accept",
        s.redeem_token(t, TokenKind::Invite, "co", "$pw", &actor, now)
            .await,
    );
    let first = ok("demote", s.update_user(t, fx.owner, demote, &actor).await);
    assert_eq!(first.role, Role::Admin);
    // Now the second owner is the last one.
    assert_refused(
        s.update_user(t, second.id, off, &actor).await,
        &StoreError::LastOwner,
    );
    assert_refused(
        s.delete_user(t, second.id, &actor).await,
        &StoreError::LastOwner,
    );
    // A non-owner can always go.
    ok("delete admin", s.delete_user(t, fx.owner, &actor).await);
}

#[tokio::test]
async fn the_free_plan_allows_five_users() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant_with_plan("few-users", Plan::Free).await;
    assert_eq!(
        ok("subscription", s.subscription(fx.tenant).await).max_users_per_tenant,
        5
    );
    for i in 1..=4 {
        let new = invite(
            &format!("u{i}@few.example"),
            Role::Staff,
            &format!("tok-{i}"),
        );
        ok("invite", s.invite_user(fx.tenant, new, &fx.staff()).await);
    }
    let r = s
        .invite_user(
            fx.tenant,
            invite("u5@few.example", Role::Staff, "tok-5"),
            &fx.staff(),
        )
        .await;
    assert!(matches!(r, Err(StoreError::PlanLimit(_))), "{r:?}");
    assert_eq!(ok("list_users", s.list_users(fx.tenant).await).len(), 5);
}

#[tokio::test]
async fn one_time_tokens_set_a_password_once() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("tokens").await;
    let (t, actor) = (
        fx.tenant,
        qms_store::Actor::customer(Some("192.0.2.1".into()), None),
    );
    let invited = ok(
        "invite",
        s.invite_user(
            t,
            invite("new@tokens.example", Role::Staff, "inv"),
            &fx.staff(),
        )
        .await,
    );
    ok(
        "session_save",
        s.session_save(&session(
            "s-new",
            Some(invited.id),
            now_s() + Duration::hours(1),
        ))
        .await,
    );
    let now = OffsetDateTime::now_utc();
    let bad = StoreError::InvalidToken;
    assert_refused(
        s.redeem_token(t, TokenKind::Reset, "inv", "$x", &actor, now)
            .await,
        &bad,
    );
    assert_refused(
        s.redeem_token(t, TokenKind::Invite, "nope", "$x", &actor, now)
            .await,
        &bad,
    );
    let late = now + Duration::days(8);
    assert_refused(
        s.redeem_token(t, TokenKind::Invite, "inv", "$x", &actor, late)
            .await,
        &bad,
    );
    let u = ok(
        "redeem",
        s.redeem_token(t, TokenKind::Invite, "inv", "$pw1", &actor, now)
            .await,
    );
    assert_eq!(u.id, invited.id);
    assert_eq!(u.password_hash.as_deref(), Some("$pw1"));
    assert!(!u.invited);
    assert_eq!(user(s, &fx, invited.id).await, Some(u));
    assert!(
        !live(s, "s-new").await,
        "a redeemed token ends the account's sessions"
    );
    let row = ok("audit", s.audit_logs(t, &newest(1)).await).remove(0);
    assert_eq!(row.action, "user.accept_invite");
    assert_eq!(
        row.user_id,
        Some(invited.id),
        "the audit row names the account"
    );
    assert_refused(
        s.redeem_token(t, TokenKind::Invite, "inv", "$pw2", &actor, now)
            .await,
        &bad,
    );

    // Reset tokens: the newest replaces earlier ones, each works once, and clears a lock-out.
    let until = now_s() + Duration::minutes(15);
    ok(
        "fail",
        s.record_failed_login(t, Some(fx.owner), &fx.owner_email, &actor, 1, until)
            .await,
    );
    assert_eq!(
        user(s, &fx, fx.owner).await.and_then(|u| u.locked_until),
        Some(until)
    );
    let expires = now_s() + Duration::hours(1);
    ok("set", s.set_reset_token(t, fx.owner, "r1", expires).await);
    ok("set", s.set_reset_token(t, fx.owner, "r2", expires).await);
    assert_refused(
        s.redeem_token(t, TokenKind::Reset, "r1", "$x", &actor, now)
            .await,
        &bad,
    );
    assert_refused(
        s.redeem_token(t, TokenKind::Invite, "r2", "$x", &actor, now)
            .await,
        &bad,
    );
    let o = ok(
        "reset",
        s.redeem_token(t, TokenKind::Reset, "r2", "$reset", &actor, now)
            .await,
    );
    assert_eq!(
        (o.password_hash.as_deref(), o.locked_until),
        (Some("$reset"), None)
    );
    let resets = AuditFilter {
        action: Some("auth.password_reset".into()),
        ..AuditFilter::default()
    };
    let rows = ok("audit", s.audit_logs(t, &resets).await);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].resource_id, Some(fx.owner.to_string()));
    assert_refused(
        s.redeem_token(t, TokenKind::Reset, "r2", "$x", &actor, now)
            .await,
        &bad,
    );
    let r = s.set_reset_token(t, Uuid::now_v7(), "r3", expires).await;
    assert_refused(r, &StoreError::NotFound);
}

#[tokio::test]
async fn a_password_change_ends_the_accounts_sessions() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("passwords").await;
    let other = ok(
        "invite",
        s.invite_user(
            fx.tenant,
            invite("o@pw.example", Role::Staff, "o"),
            &fx.staff(),
        )
        .await,
    );
    let later = now_s() + Duration::hours(1);
    ok(
        "save",
        s.session_save(&session("s-owner-1", Some(fx.owner), later))
            .await,
    );
    ok(
        "save",
        s.session_save(&session("s-owner-2", Some(fx.owner), later))
            .await,
    );
    ok(
        "save",
        s.session_save(&session("s-other", Some(other.id), later))
            .await,
    );
    ok(
        "change",
        s.change_password(fx.tenant, fx.owner, "$new", &fx.staff())
            .await,
    );
    let o = user(s, &fx, fx.owner).await.expect("owner");
    assert_eq!(o.password_hash.as_deref(), Some("$new"));
    assert_eq!(
        last_action(s, &fx).await,
        ("auth.password_change".into(), Some(fx.owner.to_string()))
    );
    assert!(!live(s, "s-owner-1").await && !live(s, "s-owner-2").await);
    assert!(live(s, "s-other").await);
    let r = s
        .change_password(fx.tenant, Uuid::now_v7(), "$x", &fx.staff())
        .await;
    assert_refused(r, &StoreError::NotFound);
}

#[tokio::test]
async fn failed_sign_ins_lock_the_account_at_the_threshold() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("lockout").await;
    let (t, actor, email) = (fx.tenant, fx.staff(), fx.owner_email.clone());
    let until = now_s() + Duration::minutes(15);
    let locked = |u: Option<TenantUser>| u.and_then(|u| u.locked_until);
    for _ in 0..2 {
        ok(
            "fail",
            s.record_failed_login(t, Some(fx.owner), &email, &actor, 3, until)
                .await,
        );
    }
    assert_eq!(locked(user(s, &fx, fx.owner).await), None);
    // A successful sign-in starts the count again.
    ok("login", s.record_login(t, fx.owner, &actor).await);
    for _ in 0..2 {
        ok(
            "fail",
            s.record_failed_login(t, Some(fx.owner), &email, &actor, 3, until)
                .await,
        );
    }
    assert_eq!(locked(user(s, &fx, fx.owner).await), None);
    ok(
        "fail",
        s.record_failed_login(t, Some(fx.owner), &email, &actor, 3, until)
            .await,
    );
    assert_eq!(locked(user(s, &fx, fx.owner).await), Some(until));
    let filter = AuditFilter {
        action: Some("auth.login_failed".into()),
        limit: 100,
        ..AuditFilter::default()
    };
    let rows = ok("audit", s.audit_logs(t, &filter).await);
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0].details.as_ref().and_then(|d| d.get("locked")),
        Some(&serde_json::json!(true))
    );
    assert_eq!(
        rows[1].details.as_ref().and_then(|d| d.get("locked")),
        Some(&serde_json::json!(false))
    );
    // An unknown address is audited and locks nothing.
    ok(
        "fail",
        s.record_failed_login(t, None, "who@lockout.example", &actor, 1, until)
            .await,
    );
    let row = ok("audit", s.audit_logs(t, &filter).await).remove(0);
    assert_eq!(row.resource_id, None);
    assert_eq!(
        row.details.as_ref().and_then(|d| d.get("email")),
        Some(&serde_json::json!("who@lockout.example"))
    );
}

#[tokio::test]
async fn another_tenant_cannot_touch_the_accounts() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let a = db.tenant("accounts-a").await;
    let b = db.tenant("accounts-b").await;
    let (bt, actor, nf) = (b.tenant, b.staff(), StoreError::NotFound);
    let a_staff = ok(
        "invite",
        s.invite_user(
            a.tenant,
            invite("s@a.example", Role::Staff, "a-inv"),
            &a.staff(),
        )
        .await,
    );
    ok(
        "set",
        s.set_reset_token(a.tenant, a.owner, "a-reset", now_s() + Duration::hours(1))
            .await,
    );
    let before = ok("list_users", s.list_users(a.tenant).await);

    let b_users: Vec<_> = ok("list_users", s.list_users(bt).await)
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(b_users, vec![b.owner]);
    let off = UserPatch {
        is_active: Some(false),
        role: Some(Role::Staff),
        full_name: Some("x".into()),
    };
    assert_refused(
        s.update_user(bt, a_staff.id, off.clone(), &actor).await,
        &nf,
    );
    assert_refused(s.update_user(bt, a.owner, off, &actor).await, &nf);
    assert_refused(s.delete_user(bt, a_staff.id, &actor).await, &nf);
    assert_refused(
        s.set_reset_token(bt, a.owner, "b-reset", now_s() + Duration::hours(1))
            .await,
        &nf,
    );
    assert_refused(s.change_password(bt, a.owner, "$stolen", &actor).await, &nf);
    let now = OffsetDateTime::now_utc();
    let r = s
        .redeem_token(bt, TokenKind::Invite, "a-inv", "$stolen", &actor, now)
        .await;
    assert_refused(r, &StoreError::InvalidToken);
    let r = s
        .redeem_token(bt, TokenKind::Reset, "a-reset", "$stolen", &actor, now)
        .await;
    assert_refused(r, &StoreError::InvalidToken);
    let until = now_s() + Duration::hours(1);
    ok(
        "fail",
        s.record_failed_login(bt, Some(a.owner), &a.owner_email, &actor, 1, until)
            .await,
    );
    // B may use the same address for its own staff.
    ok(
        "invite",
        s.invite_user(bt, invite("s@a.example", Role::Staff, "b-inv"), &actor)
            .await,
    );

    assert_eq!(
        ok("list_users", s.list_users(a.tenant).await),
        before,
        "A's accounts unchanged"
    );
    let b_rows = ok("audit", s.audit_logs(bt, &newest(1000)).await);
    assert!(b_rows.iter().all(|r| r.tenant_id == Some(bt)));
    let mine = AuditFilter {
        user_id: Some(a.owner),
        limit: 100,
        ..AuditFilter::default()
    };
    assert!(ok("audit", s.audit_logs(bt, &mine).await).is_empty());
    // A's tokens still work for A.
    let u = ok(
        "redeem",
        s.redeem_token(a.tenant, TokenKind::Invite, "a-inv", "$pw", &a.staff(), now)
            .await,
    );
    assert_eq!(u.id, a_staff.id);
    ok(
        "redeem",
        s.redeem_token(
            a.tenant,
            TokenKind::Reset,
            "a-reset",
            "$pw",
            &a.staff(),
            now,
        )
        .await,
    );
}

#[tokio::test]
async fn accounts_are_listed_by_role_then_address() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("order").await;
    let (t, actor) = (fx.tenant, fx.staff());
    // Within a role, addresses in byte order (`Z` before `a`), whatever the database's
    // collation.
    for (email, role) in [
        ("amy@order.example", Role::Staff),
        ("Zed@order.example", Role::Staff),
        ("m@order.example", Role::Manager),
        ("a2@order.example", Role::Admin),
        ("a1@order.example", Role::Admin),
        ("co@order.example", Role::Owner),
    ] {
        ok(
            "invite",
            s.invite_user(t, invite(email, role, email), &actor).await,
        );
    }
    let listed: Vec<_> = ok("list_users", s.list_users(t).await)
        .into_iter()
        .map(|u| (u.role, u.email))
        .collect();
    let want: Vec<_> = [
        (Role::Owner, "co@order.example"),
        (Role::Owner, "owner@order.example"),
        (Role::Admin, "a1@order.example"),
        (Role::Admin, "a2@order.example"),
        (Role::Manager, "m@order.example"),
        (Role::Staff, "Zed@order.example"),
        (Role::Staff, "amy@order.example"),
    ]
    .into_iter()
    .map(|(r, e)| (r, e.to_string()))
    .collect();
    assert_eq!(listed, want);
}

#[tokio::test]
async fn an_update_is_audited_with_before_and_after() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("before-after").await;
    let (t, actor) = (fx.tenant, fx.staff());
    let u = ok(
        "invite",
        s.invite_user(t, invite("u@ba.example", Role::Staff, "ba"), &actor)
            .await,
    );
    let patch = UserPatch {
        full_name: Some("New Name".into()),
        role: Some(Role::Admin),
        is_active: Some(false),
    };
    let after = ok("update", s.update_user(t, u.id, patch, &actor).await);
    assert_eq!(
        (after.full_name.as_str(), after.role, after.is_active),
        ("New Name", Role::Admin, false)
    );
    assert_eq!(user(s, &fx, u.id).await, Some(after));
    let filter = AuditFilter {
        action: Some("user.update".into()),
        ..AuditFilter::default()
    };
    let rows = ok("audit", s.audit_logs(t, &filter).await);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.resource, "tenant_user");
    assert_eq!(row.resource_id, Some(u.id.to_string()));
    assert_eq!(row.user_id, Some(fx.owner), "the actor");
    assert_eq!(
        row.details,
        Some(serde_json::json!({
            "before": {"fullName": u.full_name, "role": "STAFF", "isActive": true},
            "after": {"fullName": "New Name", "role": "ADMIN", "isActive": false},
        }))
    );
    // A refused change writes nothing.
    let demote = UserPatch {
        role: Some(Role::Staff),
        ..UserPatch::default()
    };
    assert_refused(
        s.update_user(t, fx.owner, demote, &actor).await,
        &StoreError::LastOwner,
    );
    assert_eq!(ok("audit", s.audit_logs(t, &filter).await).len(), 1);
}

#[tokio::test]
async fn expired_tokens_and_inactive_accounts_are_refused() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("expired").await;
    let (t, actor) = (fx.tenant, fx.staff());
    let now = now_s();
    let bad = StoreError::InvalidToken;
    let stale = NewUser {
        invite_expires: now - Duration::minutes(1),
        ..invite("late@expired.example", Role::Staff, "late")
    };
    let late = ok("invite", s.invite_user(t, stale, &actor).await);
    assert_refused(
        s.redeem_token(t, TokenKind::Invite, "late", "$x", &actor, now)
            .await,
        &bad,
    );
    // A token is good strictly before its expiry.
    let edge = NewUser {
        invite_expires: now,
        ..invite("edge@expired.example", Role::Staff, "edge")
    };
    ok("invite", s.invite_user(t, edge, &actor).await);
    assert_refused(
        s.redeem_token(t, TokenKind::Invite, "edge", "$x", &actor, now)
            .await,
        &bad,
    );
    let before = now - Duration::seconds(1);
    ok(
        "redeem",
        s.redeem_token(t, TokenKind::Invite, "edge", "$x", &actor, before)
            .await,
    );
    let owner_before = user(s, &fx, fx.owner).await.expect("owner");
    ok(
        "set",
        s.set_reset_token(t, fx.owner, "old-reset", now - Duration::seconds(1))
            .await,
    );
    assert_refused(
        s.redeem_token(t, TokenKind::Reset, "old-reset", "$x", &actor, now)
            .await,
        &bad,
    );
    assert_eq!(user(s, &fx, fx.owner).await, Some(owner_before));
    // A deactivated account cannot set a password through its tokens.
    let off = UserPatch {
        is_active: Some(false),
        ..UserPatch::default()
    };
    let fresh = ok(
        "invite",
        s.invite_user(t, invite("off@expired.example", Role::Staff, "off"), &actor)
            .await,
    );
    ok(
        "set",
        s.set_reset_token(t, fresh.id, "off-reset", now + Duration::hours(1))
            .await,
    );
    ok("deactivate", s.update_user(t, fresh.id, off, &actor).await);
    assert_refused(
        s.redeem_token(t, TokenKind::Invite, "off", "$x", &actor, now)
            .await,
        &bad,
    );
    assert_refused(
        s.redeem_token(t, TokenKind::Reset, "off-reset", "$x", &actor, now)
            .await,
        &bad,
    );
    let still = user(s, &fx, fresh.id).await.expect("account");
    assert!(still.invited && still.password_hash.is_none());
    let unchanged = user(s, &fx, late.id).await.expect("account");
    assert!(unchanged.invited);
    let accepted = AuditFilter {
        action: Some("user.accept_invite".into()),
        ..AuditFilter::default()
    };
    assert_eq!(ok("audit", s.audit_logs(t, &accepted).await).len(), 1);
}

#[tokio::test]
async fn a_reset_ends_sessions_and_spends_every_token_of_the_account() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("reset").await;
    let (t, actor) = (fx.tenant, fx.staff());
    let now = now_s();
    let u = ok(
        "invite",
        s.invite_user(t, invite("u@reset.example", Role::Staff, "inv"), &actor)
            .await,
    );
    let later = now + Duration::hours(1);
    ok(
        "save",
        s.session_save(&session("s-u", Some(u.id), later)).await,
    );
    ok(
        "save",
        s.session_save(&session("s-owner", Some(fx.owner), later))
            .await,
    );
    ok("set", s.set_reset_token(t, u.id, "rst", later).await);
    let done = ok(
        "reset",
        s.redeem_token(t, TokenKind::Reset, "rst", "$pw", &actor, now)
            .await,
    );
    assert_eq!(done.password_hash.as_deref(), Some("$pw"));
    assert!(!done.invited);
    assert!(!live(s, "s-u").await, "a reset ends the account's sessions");
    assert!(live(s, "s-owner").await, "other accounts keep theirs");
    // The invitation was spent with it.
    assert_refused(
        s.redeem_token(t, TokenKind::Invite, "inv", "$x", &actor, now)
            .await,
        &StoreError::InvalidToken,
    );
    // (The row is stamped with the caller's `now`, here a whole second: filter, not newest.)
    let resets = AuditFilter {
        action: Some("auth.password_reset".into()),
        ..AuditFilter::default()
    };
    let rows = ok("audit", s.audit_logs(t, &resets).await);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.user_id, Some(u.id), "the audit row names the account");
    assert_eq!(row.resource_id, Some(u.id.to_string()));
    // A password change spends a pending reset token too.
    ok("set", s.set_reset_token(t, u.id, "rst2", later).await);
    ok("change", s.change_password(t, u.id, "$pw2", &actor).await);
    assert_refused(
        s.redeem_token(t, TokenKind::Reset, "rst2", "$x", &actor, now)
            .await,
        &StoreError::InvalidToken,
    );
}

#[tokio::test]
async fn a_sign_in_clears_a_lock_out() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("unlock").await;
    let (t, actor) = (fx.tenant, fx.staff());
    let until = now_s() + Duration::minutes(15);
    ok(
        "fail",
        s.record_failed_login(t, Some(fx.owner), &fx.owner_email, &actor, 2, until)
            .await,
    );
    assert_eq!(
        user(s, &fx, fx.owner).await.and_then(|u| u.locked_until),
        None
    );
    ok(
        "fail",
        s.record_failed_login(t, Some(fx.owner), &fx.owner_email, &actor, 2, until)
            .await,
    );
    assert_eq!(
        user(s, &fx, fx.owner).await.and_then(|u| u.locked_until),
        Some(until)
    );
    ok("login", s.record_login(t, fx.owner, &actor).await);
    assert_eq!(
        user(s, &fx, fx.owner).await.and_then(|u| u.locked_until),
        None
    );
    // The count starts again: one failure does not lock.
    ok(
        "fail",
        s.record_failed_login(t, Some(fx.owner), &fx.owner_email, &actor, 2, until)
            .await,
    );
    assert_eq!(
        user(s, &fx, fx.owner).await.and_then(|u| u.locked_until),
        None
    );
}

#[tokio::test]
async fn audit_time_bounds_include_from_and_exclude_to() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("bounds").await;
    let t = fx.tenant;
    let other = qms_store::Actor::system();
    for i in 0..3 {
        let who = if i == 1 { &other } else { &fx.staff() };
        ok(
            "audit",
            s.audit(t, who, "bound.test", "thing", Some(i.to_string()), None)
                .await,
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let base = AuditFilter {
        action: Some("bound.test".into()),
        ..AuditFilter::default()
    };
    let rows = ok("audit", s.audit_logs(t, &base).await);
    let ids = |rows: Vec<qms_store::AuditLog>| -> Vec<String> {
        rows.into_iter().filter_map(|r| r.resource_id).collect()
    };
    assert_eq!(ids(rows.clone()), vec!["2", "1", "0"]);
    let (t0, t1, t2) = (rows[2].created_at, rows[1].created_at, rows[0].created_at);
    assert!(t0 < t1 && t1 < t2);
    let window = |from, to| AuditFilter {
        from,
        to,
        ..base.clone()
    };
    assert_eq!(
        ids(ok(
            "audit",
            s.audit_logs(t, &window(Some(t1), Some(t2))).await
        )),
        vec!["1"]
    );
    assert_eq!(
        ids(ok("audit", s.audit_logs(t, &window(Some(t1), None)).await)),
        vec!["2", "1"]
    );
    assert_eq!(
        ids(ok("audit", s.audit_logs(t, &window(None, Some(t1))).await)),
        vec!["0"]
    );
    assert!(ok("audit", s.audit_logs(t, &window(Some(t1), Some(t1))).await).is_empty());
    // Filters combine.
    let staff_only = AuditFilter {
        user_id: Some(fx.owner),
        ..base.clone()
    };
    assert_eq!(
        ids(ok("audit", s.audit_logs(t, &staff_only).await)),
        vec!["2", "0"]
    );
    let paged = AuditFilter {
        limit: 1,
        offset: 1,
        ..staff_only.clone()
    };
    assert_eq!(ids(ok("audit", s.audit_logs(t, &paged).await)), vec!["0"]);
    let past_end = AuditFilter {
        offset: 2,
        ..staff_only
    };
    assert!(ok("audit", s.audit_logs(t, &past_end).await).is_empty());
}

#[tokio::test]
async fn another_tenants_refused_changes_keep_the_sessions() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let a = db.tenant("sess-a").await;
    let b = db.tenant("sess-b").await;
    let (bt, actor, nf) = (b.tenant, b.staff(), StoreError::NotFound);
    let a_staff = ok(
        "invite",
        s.invite_user(
            a.tenant,
            invite("s@sa.example", Role::Staff, "sa"),
            &a.staff(),
        )
        .await,
    );
    let later = now_s() + Duration::hours(1);
    ok(
        "save",
        s.session_save(&session("a-owner", Some(a.owner), later))
            .await,
    );
    ok(
        "save",
        s.session_save(&session("a-staff", Some(a_staff.id), later))
            .await,
    );
    let off = UserPatch {
        is_active: Some(false),
        ..UserPatch::default()
    };
    assert_refused(s.update_user(bt, a_staff.id, off, &actor).await, &nf);
    assert_refused(s.delete_user(bt, a_staff.id, &actor).await, &nf);
    assert_refused(s.change_password(bt, a.owner, "$x", &actor).await, &nf);
    let r = s
        .redeem_token(bt, TokenKind::Invite, "sa", "$x", &actor, now_s())
        .await;
    assert_refused(r, &StoreError::InvalidToken);
    assert!(live(s, "a-owner").await && live(s, "a-staff").await);
    let a_user = user(s, &a, a_staff.id).await.expect("A's account");
    assert!(a_user.is_active && a_user.invited);

    // A tenant that does not exist sees nothing and creates nothing.
    let nobody = qms_store::TenantId(Uuid::now_v7());
    assert!(ok("list_users", s.list_users(nobody).await).is_empty());
    let r = s
        .invite_user(
            nobody,
            invite("x@nobody.example", Role::Staff, "nb"),
            &actor,
        )
        .await;
    assert_refused(r, &nf);
    assert_refused(s.delete_user(nobody, a.owner, &actor).await, &nf);
    assert_refused(s.set_reset_token(nobody, a.owner, "nb", later).await, &nf);
    assert!(ok("audit", s.audit_logs(nobody, &newest(100)).await).is_empty());
    assert!(live(s, "a-owner").await);
}
