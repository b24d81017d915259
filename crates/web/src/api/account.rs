//! Sign-in for programs and the dashboard's scripts (TSD §3.3): login (API token and session
//! cookie), logout, the current session, forgotten and reset passwords, invitations, and
//! password changes.

use crate::auth::{SignInError, Staff, hash_password, issue_token, sign_in};
use crate::client::ClientIp;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::session::{self, SessionKind, hash_secret, random_secret};
use crate::state::AppState;
use crate::tenancy::CurrentTenant;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qms_domain::validate::{check_password, normalize_email};
use qms_store::{Actor, StoreError, Tenant, TenantUser, TokenKind, UserType};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

/// How long a password-reset link works.
pub const RESET_TTL: time::Duration = time::Duration::hours(1);

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
    /// For scripts using the session cookie: send as `X-CSRF-Token` on changes.
    pub csrf_token: String,
    #[schema(value_type = Object)]
    pub user: TenantUser,
}

/// Starts a browser session for `user` and answers the `Set-Cookie` header value.
pub async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    secure_hint: bool,
    user: &TenantUser,
) -> Result<(axum::http::HeaderValue, String), ApiError> {
    // A fresh id on every sign-in; an earlier session of this browser ends.
    session::end(state, headers).await?;
    let (id, s) =
        session::start(state, SessionKind::Staff, Some(user.tenant_id.0), user.id).await?;
    let (absolute, _) = SessionKind::Staff.lifetimes();
    Ok((session::set_cookie(&id, secure_hint, absolute), s.data.csrf))
}

/// True when cookies for this request must be `Secure`.
pub fn secure(state: &AppState, headers: &HeaderMap, ip: &ClientIp, peer_trusted: bool) -> bool {
    let _ = ip;
    session::is_secure(state, headers, peer_trusted)
}

/// Signs a staff member in: answers an API token and sets a session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "invalid_credentials"), (status = 429, description = "locked_out")))]
pub async fn login(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    crate::auth::Client(actor): crate::auth::Client,
    ip: ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let actor = Actor {
        user_type: UserType::Merchant,
        ..actor
    };
    let user = sign_in(&state, &tenant, &body.email, body.password, &actor, ip.0)
        .await
        .map_err(ApiError::from)?;
    let ttl = state.settings.api_token_ttl;
    let token = issue_token(&state.keys, &user, ttl)?;
    let secure = session::is_secure(&state, &headers, peer_is_trusted(&state, &headers, ip));
    let (cookie, csrf) = start_session(&state, &headers, secure, &user).await?;
    let body = LoginResponse {
        token,
        token_type: "Bearer",
        expires_in: ttl.as_secs(),
        csrf_token: csrf,
        user,
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Whether the request came through a trusted proxy (so `X-Forwarded-Proto` is believed).
pub fn peer_is_trusted(state: &AppState, _headers: &HeaderMap, ip: ClientIp) -> bool {
    // The site layer resolved the client address; a proxy is trusted only when configured.
    !state.settings.trusted_proxies.is_empty() && ip.0.is_some()
}

/// Ends the browser session (API tokens simply expire).
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(s) = &staff.session {
        state.store.session_delete(&s.id_hash).await?;
    }
    state
        .store
        .audit(
            staff.tenant,
            &staff.actor,
            "auth.logout",
            "tenant_user",
            Some(staff.user.id.to_string()),
            None,
        )
        .await?;
    let secure =
        session::is_secure(&state, &headers, false) || session::cookie_value(&headers).is_none();
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            session::clear_cookie(
                secure && state.settings.environment == crate::Environment::Production,
            ),
        )],
    )
        .into_response())
}

/// Who is signed in, and the CSRF token for scripts.
#[utoipa::path(get, path = "/api/auth/session", tag = "auth", responses((status = 200, body = Object), (status = 401)))]
pub async fn current(staff: Staff) -> Json<serde_json::Value> {
    Json(json!({"user": staff.user, "csrfToken": staff.csrf()}))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForgotRequest {
    pub email: String,
}

/// Sends a reset link if the address has an account. Always answers the same.
#[utoipa::path(post, path = "/api/auth/forgot-password", tag = "auth", request_body = ForgotRequest,
    responses((status = 202, description = "the same answer whether or not the address has an account"), (status = 429)))]
pub async fn forgot_password(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ip: ClientIp,
    ApiJson(body): ApiJson<ForgotRequest>,
) -> Result<Response, ApiError> {
    request_reset(&state, &tenant, &body.email, ip).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"message": "If this address has an account, a reset link is on its way."})),
    )
        .into_response())
}

