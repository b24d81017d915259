//! The business's own settings (TSD §3.4 "Business settings"): profile, weekly opening hours,
//! brand colour and logo. Everyone signed in may read them; ADMIN and OWNER change them. The
//! validation here is shared with the settings page's forms.

use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::uploads;
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use qms_domain::queue::{is_known_timezone, parse_hhmm};
use qms_domain::validate::{clean_text, normalize_email, normalize_phone};
use qms_domain::{FieldErrors, Role, TenantId};
use qms_store::{Branding, BusinessHours, Merchant, MerchantProfile};
use serde::{Deserialize, Serialize};

/// The business types a merchant may pick (the schema's CHECK list).
pub const BUSINESS_TYPES: [&str; 6] = [
    "restaurant",
    "retail",
    "clinic",
    "salon",
    "service",
    "other",
];

/// Weekday names, 0 = Sunday.
pub const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The business profile as a client sends it.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileInput {
    pub business_name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    pub business_type: String,
    pub timezone: String,
    pub country: String,
}

impl ProfileInput {
    /// Checks every field at once.
    pub fn validate(&self) -> Result<MerchantProfile, FieldErrors> {
        let mut errors = FieldErrors::default();
        let business_name = clean_text(&self.business_name, 1, 100)
            .map_err(|e| errors.add("businessName", e))
            .unwrap_or_default();
        let email = normalize_email(&self.email)
            .map_err(|e| errors.add("email", e))
            .unwrap_or_default();
        let country = self.country.trim().to_ascii_uppercase();
        let known_country = country.len() == 2
            && country.bytes().all(|b| b.is_ascii_uppercase())
            && qms_domain::validate::calling_code(&country).is_some();
        if !known_country {
            errors.add("country", "must be a two-letter country code such as MY");
        }
        let phone = if self.phone.trim().is_empty() {
            String::new()
        } else {
            normalize_phone(&self.phone, known_country.then_some(country.as_str()))
                .map_err(|e| errors.add("phone", e))
                .unwrap_or_default()
        };
        let business_type = self.business_type.trim().to_ascii_lowercase();
        if !BUSINESS_TYPES.contains(&business_type.as_str()) {
            errors.add(
                "businessType",
                format!("must be one of {}", BUSINESS_TYPES.join(", ")),
            );
        }
        let timezone = self.timezone.trim().to_string();
        if !is_known_timezone(&timezone) {
            errors.add("timezone", "must be a time zone such as Asia/Kuala_Lumpur");
        }
        errors.into_result()?;
        Ok(MerchantProfile {
            business_name,
            email,
            phone,
            business_type,
            timezone,
            country,
        })
    }
}

/// One weekday's hours as a client sends them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoursInput {
    pub day_of_week: i32,
    #[serde(default)]
    pub open_time: String,
    #[serde(default)]
    pub close_time: String,
    #[serde(default)]
    pub is_closed: bool,
}

/// Checks a week of hours; errors are keyed `hours.<day>.openTime` etc. A closed day keeps
/// the default times when its times are left empty.
pub fn validate_hours(input: &[HoursInput]) -> Result<Vec<BusinessHours>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut seen = [false; 7];
    let mut out = Vec::with_capacity(input.len());
    if input.is_empty() || input.len() > 7 {
        errors.add("hours", "must list one to seven days");
    }
    for h in input {
        let key = format!("hours.{}", h.day_of_week);
        let Ok(day) = usize::try_from(h.day_of_week) else {
            errors.add(&key, "day must be 0 (Sunday) to 6 (Saturday)");
            continue;
        };
        if day > 6 {
            errors.add(&key, "day must be 0 (Sunday) to 6 (Saturday)");
            continue;
        }
        if seen[day] {
            errors.add(&key, "is listed twice");
            continue;
        }
        seen[day] = true;
        let time = |v: &str, default: &str| {
            let v = v.trim();
            if v.is_empty() && h.is_closed {
                Some(default.to_string())
            } else {
                parse_hhmm(v).map(|_| v.to_string())
            }
        };
        let open = time(&h.open_time, "09:00");
        let close = time(&h.close_time, "17:00");
        if open.is_none() {
            errors.add(&format!("{key}.openTime"), "must be a time like 09:00");
        }
        if close.is_none() {
            errors.add(&format!("{key}.closeTime"), "must be a time like 17:00");
        }
        if let (Some(open_time), Some(close_time)) = (open, close) {
            out.push(BusinessHours {
                day_of_week: h.day_of_week,
                open_time,
                close_time,
                is_closed: h.is_closed,
            });
        }
    }
    errors.into_result()?;
    Ok(out)
}

