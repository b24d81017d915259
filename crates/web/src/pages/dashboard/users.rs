//! `GET /dashboard/users` (ADMIN and OWNER): the tenant's staff accounts; invite by e-mail,
//! change a role, deactivate or reactivate. The forms go through the same handlers and guards
//! as `/api/users` (only an OWNER touches owners; the last active OWNER stays).

use super::forms::{Failed, Fields, text};
use super::{Nav, Section, guard};
use crate::api::users::{self, InviteRequest, UserUpdate};
use crate::auth::Staff;
use crate::error::{ApiError, PageError};
use crate::extract::{ApiJson, ApiPath};
use crate::pages::{StaffPage, render_status};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use qms_domain::Role;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub status: &'static str,
    pub is_active: bool,
    pub last_login: String,
    pub is_self: bool,
    /// False for an OWNER when the viewer is only an ADMIN.
    pub editable: bool,
    pub role_error: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/users.html")]
struct UsersPage {
    nav: Nav,
    notice: Option<String>,
    invite_url: Option<String>,
    rows: Vec<UserRow>,
    roles: Vec<&'static str>,
    invite_message: Option<String>,
    invite_email: String,
    invite_name: String,
    invite_role: String,
    email_error: Option<String>,
    name_error: Option<String>,
    role_error: Option<String>,
    row_message: Option<String>,
}

async fn render_page(
    state: &AppState,
    staff: &Staff,
    failed: Failed,
    notice: Option<String>,
    invite_url: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let nav = Nav::build(state, staff, Section::Users).await?;
    let viewer = staff.user.role;
    let rows = state
        .store
        .list_users(staff.tenant)
        .await?
        .into_iter()
        .map(|u| {
            let key = format!("user-{}", u.id);
            UserRow {
                id: u.id.to_string(),
                status: if !u.is_active {
                    "Deactivated"
                } else if u.invited {
                    "Invited"
                } else {
                    "Active"
                },
                last_login: u
                    .last_login
                    .and_then(|t| t.format(&Rfc3339).ok())
                    .map(|t| t.replace('T', " ").chars().take(16).collect())
                    .unwrap_or_else(|| "never".into()),
                is_self: u.id == staff.user.id,
                editable: u.role != Role::Owner || viewer == Role::Owner,
                role_error: failed.error(&key, "role"),
                name: u.full_name,
                email: u.email,
                role: u.role.as_str().into(),
                is_active: u.is_active,
            }
        })
        .collect();
    let roles = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Owner || viewer == Role::Owner)
        .map(Role::as_str)
        .collect();
    let row_message = (!failed.form.starts_with("invite"))
        .then(|| failed.message_for(&failed.form))
        .flatten();
    let page = UsersPage {
        nav,
        notice,
        invite_url,
        rows,
        roles,
        invite_message: failed.message_for("invite"),
        invite_email: failed.value("invite", "email", ""),
        invite_name: failed.value("invite", "fullName", ""),
        invite_role: failed.value("invite", "role", "STAFF"),
        email_error: failed.error("invite", "email"),
        name_error: failed.error("invite", "fullName"),
        role_error: failed.error("invite", "role"),
        row_message,
    };
    Ok(render_status(status, &page))
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    done: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    if let Err(r) = guard(&state, &staff, Section::Users).await {
        return Ok(r);
    }
    let notice = match q.done.as_deref() {
        Some("invited") => Some("Invitation sent.".to_string()),
        Some("role") => Some("Role changed.".to_string()),
        Some("deactivated") => Some("Account deactivated; its sessions have ended.".to_string()),
        Some("activated") => Some("Account reactivated.".to_string()),
        _ => None,
    };
    render_page(
        &state,
        &staff,
        Failed::default(),
        notice,
        None,
        StatusCode::OK,
    )
    .await
}

/// Maps a refused user action to the page.
async fn refused(
    state: &AppState,
    staff: &Staff,
    form: &str,
    fields: Fields,
    e: ApiError,
) -> Result<Response, PageError> {
    if e.status == StatusCode::FORBIDDEN
        && e.code == "forbidden"
        && !staff.user.role.at_least(Role::Admin)
    {
        return Ok(super::forbidden(state, staff, Section::Users).await);
    }
    if e.status == StatusCode::NOT_FOUND {
        return Err(PageError::not_found());
    }
    if e.status.is_server_error() {
        return Err(PageError::new(
            e.status,
            "Something went wrong",
            "Nothing was changed. Please try again.",
        ));
    }
    let status = Failed::status(&e);
    render_page(
        state,
        staff,
        Failed::new(form, fields, &e),
        None,
        None,
        status,
    )
    .await
}

fn parse_role(raw: &str) -> Result<Role, ApiError> {
    raw.parse::<Role>()
        .map_err(|_| ApiError::field("role", "must be STAFF, MANAGER, ADMIN or OWNER"))
}

pub async fn invite(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let result = async {
        let role = parse_role(&text(&f, "role"))?;
        let req = InviteRequest {
            email: text(&f, "email"),
            full_name: text(&f, "fullName"),
            role,
        };
        users::invite(State(state.clone()), staff.clone(), ApiJson(req)).await
    }
    .await;
    match result {
        Ok((_, axum::Json(done))) if done.email_sent => {
            Ok(Redirect::to("/dashboard/users?done=invited").into_response())
        }
        Ok((_, axum::Json(done))) => {
            let notice = format!(
                "{} was invited, but the e-mail could not be sent. Give them this one-time link yourself (it works for 7 days):",
                done.user.email
            );
            render_page(
                &state,
                &staff,
                Failed::default(),
                Some(notice),
                done.invite_url,
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => refused(&state, &staff, "invite", f, e).await,
    }
}

pub async fn change_role(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let id = super::parse_id(&id)?;
    let result = async {
        let role = parse_role(&text(&f, "role"))?;
        let body = UserUpdate {
            full_name: None,
            role: Some(role),
            is_active: None,
        };
        users::update(
            State(state.clone()),
            staff.clone(),
            ApiPath(id),
            ApiJson(body),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/dashboard/users?done=role").into_response()),
        Err(e) => refused(&state, &staff, &format!("user-{id}"), f, e).await,
    }
}

pub async fn set_active(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let id = super::parse_id(&id)?;
    let active = text(&f, "active") == "true";
    let body = UserUpdate {
        full_name: None,
        role: None,
        is_active: Some(active),
    };
    match users::update(
        State(state.clone()),
        staff.clone(),
        ApiPath(id),
        ApiJson(body),
    )
    .await
    {
        Ok(_) => {
            let done = if active { "activated" } else { "deactivated" };
            Ok(Redirect::to(&format!("/dashboard/users?done={done}")).into_response())
        }
        Err(e) => refused(&state, &staff, &format!("user-{id}"), f, e).await,
    }
}