/// The reset logic shared with the page: rate-limited per address and per account; sends the
/// link when the account exists and is active.
pub async fn request_reset(
    state: &AppState,
    tenant: &Tenant,
    email: &str,
    ip: ClientIp,
) -> Result<(), ApiError> {
    let limited = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many reset requests; try again later",
    );
    if let Some(ip) = ip.0
        && !state.limits.reset_per_ip.check(&ip).allowed
    {
        return Err(limited);
    }
    let Ok(email) = normalize_email(email) else {
        return Ok(());
    };
    if !state
        .limits
        .reset_per_account
        .check(&(tenant.id, email.clone()))
        .allowed
    {
        return Err(limited);
    }
    let Some(user) = state
        .store
        .user_by_email(tenant.id, &email)
        .await?
        .filter(|u| u.is_active && !u.invited)
    else {
        return Ok(());
    };
    let token = random_secret();
    state
        .store
        .set_reset_token(
            tenant.id,
            user.id,
            &hash_secret(&token),
            OffsetDateTime::now_utc() + RESET_TTL,
        )
        .await?;
    let link = format!(
        "{}/auth/reset-password?token={token}",
        state.settings.tenant_url(&tenant.slug)
    );
    let body = format!(
        "Someone asked to reset the password of your {} staff account.\n\nSet a new password here (the link works once, for one hour):\n{link}\n\nIf it was not you, ignore this message.",
        tenant.name
    );
    if let Err(e) = state
        .mailer
        .send(&user.email, "Reset your QMS password", &body)
        .await
    {
        tracing::warn!(error = %e, "password reset e-mail not sent");
    }
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPasswordRequest {
    pub token: String,
    pub password: String,
}

/// Sets a new password with a reset link's token.
#[utoipa::path(post, path = "/api/auth/reset-password", tag = "auth", request_body = TokenPasswordRequest,
    responses((status = 200), (status = 400, description = "invalid_token"), (status = 422)))]
pub async fn reset_password(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    crate::auth::Client(actor): crate::auth::Client,
    ApiJson(body): ApiJson<TokenPasswordRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    redeem(
        &state,
        &tenant,
        TokenKind::Reset,
        &body.token,
        body.password,
        actor,
    )
    .await?;
    Ok(Json(
        json!({"message": "Password changed. Sign in with the new password."}),
    ))
}

/// Accepts an invitation: sets the first password.
#[utoipa::path(post, path = "/api/auth/accept-invite", tag = "auth", request_body = TokenPasswordRequest,
    responses((status = 200), (status = 400, description = "invalid_token"), (status = 422)))]
pub async fn accept_invite(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    crate::auth::Client(actor): crate::auth::Client,
    ApiJson(body): ApiJson<TokenPasswordRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    redeem(
        &state,
        &tenant,
        TokenKind::Invite,
        &body.token,
        body.password,
        actor,
    )
    .await?;
    Ok(Json(
        json!({"message": "Welcome! Sign in with your new password."}),
    ))
}

/// Checks the password and redeems a one-time token (shared with the pages).
pub async fn redeem(
    state: &AppState,
    tenant: &Tenant,
    kind: TokenKind,
    token: &str,
    password: String,
    actor: Actor,
) -> Result<TenantUser, ApiError> {
    check_password(&password).map_err(|e| ApiError::field("password", e))?;
    let hash = hash_password(password).await?;
    let actor = Actor {
        user_type: UserType::Merchant,
        ..actor
    };
    let user = state
        .store
        .redeem_token(
            tenant.id,
            kind,
            &hash_secret(token.trim()),
            &hash,
            &actor,
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(|e| match e {
            StoreError::InvalidToken => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_token", e.to_string())
            }
            other => other.into(),
        })?;
    state.staff.clear();
    Ok(user)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the signed-in member's password; every session of the account ends.
#[utoipa::path(post, path = "/api/auth/change-password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401), (status = 422)))]
pub async fn change_password(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<Response, ApiError> {
    let current = staff.user.password_hash.clone().unwrap_or_default();
    if !crate::auth::verify_password(body.current_password, current).await {
        return Err(SignInError::Invalid.into());
    }
    check_password(&body.new_password).map_err(|e| ApiError::field("newPassword", e))?;
    let hash = hash_password(body.new_password).await?;
    state
        .store
        .change_password(staff.tenant, staff.user.id, &hash, &staff.actor)
        .await?;
    state.staff.clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}
