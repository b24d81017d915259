//! `GET /dashboard/settings` and its forms. MANAGER and above see queue settings, service
//! types and quick-message templates; ADMIN and OWNER also the business profile, opening hours
//! and branding. Each form posts on its own; a refused form is shown again, filled in, with
//! each problem next to its field (status 422), and nothing of it is saved. A saved form
//! redirects back (303) with a notice.

use super::forms::{Failed, Fields, flag, number, text};
use super::{Nav, Section, guard};
use crate::api::merchant::{self, BUSINESS_TYPES, HoursInput, ProfileInput, WEEKDAYS};
use crate::api::queues::ServiceTypeInput;
use crate::api::templates::{self, TemplateInput};
use crate::auth::Staff;
use crate::error::{ApiError, PageError};
use crate::extract::{ApiJson, ApiPath};
use crate::pages::{StaffPage, render_status};
use crate::realtime::events::{self, Action};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use qms_domain::queue::QueueSettings;
use qms_domain::{FieldErrors, Role};
use qms_store::CHANNELS;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// One input of a form, ready to render.
pub struct FieldView {
    pub id: String,
    pub name: String,
    pub label: String,
    /// `text`, `email`, `tel`, `number`, `time`, `textarea`, `select` or `checkbox`.
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub error: Option<String>,
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub min: Option<i32>,
    pub max: Option<i32>,
    pub maxlength: Option<u32>,
    pub hint: Option<String>,
}

/// A form, ready to render.
pub struct FormView {
    pub key: String,
    pub action: String,
    pub heading: Option<String>,
    pub fields: Vec<FieldView>,
    pub submit: String,
    pub message: Option<String>,
    /// A second, separate form that deletes the record.
    pub delete_action: Option<String>,
}

/// Builds the inputs of one form against the refused form, if it is this one.
struct Builder<'a> {
    failed: &'a Failed,
    key: String,
    fields: Vec<FieldView>,
}

impl<'a> Builder<'a> {
    fn new(failed: &'a Failed, key: impl Into<String>) -> Self {
        Builder {
            failed,
            key: key.into(),
            fields: Vec::new(),
        }
    }

    fn input(mut self, kind: &'static str, name: &str, label: &str, value: &str) -> Self {
        self.fields.push(FieldView {
            id: format!("{}-{name}", self.key),
            name: name.into(),
            label: label.into(),
            kind,
            value: self.failed.value(&self.key, name, value),
            checked: false,
            error: self.failed.error(&self.key, name),
            options: Vec::new(),
            required: false,
            min: None,
            max: None,
            maxlength: None,
            hint: None,
        });
        self
    }

    fn checkbox(mut self, name: &str, label: &str, on: bool) -> Self {
        self = self.input("checkbox", name, label, "on");
        if let Some(f) = self.fields.last_mut() {
            f.value = "on".into();
            f.checked = self.failed.checked(&self.key, name, on);
        }
        self
    }

    fn select(
        mut self,
        name: &str,
        label: &str,
        value: &str,
        options: Vec<(String, String)>,
    ) -> Self {
        self = self.input("select", name, label, value);
        if let Some(f) = self.fields.last_mut() {
            f.options = options;
        }
        self
    }

    fn required(mut self) -> Self {
        if let Some(f) = self.fields.last_mut() {
            f.required = true;
        }
        self
    }

    fn range(mut self, min: i32, max: i32) -> Self {
        if let Some(f) = self.fields.last_mut() {
            f.min = Some(min);
            f.max = Some(max);
        }
        self
    }

    fn maxlength(mut self, n: u32) -> Self {
        if let Some(f) = self.fields.last_mut() {
            f.maxlength = Some(n);
        }
        self
    }

    fn hint(mut self, h: &str) -> Self {
        if let Some(f) = self.fields.last_mut() {
            f.hint = Some(h.into());
        }
        self
    }

    fn form(self, action: String, heading: Option<String>, submit: &str) -> FormView {
        FormView {
            message: self.failed.message_for(&self.key),
            key: self.key,
            action,
            heading,
            fields: self.fields,
            submit: submit.into(),
            delete_action: None,
        }
    }
}

