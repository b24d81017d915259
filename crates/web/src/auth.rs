//! Authentication of staff: password hashing (argon2id, OWASP parameters), short-lived API
//! tokens, and the [`Staff`] extractor, which accepts an API token (`Authorization: Bearer`) or
//! a browser session, checks that it belongs to this tenant and an active account, and guards
//! by role with [`Staff::require`]. The sign-in logic shared by the API and the pages is
//! [`sign_in`]: per-address and per-account lock-out, constant work for unknown e-mails, audit.

use crate::client::ClientIp;
use crate::error::ApiError;
use crate::session::{self, Session, SessionKind};
use crate::state::AppState;
use crate::tenancy::CurrentTenant;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use qms_domain::{Role, TenantId};
use qms_store::{Actor, Tenant, TenantUser, UserType};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

/// How long a staff account read for one request serves the next ones.
const STAFF_CACHE_TTL: Duration = Duration::from_secs(3);
const STAFF_CACHE_MAX: usize = 10_000;

/// A short-lived cache of the staff accounts behind requests (negative answers included), so
/// that a busy board's requests do not each read the account. Every change to an account made
/// through this instance clears it at once ([`StaffCache::clear`]); other instances see the
/// change within [`STAFF_CACHE_TTL`].
#[derive(Default)]
pub struct StaffCache {
    entries: RwLock<HashMap<(TenantId, Uuid), CachedStaff>>,
}

/// An account as read (`None`: no such account), and when.
type CachedStaff = (Option<TenantUser>, Instant);

impl StaffCache {
    fn get(&self, tenant: TenantId, user: Uuid) -> Option<Option<TenantUser>> {
        let map = self.entries.read().ok()?;
        let (found, at) = map.get(&(tenant, user))?;
        (at.elapsed() < STAFF_CACHE_TTL).then(|| found.clone())
    }

    fn put(&self, tenant: TenantId, user: Uuid, found: Option<TenantUser>) {
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= STAFF_CACHE_MAX {
                map.retain(|_, (_, at)| at.elapsed() < STAFF_CACHE_TTL);
                if map.len() >= STAFF_CACHE_MAX {
                    map.clear();
                }
            }
            map.insert((tenant, user), (found, Instant::now()));
        }
    }

    /// Forgets every cached account: call after any change to an account (role, active flag,
    /// password, deletion).
    pub fn clear(&self) {
        if let Ok(mut map) = self.entries.write() {
            map.clear();
        }
    }
}

fn argon2() -> Argon2<'static> {
    // OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (on a blocking thread: it takes tens of milliseconds by design).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|_| ApiError::internal())
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, checked against on unknown e-mails so that they take as long
/// as known ones.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn dummy_hash() -> Result<String, ApiError> {
    DUMMY_HASH
        .get_or_try_init(|| hash_password(Uuid::new_v4().to_string()))
        .await
        .cloned()
}

/// The signing keys of API tokens, derived from the session secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenKeys {
    /// Keys for HMAC-SHA256 tokens. The secret is checked for length when settings load.
    pub fn new(secret: &str) -> Result<Self, jsonwebtoken::errors::Error> {
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes())?,
            decoding: DecodingKey::from_secret(secret.as_bytes())?,
        })
    }
}

/// What an API token says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The tenant the token is for; it works on that tenant's host only.
    pub tid: Uuid,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
}

pub fn issue_token(
    keys: &TokenKeys,
    user: &TenantUser,
    ttl: std::time::Duration,
) -> Result<String, ApiError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let claims = Claims {
        sub: user.id,
        tid: user.tenant_id.0,
        role: user.role,
        iat: now,
        exp: now + ttl.as_secs() as i64,
    };
    jsonwebtoken::encode(&Header::default(), &claims, &keys.encoding)
        .map_err(|_| ApiError::internal())
}

/// A signed-in staff member of the current tenant.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: TenantUser,
    pub tenant: TenantId,
    pub actor: Actor,
    /// The browser session, when signed in through one (not with a token).
    pub session: Option<Session>,
}

impl Staff {
    /// Answers 403 unless the member's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.user.role.at_least(role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// The CSRF token to put in forms (browser sessions only).
    pub fn csrf(&self) -> &str {
        self.session
            .as_ref()
            .map(|s| s.data.csrf.as_str())
            .unwrap_or("")
    }

    /// The staff member an API token names, if the token is valid for `tenant` and the account
    /// is active. Used by the HTTP extractor and by the realtime handshake.
    pub async fn from_token(
        state: &AppState,
        tenant: &Tenant,
        token: &str,
        actor: Actor,
    ) -> Result<Staff, ApiError> {
        let validation = Validation {
            leeway: 5,
            ..Validation::default()
        };
        let claims =
            jsonwebtoken::decode::<Claims>(token.trim(), &state.keys.decoding, &validation)
                .map_err(|_| ApiError::unauthorized())?
                .claims;
        if claims.tid != tenant.id.0 {
            return Err(ApiError::unauthorized());
        }
        Self::active(state, tenant, claims.sub, actor, None).await
    }

