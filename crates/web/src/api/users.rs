//! Staff accounts of a tenant (OWNER and ADMIN only): list, invite by e-mail with a one-time
//! link, change role or status, remove. Only an OWNER may touch owners or make someone one;
//! the last active OWNER can be neither demoted nor removed.

use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::session::{hash_secret, random_secret};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use qms_domain::validate::{clean_text, normalize_email};
use qms_domain::{FieldErrors, Role};
use qms_store::{NewUser, StoreError, TenantUser, UserPatch};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// How long an invitation link works.
pub const INVITE_TTL: time::Duration = time::Duration::days(7);

fn map_store(e: StoreError) -> ApiError {
    match e {
        StoreError::LastOwner => ApiError::new(StatusCode::CONFLICT, "last_owner", e.to_string()),
        other => other.into(),
    }
}

#[utoipa::path(get, path = "/api/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<TenantUser>>, ApiError> {
    staff.require(Role::Admin)?;
    Ok(Json(state.store.list_users(staff.tenant).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    pub full_name: String,
    #[schema(value_type = String)]
    pub role: Role,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteResponse {
    #[schema(value_type = Object)]
    pub user: TenantUser,
    /// True when the invitation went out by e-mail.
    pub email_sent: bool,
    /// The one-time link, answered only when it could not be e-mailed: pass it on yourself.
    pub invite_url: Option<String>,
}

#[utoipa::path(post, path = "/api/users", tag = "users", security(("bearer" = [])), request_body = InviteRequest,
    responses((status = 201, body = InviteResponse), (status = 403, description = "role or plan_limit"), (status = 409), (status = 422)))]
pub async fn invite(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(body): ApiJson<InviteRequest>,
) -> Result<(StatusCode, Json<InviteResponse>), ApiError> {
    staff.require(Role::Admin)?;
    let mut errors = FieldErrors::default();
    let email = normalize_email(&body.email)
        .map_err(|e| errors.add("email", e))
        .unwrap_or_default();
    let full_name = clean_text(&body.full_name, 1, 100)
        .map_err(|e| errors.add("fullName", e))
        .unwrap_or_default();
    errors.into_result()?;
    if body.role == Role::Owner {
        staff.require(Role::Owner)?;
    }
    let token = random_secret();
    let new = NewUser {
        email: email.clone(),
        full_name,
        role: body.role,
        invite_token_hash: hash_secret(&token),
        invite_expires: OffsetDateTime::now_utc() + INVITE_TTL,
    };
    let user = state
        .store
        .invite_user(staff.tenant, new, &staff.actor)
        .await
        .map_err(map_store)?;
    let tenant = state
        .store
        .tenant_by_id(staff.tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let url = format!(
        "{}/auth/accept-invite?token={token}",
        state.settings.tenant_url(&tenant.slug)
    );
    let message = format!(
        "You are invited to join {} on QMS as {}.\n\nChoose your password here (the link works once, for 7 days):\n{url}\n",
        tenant.name, user.role
    );
    let email_sent = match state
        .mailer
        .send(&email, &format!("Join {} on QMS", tenant.name), &message)
        .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "invitation e-mail not sent; the link is answered to the inviting admin");
            false
        }
    };
    let invite_url = (!email_sent).then_some(url);
    Ok((
        StatusCode::CREATED,
        Json(InviteResponse {
            user,
            email_sent,
            invite_url,
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserUpdate {
    pub full_name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// OWNER accounts, and making someone OWNER, need an OWNER.
async fn guard_target(state: &AppState, staff: &Staff, id: Uuid) -> Result<TenantUser, ApiError> {
    staff.require(Role::Admin)?;
    let target = state
        .store
        .user_by_id(staff.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if target.role == Role::Owner {
        staff.require(Role::Owner)?;
    }
    Ok(target)
}

#[utoipa::path(put, path = "/api/users/{id}", tag = "users", security(("bearer" = [])), request_body = UserUpdate,
    params(("id" = Uuid, Path)), responses((status = 200, body = Object), (status = 403), (status = 404), (status = 409, description = "last_owner")))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UserUpdate>,
) -> Result<Json<TenantUser>, ApiError> {
    guard_target(&state, &staff, id).await?;
    if body.role == Some(Role::Owner) {
        staff.require(Role::Owner)?;
    }
    let full_name = match &body.full_name {
        Some(n) => Some(clean_text(n, 1, 100).map_err(|e| ApiError::field("fullName", e))?),
        None => None,
    };
    let patch = UserPatch {
        full_name,
        role: body.role,
        is_active: body.is_active,
    };
    let user = state
        .store
        .update_user(staff.tenant, id, patch, &staff.actor)
        .await
        .map_err(map_store)?;
    state.staff.clear();
    Ok(Json(user))
}

#[utoipa::path(delete, path = "/api/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 403), (status = 404), (status = 409, description = "last_owner")))]
pub async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    guard_target(&state, &staff, id).await?;
    state
        .store
        .delete_user(staff.tenant, id, &staff.actor)
        .await
        .map_err(map_store)?;
    state.staff.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    pub action: Option<String>,
    pub user_id: Option<Uuid>,
    /// RFC 3339 date-time.
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<i64>,
    pub limit: Option<i64>,
}

/// The tenant's audit trail, newest first (OWNER and ADMIN).
#[utoipa::path(get, path = "/api/audit-logs", tag = "users", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Object), (status = 403), (status = 422)))]
pub async fn audit_logs(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<axum::extract::Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(Role::Admin)?;
    let axum::extract::Query(q) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let parse = |field: &str, v: &Option<String>| -> Result<Option<OffsetDateTime>, ApiError> {
        v.as_deref()
            .map(|s| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339))
            .transpose()
            .map_err(|_| {
                ApiError::field(
                    field,
                    "must be an RFC 3339 date-time such as 2026-11-29T00:00:00Z",
                )
            })
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let page = q.page.unwrap_or(1).max(1);
    let filter = qms_store::AuditFilter {
        action: q.action.filter(|a| !a.is_empty()),
        user_id: q.user_id,
        from: parse("from", &q.from)?,
        to: parse("to", &q.to)?,
        limit,
        offset: (page - 1) * limit,
    };
    let rows = state.store.audit_logs(staff.tenant, &filter).await?;
    Ok(Json(
        serde_json::json!({"page": page, "limit": limit, "items": rows}),
    ))
}
