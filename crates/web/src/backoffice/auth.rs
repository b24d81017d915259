//! Operators signing in and out, and their second factor.
//!
//! Sign-in: e-mail and password (argon2, constant work for unknown addresses, lock-out after
//! ten failures per address and per account, every failure audited), then — when the operator
//! has enrolled TOTP — a code step carried by a signed five-minute ticket; each code works
//! once. Success starts a new BackOffice session (a fresh id: no fixation).

use super::{Nav, Operator, totp};
use crate::auth::{hash_password, request_actor, verify_password};
use crate::client::ClientIp;
use crate::error::PageError;
use crate::limits::{LOCKOUT, LOGIN_FAILURES};
use crate::pages::render_status;
use crate::session::{self, SessionKind};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use qms_store::{Actor, BackOfficeUser, OperatorAction, UserType};
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "backoffice/login.html")]
struct LoginPage {
    site_name: String,
    email: String,
    error: Option<String>,
    /// Set on the code step.
    ticket: Option<String>,
    csrf: String,
}

impl LoginPage {
    fn new(site_name: String) -> Self {
        LoginPage {
            site_name,
            email: String::new(),
            error: None,
            ticket: None,
            csrf: String::new(),
        }
    }
}

async fn site_name(state: &AppState) -> String {
    state
        .store
        .system_settings()
        .await
        .map(|s| s.site_name)
        .unwrap_or_else(|_| "QMS".into())
}

/// The request's parts, to find an existing session and the audit actor.
pub struct RequestInfo {
    actor: Actor,
    existing: Option<Operator>,
    ip: Option<std::net::IpAddr>,
}

impl FromRequestParts<AppState> for RequestInfo {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let existing = Operator::from_parts(state, parts)
            .await
            .map_err(IntoResponse::into_response)?;
        let ip = ClientIp::from_request_parts(parts, state)
            .await
            .map(|c| c.0)
            .unwrap_or(None);
        Ok(RequestInfo {
            actor: request_actor(parts, UserType::Superadmin),
            existing,
            ip,
        })
    }
}

