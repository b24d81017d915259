//! Plain HTML forms of the dashboard: what a refused form keeps (the values typed, the problem
//! of each field) so the page can be rendered again with the form filled in and its errors
//! next to their fields, and the mapping from API errors to that.

use crate::error::ApiError;
use axum::http::StatusCode;
use std::collections::{BTreeMap, HashMap};

/// A submitted form: field name → value (the last one wins; checkboxes are absent when off).
pub type Fields = HashMap<String, String>;

/// The form that was refused, if any.
#[derive(Debug, Default, Clone)]
pub struct Failed {
    /// Which form (e.g. `profile`, `queue-<id>`).
    pub form: String,
    pub values: Fields,
    pub errors: BTreeMap<String, String>,
    /// A problem not tied to one field.
    pub message: Option<String>,
}

impl Failed {
    pub fn new(form: impl Into<String>, values: Fields, e: &ApiError) -> Failed {
        let message = if e.fields.is_empty() {
            Some(capitalise(&e.message))
        } else {
            None
        };
        Failed {
            form: form.into(),
            values,
            errors: e.fields.clone(),
            message,
        }
    }

    /// True when `form` is the refused one.
    pub fn is(&self, form: &str) -> bool {
        self.form == form
    }

    /// What the refused form had in `field`, else `default`.
    pub fn value(&self, form: &str, field: &str, default: &str) -> String {
        if self.is(form) {
            self.values.get(field).cloned().unwrap_or_default()
        } else {
            default.to_string()
        }
    }

    /// A checkbox of the refused form, else `default`.
    pub fn checked(&self, form: &str, field: &str, default: bool) -> bool {
        if self.is(form) {
            self.values.contains_key(field)
        } else {
            default
        }
    }

    /// The problem with `field` of `form`, if it was refused for it.
    pub fn error(&self, form: &str, field: &str) -> Option<String> {
        if self.is(form) {
            self.errors.get(field).map(|e| capitalise(e))
        } else {
            None
        }
    }

    /// The form-wide problem of `form`, if any.
    pub fn message_for(&self, form: &str) -> Option<String> {
        if self.is(form) {
            self.message.clone().or_else(|| {
                (!self.errors.is_empty()).then(|| "Please correct the fields marked below.".into())
            })
        } else {
            None
        }
    }

    /// The HTTP status a page with this refusal answers.
    pub fn status(e: &ApiError) -> StatusCode {
        if e.status.is_client_error() {
            e.status
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// "is required" → "Is required".
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Reads a field, trimmed ("" when absent).
pub fn text(fields: &Fields, name: &str) -> String {
    fields
        .get(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// Reads a whole number, or records that it is not one.
pub fn number(fields: &Fields, name: &str, errors: &mut qms_domain::FieldErrors) -> i32 {
    match text(fields, name).parse::<i32>() {
        Ok(n) => n,
        Err(_) => {
            errors.add(name, "must be a whole number");
            0
        }
    }
}

/// A checkbox: on when present.
pub fn flag(fields: &Fields, name: &str) -> bool {
    fields.contains_key(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_form_keeps_its_values_and_errors() {
        let mut values = Fields::new();
        values.insert("name".into(), "  ".into());
        let e = ApiError::field("name", "is required");
        let f = Failed::new("queue-1", values, &e);
        assert_eq!(f.value("queue-1", "name", "Main"), "  ");
        assert_eq!(f.value("queue-2", "name", "Main"), "Main");
        assert_eq!(f.error("queue-1", "name").as_deref(), Some("Is required"));
        assert_eq!(f.error("queue-2", "name"), None);
        assert!(f.message_for("queue-1").is_some());
        assert!(!f.checked("queue-1", "isActive", true));
        assert!(f.checked("queue-2", "isActive", true));
    }
}
