//! `GET /queue/:id`: the join form. `POST /queue/:id`: the same form submitted without any
//! script — it joins through [`crate::api::entries::join_customer`] (the JSON route's logic)
//! and either redirects (303) to the new place or shows the form again with a message under
//! each wrong field. Nothing is stored when any field is wrong.

use super::{
    Availability, CustomerSite, MessagePage, Shell, availability, failure, place_cookie, render,
    set_place_cookie,
};
use crate::api::entries::{JoinError, JoinRequest, join_customer};
use crate::auth::Client;
use crate::client::ClientIp;
use crate::error::PageError;
use crate::i18n::{Chosen, Tr};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use qms_domain::entry::Platform;
use qms_domain::validate::{calling_code, combine_phone};
use qms_store::{Joined, Merchant, Queue, ServiceType, StoreError, Tenant};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The form's fields, as typed (shown again after an error).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct JoinForm {
    pub name: String,
    pub country_code: String,
    pub phone: String,
    pub party_size: String,
    pub special_requests: String,
    pub service_type: String,
    /// A random key per rendered form: a double submit answers the first place.
    pub idem: String,
}

#[derive(Template)]
#[template(path = "customer/join.html")]
struct JoinPage {
    t: Tr,
    shell: Shell,
    queue_id: Uuid,
    queue_name: String,
    description: Option<String>,
    waiting: i64,
    wait_minutes: i32,
    form: JoinForm,
    sizes: Vec<u32>,
    service_types: Vec<ServiceType>,
    /// Field name (`name`, `phone`, …) → message.
    errors: BTreeMap<&'static str, String>,
    /// A message about the whole form (closed, full, already in the queue…).
    notice: Option<String>,
    notice_link: Option<(String, String)>,
    show_form: bool,
}

impl JoinPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
    fn has_error(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }
    fn selected_size(&self, n: &u32) -> bool {
        self.form.party_size.trim() == n.to_string()
    }
    fn selected_service(&self, id: &Uuid) -> bool {
        self.form.service_type == id.to_string()
    }
}

/// Everything the page needs about the queue; `None` when it does not exist for this tenant.
struct Context {
    queue: Queue,
    merchant: Option<Merchant>,
    waiting: i64,
    wait_minutes: i32,
    service_types: Vec<ServiceType>,
}

async fn context(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
) -> Result<Option<Context>, StoreError> {
    let Ok(id) = id.parse::<Uuid>() else {
        return Ok(None);
    };
    let Some(queue) = state.store.queue(tenant.id, id).await? else {
        return Ok(None);
    };
    if !queue.settings.is_active {
        return Ok(None);
    }
    let stats = state.store.queue_stats(tenant.id, id).await?;
    let merchants = state.store.merchants(tenant.id).await?;
    let merchant = merchants.into_iter().find(|m| m.id == queue.merchant_id);
    let service_types = state
        .store
        .service_types(tenant.id)
        .await?
        .into_iter()
        .filter(|s| s.is_active && s.merchant_id == queue.merchant_id)
        .collect();
    Ok(Some(Context {
        queue,
        merchant,
        waiting: stats.waiting,
        wait_minutes: stats.average_wait_time,
        service_types,
    }))
}

fn not_found(state_tenant: &Tenant, path: &str, chosen: &Chosen) -> Response {
    let t = chosen.tr();
    MessagePage {
        t,
        shell: Shell::new(state_tenant, None, path, chosen.lang),
        title: t.t("home.title").to_string(),
        message: t.t("join.not_found").to_string(),
        link: Some(("/".into(), t.t("common.back_home").to_string())),
    }
    .respond(StatusCode::NOT_FOUND, chosen)
}

