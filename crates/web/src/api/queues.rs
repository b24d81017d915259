//! Queue management (TSD §3.3): list, create, read, update, delete, pause/resume, and the
//! service types a queue can offer.

use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::realtime::events::{self, Action};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use qms_domain::queue::QueueSettings;
use qms_domain::validate::{clean_optional, clean_text};
use qms_domain::{FieldErrors, Role};
use qms_store::{NewServiceType, Queue, QueueEntry, QueueStats, QueueSummary, ServiceType};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Queue fields a client may send; on update, absent fields keep their value.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueInput {
    pub merchant_id: Option<Uuid>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
    pub accepting_customers: Option<bool>,
    pub max_capacity: Option<i32>,
    pub average_service_time: Option<i32>,
    pub auto_notifications: Option<bool>,
    pub notification_interval: Option<i32>,
    pub allow_cancellation: Option<bool>,
    pub require_confirmation: Option<bool>,
    pub business_hours_start: Option<String>,
    pub business_hours_end: Option<String>,
}

impl QueueInput {
    /// Applies the given fields over `base` and validates the result.
    fn apply(self, mut s: QueueSettings) -> Result<QueueSettings, FieldErrors> {
        if let Some(v) = self.name {
            s.name = v;
        }
        if let Some(v) = self.description {
            s.description = Some(v);
        }
        if let Some(v) = self.is_active {
            s.is_active = v;
        }
        if let Some(v) = self.accepting_customers {
            s.accepting_customers = v;
        }
        if let Some(v) = self.max_capacity {
            s.max_capacity = v;
        }
        if let Some(v) = self.average_service_time {
            s.average_service_time = v;
        }
        if let Some(v) = self.auto_notifications {
            s.auto_notifications = v;
        }
        if let Some(v) = self.notification_interval {
            s.notification_interval = v;
        }
        if let Some(v) = self.allow_cancellation {
            s.allow_cancellation = v;
        }
        if let Some(v) = self.require_confirmation {
            s.require_confirmation = v;
        }
        if let Some(v) = self.business_hours_start {
            s.business_hours_start = v;
        }
        if let Some(v) = self.business_hours_end {
            s.business_hours_end = v;
        }
        s.validate()?;
        Ok(s)
    }
}

/// A queue with its live numbers and its customers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueDetails {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub queue: Queue,
    #[schema(value_type = Object)]
    pub stats: QueueStats,
    /// Waiting customers in line order.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<QueueEntry>,
    /// Called customers, most recent first.
    #[schema(value_type = Vec<Object>)]
    pub called: Vec<QueueEntry>,
    /// Seated customers, most recent first.
    #[schema(value_type = Vec<Object>)]
    pub seated: Vec<QueueEntry>,
}

