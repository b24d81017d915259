//! The merchant's brand colour as a tiny stylesheet (`GET /brand.css`), so no page needs an
//! inline style (the CSP forbids them). From one colour it derives the text colour that reads
//! on it and a darker shade that meets WCAG AA (4.5:1) against white, for buttons and links.

use super::CustomerSite;
use crate::error::PageError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The default brand colour (the product's orange).
const DEFAULT: [u8; 3] = [0xe8, 0x5d, 0x04];

/// The colours derived from a brand colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    pub brand: [u8; 3],
    /// Black or white, whichever reads better on `brand`.
    pub on_brand: [u8; 3],
    /// `brand` darkened until white text on it (and it on white) reaches 4.5:1.
    pub strong: [u8; 3],
}

fn parse_hex(s: &str) -> Option<[u8; 3]> {
    let s = s.trim().strip_prefix('#')?;
    let digits: Vec<u8> = s
        .chars()
        .map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok()))
        .collect::<Option<_>>()?;
    match digits.as_slice() {
        [r, g, b] => Some([r * 17, g * 17, b * 17]),
        [r1, r2, g1, g2, b1, b2] => Some([r1 * 16 + r2, g1 * 16 + g2, b1 * 16 + b2]),
        _ => None,
    }
}

fn luminance(c: [u8; 3]) -> f64 {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

const WHITE: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [0x11, 0x11, 0x11];
/// The page background of `app.css`.
const PAGE: [u8; 3] = [0xfa, 0xfa, 0xfa];

impl Palette {
    /// The palette of a merchant's `brandColor` (`#rgb` or `#rrggbb`); the default otherwise.
    pub fn of(color: Option<&str>) -> Palette {
        let brand = color.and_then(parse_hex).unwrap_or(DEFAULT);
        let on_brand = if contrast(brand, WHITE) >= contrast(brand, INK) {
            WHITE
        } else {
            INK
        };
        let mut strong = brand;
        for _ in 0..100 {
            if contrast(strong, WHITE) >= 4.6 && contrast(strong, PAGE) >= 4.6 {
                break;
            }
            strong = strong.map(|v| (f64::from(v) * 0.92).floor() as u8);
        }
        Palette {
            brand,
            on_brand,
            strong,
        }
    }

    pub fn brand_hex(&self) -> String {
        hex_of(self.brand)
    }

    /// A short tag that changes with the colour (the stylesheet's cache key).
    pub fn version(&self) -> String {
        hex::encode(self.brand)
    }

    pub fn css(&self) -> String {
        format!(
            ":root{{--brand:{};--on-brand:{};--brand-strong:{}}}\n",
            hex_of(self.brand),
            hex_of(self.on_brand),
            hex_of(self.strong)
        )
    }
}

fn hex_of(c: [u8; 3]) -> String {
    format!("#{}", hex::encode(c))
}

/// `GET /brand.css`: the tenant's colours as CSS custom properties. Pages link it with
/// `?v=<colour>`, so it may be cached for a day.
pub async fn stylesheet(
    State(state): State<AppState>,
    CustomerSite(tenant): CustomerSite,
) -> Result<Response, PageError> {
    let merchant = super::merchant_of(&state, &tenant, None).await?;
    let palette = Palette::of(merchant.as_ref().and_then(|m| m.brand_color.as_deref()));
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        palette.css(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse() {
        assert_eq!(parse_hex("#fff"), Some([255, 255, 255]));
        assert_eq!(parse_hex("#0A7f00"), Some([10, 127, 0]));
        assert_eq!(parse_hex("red"), None);
        assert_eq!(parse_hex("#12345"), None);
        assert_eq!(parse_hex("#ggg"), None);
    }

    #[test]
    fn derived_colours_meet_aa() {
        for c in [
            "#e85d04", "#ffff00", "#ffffff", "#000000", "#1a73e8", "#7fffd4",
        ] {
            let p = Palette::of(Some(c));
            assert!(contrast(p.brand, p.on_brand) >= 4.5, "{c}: text on brand");
            assert!(contrast(p.strong, WHITE) >= 4.5, "{c}: white on strong");
            assert!(contrast(p.strong, PAGE) >= 4.5, "{c}: strong on the page");
        }
        assert_eq!(Palette::of(Some("nonsense")), Palette::of(None));
        assert!(
            Palette::of(None)
                .css()
                .starts_with(":root{--brand:#e85d04;")
        );
    }
}