fn build(tenant: &Tenant, ctx: Context, chosen: &Chosen, form: JoinForm) -> JoinPage {
    let t = chosen.tr();
    let path = format!("/queue/{}", ctx.queue.id);
    let tz = ctx
        .merchant
        .as_ref()
        .map(|m| m.timezone.as_str())
        .unwrap_or("UTC");
    let (show_form, notice) = match availability(&t, &ctx.queue, ctx.waiting, tz) {
        Availability::Open => (true, None),
        Availability::Full => (false, Some(t.t("join.full").to_string())),
        Availability::Closed(why) => (false, Some(why)),
    };
    let form = JoinForm {
        country_code: if form.country_code.trim().is_empty() {
            ctx.merchant
                .as_ref()
                .and_then(|m| calling_code(&m.country))
                .map(|c| format!("+{c}"))
                .unwrap_or_default()
        } else {
            form.country_code
        },
        party_size: if form.party_size.trim().is_empty() {
            "2".into()
        } else {
            form.party_size
        },
        idem: hex::encode(rand::random::<[u8; 16]>()),
        ..form
    };
    JoinPage {
        t,
        shell: Shell::new(tenant, ctx.merchant.as_ref(), &path, chosen.lang),
        queue_id: ctx.queue.id,
        queue_name: ctx.queue.settings.name,
        description: ctx.queue.settings.description,
        waiting: ctx.waiting,
        wait_minutes: ctx.wait_minutes,
        form,
        sizes: (1..=20).collect(),
        service_types: ctx.service_types,
        errors: BTreeMap::new(),
        notice,
        notice_link: None,
        show_form,
    }
}

/// `GET /queue/:id`.
pub async fn page_get(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
    headers: &HeaderMap,
    chosen: &Chosen,
) -> Response {
    let path = format!("/queue/{id}");
    let ctx = match context(state, tenant, id).await {
        Ok(Some(ctx)) => ctx,
        Ok(None) => return not_found(tenant, &path, chosen),
        Err(e) => return failure(e, tenant, &path, chosen),
    };
    let queue_id = ctx.queue.id;
    let mut page = build(tenant, ctx, chosen, JoinForm::default());
    // This device already holds a live place in this queue: offer it instead of a second one.
    if let Some(sid) = place_cookie(headers)
        && let Ok(Some(entry)) = state.store.entry_by_session(tenant.id, &sid).await
        && entry.queue_id == queue_id
        && entry.status.is_active()
    {
        page.show_form = false;
        page.notice = Some(page.t.t("join.already").to_string());
        page.notice_link = Some((
            format!("/queue/status/{}", entry.session_id),
            page.t.t("join.already_link").to_string(),
        ));
    }
    render(StatusCode::OK, chosen, &page)
}

pub async fn page(
    State(state): State<AppState>,
    CustomerSite(tenant): CustomerSite,
    Path(id): Path<String>,
    headers: HeaderMap,
    chosen: Chosen,
) -> Response {
    page_get(&state, &tenant, &id, &headers, &chosen).await
}

/// Field of the form for a field of the API (`customerPhone` → `phone`).
fn form_field(api_field: &str) -> &'static str {
    match api_field {
        "customerName" => "name",
        "customerPhone" => "phone",
        "partySize" => "party_size",
        "serviceTypeId" => "service_type",
        _ => "special_requests",
    }
}

/// The customer's wording of a field problem.
fn field_message(t: &Tr, field: &str, form: &JoinForm) -> String {
    let key = match field {
        "name" if form.name.trim().is_empty() => "err.name_required",
        "name" => "err.name_invalid",
        "phone" if form.phone.trim().is_empty() => "err.phone_required",
        "phone" => "err.phone_invalid",
        "party_size" => "err.party_size",
        "service_type" => "err.service_type",
        _ => "err.requests",
    };
    t.t(key).to_string()
}