/// One weekday of the hours form.
pub struct HoursRow {
    pub day: i32,
    pub name: &'static str,
    pub open: String,
    pub close: String,
    pub closed: bool,
    pub open_error: Option<String>,
    pub close_error: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard/settings.html")]
struct SettingsPage {
    nav: Nav,
    notice: Option<String>,
    /// ADMIN and OWNER: profile, hours, branding.
    business: bool,
    profile: Option<FormView>,
    hours: Vec<HoursRow>,
    hours_message: Option<String>,
    branding: Option<FormView>,
    logo_url: Option<String>,
    queues: Vec<FormView>,
    new_queue: FormView,
    service_types: Vec<FormView>,
    new_service_type: FormView,
    templates: Vec<FormView>,
    new_template: FormView,
}

fn options(values: &[&str]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|v| (v.to_string(), capitalise(v)))
        .collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase(),
        None => String::new(),
    }
}

fn saved_notice(key: &str) -> Option<String> {
    let text = match key {
        "profile" => "Business profile saved.",
        "hours" => "Opening hours saved.",
        "branding" => "Branding saved.",
        "logo" => "Logo removed.",
        "queue" => "Queue settings saved.",
        "new-queue" => "Queue added.",
        "service-type" => "Service type saved.",
        "service-type-deleted" => "Service type deleted.",
        "template" => "Message template saved.",
        "template-deleted" => "Message template deleted.",
        _ => return None,
    };
    Some(text.into())
}

fn queue_form(failed: &Failed, id: Uuid, s: &QueueSettings) -> FormView {
    let key = format!("queue-{id}");
    Builder::new(failed, key)
        .input("text", "name", "Name", &s.name)
        .required()
        .maxlength(100)
        .input(
            "text",
            "description",
            "Description",
            s.description.as_deref().unwrap_or(""),
        )
        .maxlength(500)
        .input(
            "number",
            "maxCapacity",
            "Most customers waiting",
            &s.max_capacity.to_string(),
        )
        .range(1, 1000)
        .input(
            "number",
            "averageServiceTime",
            "Minutes per customer (estimate)",
            &s.average_service_time.to_string(),
        )
        .range(1, 480)
        .input(
            "number",
            "notificationInterval",
            "Minutes between reminders",
            &s.notification_interval.to_string(),
        )
        .range(1, 120)
        .input(
            "time",
            "businessHoursStart",
            "Opens at",
            &s.business_hours_start,
        )
        .input(
            "time",
            "businessHoursEnd",
            "Closes at",
            &s.business_hours_end,
        )
        .hint("The same time for both means open around the clock.")
        .checkbox("isActive", "Queue in use", s.is_active)
        .checkbox(
            "acceptingCustomers",
            "Accepting new customers",
            s.accepting_customers,
        )
        .checkbox(
            "allowCancellation",
            "Customers may cancel themselves",
            s.allow_cancellation,
        )
        .checkbox(
            "requireConfirmation",
            "Ask customers to confirm",
            s.require_confirmation,
        )
        .checkbox(
            "autoNotifications",
            "Send reminders automatically",
            s.auto_notifications,
        )
        .form(
            format!("/dashboard/settings/queues/{id}"),
            Some(s.name.clone()),
            "Save queue",
        )
}

fn service_type_form(failed: &Failed, st: Option<&qms_store::ServiceType>) -> FormView {
    let key = st.map_or("new-st".to_string(), |s| format!("st-{}", s.id));
    let b = Builder::new(failed, key)
        .input("text", "name", "Name", st.map_or("", |s| s.name.as_str()))
        .required()
        .maxlength(100)
        .input(
            "text",
            "description",
            "Description",
            st.and_then(|s| s.description.as_deref()).unwrap_or(""),
        )
        .maxlength(500)
        .input(
            "number",
            "estimatedDuration",
            "Minutes it takes",
            &st.map_or(15, |s| s.estimated_duration).to_string(),
        )
        .range(1, 480)
        .checkbox("isActive", "Offered", st.is_none_or(|s| s.is_active));
    match st {
        Some(s) => {
            let mut f = b.form(
                format!("/dashboard/settings/service-types/{}", s.id),
                Some(s.name.clone()),
                "Save service type",
            );
            f.delete_action = Some(format!("/dashboard/settings/service-types/{}/delete", s.id));
            f
        }
        None => b.form(
            "/dashboard/settings/service-types".into(),
            Some("Add a service type".into()),
            "Add service type",
        ),
    }
}

