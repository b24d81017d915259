//! Stored sessions: saved, replaced, expired, deleted and purged. They are not tenant-scoped
//! (a session names its own site), so one database's counts are exact.

use crate::common::{now_s, session};
use qms_store::SessionRecord;
use qms_testkit::{TestDb, ok};
use time::Duration;

#[tokio::test]
async fn sessions_are_saved_replaced_expired_and_purged() {
    let db = TestDb::new().await;
    let s = &*db.store;
    let fx = db.tenant("sessions").await;
    let now = now_s();
    let a = session("hash-a", Some(fx.owner), now + Duration::hours(1));
    ok("save", s.session_save(&a).await);
    assert_eq!(
        ok("load", s.session_load("hash-a", now).await),
        Some(a.clone())
    );
    let a2 = SessionRecord {
        data: "{\"v\":2}".into(),
        user_id: None,
        ..a.clone()
    };
    ok("save again", s.session_save(&a2).await);
    assert_eq!(
        ok("load", s.session_load("hash-a", now).await),
        Some(a2.clone())
    );
    assert_eq!(
        ok(
            "load",
            s.session_load("hash-a", now + Duration::hours(2)).await
        ),
        None,
        "expired"
    );
    assert_eq!(ok("load", s.session_load("nope", now).await), None);
    ok("delete", s.session_delete("hash-a").await);
    assert_eq!(ok("load", s.session_load("hash-a", now).await), None);
    ok("delete unknown", s.session_delete("hash-a").await);

    for (id, minutes) in [("old-1", -10), ("old-2", -1), ("new-1", 10)] {
        ok(
            "save",
            s.session_save(&session(id, None, now + Duration::minutes(minutes)))
                .await,
        );
    }
    assert_eq!(ok("purge", s.sessions_purge_expired(now).await), 2);
    assert_eq!(ok("purge", s.sessions_purge_expired(now).await), 0);
    assert!(ok("load", s.session_load("new-1", now).await).is_some());
}
