//! Uploaded images (merchants' logos), kept in the database.
//!
//! A logo is accepted only when its first bytes say PNG, JPEG or WebP (the file name and the
//! client's content type are ignored), and only up to [`MAX_LOGO_BYTES`]. It is stored as the
//! tenant's row `{sha256 prefix}.{ext}` of the `uploads` table ([`qms_store::Store::save_upload`])
//! and served at `/uploads/logo/{name}` on the tenant's own host only. In the database rather
//! than on local disk, so that every instance behind a load balancer serves every logo (no
//! shared volume needed) and a backup of the database holds them. Names are content hashes, so
//! a served image never changes and may be cached for a year.
//!
//! Logos uploaded before the table existed were files under
//! `{data_dir}/uploads/{tenant id}/{name}`; a name the table does not hold is still looked for
//! there.

use crate::error::PageError;
use crate::settings::Settings;
use crate::state::AppState;
use crate::tenancy::CurrentTenant;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use qms_domain::TenantId;
use qms_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// The kinds of image accepted, recognised by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
            ImageKind::Webp => "webp",
        }
    }

    fn from_ext(ext: &str) -> Option<ImageKind> {
        match ext {
            "png" => Some(ImageKind::Png),
            "jpg" => Some(ImageKind::Jpeg),
            "webp" => Some(ImageKind::Webp),
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("not a PNG, JPEG or WebP image")]
    NotAnImage,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a tenant's logos were kept before they moved into the database.
fn legacy_dir(settings: &Settings, tenant: TenantId) -> PathBuf {
    settings
        .data_dir
        .join("uploads")
        .join(tenant.0.hyphenated().to_string())
}

/// Stores a logo and answers the URL it is served at.
pub async fn save_logo(
    store: &dyn Store,
    tenant: TenantId,
    bytes: &[u8],
) -> Result<String, UploadError> {
    let kind = ImageKind::sniff(bytes).ok_or(UploadError::NotAnImage)?;
    let hash = hex::encode(Sha256::digest(bytes));
    let name = format!("{}.{}", &hash[..32], kind.ext());
    store.save_upload(tenant, &name, bytes).await?;
    Ok(format!("/uploads/logo/{name}"))
}

/// A served file name: 32 lower-case hex digits and a known extension, nothing else (so no
/// path can escape the tenant's folder).
fn parse_name(file: &str) -> Option<ImageKind> {
    let (stem, ext) = file.split_once('.')?;
    let hex = stem.len() == 32 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hex {
        return None;
    }
    ImageKind::from_ext(ext)
}

/// `GET /uploads/logo/{file}` on a tenant's host.
pub async fn serve_logo(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    Path(file): Path<String>,
) -> Response {
    let Some(kind) = parse_name(&file) else {
        return PageError::not_found().into_response();
    };
    let stored = match state.store.upload(tenant.id, &file).await {
        Ok(Some(bytes)) => Some(bytes),
        // Uploaded before the images moved into the database.
        Ok(None) => tokio::fs::read(legacy_dir(&state.settings, tenant.id).join(&file))
            .await
            .ok(),
        Err(e) => return PageError::from(e).into_response(),
    };
    match stored {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(kind.mime())),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            bytes,
        )
            .into_response(),
        None => PageError::not_found().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_first_bytes() {
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
        assert_eq!(ImageKind::sniff(b"<svg xmlns="), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn only_hash_names_are_served() {
        let ok = format!("{}.png", "a".repeat(32));
        assert_eq!(parse_name(&ok), Some(ImageKind::Png));
        assert_eq!(parse_name(&format!("{}.gif", "a".repeat(32))), None);
        assert_eq!(parse_name("../../etc/passwd"), None);
        assert_eq!(parse_name(&format!("{}.png", "A".repeat(32))), None);
        assert_eq!(parse_name(&format!("{}.png.png", "a".repeat(32))), None);
        assert_eq!(parse_name(&format!(".{}.png", "a".repeat(31))), None);
    }
}