fn template_form(failed: &Failed, t: Option<&qms_store::NotificationTemplate>) -> FormView {
    let key = t.map_or("new-tpl".to_string(), |t| format!("tpl-{}", t.id));
    let b = Builder::new(failed, key)
        .input("text", "name", "Name", t.map_or("", |t| t.name.as_str()))
        .required()
        .maxlength(100)
        .input(
            "textarea",
            "content",
            "Message",
            t.map_or("", |t| t.content.as_str()),
        )
        .required()
        .maxlength(1000)
        .hint("Placeholders: {name}, {position}, {ticket}, {wait} (minutes).")
        .select(
            "channel",
            "Channel",
            t.map_or("WEBCHAT", |t| t.channel.as_str()),
            options(&CHANNELS),
        )
        .checkbox(
            "isActive",
            "Show on the board",
            t.is_none_or(|t| t.is_active),
        );
    match t {
        Some(t) => {
            let mut f = b.form(
                format!("/dashboard/settings/templates/{}", t.id),
                Some(t.name.clone()),
                "Save template",
            );
            f.delete_action = Some(format!("/dashboard/settings/templates/{}/delete", t.id));
            f
        }
        None => b.form(
            "/dashboard/settings/templates".into(),
            Some("Add a message template".into()),
            "Add template",
        ),
    }
}

/// Renders the settings page, with a refused form if any.
async fn render_page(
    state: &AppState,
    staff: &Staff,
    failed: Failed,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let nav = Nav::build(state, staff, Section::Settings).await?;
    let business = staff.user.role.at_least(Role::Admin);
    let m = state
        .store
        .merchants(staff.tenant)
        .await?
        .into_iter()
        .next();
    let (mut profile, mut hours, mut branding, mut logo_url) = (None, Vec::new(), None, None);
    let mut hours_message = None;
    if let (true, Some(m)) = (business, &m) {
        profile = Some(
            Builder::new(&failed, "profile")
                .input("text", "businessName", "Business name", &m.business_name)
                .required()
                .maxlength(100)
                .input("email", "email", "Contact e-mail", &m.email)
                .required()
                .input("tel", "phone", "Phone", &m.phone)
                .hint("With the country code, e.g. +60 12-345 6789.")
                .select(
                    "businessType",
                    "Type of business",
                    &m.business_type,
                    options(&BUSINESS_TYPES),
                )
                .input("text", "timezone", "Time zone", &m.timezone)
                .required()
                .hint("An IANA name such as Asia/Kuala_Lumpur.")
                .input("text", "country", "Country code", &m.country)
                .required()
                .maxlength(2)
                .hint("Two letters, e.g. MY; national phone numbers are read for this country.")
                .form("/dashboard/settings/profile".into(), None, "Save profile"),
        );
        let stored = state.store.business_hours(staff.tenant, m.id).await?;
        hours = merchant::full_week(&stored)
            .into_iter()
            .map(|h| {
                let d = h.day_of_week;
                let key = format!("hours.{d}");
                HoursRow {
                    day: d,
                    name: WEEKDAYS[d as usize % 7],
                    open: failed.value("hours", &format!("open{d}"), &h.open_time),
                    close: failed.value("hours", &format!("close{d}"), &h.close_time),
                    closed: failed.checked("hours", &format!("closed{d}"), h.is_closed),
                    open_error: failed
                        .error("hours", &format!("{key}.openTime"))
                        .or_else(|| failed.error("hours", &key)),
                    close_error: failed.error("hours", &format!("{key}.closeTime")),
                }
            })
            .collect();
        hours_message = failed.message_for("hours");
        branding = Some(
            Builder::new(&failed, "branding")
                .input(
                    "text",
                    "brandColor",
                    "Brand colour",
                    m.brand_color.as_deref().unwrap_or(""),
                )
                .maxlength(7)
                .hint("A colour like #e85d04; leave empty for the default.")
                .form("/dashboard/settings/branding".into(), None, "Save colour"),
        );
        logo_url = m.logo_url.clone();
    }
    let queues = state
        .store
        .list_queues(staff.tenant)
        .await?
        .iter()
        .map(|q| queue_form(&failed, q.queue.id, &q.queue.settings))
        .collect();
    let new_queue = Builder::new(&failed, "new-queue")
        .input("text", "name", "Name", "")
        .required()
        .maxlength(100)
        .form(
            "/dashboard/settings/queues".into(),
            Some("Add a queue".into()),
            "Add queue",
        );
    let service_types = state
        .store
        .service_types(staff.tenant)
        .await?
        .iter()
        .map(|s| service_type_form(&failed, Some(s)))
        .collect();
    let templates = state
        .store
        .notification_templates(staff.tenant)
        .await?
        .iter()
        .map(|t| template_form(&failed, Some(t)))
        .collect();
    let page = SettingsPage {
        nav,
        notice,
        business,
        profile,
        hours,
        hours_message,
        branding,
        logo_url,
        queues,
        new_queue,
        service_types,
        new_service_type: service_type_form(&failed, None),
        templates,
        new_template: template_form(&failed, None),
    };
    Ok(render_status(status, &page))
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    if let Err(r) = guard(&state, &staff, Section::Settings).await {
        return Ok(r);
    }
    let notice = q.saved.as_deref().and_then(saved_notice);
    render_page(&state, &staff, Failed::default(), notice, StatusCode::OK).await
}

