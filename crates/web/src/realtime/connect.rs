//! Who a socket is, decided once at the handshake (TSD §4.1, §7.1).
//!
//! The tenant comes from the `Host` of the handshake request, as for HTTP; an unknown or
//! inactive tenant is refused. Staff present an API token (`auth: {token}`) or their session
//! cookie; a bad token is refused. Anyone else connects as a customer, who can join only the
//! rooms of session ids they prove (`auth: {sessionId}` or `customer:join`).
//!
//! A staff socket that signed in with a token is disconnected when the token expires (its
//! rooms go with it); the client reconnects with a fresh token. Every staff socket's sign-in
//! is also checked again periodically (`Settings::staff_socket_recheck`, a minute by default):
//! a socket whose browser session ended (signed out, password changed, expired) or whose
//! account was deactivated or deleted is disconnected then. While it holds, the check counts
//! as use of the session, as a request from the open dashboard would: a live board keeps its
//! session until the session's absolute lifetime.

use super::{rooms, webchat};
use crate::auth::{Claims, Staff};
use crate::client::{client_ip, peer_of, user_agent};
use crate::session;
use crate::state::AppState;
use crate::tenancy::{HostKind, classify_host};
use axum::http::header;
use qms_domain::Role;
use qms_store::{Actor, Tenant, UserType};
use serde_json::Value;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Event, SocketRef, TryData};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// Most customer sessions one socket may prove (a family's phones on one tablet, at most).
const MAX_SESSIONS: usize = 8;

/// Why a handshake was refused; the client sees the text in `connect_error`.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("tenant_not_found")]
    Tenant,
    #[error("unauthorized")]
    Unauthorized,
    #[error("unavailable")]
    Unavailable,
}

/// A signed-in staff member's socket.
#[derive(Debug, Clone)]
pub struct StaffPeer {
    pub user_id: Uuid,
    pub role: Role,
    /// The token presented, checked again at every join (it expires); `None` for a session.
    token: Option<String>,
    /// When the token expires (Unix seconds); the socket is disconnected then.
    expires: Option<i64>,
}

/// The identity of one socket, kept in its extensions.
#[derive(Debug)]
pub struct Peer {
    pub tenant: Tenant,
    pub staff: Option<StaffPeer>,
    /// Customer session ids this socket has proven (at most [`MAX_SESSIONS`]).
    sessions: Mutex<Vec<String>>,
    /// Refused `customer:join` / `webchat:join` attempts ([`rooms::counted`]).
    failed_joins: AtomicU32,
}

impl Peer {
    pub fn is_staff(&self) -> bool {
        self.staff.is_some()
    }

    /// True when this socket proved `session_id`.
    pub fn owns(&self, session_id: &str) -> bool {
        self.sessions
            .lock()
            .map(|s| s.iter().any(|x| x == session_id))
            .unwrap_or(false)
    }

    /// Remembers a proven session; false when the socket holds too many already.
    pub fn prove(&self, session_id: &str) -> bool {
        let Ok(mut s) = self.sessions.lock() else {
            return false;
        };
        if s.iter().any(|x| x == session_id) {
            return true;
        }
        if s.len() >= MAX_SESSIONS {
            return false;
        }
        s.push(session_id.to_string());
        true
    }

    /// Refused joins so far.
    pub fn failed_joins(&self) -> u32 {
        self.failed_joins.load(Ordering::Relaxed)
    }

    /// Counts one refused join.
    pub fn join_failed(&self) {
        self.failed_joins.fetch_add(1, Ordering::Relaxed);
    }
}

fn actor(parts: &axum::http::request::Parts, state: &AppState) -> Actor {
    let ip = client_ip(
        peer_of(parts).map(|p| p.ip()),
        &parts.headers,
        &state.settings.trusted_proxies,
    );
    Actor {
        user_id: None,
        user_type: UserType::Merchant,
        ip_address: ip.map(|i| i.to_string()),
        user_agent: user_agent(&parts.headers),
    }
}

