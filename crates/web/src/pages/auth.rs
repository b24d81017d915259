//! Sign-in pages for staff on a tenant's host: sign in, sign out, forgotten password, reset
//! and invitation links. They share the logic of the JSON routes in `api::account`.

use crate::api::account::{redeem, request_reset};
use crate::auth::{Client, SignInError, sign_in};
use crate::client::ClientIp;
use crate::error::{ApiError, PageError};
use crate::pages::render_status;
use crate::session::{self, SessionKind};
use crate::state::AppState;
use crate::tenancy::CurrentTenant;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use qms_store::{Actor, TokenKind, UserType};
use serde::Deserialize;

/// One template for every small auth form.
#[derive(Template, Default)]
#[template(path = "auth_form.html")]
pub struct AuthForm {
    pub title: String,
    pub site_name: String,
    pub action: String,
    pub submit: String,
    pub csrf: String,
    pub token: String,
    pub email: String,
    pub ask_email: bool,
    pub ask_password: bool,
    pub password_label: String,
    pub password_autocomplete: String,
    pub min_password: u32,
    pub password_error: Option<String>,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub show_form: bool,
    pub links: Vec<(String, String)>,
}

fn login_form(site: &str, email: &str, error: Option<String>) -> AuthForm {
    AuthForm {
        title: "Staff sign-in".into(),
        site_name: site.into(),
        action: "/auth/login".into(),
        submit: "Sign in".into(),
        email: email.into(),
        ask_email: true,
        ask_password: true,
        password_label: "Password".into(),
        password_autocomplete: "current-password".into(),
        min_password: 1,
        error,
        show_form: true,
        links: vec![(
            "/auth/forgot-password".into(),
            "Forgot your password?".into(),
        )],
        ..AuthForm::default()
    }
}

pub async fn login_page(CurrentTenant(tenant): CurrentTenant) -> Response {
    render_status(StatusCode::OK, &login_form(&tenant.name, "", None))
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Client(actor): Client,
    ip: ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let actor = Actor {
        user_type: UserType::Merchant,
        ..actor
    };
    match sign_in(&state, &tenant, &form.email, form.password, &actor, ip.0).await {
        Ok(user) => {
            session::end(&state, &headers).await?;
            let (id, _) =
                session::start(&state, SessionKind::Staff, Some(tenant.id.0), user.id).await?;
            let secure =
                session::is_secure(&state, &headers, !state.settings.trusted_proxies.is_empty());
            let cookie = session::set_cookie(&id, secure, SessionKind::Staff.lifetimes().0);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/dashboard")).into_response())
        }
        Err(SignInError::Invalid) => Ok(render_status(
            StatusCode::UNAUTHORIZED,
            &login_form(
                &tenant.name,
                &form.email,
                Some("Wrong e-mail or password.".into()),
            ),
        )),
        Err(SignInError::Locked) => Ok(render_status(
            StatusCode::TOO_MANY_REQUESTS,
            &login_form(
                &tenant.name,
                &form.email,
                Some("Too many failed sign-ins. Try again in 15 minutes.".into()),
            ),
        )),
        Err(SignInError::Other(e)) => Err(api_to_page(e)),
    }
}

/// Ends the session (the form carries the CSRF token; the CSRF layer checked it).
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    session::end(&state, &headers).await?;
    let secure = session::is_secure(&state, &headers, !state.settings.trusted_proxies.is_empty());
    Ok((
        [(header::SET_COOKIE, session::clear_cookie(secure))],
        Redirect::to("/auth/login"),
    )
        .into_response())
}

fn forgot_form(site: &str) -> AuthForm {
    AuthForm {
        title: "Forgot your password?".into(),
        site_name: site.into(),
        action: "/auth/forgot-password".into(),
        submit: "Send me a reset link".into(),
        ask_email: true,
        show_form: true,
        links: vec![("/auth/login".into(), "Back to sign-in".into())],
        ..AuthForm::default()
    }
}