/// `POST /queue/:id`: joins, then 303 to the status page; the form again on a problem.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    State(state): State<AppState>,
    CustomerSite(tenant): CustomerSite,
    Client(actor): Client,
    ip: ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    chosen: Chosen,
    form: Result<Form<JoinForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let path = format!("/queue/{id}");
    let ctx = match context(&state, &tenant, &id).await {
        Ok(Some(ctx)) => ctx,
        Ok(None) => return Ok(not_found(&tenant, &path, &chosen)),
        Err(e) => return Ok(failure(e, &tenant, &path, &chosen)),
    };
    let region = ctx.merchant.as_ref().map(|m| m.country.clone());
    let service_type_id = match form.service_type.trim() {
        "" => None,
        // Not an id at all: the store answers "unknown service type" for the nil id.
        s => Some(s.parse::<Uuid>().unwrap_or(Uuid::nil())),
    };
    let request = JoinRequest {
        customer_name: Some(form.name.clone()),
        customer_phone: Some(combine_phone(
            &form.country_code,
            &form.phone,
            region.as_deref(),
        )),
        party_size: Some(form.party_size.trim().parse::<i64>().unwrap_or(0)),
        notes: None,
        special_requests: Some(form.special_requests.clone()),
        service_type_id,
        platform: Some(Platform::Web),
    };
    let key = Some(form.idem.as_str()).filter(|k| !k.trim().is_empty());
    let joined = join_customer(
        &state,
        tenant.id,
        &ctx.queue,
        region.as_deref(),
        &actor,
        ip.0,
        request,
        key,
    )
    .await;
    let t = chosen.tr();
    let (status, problem): (StatusCode, Problem) = match joined {
        Ok(Joined::Created(entry, _) | Joined::Replayed(entry)) => {
            return Ok(to_place(&state, &headers, &entry.session_id));
        }
        Ok(Joined::Existing(entry)) => {
            let mine = place_cookie(&headers).as_deref() == Some(entry.session_id.as_str());
            (
                StatusCode::CONFLICT,
                Problem::Already(mine.then_some(entry.session_id)),
            )
        }
        Err(JoinError::Invalid(fields)) => {
            let errors = fields
                .fields
                .keys()
                .map(|k| form_field(k))
                .map(|f| (f, field_message(&t, f, &form)))
                .collect();
            (StatusCode::UNPROCESSABLE_ENTITY, Problem::Fields(errors))
        }
        Err(JoinError::Store(StoreError::UnknownReference(_)))
        | Err(JoinError::BadIdempotencyKey) => {
            let errors = BTreeMap::from([("service_type", t.t("err.service_type").to_string())]);
            (StatusCode::UNPROCESSABLE_ENTITY, Problem::Fields(errors))
        }
        Err(JoinError::RateLimited(secs)) => (
            StatusCode::TOO_MANY_REQUESTS,
            Problem::Notice(t.f("join.rate_limited", secs.div_ceil(60).max(1))),
        ),
        Err(JoinError::Store(StoreError::QueueFull)) => (
            StatusCode::CONFLICT,
            Problem::Notice(t.t("join.full").to_string()),
        ),
        Err(JoinError::Store(StoreError::QueueClosed { opens_at })) => {
            let tz = ctx
                .merchant
                .as_ref()
                .map(|m| m.timezone.as_str())
                .unwrap_or("UTC");
            let text = match opens_at {
                Some(at) => super::opens_text(&t, at, tz),
                None => t.t("closed.paused").to_string(),
            };
            (StatusCode::CONFLICT, Problem::Notice(text))
        }
        Err(JoinError::Store(StoreError::NotFound)) => {
            return Ok(not_found(&tenant, &path, &chosen));
        }
        Err(JoinError::Store(e)) => return Ok(failure(e, &tenant, &path, &chosen)),
    };
    let mut page = build(&tenant, ctx, &chosen, form);
    match problem {
        Problem::Fields(errors) => {
            page.errors = errors;
            page.show_form = true;
        }
        Problem::Notice(text) => {
            page.notice = Some(text);
            page.show_form = false;
        }
        Problem::Already(Some(sid)) => {
            page.notice = Some(t.t("join.already").to_string());
            page.notice_link = Some((
                format!("/queue/status/{sid}"),
                t.t("join.already_link").to_string(),
            ));
            page.show_form = false;
        }
        Problem::Already(None) => {
            page.notice = Some(t.t("join.already_other").to_string());
            page.notice_link = Some(("/webchat".into(), t.t("join.find_place").to_string()));
        }
    }
    Ok(render(status, &chosen, &page))
}

enum Problem {
    Fields(BTreeMap<&'static str, String>),
    Notice(String),
    /// The phone already waits here; the place's session id when this device holds it.
    Already(Option<String>),
}

/// 303 to the new place, remembering it in the `qms_place` cookie.
fn to_place(state: &AppState, headers: &HeaderMap, session_id: &str) -> Response {
    (
        [(
            header::SET_COOKIE,
            set_place_cookie(state, headers, session_id),
        )],
        Redirect::to(&format!("/queue/status/{session_id}")),
    )
        .into_response()
}