/// `#rrggbb` (case-insensitive, stored lower case), or empty for none.
pub fn validate_color(raw: &str) -> Result<Option<String>, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let ok = v.len() == 7 && v.starts_with('#') && v[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(Some(v.to_ascii_lowercase()))
    } else {
        Err("must be a colour like #e85d04".into())
    }
}

/// The seven days, Sunday first, with stored hours where set and 09:00–17:00 elsewhere.
pub fn full_week(stored: &[BusinessHours]) -> Vec<BusinessHours> {
    (0..7)
        .map(|d| {
            stored
                .iter()
                .find(|h| h.day_of_week == d)
                .cloned()
                .unwrap_or(BusinessHours {
                    day_of_week: d,
                    open_time: "09:00".into(),
                    close_time: "17:00".into(),
                    is_closed: false,
                })
        })
        .collect()
}

/// The tenant's (first) merchant: the business the dashboard manages.
pub async fn main_merchant(state: &AppState, tenant: TenantId) -> Result<Merchant, ApiError> {
    state
        .store
        .merchants(tenant)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("merchant"))
}

/// The business profile with its week of hours.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BusinessSettings {
    #[schema(value_type = Object)]
    pub merchant: Merchant,
    #[schema(value_type = Vec<Object>)]
    pub hours: Vec<BusinessHours>,
}

#[utoipa::path(get, path = "/api/merchant", tag = "business", security(("bearer" = [])),
    responses((status = 200, body = BusinessSettings)))]
pub async fn get(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<BusinessSettings>, ApiError> {
    let merchant = main_merchant(&state, staff.tenant).await?;
    let hours = state
        .store
        .business_hours(staff.tenant, merchant.id)
        .await?;
    Ok(Json(BusinessSettings {
        merchant,
        hours: full_week(&hours),
    }))
}

/// Saves a validated profile; a clash of e-mail addresses is a field error.
pub async fn save_profile(
    state: &AppState,
    staff: &Staff,
    input: &ProfileInput,
) -> Result<Merchant, ApiError> {
    staff.require(Role::Admin)?;
    let profile = input.validate()?;
    let merchant = main_merchant(state, staff.tenant).await?;
    let updated = state
        .store
        .update_merchant_profile(staff.tenant, merchant.id, profile, &staff.actor)
        .await
        .map_err(|e| match e {
            qms_store::StoreError::Taken(_) => {
                ApiError::field("email", "is used by another business of this account")
            }
            other => other.into(),
        })?;
    Ok(updated)
}

#[utoipa::path(put, path = "/api/merchant", tag = "business", security(("bearer" = [])), request_body = ProfileInput,
    responses((status = 200, body = Object), (status = 403), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<ProfileInput>,
) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(save_profile(&state, &staff, &input).await?))
}

/// Saves validated hours.
pub async fn save_hours(
    state: &AppState,
    staff: &Staff,
    input: &[HoursInput],
) -> Result<Vec<BusinessHours>, ApiError> {
    staff.require(Role::Admin)?;
    let hours = validate_hours(input)?;
    let merchant = main_merchant(state, staff.tenant).await?;
    let stored = state
        .store
        .set_business_hours(staff.tenant, merchant.id, &hours, &staff.actor)
        .await?;
    Ok(full_week(&stored))
}

#[utoipa::path(put, path = "/api/merchant/hours", tag = "business", security(("bearer" = [])), request_body = Vec<HoursInput>,
    responses((status = 200, body = Vec<Object>), (status = 403), (status = 422)))]
