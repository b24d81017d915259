//! Quick-message templates (TSD §6.2 "Communication hub") and an entry's notification history.
//! Every staff member reads templates, sends them to a customer's chat and reads the history;
//! MANAGER and above edit templates.
//! Placeholders: `{name}`, `{position}`, `{ticket}`, `{wait}`.

use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::realtime::webchat;
use crate::state::AppState;
use crate::tenancy::CurrentTenant;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use qms_domain::validate::clean_text;
use qms_domain::{FieldErrors, Role};
use qms_store::{
    CHANNELS, ChatSender, NewNotification, NewTemplate, NotificationLog, NotificationTemplate,
    QueueEntry,
};
use serde::Deserialize;
use uuid::Uuid;

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 4] = ["name", "position", "ticket", "wait"];

/// A template as a client sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    pub content: String,
    /// `WEBCHAT` (default), `WHATSAPP`, `EMAIL`, `SMS` or `PUSH`.
    pub channel: Option<String>,
    pub is_active: Option<bool>,
}

impl TemplateInput {
    pub fn validate(&self) -> Result<NewTemplate, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = clean_text(&self.name, 1, 100)
            .map_err(|e| errors.add("name", e))
            .unwrap_or_default();
        let content = match clean_text(&self.content, 0, 1000) {
            Ok(c) if c.is_empty() => {
                errors.add("content", "is required");
                c
            }
            Ok(c) => {
                if let Err(e) = check_placeholders(&c) {
                    errors.add("content", e);
                }
                c
            }
            Err(e) => {
                errors.add("content", e);
                String::new()
            }
        };
        let channel = self
            .channel
            .as_deref()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "WEBCHAT".into());
        if !CHANNELS.contains(&channel.as_str()) {
            errors.add("channel", format!("must be one of {}", CHANNELS.join(", ")));
        }
        errors.into_result()?;
        Ok(NewTemplate {
            name,
            channel,
            content,
            is_active: self.is_active.unwrap_or(true),
        })
    }
}

