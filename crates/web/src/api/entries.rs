//! The queue engine's routes: customers join and follow their place; staff call, seat,
//! complete, cancel, mark no-show, requeue, call in bulk and reorder (TSD §3.3, §6.2).

use crate::auth::{Client, Staff};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::pages::customer::place_cookie;
use crate::realtime::events::{self, Action};
use crate::state::AppState;
use crate::tenancy::CurrentTenant;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use qms_domain::FieldErrors;
use qms_domain::entry::{Platform, Transition};
use qms_domain::validate::{clean_optional, clean_text, normalize_phone, party_size};
use qms_store::{BulkSelection, Joined, NewEntry, Queue, QueueEntry};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use time::OffsetDateTime;
use uuid::Uuid;

/// What a customer sends to join (TSD §7.4 limits).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinRequest {
    pub customer_name: Option<String>,
    /// International format (`+60 12-345 6789`), or national for the merchant's country.
    pub customer_phone: Option<String>,
    pub party_size: Option<i64>,
    pub notes: Option<String>,
    pub special_requests: Option<String>,
    pub service_type_id: Option<Uuid>,
    #[schema(value_type = Option<String>)]
    pub platform: Option<Platform>,
}

impl JoinRequest {
    /// Validates every field at once; `region` is the default country for national numbers.
    pub fn validate(self, region: Option<&str>) -> Result<NewEntry, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = clean_text(self.customer_name.as_deref().unwrap_or(""), 1, 100)
            .map_err(|e| errors.add("customerName", e))
            .unwrap_or_default();
        let phone = normalize_phone(self.customer_phone.as_deref().unwrap_or(""), region)
            .map_err(|e| errors.add("customerPhone", e))
            .unwrap_or_default();
        let size = party_size(self.party_size.unwrap_or(1))
            .map_err(|e| errors.add("partySize", e))
            .unwrap_or(1);
        let notes = clean_optional(self.notes.as_deref(), 500)
            .map_err(|e| errors.add("notes", e))
            .unwrap_or_default();
        let special = clean_optional(self.special_requests.as_deref(), 500)
            .map_err(|e| errors.add("specialRequests", e))
            .unwrap_or_default();
        errors.into_result()?;
        let mut rng = rand::rng();
        let session: [u8; 16] = rng.random();
        Ok(NewEntry {
            customer_name: name,
            customer_phone: phone,
            party_size: size,
            notes,
            special_requests: special,
            service_type_id: self.service_type_id,
            platform: self.platform.unwrap_or_default(),
            idempotency_key: None,
            session_id: hex::encode(session),
            verification_code: format!("{:06}", rng.random_range(0..1_000_000u32)),
        })
    }
}

/// A customer's place as they see it, with the queue's name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub entry: QueueEntry,
    pub queue_name: String,
}

/// Why a join was refused, before or by the store. The JSON route answers it as an
/// [`ApiError`]; the join page (`pages::customer`) as field messages or a notice.
#[derive(Debug)]
pub enum JoinError {
    Invalid(FieldErrors),
    /// Too many joins from this address or for this phone; retry after that many seconds.
    RateLimited(u64),
    BadIdempotencyKey,
    Store(qms_store::StoreError),
}

impl From<qms_store::StoreError> for JoinError {
    fn from(e: qms_store::StoreError) -> Self {
        JoinError::Store(e)
    }
}

impl From<JoinError> for ApiError {
    fn from(e: JoinError) -> Self {
        match e {
            JoinError::Invalid(fields) => ApiError::validation(fields),
            JoinError::RateLimited(retry_after) => {
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many joins; try again in a few minutes",
                );
                e.extra = Some(serde_json::json!({"retryAfter": retry_after}));
                e
            }
            JoinError::BadIdempotencyKey => {
                ApiError::bad_request("Idempotency-Key must be 1-128 visible characters")
            }
            JoinError::Store(e) => e.into(),
        }
    }
}

/// The country (ISO alpha-2) of the merchant that runs `queue`: the default region of
/// customers' phone numbers.
pub async fn queue_region(
    state: &AppState,
    tenant: qms_domain::TenantId,
    queue: &Queue,
) -> Result<Option<String>, qms_store::StoreError> {
    Ok(state
        .store
        .merchants(tenant)
        .await?
        .into_iter()
        .find(|m| m.id == queue.merchant_id)
        .map(|m| m.country))
}

