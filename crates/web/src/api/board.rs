//! The live board in one read: every queue of the tenant with its live numbers and its waiting,
//! called and seated customers. The dashboard renders it on first paint and reads it again
//! after a Socket.IO reconnect, so nothing missed while offline stays missing.

use crate::api::queues::{self, QueueDetails};
use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    /// The main merchant's id (for `merchant:join`).
    pub merchant_id: Option<uuid::Uuid>,
    /// Queues in creation order.
    pub queues: Vec<QueueDetails>,
}

/// Reads the whole board for a staff member.
pub async fn read(state: &AppState, staff: &Staff) -> Result<Board, ApiError> {
    let summaries = state.store.list_queues(staff.tenant).await?;
    let merchant_id = state
        .store
        .merchants(staff.tenant)
        .await?
        .first()
        .map(|m| m.id);
    let mut out = Vec::with_capacity(summaries.len());
    for q in summaries {
        let Json(details) =
            queues::get(State(state.clone()), staff.clone(), ApiPath(q.queue.id)).await?;
        out.push(details);
    }
    Ok(Board {
        merchant_id,
        queues: out,
    })
}

#[utoipa::path(get, path = "/api/board", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = Board)))]
pub async fn get(State(state): State<AppState>, staff: Staff) -> Result<Json<Board>, ApiError> {
    Ok(Json(read(&state, &staff).await?))
}