/// What a form handler answers: a redirect with a notice, or the page again with the refusal.
async fn outcome<T>(
    state: &AppState,
    staff: &Staff,
    form: &str,
    fields: Fields,
    result: Result<T, ApiError>,
    saved: &str,
    anchor: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/dashboard/settings?saved={saved}#{anchor}")).into_response(),
        ),
        Err(e) if e.status == StatusCode::FORBIDDEN && e.code == "forbidden" => {
            Ok(super::forbidden(state, staff, Section::Settings).await)
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(PageError::not_found()),
        Err(e) if e.status.is_server_error() => Err(PageError::new(
            e.status,
            "Something went wrong",
            "Nothing was saved. Please try again.",
        )),
        Err(e) => {
            let status = Failed::status(&e);
            render_page(state, staff, Failed::new(form, fields, &e), None, status).await
        }
    }
}

pub async fn save_profile(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let input = ProfileInput {
        business_name: text(&f, "businessName"),
        email: text(&f, "email"),
        phone: text(&f, "phone"),
        business_type: text(&f, "businessType"),
        timezone: text(&f, "timezone"),
        country: text(&f, "country"),
    };
    let r = merchant::save_profile(&state, &staff, &input).await;
    outcome(&state, &staff, "profile", f, r, "profile", "business").await
}

pub async fn save_hours(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let input: Vec<HoursInput> = (0..7)
        .map(|d| HoursInput {
            day_of_week: d,
            open_time: text(&f, &format!("open{d}")),
            close_time: text(&f, &format!("close{d}")),
            is_closed: flag(&f, &format!("closed{d}")),
        })
        .collect();
    let r = merchant::save_hours(&state, &staff, &input).await;
    outcome(&state, &staff, "hours", f, r, "hours", "hours").await
}

pub async fn save_branding(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    if flag(&f, "removeLogo") {
        let r = merchant::remove_logo_for(&state, &staff).await;
        return outcome(&state, &staff, "branding", f, r, "logo", "branding").await;
    }
    let r = merchant::save_color(&state, &staff, &text(&f, "brandColor")).await;
    outcome(&state, &staff, "branding", f, r, "branding", "branding").await
}

/// Queue settings from a form, over the current ones.
fn queue_settings(f: &Fields, mut s: QueueSettings) -> Result<QueueSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    s.name = text(f, "name");
    let description = text(f, "description");
    s.description = (!description.is_empty()).then_some(description);
    s.max_capacity = number(f, "maxCapacity", &mut errors);
    s.average_service_time = number(f, "averageServiceTime", &mut errors);
    s.notification_interval = number(f, "notificationInterval", &mut errors);
    s.business_hours_start = text(f, "businessHoursStart");
    s.business_hours_end = text(f, "businessHoursEnd");
    s.is_active = flag(f, "isActive");
    s.accepting_customers = flag(f, "acceptingCustomers");
    s.allow_cancellation = flag(f, "allowCancellation");
    s.require_confirmation = flag(f, "requireConfirmation");
    s.auto_notifications = flag(f, "autoNotifications");
    if let Err(more) = s.validate() {
        for (k, v) in more.fields {
            errors.add(&k, v);
        }
    }
    errors.into_result()?;
    Ok(s)
}

