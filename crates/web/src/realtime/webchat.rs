//! Webchat between a customer and the staff (TSD §4.3), over Socket.IO and its REST twins.
//!
//! Sockets: `webchat:join` (sessionId) joins `webchat:{sessionId}` and answers the history at
//! once (`webchat:history`, an array of messages); `webchat:message` `{sessionId, content}`
//! stores the message and broadcasts `message` `{sender, content, timestamp, metadata}` to the
//! room; a customer's message also tells the queue room `webchat:new-message`
//! `{sessionId, customerName}`.
//!
//! REST: `POST /api/queue/webchat/send`, `GET /api/queue/webchat/{sessionId}`,
//! `POST /api/queue/webchat/recovery` (a customer who lost their session link gets it back with
//! their phone and the 6-digit code they were given).

use super::connect::{Peer, staff_still_valid};
use super::rooms::{self, Refusal, answer, customer_entry, session_arg};
use super::{Emit, Job};
use crate::auth::{Staff, bearer};
use crate::client::ClientIp;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::limits::Limiter;
use crate::session;
use crate::state::AppState;
use crate::tenancy::CurrentTenant;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use qms_domain::TenantId;
use qms_domain::entry::EntryStatus;
use qms_domain::validate::normalize_phone;
use qms_store::{ChatMessage, ChatSender, QueueEntry, Tenant};
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, SocketRef};
use std::net::IpAddr;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Longest message, in characters.
pub const MAX_CONTENT: usize = 1000;

/// Rate limits of the chat, per instance.
pub struct ChatLimits {
    /// Messages per conversation.
    per_session: Limiter<String>,
    /// Recovery attempts per phone and per address (the code has only 6 digits).
    recovery_per_phone: Limiter<(TenantId, String)>,
    recovery_per_ip: Limiter<(TenantId, IpAddr)>,
}

impl Default for ChatLimits {
    fn default() -> Self {
        ChatLimits {
            per_session: Limiter::new(30, Duration::from_secs(60)),
            recovery_per_phone: Limiter::new(5, Duration::from_secs(15 * 60)),
            recovery_per_ip: Limiter::new(20, Duration::from_secs(15 * 60)),
        }
    }
}

impl ChatLimits {
    pub fn prune(&self) {
        self.per_session.prune();
        self.recovery_per_phone.prune();
        self.recovery_per_ip.prune();
    }
}

/// Checks a message: 1–1000 characters, not blank, no control characters but newlines
/// (`\r\n` counts as a newline). Answers the text to store.
pub fn clean_content(raw: &str) -> Result<String, &'static str> {
    let text = raw.replace("\r\n", "\n");
    if text.trim().is_empty() {
        return Err("must not be empty");
    }
    if text.chars().count() > MAX_CONTENT {
        return Err("must be at most 1000 characters");
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err("must not contain control characters");
    }
    Ok(text)
}

/// A message as the events and the REST answers show it.
pub fn payload(m: &ChatMessage, session_id: &str) -> Value {
    json!({
        "sender": m.sender.as_event(),
        "content": m.content,
        "timestamp": m.created_at.format(&Rfc3339).unwrap_or_default(),
        "metadata": {"id": m.id, "sessionId": session_id},
    })
}