/// Joins `queue` for a customer: validates, applies the per-address and per-phone limits, asks
/// the store, then tells staff boards (after the commit). Shared by the JSON route and the join
/// page's form, so a join from either shows up live.
#[allow(clippy::too_many_arguments)]
pub async fn join_customer(
    state: &AppState,
    tenant: qms_domain::TenantId,
    queue: &Queue,
    region: Option<&str>,
    actor: &qms_store::Actor,
    ip: Option<std::net::IpAddr>,
    body: JoinRequest,
    idempotency_key: Option<&str>,
) -> Result<Joined, JoinError> {
    let mut new = body.validate(region).map_err(JoinError::Invalid)?;
    // A bot must not flood a queue: limits per client address and per phone number.
    let per_ip = ip.map(|ip| state.limits.join_per_ip.check(&(tenant, ip)));
    let per_phone = state
        .limits
        .join_per_phone
        .check(&(tenant, new.customer_phone.clone()));
    if let Some(refused) = [per_ip, Some(per_phone)]
        .into_iter()
        .flatten()
        .find(|d| !d.allowed)
    {
        return Err(JoinError::RateLimited(refused.reset_secs));
    }
    if let Some(key) = idempotency_key {
        let key = key.trim();
        if key.is_empty() || key.len() > 128 {
            return Err(JoinError::BadIdempotencyKey);
        }
        new.idempotency_key = Some(key.to_string());
    }
    let joined = state
        .store
        .join_queue(tenant, queue.id, new, actor, OffsetDateTime::now_utc())
        .await?;
    if let Joined::Created(e, queue) = &joined {
        events::customer_joined(state, tenant, e.clone(), queue.clone()).await;
    }
    Ok(joined)
}

/// A place someone else may be holding: what a join for a phone that already waits answers
/// to a device that does not hold that place. It says the phone is in line and where, but not
/// the keys to the place (`sessionId`, `verificationCode`) nor what the holder typed: anyone
/// can type a phone number, and the session id is what cancels a place.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeldPlace {
    pub queue_id: Uuid,
    pub queue_name: String,
    pub ticket_number: String,
    pub position: i64,
    pub estimated_wait_time: i32,
    #[schema(value_type = String)]
    pub status: qms_domain::EntryStatus,
    /// Always true: this phone already waits here.
    pub already_waiting: bool,
}

/// Joins a queue (public, no login). 201 with the new place; a repeated `Idempotency-Key`
/// answers the first place again. When this phone already waits here the answer is 200: the
/// whole place to the device that holds it (its `qms_place` cookie), otherwise only where that
/// place stands ([`HeldPlace`]); the holder recovers it with the phone and verification code
/// (`POST /api/queue/webchat/recovery`).
#[utoipa::path(post, path = "/api/queues/{id}/join", tag = "customers", request_body = JoinRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = EntryView), (status = 200, description = "already waiting: EntryView to the device holding the place, HeldPlace to others", body = HeldPlace),
        (status = 409, description = "queue_full | queue_closed"), (status = 422, description = "validation")))]
pub async fn join(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Client(actor): Client,
    ip: crate::client::ClientIp,
    ApiPath(queue_id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<JoinRequest>,
) -> Result<Response, ApiError> {
    let queue = state
        .store
        .queue(tenant.id, queue_id)
        .await?
        .ok_or_else(|| ApiError::not_found("queue"))?;
    let region = queue_region(&state, tenant.id, &queue).await?;
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| JoinError::BadIdempotencyKey)?),
        None => None,
    };
    let joined = join_customer(
        &state,
        tenant.id,
        &queue,
        region.as_deref(),
        &actor,
        ip.0,
        body,
        key,
    )
    .await?;
    let queue_name = queue.settings.name;
    Ok(match joined {
        Joined::Created(entry, _) | Joined::Replayed(entry) => {
            (StatusCode::CREATED, Json(EntryView { entry, queue_name })).into_response()
        }
        Joined::Existing(entry)
            if place_cookie(&headers).as_deref() == Some(entry.session_id.as_str()) =>
        {
            (StatusCode::OK, Json(EntryView { entry, queue_name })).into_response()
        }
        Joined::Existing(entry) => (
            StatusCode::OK,
            Json(HeldPlace {
                queue_id: entry.queue_id,
                queue_name,
                ticket_number: entry.ticket_number,
                position: entry.position,
                estimated_wait_time: entry.estimated_wait_time,
                status: entry.status,
                already_waiting: true,
            }),
        )
            .into_response(),
    })
}

/// A customer's place by their session key.
#[utoipa::path(get, path = "/api/queues/entry/{sessionId}", tag = "customers",
    params(("sessionId" = String, Path)), responses((status = 200, body = EntryView), (status = 404)))]
pub async fn status(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    ApiPath(session_id): ApiPath<String>,
) -> Result<Json<EntryView>, ApiError> {
    let place = state
        .store
        .place_by_session(tenant.id, &session_id)
        .await?
        .ok_or_else(|| ApiError::not_found("entry"))?;
    Ok(Json(EntryView {
        entry: place.entry,
        queue_name: place.queue_name,
    }))
}

/// The customer leaves the queue themselves (when the queue allows it).
#[utoipa::path(post, path = "/api/queues/entry/{sessionId}/cancel", tag = "customers",
    params(("sessionId" = String, Path)), responses((status = 200, body = Object), (status = 403, description = "cancellation_not_allowed"), (status = 404), (status = 409)))]
