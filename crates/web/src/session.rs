//! Server-side sessions for people signed in through a browser (TSD §7.1, stricter).
//!
//! The cookie holds 256 random bits; the database holds only their SHA-256 and the session's
//! content. Cookies are host-only (no `Domain`), `HttpOnly`, `SameSite=Lax`, and `Secure` (with
//! the `__Host-` prefix) whenever the request came over HTTPS or in production. A session ends
//! after its absolute lifetime or its idle time, whichever comes first; signing in always makes
//! a new id. Anonymous visitors get no session row.

use crate::settings::Environment;
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, header};
use qms_store::{SessionRecord, StoreResult};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const COOKIE: &str = "qms_session";
const SECURE_COOKIE: &str = "__Host-qms_session";

/// Who a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    /// A tenant's staff member, on that tenant's host.
    Staff,
    /// A platform operator, on the BackOffice.
    Backoffice,
}

impl SessionKind {
    /// (absolute lifetime, idle timeout)
    pub fn lifetimes(self) -> (Duration, Duration) {
        match self {
            SessionKind::Staff => (Duration::hours(24), Duration::minutes(30)),
            SessionKind::Backoffice => (Duration::hours(8), Duration::minutes(15)),
        }
    }
}

/// A session's content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionData {
    pub kind: SessionKind,
    pub tenant: Option<Uuid>,
    pub user: Uuid,
    pub csrf: String,
    /// Unix seconds.
    pub created: i64,
    pub seen: i64,
}

/// A loaded session and the hash it is stored under.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub data: SessionData,
}

/// SHA-256 of a secret, hex — how session ids and one-time tokens are stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new random secret: 32 bytes, hex.
pub fn random_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The session id sent by the browser, if any.
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE || *name == SECURE_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// True when the request reached us over HTTPS (directly or through a trusted proxy), or the
/// server runs in production.
pub fn is_secure(state: &AppState, headers: &HeaderMap, via_trusted_proxy: bool) -> bool {
    state.settings.environment == Environment::Production
        || (via_trusted_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.eq_ignore_ascii_case("https")))
}

/// The `Set-Cookie` value that stores `id` in the browser.
pub fn set_cookie(id: &str, secure: bool, max_age: Duration) -> HeaderValue {
    let value = if secure {
        format!(
            "{SECURE_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age={}",
            max_age.whole_seconds()
        )
    } else {
        format!(
            "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
            max_age.whole_seconds()
        )
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static(
            "__Host-qms_session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0",
        )
    } else {
        HeaderValue::from_static("qms_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }
}

fn expire_of(data: &SessionData) -> OffsetDateTime {
    let (absolute, idle) = data.kind.lifetimes();
    let created =
        OffsetDateTime::from_unix_timestamp(data.created).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let seen = OffsetDateTime::from_unix_timestamp(data.seen).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    (created + absolute).min(seen + idle)
}

/// Starts a session for a user; answers the cookie id (only the browser ever holds it).
pub async fn start(
    state: &AppState,
    kind: SessionKind,
    tenant: Option<Uuid>,
    user: Uuid,
) -> StoreResult<(String, Session)> {
    let id = random_secret();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let data = SessionData {
        kind,
        tenant,
        user,
        csrf: random_secret(),
        created: now,
        seen: now,
    };
    let session = Session {
        id_hash: hash_secret(&id),
        data,
    };
    save(state, &session).await?;
    Ok((id, session))
}

async fn save(state: &AppState, s: &Session) -> StoreResult<()> {
    let record = SessionRecord {
        id_hash: s.id_hash.clone(),
        data: serde_json::to_string(&s.data).unwrap_or_default(),
        user_id: Some(s.data.user),
        expire: expire_of(&s.data),
    };
    state.store.session_save(&record).await
}

/// Loads the browser's session if it is still valid; refreshes its idle clock at most once a
/// minute. An expired or unreadable session is deleted and answers `None`.
pub async fn load(state: &AppState, headers: &HeaderMap) -> StoreResult<Option<Session>> {
    let Some(id) = cookie_value(headers) else {
        return Ok(None);
    };
    let id_hash = hash_secret(&id);
    let now = OffsetDateTime::now_utc();
    let Some(record) = state.store.session_load(&id_hash, now).await? else {
        return Ok(None);
    };
    let Ok(data) = serde_json::from_str::<SessionData>(&record.data) else {
        state.store.session_delete(&id_hash).await?;
        return Ok(None);
    };
    let mut session = Session { id_hash, data };
    if expire_of(&session.data) <= now {
        state.store.session_delete(&session.id_hash).await?;
        return Ok(None);
    }
    if now.unix_timestamp() - session.data.seen >= 60 {
        session.data.seen = now.unix_timestamp();
        save(state, &session).await?;
    }
    Ok(Some(session))
}

/// Ends the browser's session, if any.
pub async fn end(state: &AppState, headers: &HeaderMap) -> StoreResult<()> {
    if let Some(id) = cookie_value(headers) {
        state.store.session_delete(&hash_secret(&id)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_host_only_http_only_and_lax() {
        let c = set_cookie(&"a".repeat(64), false, Duration::hours(24));
        let c = c.to_str().unwrap_or("");
        assert!(c.starts_with("qms_session="));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"));
        assert!(!c.to_ascii_lowercase().contains("domain="));
        assert!(!c.contains("Secure"));
        let s = set_cookie(&"a".repeat(64), true, Duration::hours(24));
        let s = s.to_str().unwrap_or("");
        assert!(s.starts_with("__Host-qms_session=") && s.contains("Secure"));
    }

    #[test]
    fn only_well_formed_ids_are_read() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; qms_session=xyz"),
        );
        assert_eq!(cookie_value(&h), None);
        let id = "0f".repeat(32);
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; qms_session={id}"))
                .unwrap_or(HeaderValue::from_static("")),
        );
        assert_eq!(cookie_value(&h), Some(id));
    }

    #[test]
    fn sessions_expire_at_the_earlier_of_absolute_and_idle() {
        let data = SessionData {
            kind: SessionKind::Staff,
            tenant: None,
            user: Uuid::nil(),
            csrf: String::new(),
            created: 0,
            seen: 0,
        };
        assert_eq!(expire_of(&data).unix_timestamp(), 30 * 60);
        let data = SessionData {
            seen: 24 * 3600 - 60,
            ..data
        };
        assert_eq!(expire_of(&data).unix_timestamp(), 24 * 3600);
        let bo = SessionData {
            kind: SessionKind::Backoffice,
            ..data
        };
        assert_eq!(expire_of(&bo).unix_timestamp(), 8 * 3600);
    }
}