#[utoipa::path(get, path = "/api/queues", tag = "queues", security(("bearer" = [])),
    responses((status = 200, description = "the tenant's queues with live numbers", body = Vec<Object>)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<QueueSummary>>, ApiError> {
    Ok(Json(state.store.list_queues(staff.tenant).await?))
}

#[utoipa::path(post, path = "/api/queues", tag = "queues", security(("bearer" = [])), request_body = QueueInput,
    responses((status = 201, body = Object), (status = 403, description = "role or plan_limit"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<QueueInput>,
) -> Result<(StatusCode, Json<Queue>), ApiError> {
    staff.require(Role::Manager)?;
    let merchant_id = match input.merchant_id {
        Some(id) => id,
        None => state
            .store
            .merchants(staff.tenant)
            .await?
            .first()
            .map(|m| m.id)
            .ok_or_else(|| ApiError::field("merchantId", "is required"))?,
    };
    let Some(name) = input.name.clone() else {
        return Err(ApiError::field("name", "is required"));
    };
    let settings = input.apply(QueueSettings::with_name(name))?;
    let queue = state
        .store
        .create_queue(staff.tenant, merchant_id, settings, &staff.actor)
        .await
        .map_err(|e| match e {
            qms_store::StoreError::NotFound => ApiError::field("merchantId", "does not exist"),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(queue)))
}

#[utoipa::path(get, path = "/api/queues/{id}", tag = "queues", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = QueueDetails), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<QueueDetails>, ApiError> {
    let board = state
        .store
        .queue_board(staff.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("queue"))?;
    Ok(Json(QueueDetails {
        queue: board.summary.queue,
        stats: board.summary.stats,
        entries: board.waiting,
        called: board.called,
        seated: board.seated,
    }))
}

#[utoipa::path(put, path = "/api/queues/{id}", tag = "queues", security(("bearer" = [])), request_body = QueueInput,
    params(("id" = Uuid, Path)), responses((status = 200, body = Object), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<QueueInput>,
) -> Result<Json<Queue>, ApiError> {
    staff.require(Role::Manager)?;
    if input.merchant_id.is_some() {
        return Err(ApiError::field("merchantId", "cannot be changed"));
    }
    let current = state
        .store
        .queue(staff.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("queue"))?;
    let settings = input.apply(current.settings)?;
    let queue = state
        .store
        .update_queue(staff.tenant, id, settings, &staff.actor)
        .await?;
    events::queue_changed(&state, staff.tenant, id, Action::Updated, Vec::new()).await;
    Ok(Json(queue))
}

#[utoipa::path(delete, path = "/api/queues/{id}", tag = "queues", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404), (status = 409, description = "queue_has_customers")))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    staff.require(Role::Manager)?;
    state
        .store
        .delete_queue(staff.tenant, id, &staff.actor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/queues/{id}/toggle", tag = "queues", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, description = "acceptingCustomers flipped", body = Object)))]
pub async fn toggle(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Queue>, ApiError> {
    let current = state
        .store
        .queue(staff.tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("queue"))?;
    let accepting = !current.settings.accepting_customers;
    let queue = state
        .store
        .set_accepting(staff.tenant, id, accepting, &staff.actor)
        .await?;
    events::queue_changed(&state, staff.tenant, id, Action::Updated, Vec::new()).await;
    Ok(Json(queue))
}

/// A service type as a client sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceTypeInput {
    pub merchant_id: Option<Uuid>,
    pub name: String,
    pub description: Option<String>,
    pub estimated_duration: Option<i32>,
    pub is_active: Option<bool>,
}

impl ServiceTypeInput {
    fn validate(&self) -> Result<NewServiceType, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = clean_text(&self.name, 1, 100)
            .map_err(|e| errors.add("name", e))
            .unwrap_or_default();
        let description = clean_optional(self.description.as_deref(), 500)
            .map_err(|e| errors.add("description", e))
            .unwrap_or_default();
        let estimated_duration = self.estimated_duration.unwrap_or(15);
        if !(1..=480).contains(&estimated_duration) {
            errors.add("estimatedDuration", "must be between 1 and 480 minutes");
        }
        errors.into_result()?;
        Ok(NewServiceType {
            name,
            description,
            estimated_duration,
            is_active: self.is_active.unwrap_or(true),
        })
    }
}

#[utoipa::path(get, path = "/api/service-types", tag = "queues", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>)))]
pub async fn list_service_types(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<ServiceType>>, ApiError> {
    Ok(Json(state.store.service_types(staff.tenant).await?))
}

#[utoipa::path(post, path = "/api/service-types", tag = "queues", security(("bearer" = [])), request_body = ServiceTypeInput,
    responses((status = 201, body = Object), (status = 422)))]
pub async fn create_service_type(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<ServiceTypeInput>,
) -> Result<(StatusCode, Json<ServiceType>), ApiError> {
    staff.require(Role::Manager)?;
    let new = input.validate()?;
    let merchant_id = match input.merchant_id {
        Some(id) => id,
        None => state
            .store
            .merchants(staff.tenant)
            .await?
            .first()
            .map(|m| m.id)
            .ok_or_else(|| ApiError::field("merchantId", "is required"))?,
    };
    let st = state
        .store
        .create_service_type(staff.tenant, merchant_id, new, &staff.actor)
        .await
        .map_err(|e| match e {
            qms_store::StoreError::NotFound => ApiError::field("merchantId", "does not exist"),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(st)))
}

#[utoipa::path(put, path = "/api/service-types/{id}", tag = "queues", security(("bearer" = [])), request_body = ServiceTypeInput,
    params(("id" = Uuid, Path)), responses((status = 200, body = Object), (status = 404), (status = 422)))]
pub async fn update_service_type(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ServiceTypeInput>,
) -> Result<Json<ServiceType>, ApiError> {
    staff.require(Role::Manager)?;
    let new = input.validate()?;
    Ok(Json(
        state
            .store
            .update_service_type(staff.tenant, id, new, &staff.actor)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/service-types/{id}", tag = "queues", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404)))]
pub async fn delete_service_type(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    staff.require(Role::Manager)?;
    state
        .store
        .delete_service_type(staff.tenant, id, &staff.actor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
