//! Staff authentication for programs: password hashing (argon2id, OWASP parameters), the
//! short-lived API token answered by `POST /api/auth/login`, and the [`Staff`] extractor that
//! checks it on every staff route (tenant, account still active, role).

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::tenancy::CurrentTenant;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use qms_domain::{Role, TenantId};
use qms_store::{Actor, TenantUser, UserType};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

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

/// A hash of a random password, used to spend the same time on unknown e-mails as on known ones.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

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
}

/// The client's address and user agent, for audit rows.
pub fn client_actor(
    parts_headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> (Option<String>, Option<String>) {
    let ua = parts_headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect());
    (peer.map(|p| p.ip().to_string()), ua)
}

fn peer(parts: &Parts) -> Option<std::net::SocketAddr> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0)
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state).await?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let validation = Validation { leeway: 5, ..Validation::default() };
        let claims =
            jsonwebtoken::decode::<Claims>(token.trim(), &state.keys.decoding, &validation)
                .map_err(|_| ApiError::unauthorized())?
                .claims;
        if claims.tid != tenant.id.0 {
            return Err(ApiError::unauthorized());
        }
        let user = state
            .store
            .user_by_id(tenant.id, claims.sub)
            .await?
            .filter(|u| u.is_active)
            .ok_or_else(ApiError::unauthorized)?;
        let (ip, ua) = client_actor(&parts.headers, peer(parts));
        let actor = Actor {
            user_id: Some(user.id),
            user_type: UserType::Merchant,
            ip_address: ip,
            user_agent: ua,
        };
        Ok(Staff {
            user,
            tenant: tenant.id,
            actor,
        })
    }
}

/// Who a public request comes from, for audit rows of customer actions.
#[derive(Debug, Clone)]
pub struct Client(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (ip, ua) = client_actor(&parts.headers, peer(parts));
        Ok(Client(Actor::customer(ip, ua)))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
    #[schema(value_type = Object)]
    pub user: TenantUser,
}

/// Signs a staff member in and answers an API token.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "wrong e-mail or password")))]
pub async fn login(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    crate::auth::Client(actor): crate::auth::Client,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let email = body.email.trim().to_lowercase();
    let user = state.store.user_by_email(tenant.id, &email).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = match hash {
        Some(hash) => verify_password(body.password, hash).await,
        None => {
            // Spend the same time whether or not the account exists.
            let dummy = match DUMMY_HASH.get() {
                Some(h) => h.clone(),
                None => {
                    let h = hash_password(Uuid::new_v4().to_string()).await?;
                    DUMMY_HASH.get_or_init(|| h).clone()
                }
            };
            let _ = verify_password(body.password, dummy).await;
            false
        }
    };
    let user = match user {
        Some(u) if ok && u.is_active => u,
        _ => {
            let details = serde_json::json!({"email": email});
            state
                .store
                .audit(
                    tenant.id,
                    &actor,
                    "auth.login_failed",
                    "tenant_user",
                    None,
                    Some(details),
                )
                .await?;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong e-mail or password",
            ));
        }
    };
    let staff_actor = Actor {
        user_id: Some(user.id),
        user_type: UserType::Merchant,
        ..actor
    };
    state
        .store
        .record_login(tenant.id, user.id, &staff_actor)
        .await?;
    let ttl = state.settings.api_token_ttl;
    let token = issue_token(&state.keys, &user, ttl)?;
    Ok(Json(LoginResponse {
        token,
        token_type: "Bearer",
        expires_in: ttl.as_secs(),
        user,
    }))
}