/// The tenant of a handshake, from its `Host`.
async fn tenant_of(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<Tenant, Refused> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let kind = classify_host(host, &state.settings.base_domain);
    if !matches!(kind, HostKind::Subdomain(_) | HostKind::CustomDomain(_)) {
        return Err(Refused::Tenant);
    }
    match state.tenant_for(&kind).await {
        Ok(Some((tenant, _))) => Ok(tenant),
        Ok(None) => Err(Refused::Tenant),
        Err(_) => Err(Refused::Unavailable),
    }
}

/// The staff member behind a token or a session cookie, if any. A token that does not check
/// out is an error; a cookie that is not a staff session of this tenant just means "customer".
async fn staff_of(
    state: &AppState,
    tenant: &Tenant,
    parts: &axum::http::request::Parts,
    token: Option<&str>,
) -> Result<Option<Staff>, Refused> {
    let actor = actor(parts, state);
    if let Some(token) = token {
        return Staff::from_token(state, tenant, token, actor)
            .await
            .map(Some)
            .map_err(|_| Refused::Unauthorized);
    }
    match session::load(state, &parts.headers).await {
        Ok(Some(s)) => Ok(Staff::from_session(state, tenant, s, actor).await.ok()),
        Ok(None) => Ok(None),
        Err(_) => Err(Refused::Unavailable),
    }
}