/// `GET /backoffice/login`.
pub async fn login_page(State(state): State<AppState>, info: RequestInfo) -> Response {
    if info.existing.is_some() {
        return Redirect::to("/backoffice").into_response();
    }
    render_status(StatusCode::OK, &LoginPage::new(site_name(&state).await))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// A hash of a random password, checked on unknown e-mails so they take as long as known ones.
static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

fn locked_page(mut page: LoginPage) -> Response {
    page.error = Some("Too many failed sign-ins. Try again in 15 minutes.".into());
    render_status(StatusCode::TOO_MANY_REQUESTS, &page)
}

/// Counts a failed sign-in for the address and (when known) the account.
async fn failed(
    state: &AppState,
    user: Option<&BackOfficeUser>,
    email: &str,
    info: &RequestInfo,
) -> Result<(), PageError> {
    let until = OffsetDateTime::now_utc() + time::Duration::seconds(LOCKOUT.as_secs() as i64);
    state
        .store
        .backoffice_login_failed(
            user.map(|u| u.id),
            email,
            &info.actor,
            LOGIN_FAILURES as i32,
            until,
        )
        .await?;
    if let Some(ip) = info.ip {
        state.limits.login_failed(ip);
    }
    Ok(())
}

/// `POST /backoffice/login`: the password step.
pub async fn login_submit(
    State(state): State<AppState>,
    info: RequestInfo,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let mut page = LoginPage::new(site_name(&state).await);
    let email = form.email.trim().to_lowercase();
    page.email = email.clone();
    if info.ip.is_some_and(|ip| state.limits.login_locked(ip)) {
        return Ok(locked_page(page));
    }
    let user = if email.is_empty() || email.len() > 254 {
        None
    } else {
        state.store.backoffice_user_by_email(&email).await?
    };
    let now = OffsetDateTime::now_utc();
    if user
        .as_ref()
        .is_some_and(|u| u.locked_until.is_some_and(|t| t > now))
    {
        return Ok(locked_page(page));
    }
    let hash = match user.as_ref().filter(|u| u.is_active) {
        Some(u) => u.password_hash.clone(),
        None => DUMMY
            .get_or_try_init(|| hash_password(uuid::Uuid::new_v4().to_string()))
            .await
            .map_err(|e| PageError::new(e.status, "Something went wrong", e.message))?
            .clone(),
    };
    let ok =
        verify_password(form.password, hash).await && user.as_ref().is_some_and(|u| u.is_active);
    match user {
        Some(user) if ok => {
            if user.totp_enabled() {
                page.ticket = totp::ticket(&state, user.id);
                if page.ticket.is_none() {
                    return Err(PageError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Something went wrong",
                        "Please try again.",
                    ));
                }
                return Ok(render_status(StatusCode::OK, &page));
            }
            complete(&state, &user, &info, &headers).await
        }
        other => {
            failed(&state, other.as_ref(), &email, &info).await?;
            page.error = Some("Wrong e-mail or password.".into());
            Ok(render_status(StatusCode::UNAUTHORIZED, &page))
        }
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    code: String,
}

/// `POST /backoffice/login/totp`: the code step.
pub async fn totp_submit(
    State(state): State<AppState>,
    info: RequestInfo,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let mut page = LoginPage::new(site_name(&state).await);
    let user = match totp::read_ticket(&state, &form.ticket) {
        Some(id) => state.store.backoffice_user_by_id(id).await?,
        None => None,
    };
    let now = OffsetDateTime::now_utc();
    let Some(user) = user.filter(|u| u.is_active) else {
        page.error = Some("That sign-in took too long. Start again.".into());
        return Ok(render_status(StatusCode::UNAUTHORIZED, &page));
    };
    page.email = user.email.clone();
    if user.locked_until.is_some_and(|t| t > now)
        || info.ip.is_some_and(|ip| state.limits.login_locked(ip))
    {
        return Ok(locked_page(page));
    }
    let step = user
        .totp_secret
        .as_deref()
        .and_then(|secret| totp::check(secret, &form.code, now));
    let fresh = match step {
        Some(step) => state.store.use_totp_step(user.id, step).await?,
        None => false,
    };
    if fresh {
        return complete(&state, &user, &info, &headers).await;
    }
    failed(&state, Some(&user), &user.email, &info).await?;
    page.ticket = Some(form.ticket);
    page.error = Some("That code is not right (or was used already). Try the next one.".into());
    Ok(render_status(StatusCode::UNAUTHORIZED, &page))
}

/// Starts the session of an operator who passed every step.
async fn complete(
    state: &AppState,
    user: &BackOfficeUser,
    info: &RequestInfo,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    let actor = Actor {
        user_id: Some(user.id),
        ..info.actor.clone()
    };
    state
        .store
        .backoffice_login_succeeded(user.id, &actor)
        .await?;
    session::end(state, headers).await?;
    let (id, _) = session::start(state, SessionKind::Backoffice, None, user.id).await?;
    let secure = session::is_secure(state, headers, !state.settings.trusted_proxies.is_empty());
    let cookie = session::set_cookie(&id, secure, SessionKind::Backoffice.lifetimes().0);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/backoffice")).into_response())
}

/// `POST /backoffice/logout` (the CSRF layer checked the form's token).
pub async fn logout(
    State(state): State<AppState>,
    op: Operator,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let action = OperatorAction::new("auth.logout", "backoffice_user").id(op.user.id);
    state.store.backoffice_audit(&op.actor, action).await?;
    session::end(&state, &headers).await?;
    let secure = session::is_secure(&state, &headers, !state.settings.trusted_proxies.is_empty());
    Ok((
        [(header::SET_COOKIE, session::clear_cookie(secure))],
        Redirect::to("/backoffice/login"),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "backoffice/totp.html")]
struct TotpPage {
    nav: Nav,
    enabled: bool,
    secret: String,
    uri: String,
    qr: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn totp_view(
    state: &AppState,
    op: &Operator,
    secret: Option<String>,
    error: Option<String>,
    done: Option<&str>,
) -> TotpPage {
    let secret = secret.unwrap_or_else(totp::new_secret);
    let uri = totp::uri(&secret, &op.user.email).unwrap_or_default();
    TotpPage {
        nav: Nav::new(state, op, "account").await.done(done),
        enabled: op.user.totp_enabled(),
        qr: totp::qr_data_url(&uri),
        secret,
        uri,
        error,
    }
}

/// `GET /backoffice/account/totp`: enrolment (a new secret, its URI and QR code) or, when on,
/// the way to turn it off.
pub async fn totp_page(
    State(state): State<AppState>,
    op: Operator,
    Query(q): Query<DoneQuery>,
) -> Response {
    let page = totp_view(&state, &op, None, None, q.done.as_deref()).await;
    render_status(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

/// `POST /backoffice/account/totp`: turns the second factor on once a code from the app matches.
pub async fn totp_enable(
    State(state): State<AppState>,
    op: Operator,
    Form(form): Form<EnrolForm>,
) -> Result<Response, PageError> {
    let secret = form.secret.trim().to_string();
    let now = OffsetDateTime::now_utc();
    let step = (secret.len() >= 26 && secret.len() <= 64)
        .then(|| totp::check(&secret, &form.code, now))
        .flatten();
    let Some(step) = step.filter(|_| !op.user.totp_enabled()) else {
        let error = if op.user.totp_enabled() {
            "Two-factor sign-in is already on."
        } else {
            "That code does not match. Check the time on your phone and try the next code."
        };
        let page = totp_view(&state, &op, Some(secret), Some(error.into()), None).await;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    state
        .store
        .set_backoffice_totp(op.user.id, Some(&secret), &op.actor)
        .await?;
    state.store.use_totp_step(op.user.id, step).await?;
    Ok(Redirect::to("/backoffice/account/totp?done=totp-on").into_response())
}

/// `POST /backoffice/account/totp/disable`: needs a current code.
pub async fn totp_disable(
    State(state): State<AppState>,
    op: Operator,
    Form(form): Form<EnrolForm>,
) -> Result<Response, PageError> {
    let now = OffsetDateTime::now_utc();
    let step = op
        .user
        .totp_secret
        .as_deref()
        .and_then(|s| totp::check(s, &form.code, now));
    let fresh = match step {
        Some(step) => state.store.use_totp_step(op.user.id, step).await?,
        None => false,
    };
    if !fresh {
        let error = Some("That code is not right (or was used already).".into());
        let page = totp_view(&state, &op, None, error, None).await;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    state
        .store
        .set_backoffice_totp(op.user.id, None, &op.actor)
        .await?;
    Ok(Redirect::to("/backoffice/account/totp?done=totp-off").into_response())
}
