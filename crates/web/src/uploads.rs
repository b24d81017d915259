//! Uploaded images (merchants' logos) on local disk.
//!
//! A logo is accepted only when its first bytes say PNG, JPEG or WebP (the file name and the
//! client's content type are ignored), and only up to [`MAX_LOGO_BYTES`]. It is stored as
//! `{data_dir}/uploads/{tenant id}/{sha256 prefix}.{ext}` — written to a temporary name, then
//! renamed, so a reader never sees half a file — and served at `/uploads/logo/{file}` on the
//! tenant's own host only. Names are content hashes, so a served file never changes and may be
//! cached for a year.
//!
//! Local disk suits the embedded deployment; several instances behind a load balancer need a
//! shared volume mounted at the data folder (an S3-compatible bucket is not implemented yet).

use crate::error::PageError;
use crate::settings::Settings;
use crate::state::AppState;
use crate::tenancy::CurrentTenant;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use qms_domain::TenantId;
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
    Io(#[from] std::io::Error),
}

fn tenant_dir(settings: &Settings, tenant: TenantId) -> PathBuf {
    settings
        .data_dir
        .join("uploads")
        .join(tenant.0.hyphenated().to_string())
}

/// Stores a logo and answers the URL it is served at.
pub async fn save_logo(
    settings: &Settings,
    tenant: TenantId,
    bytes: &[u8],
) -> Result<String, UploadError> {
    let kind = ImageKind::sniff(bytes).ok_or(UploadError::NotAnImage)?;
    let hash = hex::encode(Sha256::digest(bytes));
    let name = format!("{}.{}", &hash[..32], kind.ext());
    let dir = tenant_dir(settings, tenant);
    tokio::fs::create_dir_all(&dir).await?;
    let path = dir.join(&name);
    if tokio::fs::metadata(&path).await.is_err() {
        let tmp = dir.join(format!(".{name}.{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, bytes).await?;
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e.into());
        }
    }
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
    let path = tenant_dir(&state.settings, tenant.id).join(&file);
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
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
        Err(_) => PageError::not_found().into_response(),
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