/// Every `{…}` in `content` must be a known placeholder.
pub fn check_placeholders(content: &str) -> Result<(), String> {
    let mut rest = content;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("has a { without a closing }".into());
        };
        let word = &after[..close];
        if !PLACEHOLDERS.contains(&word) {
            return Err(format!(
                "uses {{{word}}}; the placeholders are {{name}}, {{position}}, {{ticket}} and {{wait}}"
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Fills a template's placeholders for one customer.
pub fn render(content: &str, entry: &QueueEntry) -> String {
    content
        .replace("{name}", &entry.customer_name)
        .replace("{position}", &entry.position.to_string())
        .replace("{ticket}", &entry.ticket_number)
        .replace("{wait}", &entry.estimated_wait_time.to_string())
}

#[utoipa::path(get, path = "/api/notification-templates", tag = "messages", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<NotificationTemplate>>, ApiError> {
    Ok(Json(
        state.store.notification_templates(staff.tenant).await?,
    ))
}

/// Creates a template (shared with the settings page).
pub async fn create_for(
    state: &AppState,
    staff: &Staff,
    input: &TemplateInput,
) -> Result<NotificationTemplate, ApiError> {
    staff.require(Role::Manager)?;
    let new = input.validate()?;
    let merchant = crate::api::merchant::main_merchant(state, staff.tenant).await?;
    Ok(state
        .store
        .create_notification_template(staff.tenant, merchant.id, new, &staff.actor)
        .await?)
}

#[utoipa::path(post, path = "/api/notification-templates", tag = "messages", security(("bearer" = [])), request_body = TemplateInput,
    responses((status = 201, body = Object), (status = 403), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<(StatusCode, Json<NotificationTemplate>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(create_for(&state, &staff, &input).await?),
    ))
}

/// Changes a template (shared with the settings page).
pub async fn update_for(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    input: &TemplateInput,
) -> Result<NotificationTemplate, ApiError> {
    staff.require(Role::Manager)?;
    let new = input.validate()?;
    state
        .store
        .update_notification_template(staff.tenant, id, new, &staff.actor)
        .await
        .map_err(|e| match e {
            qms_store::StoreError::NotFound => ApiError::not_found("template"),
            other => other.into(),
        })
}

#[utoipa::path(put, path = "/api/notification-templates/{id}", tag = "messages", security(("bearer" = [])), request_body = TemplateInput,
    params(("id" = Uuid, Path)), responses((status = 200, body = Object), (status = 403), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<Json<NotificationTemplate>, ApiError> {
    Ok(Json(update_for(&state, &staff, id, &input).await?))
}

#[utoipa::path(delete, path = "/api/notification-templates/{id}", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    staff.require(Role::Manager)?;
    state
        .store
        .delete_notification_template(staff.tenant, id, &staff.actor)
        .await
        .map_err(|e| match e {
            qms_store::StoreError::NotFound => ApiError::not_found("template"),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which customer a quick message goes to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendTemplate {
    /// The customer's session id (as in the webchat routes).
    pub session_id: String,
}

/// Sends a template to one customer's chat, filled in with their live place and wait, and
/// records it in the entry's notification history (channel `WEBCHAT`, the channel it went out
/// on). Answers the chat message as the webchat broadcasts it.
#[utoipa::path(post, path = "/api/notification-templates/{id}/send", tag = "messages", security(("bearer" = [])), request_body = SendTemplate,
    params(("id" = Uuid, Path)), responses((status = 201, body = Object), (status = 404), (status = 409, description = "chat_closed"), (status = 429)))]
pub async fn send(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SendTemplate>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let template = state
        .store
        .notification_templates(staff.tenant)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ApiError::not_found("template"))?;
    let entry = state
        .store
        .entry_by_session(staff.tenant, body.session_id.trim())
        .await?
        .ok_or_else(|| ApiError::not_found("chat session"))?;
    let content = webchat::clean_content(&render(&template.content, &entry))
        .map_err(|e| ApiError::field("content", e))?;
    let message = webchat::send(&state, &tenant, &entry, ChatSender::Staff, &content).await?;
    let logged = state
        .store
        .record_notification(
            staff.tenant,
            NewNotification {
                queue_entry_id: entry.id,
                channel: "WEBCHAT".into(),
                status: "SENT".into(),
                message: content,
                error_message: None,
            },
        )
        .await;
    if let Err(e) = logged {
        tracing::error!(error = %e, "a quick message was sent but not recorded in the history");
    }
    Ok((
        StatusCode::CREATED,
        Json(webchat::payload(&message, &entry.session_id)),
    ))
}

/// The notifications sent about one customer's place, oldest first.
#[utoipa::path(get, path = "/api/entries/{id}/notifications", tag = "messages", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<Object>)))]
pub async fn history(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<NotificationLog>>, ApiError> {
    Ok(Json(
        state.store.notification_history(staff.tenant, id).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_placeholders_are_accepted() {
        assert!(
            check_placeholders("Hi {name}, you are {position} ({ticket}), ~{wait} min").is_ok()
        );
        assert!(check_placeholders("no placeholders").is_ok());
        assert!(check_placeholders("Hi {nmae}").is_err());
        assert!(check_placeholders("Hi {name").is_err());
        let input = TemplateInput {
            name: " Ready ".into(),
            content: "Hi {name}".into(),
            channel: None,
            is_active: None,
        };
        let ok = input.validate().map_err(|e| e.fields);
        assert_eq!(ok.as_ref().map(|t| t.name.as_str()), Ok("Ready"));
        assert_eq!(ok.as_ref().map(|t| t.channel.as_str()), Ok("WEBCHAT"));
        let bad = TemplateInput {
            name: "".into(),
            content: "{x}".into(),
            channel: Some("fax".into()),
            is_active: None,
        };
        let fields = bad.validate().err().map(|e| e.fields).unwrap_or_default();
        assert!(fields.contains_key("name"));
        assert!(fields.contains_key("content"));
        assert!(fields.contains_key("channel"));
    }
}