pub async fn save_queue(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let id = super::parse_id(&id)?;
    let r = async {
        staff.require(Role::Manager)?;
        let current = state
            .store
            .queue(staff.tenant, id)
            .await?
            .ok_or_else(|| ApiError::not_found("queue"))?;
        let settings = queue_settings(&f, current.settings)?;
        let queue = state
            .store
            .update_queue(staff.tenant, id, settings, &staff.actor)
            .await?;
        // Open boards show the new name, numbers and state at once.
        events::queue_changed(&state, staff.tenant, id, Action::Updated, Vec::new()).await;
        Ok(queue)
    }
    .await;
    let key = format!("queue-{id}");
    outcome(&state, &staff, &key, f, r, "queue", &key).await
}

pub async fn create_queue(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let r = async {
        staff.require(Role::Manager)?;
        let mut settings = QueueSettings::with_name(text(&f, "name"));
        settings.validate()?;
        let m = merchant::main_merchant(&state, staff.tenant).await?;
        let queue = state
            .store
            .create_queue(staff.tenant, m.id, settings, &staff.actor)
            .await?;
        // Open boards see a queue they do not show and reload to add it.
        events::queue_changed(&state, staff.tenant, queue.id, Action::Updated, Vec::new()).await;
        Ok(queue)
    }
    .await;
    outcome(&state, &staff, "new-queue", f, r, "new-queue", "queues").await
}

/// A service type from a form; a duration that is not a number is a field error.
fn service_type_input(f: &Fields) -> Result<ServiceTypeInput, ApiError> {
    let mut errors = FieldErrors::default();
    let estimated_duration = number(f, "estimatedDuration", &mut errors);
    errors.into_result()?;
    let description = text(f, "description");
    Ok(ServiceTypeInput {
        merchant_id: None,
        name: text(f, "name"),
        description: (!description.is_empty()).then_some(description),
        estimated_duration: Some(estimated_duration),
        is_active: Some(flag(f, "isActive")),
    })
}

pub async fn create_service_type(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let r = async {
        let input = service_type_input(&f)?;
        crate::api::queues::create_service_type(State(state.clone()), staff.clone(), ApiJson(input))
            .await
    }
    .await;
    outcome(
        &state,
        &staff,
        "new-st",
        f,
        r,
        "service-type",
        "service-types",
    )
    .await
}

pub async fn save_service_type(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let id = super::parse_id(&id)?;
    let r = async {
        let input = service_type_input(&f)?;
        crate::api::queues::update_service_type(
            State(state.clone()),
            staff.clone(),
            ApiPath(id),
            ApiJson(input),
        )
        .await
    }
    .await;
    let key = format!("st-{id}");
    outcome(&state, &staff, &key, f, r, "service-type", &key).await
}

pub async fn delete_service_type(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = super::parse_id(&id)?;
    let r =
        crate::api::queues::delete_service_type(State(state.clone()), staff.clone(), ApiPath(id))
            .await;
    let key = format!("st-{id}");
    outcome(
        &state,
        &staff,
        &key,
        HashMap::new(),
        r,
        "service-type-deleted",
        "service-types",
    )
    .await
}

fn template_input(f: &Fields) -> TemplateInput {
    TemplateInput {
        name: text(f, "name"),
        content: f.get("content").cloned().unwrap_or_default(),
        channel: Some(text(f, "channel")),
        is_active: Some(flag(f, "isActive")),
    }
}

pub async fn create_template(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let r = templates::create_for(&state, &staff, &template_input(&f)).await;
    outcome(&state, &staff, "new-tpl", f, r, "template", "templates").await
}

pub async fn save_template(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, PageError> {
    let id = super::parse_id(&id)?;
    let r = templates::update_for(&state, &staff, id, &template_input(&f)).await;
    let key = format!("tpl-{id}");
    outcome(&state, &staff, &key, f, r, "template", &key).await
}

pub async fn delete_template(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = super::parse_id(&id)?;
    let r = templates::delete(State(state.clone()), staff.clone(), ApiPath(id)).await;
    let key = format!("tpl-{id}");
    outcome(
        &state,
        &staff,
        &key,
        HashMap::new(),
        r,
        "template-deleted",
        "templates",
    )
    .await
}
