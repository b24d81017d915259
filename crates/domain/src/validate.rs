//! Input validation at the edge (TSD §7.4, stricter): text without control characters and
//! within length, international phone numbers normalised to E.164, party sizes, e-mail
//! addresses and password strength. Problems are collected per field so that a form or API
//! client can show all of them at once.

use serde::Serialize;
use std::collections::BTreeMap;

/// Field name → human-readable problem, as returned in `{"error":{"fields":{…}}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("invalid input: {}", self.summary())]
pub struct FieldErrors {
    pub fields: BTreeMap<String, String>,
}

impl FieldErrors {
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::default();
        e.add(field, message);
        e
    }

    /// Records a problem; the first one reported for a field is kept.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    fn summary(&self) -> String {
        self.fields
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Trims `s` and checks it has `min..=max` characters and no control characters (NUL included;
/// tab and newlines are allowed only when `min == 0`, i.e. for free-text notes).
pub fn clean_text(s: &str, min: usize, max: usize) -> Result<String, String> {
    let trimmed = s.trim();
    let multiline = min == 0;
    if trimmed
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err("must not contain control characters".into());
    }
    let n = trimmed.chars().count();
    if n < min {
        return Err(if min == 1 {
            "is required".into()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if n > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(trimmed.to_string())
}

/// Optional free text: `None`, empty or blank become `None`.
pub fn clean_optional(s: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match s {
        None => Ok(None),
        Some(s) => clean_text(s, 0, max).map(|v| (!v.is_empty()).then_some(v)),
    }
}

/// Parses a phone number written internationally (`+60 12-345 6789`) or, when `default_region`
/// (ISO 3166 alpha-2, e.g. `MY`) is given, nationally; answers it in E.164 (`+60123456789`).
pub fn normalize_phone(raw: &str, default_region: Option<&str>) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("is required".into());
    }
    if raw.len() > 32 || raw.chars().any(|c| c.is_control()) {
        return Err("is not a valid phone number".into());
    }
    let region = default_region.and_then(|r| r.parse::<phonenumber::country::Id>().ok());
    let parsed = phonenumber::parse(region, raw).map_err(|_| {
        "is not a valid phone number; include the country code, e.g. +60".to_string()
    })?;
    if !phonenumber::is_valid(&parsed) {
        return Err("is not a valid phone number; include the country code, e.g. +60".into());
    }
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// The international calling code of a country (ISO 3166 alpha-2, e.g. `MY` → 60), shown in
/// front of the phone field of the join form.
pub fn calling_code(region: &str) -> Option<u16> {
    phonenumber::metadata::DATABASE
        .by_id(region.trim().to_ascii_uppercase().as_str())
        .map(|m| m.country_code())
}

/// Joins a country code (`+60`) and a number as typed on a form into one string for
/// [`normalize_phone`]: a number that starts with `+` (or `00`) is already international; with
/// the merchant's own code the number is kept national so its trunk prefix (`012…`) is read
/// right; another code is put in front.
pub fn combine_phone(country_code: &str, number: &str, region: Option<&str>) -> String {
    let number = number.trim();
    if number.starts_with('+') || number.starts_with("00") {
        return number.to_string();
    }
    let digits: String = country_code.chars().filter(char::is_ascii_digit).collect();
    let own = region.and_then(calling_code).map(|c| c.to_string());
    if digits.is_empty() || own.as_deref() == Some(digits.as_str()) {
        number.to_string()
    } else {
        format!("+{digits} {number}")
    }
}

/// Party size 1–20 (TSD §7.4).
pub fn party_size(n: i64) -> Result<i32, String> {
    if (1..=20).contains(&n) {
        Ok(n as i32)
    } else {
        Err("must be between 1 and 20".into())
    }
}

/// A plausible e-mail address, lower-cased: one `@`, a dot in the domain, no spaces, ≤ 254.
pub fn normalize_email(raw: &str) -> Result<String, String> {
    let e = raw.trim().to_lowercase();
    let valid = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(e)
    } else {
        Err("is not a valid e-mail address".into())
    }
}

/// Passwords that are long enough but that every attacker tries first.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "0123456789",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "iloveyou123",
    "abcdefghij",
    "abc1234567",
    "letmein123",
    "welcome123",
    "admin12345",
    "administrator",
    "changeme123",
    "trustno1234",
    "football123",
    "baseball123",
    "sunshine123",
    "princess123",
    "superman123",
    "starwars123",
    "monkey12345",
    "dragon12345",
    "1111111111",
    "0000000000",
    "aaaaaaaaaa",
    "zaq12wsxcde",
    "asdfghjkl1",
    "qazwsxedcr",
];

