//! Webchat storage: messages of a queue entry come back oldest first with their sender,
//! recovery finds only active entries of the phone, and nothing crosses tenants.

use crate::common::{apply, join};
use qms_domain::entry::{EntryStatus, Transition};
use qms_store::{ChatSender, StoreError};
use qms_testkit::{TestDb, ok, phone};
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn messages_are_stored_in_order_with_their_sender() {
    let db = TestDb::new().await;
    let s = db.store.as_ref();
    let fx = db.tenant("chat-order").await;
    let entry = join(s, &fx, "Ana", &phone(1)).await;
    let t0 = OffsetDateTime::now_utc();
    let first = ok(
        "add",
        s.add_chat_message(fx.tenant, entry.id, ChatSender::Customer, "Hello?", t0)
            .await,
    );
    assert_eq!(first.sender, ChatSender::Customer);
    assert_eq!(first.content, "Hello?");
    assert_eq!(first.queue_entry_id, entry.id);
    assert_eq!(first.tenant_id, fx.tenant);
    assert!(!first.is_read);
    let later = t0 + Duration::seconds(1);
    ok(
        "add",
        s.add_chat_message(
            fx.tenant,
            entry.id,
            ChatSender::Staff,
            "Two minutes\nplease",
            later,
        )
        .await,
    );
    let history = ok("history", s.chat_messages(fx.tenant, entry.id).await);
    assert_eq!(history.len(), 2);
    assert_eq!(history[0], first, "read back exactly as answered");
    assert_eq!(history[1].sender, ChatSender::Staff);
    assert_eq!(history[1].content, "Two minutes\nplease");
    assert!(history[1].created_at > history[0].created_at);

    let other = join(s, &fx, "Ben", &phone(2)).await;
    assert!(ok("history", s.chat_messages(fx.tenant, other.id).await).is_empty());
}

#[tokio::test]
async fn a_message_for_an_unknown_entry_is_refused() {
    let db = TestDb::new().await;
    let s = db.store.as_ref();
    let fx = db.tenant("chat-unknown").await;
    let r = s
        .add_chat_message(
            fx.tenant,
            uuid::Uuid::now_v7(),
            ChatSender::Customer,
            "hi",
            OffsetDateTime::now_utc(),
        )
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
}

#[tokio::test]
async fn chats_are_isolated_between_tenants() {
    let db = TestDb::new().await;
    let s = db.store.as_ref();
    let a = db.tenant("chat-a").await;
    let b = db.tenant("chat-b").await;
    let entry = join(s, &a, "Ana", &phone(1)).await;
    ok(
        "add",
        s.add_chat_message(
            a.tenant,
            entry.id,
            ChatSender::Customer,
            "canary-a",
            OffsetDateTime::now_utc(),
        )
        .await,
    );
    // B names A's entry: nothing to read, nothing written.
    assert!(ok("history", s.chat_messages(b.tenant, entry.id).await).is_empty());
    let r = s
        .add_chat_message(
            b.tenant,
            entry.id,
            ChatSender::Staff,
            "intruder",
            OffsetDateTime::now_utc(),
        )
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    assert!(
        ok(
            "sessions",
            s.chat_sessions_by_phone(b.tenant, &phone(1)).await
        )
        .is_empty()
    );
    let history = ok("history", s.chat_messages(a.tenant, entry.id).await);
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].content, "canary-a");
}

#[tokio::test]
async fn recovery_finds_only_active_entries_of_the_phone() {
    let db = TestDb::new().await;
    let s = db.store.as_ref();
    let fx = db.tenant("chat-recover").await;
    let gone = join(s, &fx, "Ana", &phone(1)).await;
    apply(s, &fx, gone.id, Transition::Cancel).await;
    let called = join(s, &fx, "Ana", &phone(1)).await;
    apply(s, &fx, called.id, Transition::Call).await;
    let waiting_other = join(s, &fx, "Ben", &phone(2)).await;

    let found = ok(
        "sessions",
        s.chat_sessions_by_phone(fx.tenant, &phone(1)).await,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].entry_id, called.id);
    assert_eq!(found[0].session_id, called.session_id);
    assert_eq!(found[0].verification_code, called.verification_code);
    assert_eq!(found[0].queue_id, fx.queue);
    assert_eq!(found[0].customer_name, "Ana");
    assert_eq!(found[0].status, EntryStatus::Called);

    let other = ok(
        "sessions",
        s.chat_sessions_by_phone(fx.tenant, &phone(2)).await,
    );
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].entry_id, waiting_other.id);
    assert_eq!(other[0].status, EntryStatus::Waiting);
    assert!(
        ok(
            "sessions",
            s.chat_sessions_by_phone(fx.tenant, &phone(3)).await
        )
        .is_empty()
    );
}