pub async fn forgot_page(CurrentTenant(tenant): CurrentTenant) -> Response {
    render_status(StatusCode::OK, &forgot_form(&tenant.name))
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

pub async fn forgot_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ip: ClientIp,
    Form(form): Form<ForgotForm>,
) -> Response {
    let mut page = forgot_form(&tenant.name);
    page.show_form = false;
    match request_reset(&state, &tenant, &form.email, ip).await {
        Ok(()) => {
            page.notice = Some("If this address has an account, a reset link is on its way. It works for one hour.".into());
            render_status(StatusCode::OK, &page)
        }
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            page.error = Some("Too many requests. Try again later.".into());
            render_status(StatusCode::TOO_MANY_REQUESTS, &page)
        }
        Err(e) => api_to_page(e).into_response(),
    }
}

fn password_form(site: &str, kind: TokenKind, token: &str) -> AuthForm {
    let (title, action, submit) = match kind {
        TokenKind::Reset => (
            "Choose a new password",
            "/auth/reset-password",
            "Save the new password",
        ),
        TokenKind::Invite => (
            "Welcome! Choose your password",
            "/auth/accept-invite",
            "Create my account",
        ),
    };
    AuthForm {
        title: title.into(),
        site_name: site.into(),
        action: action.into(),
        submit: submit.into(),
        token: token.into(),
        ask_password: true,
        password_label: "New password (at least 10 characters)".into(),
        password_autocomplete: "new-password".into(),
        min_password: 10,
        show_form: true,
        ..AuthForm::default()
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

pub async fn reset_page(
    CurrentTenant(tenant): CurrentTenant,
    Query(q): Query<TokenQuery>,
) -> Response {
    token_page(&tenant.name, TokenKind::Reset, q.token)
}

pub async fn invite_page(
    CurrentTenant(tenant): CurrentTenant,
    Query(q): Query<TokenQuery>,
) -> Response {
    token_page(&tenant.name, TokenKind::Invite, q.token)
}

fn token_page(site: &str, kind: TokenKind, token: Option<String>) -> Response {
    match token.filter(|t| !t.is_empty() && t.len() <= 128) {
        Some(t) => render_status(StatusCode::OK, &password_form(site, kind, &t)),
        None => invalid_link(site, kind),
    }
}

fn invalid_link(site: &str, kind: TokenKind) -> Response {
    let mut page = password_form(site, kind, "");
    page.show_form = false;
    page.error = Some("This link is invalid or has expired. Ask for a new one.".into());
    page.links = vec![(
        "/auth/forgot-password".into(),
        "Send me a new reset link".into(),
    )];
    render_status(StatusCode::BAD_REQUEST, &page)
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: String,
    password: String,
}

pub async fn reset_submit(
    state: State<AppState>,
    tenant: CurrentTenant,
    client: Client,
    form: Form<TokenForm>,
) -> Response {
    token_submit(state, tenant, client, form, TokenKind::Reset).await
}

pub async fn invite_submit(
    state: State<AppState>,
    tenant: CurrentTenant,
    client: Client,
    form: Form<TokenForm>,
) -> Response {
    token_submit(state, tenant, client, form, TokenKind::Invite).await
}

async fn token_submit(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Client(actor): Client,
    Form(form): Form<TokenForm>,
    kind: TokenKind,
) -> Response {
    match redeem(&state, &tenant, kind, &form.token, form.password, actor).await {
        Ok(_) => {
            let mut page = password_form(&tenant.name, kind, "");
            page.show_form = false;
            page.notice = Some("Your password is set. You can sign in now.".into());
            page.links = vec![("/auth/login".into(), "Sign in".into())];
            render_status(StatusCode::OK, &page)
        }
        Err(e) if e.code == "invalid_token" => invalid_link(&tenant.name, kind),
        Err(e) if e.code == "validation" => {
            let mut page = password_form(&tenant.name, kind, &form.token);
            page.password_error = e
                .fields
                .get("password")
                .map(|m| format!("The password {m}."));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => api_to_page(e).into_response(),
    }
}

/// An API error shown as a page.
pub fn api_to_page(e: ApiError) -> PageError {
    PageError::new(e.status, "Something went wrong", e.message)
}