/// At least 10 characters, at most 128, not on the common-password list.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < 10 {
        return Err("must be at least 10 characters".into());
    }
    if n > 128 {
        return Err("must be at most 128 characters".into());
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err("is too common; choose another".into());
    }
    let first = lower.chars().next();
    if lower.chars().all(|c| Some(c) == first) {
        return Err("is too easy to guess".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calling_codes_and_combined_numbers() {
        assert_eq!(calling_code("MY"), Some(60));
        assert_eq!(calling_code("sg"), Some(65));
        assert_eq!(calling_code("ZZ"), None);
        let my = Some("MY");
        assert_eq!(combine_phone("+60", "012-345 6789", my), "012-345 6789");
        assert_eq!(
            normalize_phone(&combine_phone("+60", "012-345 6789", my), my).as_deref(),
            Ok("+60123456789")
        );
        assert_eq!(combine_phone("+65", "8123 4567", my), "+65 8123 4567");
        assert_eq!(
            normalize_phone(&combine_phone("+65", "8123 4567", my), my).as_deref(),
            Ok("+6581234567")
        );
        assert_eq!(
            combine_phone("+60", "+44 20 7946 0000", my),
            "+44 20 7946 0000"
        );
        assert_eq!(combine_phone("", "0123456789", my), "0123456789");
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(clean_text("  Ann  ", 1, 100).as_deref(), Ok("Ann"));
        assert!(clean_text("   ", 1, 100).is_err());
        assert!(clean_text(&"x".repeat(101), 1, 100).is_err());
        assert_eq!(
            clean_text(&"é".repeat(100), 1, 100).map(|s| s.chars().count()),
            Ok(100)
        );
        assert!(clean_text("Ann\0", 1, 100).is_err());
        assert!(clean_text("Ann\nBee", 1, 100).is_err());
        assert!(clean_text("line1\nline2", 0, 500).is_ok());
        assert!(clean_text("bell\u{7}", 0, 500).is_err());
        assert_eq!(clean_optional(Some("  "), 10), Ok(None));
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(
            normalize_phone("+60 12-345 6789", None).as_deref(),
            Ok("+60123456789")
        );
        assert_eq!(
            normalize_phone("012-345 6789", Some("MY")).as_deref(),
            Ok("+60123456789")
        );
        assert_eq!(
            normalize_phone("+1 415 555 2671", None).as_deref(),
            Ok("+14155552671")
        );
        assert!(normalize_phone("12345", None).is_err());
        assert!(normalize_phone("not a phone", None).is_err());
        assert!(normalize_phone("", None).is_err());
        assert!(normalize_phone("+60\u{0}123456789", None).is_err());
    }

    #[test]
    fn party_sizes_are_bounded() {
        assert_eq!(party_size(1), Ok(1));
        assert_eq!(party_size(20), Ok(20));
        assert!(party_size(0).is_err());
        assert!(party_size(21).is_err());
        assert!(party_size(-3).is_err());
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            normalize_email(" Owner@Demo.Example ").as_deref(),
            Ok("owner@demo.example")
        );
        for bad in [
            "", "a", "a@b", "a@@b.c", "a b@c.d", "@b.c", "a@.bc", "a@bc.",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_checked() {
        assert!(check_password("short").is_err());
        assert!(check_password("Password123").is_err());
        assert!(check_password("aaaaaaaaaaaa").is_err());
        assert!(check_password("correct horse battery").is_ok());
    }

    #[test]
    fn field_errors_collect() {
        let mut e = FieldErrors::default();
        e.add("a", "first");
        e.add("a", "second");
        e.add("b", "x");
        assert_eq!(e.fields.get("a").map(String::as_str), Some("first"));
        assert_eq!(e.fields.len(), 2);
        assert!(FieldErrors::default().into_result().is_ok());
    }
}