/// Stores a message of `entry`'s chat and queues its broadcast. The chat is open while the
/// customer waits, is called or is seated.
pub async fn send(
    state: &AppState,
    tenant: &Tenant,
    entry: &QueueEntry,
    sender: ChatSender,
    content: &str,
) -> Result<ChatMessage, Refusal> {
    if !matches!(
        entry.status,
        EntryStatus::Waiting | EntryStatus::Called | EntryStatus::Seated
    ) {
        return Err(Refusal::ChatClosed);
    }
    if !state
        .realtime
        .limits()
        .per_session
        .check(&entry.session_id)
        .allowed
    {
        return Err(Refusal::RateLimited);
    }
    let message = state
        .store
        .add_chat_message(
            tenant.id,
            entry.id,
            sender,
            content,
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(|_| Refusal::Unavailable)?;
    let mut emits = vec![Emit {
        rooms: vec![rooms::webchat(&entry.session_id)],
        event: "message",
        data: payload(&message, &entry.session_id),
    }];
    if sender == ChatSender::Customer {
        emits.push(Emit {
            rooms: vec![rooms::queue(entry.queue_id)],
            event: "webchat:new-message",
            data: json!({"sessionId": entry.session_id, "customerName": entry.customer_name}),
        });
    }
    state.realtime.submit(Job::Emit(emits));
    Ok(message)
}

async fn history(
    state: &AppState,
    tenant: &Tenant,
    entry: &QueueEntry,
) -> Result<Vec<Value>, Refusal> {
    let messages = state
        .store
        .chat_messages(tenant.id, entry.id)
        .await
        .map_err(|_| Refusal::Unavailable)?;
    Ok(messages
        .iter()
        .map(|m| payload(m, &entry.session_id))
        .collect())
}

// ----- sockets -----

/// Answers `webchat:join` (a session join: counted, see [`rooms::counted`]).
pub async fn on_join<A: Adapter>(
    socket: SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
    ack: AckSender<A>,
) {
    let done = rooms::counted(peer, join(&socket, peer, state, arg)).await;
    rooms::acknowledge(socket, ack, done);
}

/// Answers `webchat:message`: `{ok:true, message}` once stored and sent.
pub async fn on_message<A: Adapter>(
    socket: SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
    ack: AckSender<A>,
) {
    let cut_off = peer.failed_joins() >= rooms::MAX_FAILED_JOINS;
    let reply = if cut_off {
        answer(Err(Refusal::RateLimited))
    } else {
        match message(&socket, peer, state, arg).await {
            Ok(m) => json!({"ok": true, "message": m}),
            Err(r) => {
                // Writing to a session proves it, so a refusal counts as a failed join.
                if r == Refusal::Forbidden {
                    peer.join_failed();
                }
                answer(Err(r))
            }
        }
    };
    let _ = ack.send(&reply);
    if cut_off {
        let _ = socket.disconnect();
    }
}

/// The entry of a session this socket may chat about: its own as a customer, any of its
/// tenant's as staff.
async fn authorised_entry<A: Adapter>(
    socket: &SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    sid: &str,
) -> Result<QueueEntry, Refusal> {
    let entry = customer_entry(state, &peer.tenant, sid).await;
    match (&peer.staff, entry) {
        (Some(_), Some(entry)) if staff_still_valid(socket, peer, state).await => Ok(entry),
        (None, Some(entry)) if peer.owns(sid) || peer.prove(sid) => Ok(entry),
        _ => Err(Refusal::Forbidden),
    }
}

async fn join<A: Adapter>(
    socket: &SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
) -> Result<(), Refusal> {
    let sid = session_arg(arg.as_ref())?;
    let entry = authorised_entry(socket, peer, state, &sid).await?;
    let past = history(state, &peer.tenant, &entry).await?;
    socket.join(rooms::webchat(&sid));
    let _ = socket.emit("webchat:history", &past);
    Ok(())
}

async fn message<A: Adapter>(
    socket: &SocketRef<A>,
    peer: &Peer,
    state: &AppState,
    arg: Option<Value>,
) -> Result<Value, Refusal> {
    let arg = arg.unwrap_or(Value::Null);
    let sid = session_arg(arg.get("sessionId"))?;
    let content = arg
        .get("content")
        .and_then(Value::as_str)
        .ok_or(Refusal::BadRequest)
        .and_then(|c| clean_content(c).map_err(|_| Refusal::BadRequest))?;
    let entry = authorised_entry(socket, peer, state, &sid).await?;
    let sender = if peer.is_staff() {
        ChatSender::Staff
    } else {
        ChatSender::Customer
    };
    let stored = send(state, &peer.tenant, &entry, sender, &content).await?;
    Ok(payload(&stored, &sid))
}

// ----- REST -----

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Forbidden => ApiError::not_found("chat session"),
            Refusal::BadRequest => ApiError::bad_request("bad request"),
            Refusal::RateLimited => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many messages; slow down",
            ),
            Refusal::Unavailable => ApiError::internal(),
            Refusal::ChatClosed => ApiError::new(
                StatusCode::CONFLICT,
                "chat_closed",
                "this visit is over; the chat is closed",
            ),
        }
    }
}

/// The staff member of a request, if it comes from one: a bearer token must be valid; a
/// browser session that is not staff of this tenant just means a customer.
pub struct MaybeStaff(pub Option<Staff>);

impl FromRequestParts<AppState> for MaybeStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state).await?;
        if bearer(&parts.headers).is_some() {
            return Staff::from_request(state, &tenant, parts)
                .await
                .map(|s| MaybeStaff(Some(s)));
        }
        if session::cookie_value(&parts.headers).is_none() {
            return Ok(MaybeStaff(None));
        }
        Ok(MaybeStaff(
            Staff::from_request(state, &tenant, parts).await.ok(),
        ))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendRequest {
    pub session_id: String,
    /// 1–1000 characters; newlines allowed, other control characters not.
    pub content: String,
}

async fn entry_of(
    state: &AppState,
    tenant: &Tenant,
    session_id: &str,
) -> Result<QueueEntry, ApiError> {
    let sid = session_arg(Some(&Value::String(session_id.to_string())))
        .map_err(|_| ApiError::not_found("chat session"))?;
    customer_entry(state, tenant, &sid)
        .await
        .ok_or_else(|| ApiError::not_found("chat session"))
}

/// Sends a chat message: as staff with a token or staff session, else as the customer whose
/// session id it names.
#[utoipa::path(post, path = "/api/queue/webchat/send", tag = "webchat", request_body = SendRequest,
    responses((status = 201, description = "the message as broadcast", body = Object), (status = 404), (status = 409, description = "chat_closed"), (status = 422), (status = 429)))]