pub async fn update_hours(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<Vec<HoursInput>>,
) -> Result<Json<Vec<BusinessHours>>, ApiError> {
    Ok(Json(save_hours(&state, &staff, &input).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BrandingInput {
    /// `#rrggbb`, or empty to remove it.
    pub brand_color: String,
}

/// Sets the brand colour, keeping the logo.
pub async fn save_color(state: &AppState, staff: &Staff, raw: &str) -> Result<Merchant, ApiError> {
    staff.require(Role::Admin)?;
    let brand_color = validate_color(raw).map_err(|e| ApiError::field("brandColor", e))?;
    let merchant = main_merchant(state, staff.tenant).await?;
    let branding = Branding {
        logo_url: merchant.logo_url,
        brand_color,
    };
    Ok(state
        .store
        .update_merchant_branding(staff.tenant, merchant.id, branding, &staff.actor)
        .await?)
}

#[utoipa::path(put, path = "/api/merchant/branding", tag = "business", security(("bearer" = [])), request_body = BrandingInput,
    responses((status = 200, body = Object), (status = 403), (status = 422)))]
pub async fn update_branding(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<BrandingInput>,
) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(save_color(&state, &staff, &input.brand_color).await?))
}

/// Uploads the logo: a multipart form with one file field `logo` (PNG, JPEG or WebP, at most
/// 512 KiB, recognised by its first bytes). Answers the merchant with its new `logoUrl`.
#[utoipa::path(post, path = "/api/merchant/logo", tag = "business", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "field `logo`: PNG, JPEG or WebP, at most 512 KiB"),
    responses((status = 200, body = Object), (status = 403), (status = 413), (status = 422)))]
pub async fn upload_logo(
    State(state): State<AppState>,
    staff: Staff,
    mut form: Multipart,
) -> Result<Json<Merchant>, ApiError> {
    staff.require(Role::Admin)?;
    let mut data = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e.status())),
        };
        if field.name() != Some("logo") {
            continue;
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| multipart_error(e.status()))?;
        data = Some(bytes);
    }
    let Some(bytes) = data.filter(|b| !b.is_empty()) else {
        return Err(ApiError::field("logo", "choose an image file"));
    };
    if bytes.len() > uploads::MAX_LOGO_BYTES {
        return Err(ApiError::field("logo", "must be at most 512 KiB"));
    }
    let url = uploads::save_logo(&*state.store, staff.tenant, &bytes)
        .await
        .map_err(|e| match e {
            uploads::UploadError::NotAnImage => {
                ApiError::field("logo", "must be a PNG, JPEG or WebP image")
            }
            uploads::UploadError::Store(e) => ApiError::from(e),
        })?;
    let merchant = main_merchant(&state, staff.tenant).await?;
    let branding = Branding {
        logo_url: Some(url),
        brand_color: merchant.brand_color,
    };
    Ok(Json(
        state
            .store
            .update_merchant_branding(staff.tenant, merchant.id, branding, &staff.actor)
            .await?,
    ))
}

fn multipart_error(status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        let mut e = ApiError::new(status, "payload_too_large", "the file is too large");
        e.fields
            .insert("logo".into(), "must be at most 512 KiB".into());
        e
    } else {
        ApiError::field("logo", "send the image as multipart/form-data field `logo`")
    }
}

/// Removes the logo (the stored image stays: its name is its content's hash, so it may be
/// reused).
pub async fn remove_logo_for(state: &AppState, staff: &Staff) -> Result<Merchant, ApiError> {
    staff.require(Role::Admin)?;
    let merchant = main_merchant(state, staff.tenant).await?;
    let branding = Branding {
        logo_url: None,
        brand_color: merchant.brand_color,
    };
    Ok(state
        .store
        .update_merchant_branding(staff.tenant, merchant.id, branding, &staff.actor)
        .await?)
}

#[utoipa::path(delete, path = "/api/merchant/logo", tag = "business", security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 403)))]
pub async fn remove_logo(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Merchant>, ApiError> {
    Ok(Json(remove_logo_for(&state, &staff).await?))
}