    /// The staff member of a browser session, if it is a staff session of `tenant`.
    pub async fn from_session(
        state: &AppState,
        tenant: &Tenant,
        session: Session,
        actor: Actor,
    ) -> Result<Staff, ApiError> {
        if session.data.kind != SessionKind::Staff || session.data.tenant != Some(tenant.id.0) {
            return Err(ApiError::unauthorized());
        }
        let user = session.data.user;
        Self::active(state, tenant, user, actor, Some(session)).await
    }

    async fn active(
        state: &AppState,
        tenant: &Tenant,
        user: Uuid,
        actor: Actor,
        session: Option<Session>,
    ) -> Result<Staff, ApiError> {
        let user = match state.staff.get(tenant.id, user) {
            Some(cached) => cached,
            None => {
                let found = state.store.user_by_id(tenant.id, user).await?;
                state.staff.put(tenant.id, user, found.clone());
                found
            }
        };
        let user = user
            .filter(|u| u.is_active && u.password_hash.is_some())
            .ok_or_else(ApiError::unauthorized)?;
        let actor = Actor {
            user_id: Some(user.id),
            user_type: UserType::Merchant,
            ..actor
        };
        Ok(Staff {
            user,
            tenant: tenant.id,
            actor,
            session,
        })
    }

    /// The staff member a request is signed in as: a bearer token if one is sent, else the
    /// browser session (already loaded by the CSRF layer when present).
    pub async fn from_request(
        state: &AppState,
        tenant: &Tenant,
        parts: &Parts,
    ) -> Result<Staff, ApiError> {
        let actor = request_actor(parts, UserType::Merchant);
        if let Some(token) = bearer(&parts.headers) {
            return Staff::from_token(state, tenant, token, actor).await;
        }
        let session = match parts.extensions.get::<Session>() {
            Some(s) => Some(s.clone()),
            None => session::load(state, &parts.headers).await?,
        };
        match session {
            Some(s) => Staff::from_session(state, tenant, s, actor).await,
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The audit actor of a request: client address and user agent.
pub fn request_actor(parts: &Parts, user_type: UserType) -> Actor {
    let ip = parts
        .extensions
        .get::<ClientIp>()
        .and_then(|c| c.0)
        .map(|ip| ip.to_string());
    Actor {
        user_id: None,
        user_type,
        ip_address: ip,
        user_agent: crate::client::user_agent(&parts.headers),
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state).await?;
        Staff::from_request(state, &tenant, parts).await
    }
}

/// Who a public request comes from, for audit rows of customer actions.
#[derive(Debug, Clone)]
pub struct Client(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Client(request_actor(parts, UserType::Customer)))
    }
}

/// Why a sign-in failed.
#[derive(Debug)]
pub enum SignInError {
    /// Wrong e-mail or password (the same answer for both).
    Invalid,
    /// Too many failures from this address or for this account.
    Locked,
    Other(ApiError),
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::Invalid => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong e-mail or password",
            ),
            SignInError::Locked => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked_out",
                "too many failed sign-ins; try again in 15 minutes",
            ),
            SignInError::Other(e) => e,
        }
    }
}

impl From<qms_store::StoreError> for SignInError {
    fn from(e: qms_store::StoreError) -> Self {
        SignInError::Other(e.into())
    }
}

/// Checks e-mail and password for a tenant. Counts failures per address (in memory) and per
/// account (in the database), locking either out after ten; writes the audit rows.
pub async fn sign_in(
    state: &AppState,
    tenant: &Tenant,
    email: &str,
    password: String,
    actor: &Actor,
    ip: Option<std::net::IpAddr>,
) -> Result<TenantUser, SignInError> {
    if ip.is_some_and(|ip| state.limits.login_locked(ip)) {
        return Err(SignInError::Locked);
    }
    let email = email.trim().to_lowercase();
    let user = state.store.user_by_email(tenant.id, &email).await?;
    let now = OffsetDateTime::now_utc();
    if let Some(u) = &user
        && u.locked_until.is_some_and(|t| t > now)
    {
        return Err(SignInError::Locked);
    }
    let hash = user
        .as_ref()
        .filter(|u| u.is_active)
        .and_then(|u| u.password_hash.clone());
    let ok = match hash {
        Some(hash) => verify_password(password, hash).await,
        None => {
            let dummy = dummy_hash().await.map_err(SignInError::Other)?;
            let _ = verify_password(password, dummy).await;
            false
        }
    };
    match user {
        Some(u) if ok => {
            let actor = Actor {
                user_id: Some(u.id),
                ..actor.clone()
            };
            state.store.record_login(tenant.id, u.id, &actor).await?;
            Ok(u)
        }
        other => {
            let until = now + time::Duration::seconds(crate::limits::LOCKOUT.as_secs() as i64);
            let user_id = other.map(|u| u.id);
            state
                .store
                .record_failed_login(
                    tenant.id,
                    user_id,
                    &email,
                    actor,
                    crate::limits::LOGIN_FAILURES as i32,
                    until,
                )
                .await?;
            if let Some(ip) = ip {
                state.limits.login_failed(ip);
            }
            Err(SignInError::Invalid)
        }
    }
}