pub async fn cancel_own(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Client(actor): Client,
    ApiPath(session_id): ApiPath<String>,
) -> Result<Json<QueueEntry>, ApiError> {
    let entry = state
        .store
        .cancel_by_customer(tenant.id, &session_id, &actor)
        .await?;
    events::queue_changed(
        &state,
        tenant.id,
        entry.queue_id,
        Action::Cancelled,
        vec![entry.clone()],
    )
    .await;
    Ok(Json(entry))
}

/// One move on one entry: `call`, `seat`, `complete`, `cancel`, `no-show` or `requeue`.
#[utoipa::path(post, path = "/api/queues/{id}/{action}/{entryId}", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("action" = String, Path, description = "call | seat | complete | cancel | no-show | requeue"), ("entryId" = Uuid, Path)),
    responses((status = 200, body = Object), (status = 404), (status = 409, description = "invalid_transition | already_waiting")))]
pub async fn move_entry(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((queue_id, action, entry_id)): ApiPath<(Uuid, String, Uuid)>,
) -> Result<Json<QueueEntry>, ApiError> {
    let transition = Transition::ALL
        .into_iter()
        .find(|t| t.as_str() == action)
        .ok_or_else(|| ApiError::not_found("route"))?;
    let entry = state
        .store
        .transition(staff.tenant, queue_id, entry_id, transition, &staff.actor)
        .await?;
    events::queue_changed(
        &state,
        staff.tenant,
        queue_id,
        transition.into(),
        vec![entry.clone()],
    )
    .await;
    Ok(Json(entry))
}

/// Calls the first waiting customer.
#[utoipa::path(post, path = "/api/queues/{id}/call-next", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Object), (status = 404), (status = 409, description = "queue_empty")))]
pub async fn call_next(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(queue_id): ApiPath<Uuid>,
) -> Result<Json<QueueEntry>, ApiError> {
    let entry = state
        .store
        .call_next(staff.tenant, queue_id, &staff.actor)
        .await?;
    events::queue_changed(
        &state,
        staff.tenant,
        queue_id,
        Action::Called,
        vec![entry.clone()],
    )
    .await;
    Ok(Json(entry))
}

/// Which customers to call at once: listed ones, or the next `count`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkCallRequest {
    pub entry_ids: Option<Vec<Uuid>>,
    pub count: Option<u32>,
}

#[utoipa::path(post, path = "/api/queues/{id}/call-bulk", tag = "staff", security(("bearer" = [])), request_body = BulkCallRequest,
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<Object>), (status = 409), (status = 422)))]
pub async fn call_bulk(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(queue_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<BulkCallRequest>,
) -> Result<Json<Vec<QueueEntry>>, ApiError> {
    let selection = match (body.entry_ids, body.count) {
        (Some(ids), None) => {
            check_ids("entryIds", &ids, 50)?;
            BulkSelection::Entries(ids)
        }
        (None, Some(n)) if (1..=50).contains(&n) => BulkSelection::Next(n),
        (None, Some(_)) => return Err(ApiError::field("count", "must be between 1 and 50")),
        _ => return Err(ApiError::field("entryIds", "send either entryIds or count")),
    };
    let called = state
        .store
        .call_bulk(staff.tenant, queue_id, selection, &staff.actor)
        .await?;
    events::queue_changed(
        &state,
        staff.tenant,
        queue_id,
        Action::Called,
        called.clone(),
    )
    .await;
    Ok(Json(called))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderRequest {
    /// Waiting entries in their new order; they swap among the places they hold now.
    pub entry_ids: Vec<Uuid>,
}

/// Drag-and-drop reorder (TSD §6.2). Answers the waiting line in its new order.
#[utoipa::path(put, path = "/api/queues/{id}/order", tag = "staff", security(("bearer" = [])), request_body = OrderRequest,
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<Object>), (status = 404), (status = 409, description = "stale_order"), (status = 422)))]
pub async fn reorder(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(queue_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<OrderRequest>,
) -> Result<Json<Vec<QueueEntry>>, ApiError> {
    check_ids("entryIds", &body.entry_ids, 1000)?;
    state
        .store
        .reorder(staff.tenant, queue_id, &body.entry_ids, &staff.actor)
        .await?;
    events::queue_changed(
        &state,
        staff.tenant,
        queue_id,
        Action::Reordered,
        Vec::new(),
    )
    .await;
    let line = state
        .store
        .queue_entries(staff.tenant, queue_id, &[qms_domain::EntryStatus::Waiting])
        .await?;
    Ok(Json(line))
}

fn check_ids(field: &str, ids: &[Uuid], max: usize) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Err(ApiError::field(field, "must list at least one entry"));
    }
    if ids.len() > max {
        return Err(ApiError::field(
            field,
            format!("must list at most {max} entries"),
        ));
    }
    let unique: HashSet<_> = ids.iter().collect();
    if unique.len() != ids.len() {
        return Err(ApiError::field(field, "must not repeat an entry"));
    }
    Ok(())
}