pub async fn send_route(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    MaybeStaff(staff): MaybeStaff,
    ApiJson(body): ApiJson<SendRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let content = clean_content(&body.content).map_err(|e| ApiError::field("content", e))?;
    let entry = entry_of(&state, &tenant, &body.session_id).await?;
    let sender = if staff.is_some() {
        ChatSender::Staff
    } else {
        ChatSender::Customer
    };
    let stored = send(&state, &tenant, &entry, sender, &content).await?;
    Ok((
        StatusCode::CREATED,
        Json(payload(&stored, &entry.session_id)),
    ))
}

/// The chat of a session, oldest first.
#[utoipa::path(get, path = "/api/queue/webchat/{sessionId}", tag = "webchat",
    params(("sessionId" = String, Path)), responses((status = 200, body = Object), (status = 404)))]
pub async fn history_route(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ApiPath(session_id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let entry = entry_of(&state, &tenant, &session_id).await?;
    let messages = history(&state, &tenant, &entry).await?;
    Ok(Json(json!({
        "sessionId": entry.session_id,
        "customerName": entry.customer_name,
        "status": entry.status,
        "messages": messages,
    })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryRequest {
    /// A session id the device remembered: is it still a live chat?
    pub session_id: Option<String>,
    /// Or: the phone the customer joined with…
    pub customer_phone: Option<String>,
    /// …and the 6-digit code shown when they joined.
    pub verification_code: Option<String>,
}

/// Recovers a chat session, from either a session id the device remembered (answered while
/// the chat is open) or the customer's phone and verification code (an entry that still waits
/// or is called). Anything else answers 404; phone-and-code attempts are limited per phone and
/// per address.
#[utoipa::path(post, path = "/api/queue/webchat/recovery", tag = "webchat", request_body = RecoveryRequest,
    responses((status = 200, description = "{sessionId, queueId, status}", body = Object), (status = 404), (status = 422), (status = 429)))]
pub async fn recovery_route(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ip: ClientIp,
    ApiJson(body): ApiJson<RecoveryRequest>,
) -> Result<Json<Value>, ApiError> {
    let found = match (body.session_id, body.customer_phone, body.verification_code) {
        (Some(sid), None, None) => {
            let entry = entry_of(&state, &tenant, &sid).await?;
            if !matches!(
                entry.status,
                EntryStatus::Waiting | EntryStatus::Called | EntryStatus::Seated
            ) {
                return Err(ApiError::not_found("chat session"));
            }
            json!({"sessionId": entry.session_id, "queueId": entry.queue_id, "status": entry.status})
        }
        (None, Some(phone), Some(code)) => by_phone(&state, &tenant, ip, &phone, &code).await?,
        _ => {
            return Err(ApiError::bad_request(
                "send sessionId, or customerPhone and verificationCode",
            ));
        }
    };
    Ok(Json(found))
}

async fn by_phone(
    state: &AppState,
    tenant: &Tenant,
    ip: ClientIp,
    phone: &str,
    code: &str,
) -> Result<Value, ApiError> {
    let region = state
        .store
        .merchants(tenant.id)
        .await?
        .first()
        .map(|m| m.country.clone());
    let phone = normalize_phone(phone, region.as_deref())
        .map_err(|e| ApiError::field("customerPhone", e))?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::field("verificationCode", "must be 6 digits"));
    }
    let limits = state.realtime.limits();
    let by_phone = limits.recovery_per_phone.check(&(tenant.id, phone.clone()));
    let by_ip =
        ip.0.map(|ip| limits.recovery_per_ip.check(&(tenant.id, ip)));
    if let Some(refused) = [Some(by_phone), by_ip]
        .into_iter()
        .flatten()
        .find(|d| !d.allowed)
    {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many attempts; try again later",
        );
        e.extra = Some(json!({"retryAfter": refused.reset_secs}));
        return Err(e);
    }
    let sessions = state
        .store
        .chat_sessions_by_phone(tenant.id, &phone)
        .await?;
    sessions
        .iter()
        .find(|s| constant_time_eq(s.verification_code.as_bytes(), code.as_bytes()))
        .map(|s| json!({"sessionId": s.session_id, "queueId": s.queue_id, "status": s.status}))
        .ok_or_else(|| ApiError::not_found("entry with this phone and code"))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_checked() {
        assert_eq!(clean_content("hi").as_deref(), Ok("hi"));
        assert_eq!(clean_content("a\r\nb").as_deref(), Ok("a\nb"));
        assert!(clean_content("").is_err());
        assert!(clean_content("  \n ").is_err());
        assert!(clean_content("bell\u{7}").is_err());
        assert!(clean_content("tab\there").is_err());
        assert!(clean_content("cr\ronly").is_err());
        assert!(clean_content(&"é".repeat(1000)).is_ok());
        assert!(clean_content(&"é".repeat(1001)).is_err());
    }

    #[test]
    fn codes_compare_whole() {
        assert!(constant_time_eq(b"123456", b"123456"));
        assert!(!constant_time_eq(b"123456", b"123457"));
        assert!(!constant_time_eq(b"12345", b"123456"));
    }
}
