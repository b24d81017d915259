//! The operators' second factor: RFC 6238 time-based codes (SHA-1, 6 digits, 30 s steps, one
//! step of clock skew either way) through `totp-rs`, the `otpauth://` URI and its QR code for
//! enrolment, and the short-lived signed ticket that carries a password-checked sign-in to its
//! code step.

use crate::state::AppState;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use uuid::Uuid;

/// The issuer shown in authenticator apps.
const ISSUER: &str = "QMS BackOffice";

/// A new random secret (160 bits), base32.
pub fn new_secret() -> String {
    Secret::from(rand::random::<[u8; 20]>()).to_base32()
}

fn totp(secret: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret.trim()).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// The time step a code is valid for at `now` (within one step either way), if any.
pub fn check(secret: &str, code: &str, now: OffsetDateTime) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = u64::try_from(now.unix_timestamp()).ok()?;
    let step = totp(secret, "x")?.check(&code, now)?;
    i64::try_from(step).ok()
}

/// The code for `secret` at `now` (for tests and tools).
pub fn code_at(secret: &str, now: OffsetDateTime) -> Option<String> {
    let now = u64::try_from(now.unix_timestamp()).ok()?;
    Some(totp(secret, "x")?.generate(now).to_string())
}

/// The `otpauth://totp/…` URI an authenticator app reads.
pub fn uri(secret: &str, account: &str) -> Option<String> {
    totp(secret, account)?.to_url().ok()
}

/// The URI as a QR code in a `data:` URL for an `<img>` (the CSP allows `data:` images).
pub fn qr_data_url(text: &str) -> Option<String> {
    use qrcode::render::svg;
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let mut url = String::from("data:image/svg+xml,");
    for b in svg.bytes() {
        if b.is_ascii_alphanumeric() || b" .-_:/=".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    Some(url)
}

/// What the sign-in ticket says: this operator passed the password check just now.
#[derive(Serialize, Deserialize)]
struct Ticket {
    sub: Uuid,
    aud: String,
    iat: i64,
    exp: i64,
}

const AUDIENCE: &str = "qms-backoffice-totp";
/// How long the code step may take after the password step.
const TICKET_TTL: i64 = 5 * 60;

fn key(state: &AppState) -> Vec<u8> {
    format!("{}\u{0}{AUDIENCE}", state.settings.session_secret).into_bytes()
}

/// A signed ticket for the code step of `user`'s sign-in.
pub fn ticket(state: &AppState, user: Uuid) -> Option<String> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let claims = Ticket {
        sub: user,
        aud: AUDIENCE.into(),
        iat: now,
        exp: now + TICKET_TTL,
    };
    let key = EncodingKey::from_secret(&key(state)).ok()?;
    jsonwebtoken::encode(&Header::default(), &claims, &key).ok()
}

/// The operator a ticket names, if it is genuine and fresh.
pub fn read_ticket(state: &AppState, ticket: &str) -> Option<Uuid> {
    let mut validation = Validation::default();
    validation.set_audience(&[AUDIENCE]);
    validation.leeway = 5;
    let key = DecodingKey::from_secret(&key(state)).ok()?;
    jsonwebtoken::decode::<Ticket>(ticket.trim(), &key, &validation)
        .ok()
        .map(|t| t.claims.sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_rfc_6238_and_allow_one_step_of_skew() {
        // RFC 6238 appendix B: SHA-1 secret "12345678901234567890", T = 59 → 94287082 (8
        // digits), so the 6-digit code is 287082.
        let secret = Secret::from(*b"12345678901234567890").to_base32();
        let t = OffsetDateTime::from_unix_timestamp(59).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(code_at(&secret, t).as_deref(), Some("287082"));
        assert_eq!(check(&secret, "287082", t), Some(1));
        assert_eq!(
            check(&secret, "287 082", t + time::Duration::seconds(30)),
            Some(1)
        );
        assert_eq!(
            check(&secret, "287082", t + time::Duration::seconds(90)),
            None
        );
        assert_eq!(check(&secret, "28708", t), None);
        assert_eq!(check(&secret, "abcdef", t), None);
        assert_eq!(check("not base32!", "287082", t), None);
    }

    #[test]
    fn secrets_uris_and_qr_codes() {
        let s = new_secret();
        assert_eq!(s.len(), 32);
        assert_ne!(s, new_secret());
        let u = uri(&s, "ops@example.com").unwrap_or_default();
        assert!(u.starts_with("otpauth://totp/"), "{u}");
        assert!(u.contains(&format!("secret={s}")));
        let qr = qr_data_url(&u).unwrap_or_default();
        assert!(qr.starts_with("data:image/svg+xml,") && !qr.contains('"') && !qr.contains('<'));
    }
}