/// Connect middleware: resolves the tenant and the identity, or refuses the socket.
pub async fn authenticate<A: Adapter>(
    socket: SocketRef<A>,
    TryData(auth): TryData<Value>,
    state: AppState,
) -> Result<(), Refused> {
    let parts = socket.req_parts();
    let tenant = tenant_of(&state, parts).await?;
    let auth = auth.unwrap_or(Value::Null);
    let token = auth
        .get("token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty());
    let staff = staff_of(&state, &tenant, parts, token).await?;
    // `staff_of` verified the token's signature and expiry; only its expiry is read here.
    let expires = token
        .and_then(|t| jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(t.trim()).ok())
        .map(|c| c.exp);
    // HTTP allows a few seconds of clock leeway; a socket would be cut off at once, so an
    // expired token is refused here rather than accepted and disconnected in a loop.
    if expires.is_some_and(|exp| exp <= OffsetDateTime::now_utc().unix_timestamp()) {
        return Err(Refused::Unauthorized);
    }
    let peer = Peer {
        staff: staff.map(|s| StaffPeer {
            user_id: s.user.id,
            role: s.user.role,
            token: token.map(str::to_string),
            expires,
        }),
        tenant,
        sessions: Mutex::new(Vec::new()),
        failed_joins: AtomicU32::new(0),
    };
    // A customer may prove a session in the handshake already.
    if let Some(sid) = auth.get("sessionId").and_then(Value::as_str)
        && peer.staff.is_none()
    {
        match rooms::customer_entry(&state, &peer.tenant, sid).await {
            Some(_) => {
                peer.prove(sid);
            }
            None => return Err(Refused::Unauthorized),
        }
    }
    accept(&socket, Arc::new(peer), &state);
    Ok(())
}

/// Registers the events an accepted socket may send, its expiry and its disconnect handler.
/// Runs in the middleware, before the client is told it is connected.
///
/// The events go to one handler, [`dispatch`], rather than one handler each: a socket then
/// holds one boxed handler and no table of them (about half a kilobyte less per socket, and
/// most sockets are customers' phones that sit idle).
fn accept<A: Adapter>(socket: &SocketRef<A>, peer: Arc<Peer>, state: &AppState) {
    metrics::gauge!("realtime_sockets").increment(1.0);
    let expiry = peer
        .staff
        .as_ref()
        .and_then(|s| s.expires)
        .map(|exp| disconnect_at(socket.clone(), exp));
    let recheck = peer
        .staff
        .is_some()
        .then(|| recheck_every(socket.clone(), peer.clone(), state.clone()));
    socket.on_disconnect(move || async move {
        for timer in [expiry, recheck].into_iter().flatten() {
            timer.abort();
        }
        metrics::gauge!("realtime_sockets").decrement(1.0);
    });
    let state = state.clone();
    socket.on_fallback(
        async move |socket: SocketRef<A>,
                    Event(event): Event,
                    TryData(arg): TryData<Value>,
                    ack: AckSender<A>| {
            dispatch(socket, &event, arg.ok(), ack, &peer, &state).await;
        },
    );
}

/// Answers one event of a socket (see the table in [`rooms`]); an event the server does not
/// know is answered `{ok:false, error:"unknown_event"}` when the client asked for an answer.
async fn dispatch<A: Adapter>(
    socket: SocketRef<A>,
    event: &str,
    arg: Option<Value>,
    ack: AckSender<A>,
    peer: &Peer,
    state: &AppState,
) {
    match event {
        "merchant:join" => rooms::on_merchant_join(socket, peer, state, arg, ack).await,
        "join-queue" => rooms::on_join_queue(socket, peer, state, arg, ack).await,
        "customer:join" => rooms::on_customer_join(socket, peer, state, arg, ack).await,
        "webchat:join" => webchat::on_join(socket, peer, state, arg, ack).await,
        "webchat:message" => webchat::on_message(socket, peer, state, arg, ack).await,
        _ => {
            let _ = ack.send(&serde_json::json!({"ok": false, "error": "unknown_event"}));
        }
    }
}

/// Disconnects `socket` when its token expires (at `exp`, Unix seconds); the timer is aborted
/// when the socket goes first.
fn disconnect_at<A: Adapter>(socket: SocketRef<A>, exp: i64) -> tokio::task::AbortHandle {
    let left = exp.saturating_sub(OffsetDateTime::now_utc().unix_timestamp());
    let left = Duration::from_secs(u64::try_from(left).unwrap_or(0));
    tokio::spawn(async move {
        tokio::time::sleep(left).await;
        tracing::debug!(sid = %socket.id, "realtime: staff token expired, disconnecting");
        let _ = socket.disconnect();
    })
    .abort_handle()
}

/// Checks a staff socket's sign-in again every `Settings::staff_socket_recheck` and
/// disconnects the socket once it no longer holds; aborted when the socket goes first.
fn recheck_every<A: Adapter>(
    socket: SocketRef<A>,
    peer: Arc<Peer>,
    state: AppState,
) -> tokio::task::AbortHandle {
    let every = state.settings.staff_socket_recheck;
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            // No verdict (the database did not answer): the next tick decides.
            if staff_verdict(&socket, &peer, &state).await == Some(false) {
                tracing::debug!(sid = %socket.id, "realtime: staff sign-in ended, disconnecting");
                let _ = socket.disconnect();
                return;
            }
        }
    })
    .abort_handle()
}

/// Checks again that a staff socket's member may act (active account, token not expired);
/// refuses when the database does not answer.
pub async fn staff_still_valid<A: Adapter>(
    socket: &SocketRef<A>,
    peer: &Peer,
    state: &AppState,
) -> bool {
    staff_verdict(socket, peer, state).await == Some(true)
}

/// Whether a socket's staff sign-in still holds: `None` when the database did not answer.
async fn staff_verdict<A: Adapter>(
    socket: &SocketRef<A>,
    peer: &Peer,
    state: &AppState,
) -> Option<bool> {
    let staff = peer.staff.as_ref()?;
    let parts = socket.req_parts();
    match staff_of(state, &peer.tenant, parts, staff.token.as_deref()).await {
        Ok(Some(s)) => Some(s.user.id == staff.user_id),
        Ok(None) | Err(Refused::Unauthorized) | Err(Refused::Tenant) => Some(false),
        Err(Refused::Unavailable) => None,
    }
}
