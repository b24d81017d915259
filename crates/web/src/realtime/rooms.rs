//! Rooms (TSD §4.1–4.2) and who may join them. Every join answers an acknowledgement
//! `{ok:true}` or `{ok:false, error}`; a refused join joins nothing.
//!
//! | event | who | rooms joined |
//! |---|---|---|
//! | `merchant:join` (merchantId) | staff of the merchant's tenant | `merchant:{id}`, `tenant:{tenantId}` |
//! | `join-queue` (queueId) | staff of the queue's tenant | `queue:{id}` |
//! | `customer:join` (sessionId) | a customer with that session | `customer:{sessionId}` |
//! | `webchat:join` (sessionId) | that customer, or staff of the tenant | `webchat:{sessionId}` ([`super::webchat`]) |
//!
//! Queue rooms carry customers' names and phones, so customers never join them. Room names
//! hold globally unique ids (UUIDs, 128-bit session ids), so no two tenants share a room.
//!
//! Session ids are secrets, so guessing is limited: after [`MAX_FAILED_JOINS`] refused
//! `customer:join` / `webchat:join` attempts, the socket's next join is answered
//! `rate_limited` and the socket is disconnected ([`counted`]).

use super::connect::{Peer, staff_still_valid};
use crate::state::AppState;
use qms_store::{QueueEntry, Tenant, TenantId};
use serde_json::{Value, json};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use uuid::Uuid;

/// Refused session joins one socket may make before it is cut off.
pub const MAX_FAILED_JOINS: u32 = 10;

pub fn tenant(id: TenantId) -> String {
    format!("tenant:{}", id.0)
}
pub fn merchant(id: Uuid) -> String {
    format!("merchant:{id}")
}
pub fn queue(id: Uuid) -> String {
    format!("queue:{id}")
}
pub fn customer(session_id: &str) -> String {
    format!("customer:{session_id}")
}
pub fn webchat(session_id: &str) -> String {
    format!("webchat:{session_id}")
}

/// Why a socket request was refused; the acknowledgement's `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Forbidden,
    BadRequest,
    RateLimited,
    Unavailable,
    ChatClosed,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Forbidden => "forbidden",
            Refusal::BadRequest => "bad_request",
            Refusal::RateLimited => "rate_limited",
            Refusal::Unavailable => "unavailable",
            Refusal::ChatClosed => "chat_closed",
        }
    }
}

/// The acknowledgement of a socket request.
pub fn answer(result: Result<(), Refusal>) -> Value {
    match result {
        Ok(()) => json!({"ok": true}),
        Err(r) => json!({"ok": false, "error": r.code()}),
    }
}

/// A UUID sent as a string.
pub fn uuid_arg(v: Option<Value>) -> Result<Uuid, Refusal> {
    v.as_ref()
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s.trim()).ok())
        .ok_or(Refusal::BadRequest)
}

/// A session id sent as a string (ours are 32 hex characters).
pub fn session_arg(v: Option<&Value>) -> Result<String, Refusal> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
        .ok_or(Refusal::BadRequest)
}

/// Runs a join that proves a session, unless the socket has failed too many already
/// (`RateLimited`, and the caller disconnects it after the acknowledgement); counts refusals.
pub async fn counted(
    peer: &Peer,
    join: impl Future<Output = Result<(), Refusal>>,
) -> Result<(), Refusal> {
    if peer.failed_joins() >= MAX_FAILED_JOINS {
        return Err(Refusal::RateLimited);
    }
    let done = join.await;
    if matches!(done, Err(Refusal::Forbidden | Refusal::BadRequest)) {
        peer.join_failed();
    }
    done
}

/// Sends a join's acknowledgement; a socket cut off by [`counted`] is disconnected after it.
pub fn acknowledge<A: Adapter>(socket: SocketRef<A>, ack: AckSender<A>, done: Result<(), Refusal>) {
    let _ = ack.send(&answer(done));
    if done == Err(Refusal::RateLimited) {
        let _ = socket.disconnect();
    }
}

/// The entry of a customer session in this tenant, if it exists.
pub async fn customer_entry(
    state: &AppState,
    tenant: &Tenant,
    session_id: &str,
) -> Option<QueueEntry> {
    state
        .store
        .entry_by_session(tenant.id, session_id)
        .await
        .ok()
        .flatten()
}

/// Answers `merchant:join`.
pub async fn on_merchant_join<A: Adapter>(
    socket: SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
    ack: AckSender<A>,
) {
    let done = merchant_join(&socket, peer, state, arg).await;
    let _ = ack.send(&answer(done));
}

/// Answers `join-queue`.
pub async fn on_join_queue<A: Adapter>(
    socket: SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
    ack: AckSender<A>,
) {
    let done = queue_join(&socket, peer, state, arg).await;
    let _ = ack.send(&answer(done));
}

/// Answers `customer:join` (a session join: counted, see [`counted`]).
pub async fn on_customer_join<A: Adapter>(
    socket: SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
    ack: AckSender<A>,
) {
    let done = counted(peer, customer_join(&socket, peer, state, arg)).await;
    acknowledge(socket, ack, done);
}

async fn merchant_join<A: Adapter>(
    socket: &SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
) -> Result<(), Refusal> {
    if !peer.is_staff() {
        return Err(Refusal::Forbidden);
    }
    let id = uuid_arg(arg)?;
    let merchants = state
        .store
        .merchants(peer.tenant.id)
        .await
        .map_err(|_| Refusal::Unavailable)?;
    if !merchants.iter().any(|m| m.id == id) || !staff_still_valid(socket, peer, state).await {
        return Err(Refusal::Forbidden);
    }
    socket.join(vec![merchant(id), tenant(peer.tenant.id)]);
    Ok(())
}

async fn queue_join<A: Adapter>(
    socket: &SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
) -> Result<(), Refusal> {
    if !peer.is_staff() {
        return Err(Refusal::Forbidden);
    }
    let id = uuid_arg(arg)?;
    let found = state
        .store
        .queue(peer.tenant.id, id)
        .await
        .map_err(|_| Refusal::Unavailable)?;
    if found.is_none() || !staff_still_valid(socket, peer, state).await {
        return Err(Refusal::Forbidden);
    }
    socket.join(queue(id));
    Ok(())
}

async fn customer_join<A: Adapter>(
    socket: &SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
) -> Result<(), Refusal> {
    if peer.is_staff() {
        return Err(Refusal::Forbidden);
    }
    let sid = session_arg(arg.as_ref())?;
    if !peer.owns(&sid)
        && (customer_entry(state, &peer.tenant, &sid).await.is_none() || !peer.prove(&sid))
    {
        return Err(Refusal::Forbidden);
    }
    socket.join(customer(&sid));
    state.realtime.customer_joined(peer.tenant.id);
    Ok(())
}
