//! Translations of the customer pages: English, Bahasa Malaysia and Simplified Chinese, from
//! `crates/web/i18n/*.toml` (embedded at build time; sections flatten to dotted keys such as
//! `join.submit`). The language comes from `?lang=` (the switcher, remembered in a `lang`
//! cookie), then the cookie, then `Accept-Language`, then English.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Display;
use std::sync::LazyLock;

/// A language of the customer pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ms,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ms, Lang::ZhCn];

    /// The BCP 47 tag, used in `<html lang>`, the cookie and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ms => "ms",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ms => "Bahasa Melayu",
            Lang::ZhCn => "简体中文",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../i18n/en.toml"),
            Lang::Ms => include_str!("../i18n/ms.toml"),
            Lang::ZhCn => include_str!("../i18n/zh-CN.toml"),
        }
    }

    /// Reads a tag such as `ms`, `ms-MY`, `zh`, `zh-Hans-SG` or `en-GB`.
    pub fn parse(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        match primary {
            "en" => Some(Lang::En),
            "ms" => Some(Lang::Ms),
            "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// The best language for an `Accept-Language` header (highest `q` first, ties in order).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut choices: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut bits = part.split(';');
                let lang = Lang::parse(bits.next()?)?;
                let q = bits
                    .find_map(|b| b.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        choices.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        choices.first().map(|c| c.2)
    }

    pub fn catalog(self) -> &'static HashMap<String, String> {
        static CATALOGS: LazyLock<HashMap<Lang, HashMap<String, String>>> = LazyLock::new(|| {
            Lang::ALL
                .into_iter()
                .map(|l| (l, flatten(l.source())))
                .collect()
        });
        static EMPTY: LazyLock<HashMap<String, String>> = LazyLock::new(HashMap::new);
        CATALOGS.get(&self).unwrap_or(&EMPTY)
    }
}

/// Reads a translation file into `section.key → text`. A file that does not parse gives no
/// keys (and the test `every_language_has_every_key` fails).
fn flatten(source: &str) -> HashMap<String, String> {
    fn walk(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(t) => walk(&key, t, out),
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                // Only texts belong in a translation file; the key test reports anything else.
                _ => {}
            }
        }
    }
    let mut out = HashMap::new();
    match source.parse::<toml::Table>() {
        Ok(table) => walk("", &table, &mut out),
        Err(e) => tracing::error!(error = %e, "a translation file does not parse"),
    }
    out
}

/// The translations of one language for a template: `t.t("key")`, `t.f("key", value)` for
/// texts with `{0}`, `t.f2("key", a, b)` for `{0}` and `{1}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Tr { lang }
    }

    /// The text for `key`; English when this language lacks it, the key itself when no
    /// language has it (a test keeps that from happening).
    pub fn t<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        self.lang
            .catalog()
            .get(key)
            .or_else(|| Lang::En.catalog().get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    pub fn f(&self, key: &str, a: impl Display) -> String {
        self.t(key).replace("{0}", &a.to_string())
    }

    pub fn f2(&self, key: &str, a: impl Display, b: impl Display) -> String {
        self.t(key)
            .replace("{0}", &a.to_string())
            .replace("{1}", &b.to_string())
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

/// The language of a request, and whether `?lang=` chose it (then the answer remembers it in
/// the `lang` cookie).
#[derive(Debug, Clone, Copy)]
pub struct Chosen {
    pub lang: Lang,
    pub from_query: bool,
}

impl Chosen {
    pub fn from_request(query: Option<&str>, headers: &HeaderMap) -> Chosen {
        let from_query = query.and_then(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| *k == "lang")
                .and_then(|(_, v)| Lang::parse(v))
        });
        if let Some(lang) = from_query {
            return Chosen {
                lang,
                from_query: true,
            };
        }
        let from_cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Lang::parse(v));
        let lang = from_cookie
            .or_else(|| {
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or(Lang::En);
        Chosen {
            lang,
            from_query: false,
        }
    }

    pub fn tr(&self) -> Tr {
        Tr::new(self.lang)
    }

    /// Adds the `lang` cookie when the switcher chose the language, and `Vary` so shared
    /// caches keep one copy per language.
    pub fn apply(&self, mut response: Response) -> Response {
        let h = response.headers_mut();
        if self.from_query
            && let Ok(v) = HeaderValue::from_str(&format!(
                "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
                self.lang.code()
            ))
        {
            h.append(header::SET_COOKIE, v);
        }
        h.append(
            header::VARY,
            HeaderValue::from_static("Accept-Language, Cookie"),
        );
        response
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Chosen {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Chosen::from_request(parts.uri.query(), &parts.headers))
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_language_has_every_key() {
        let en: BTreeSet<&String> = Lang::En.catalog().keys().collect();
        assert!(
            en.len() > 50,
            "the English catalog parsed ({} keys)",
            en.len()
        );
        for lang in [Lang::Ms, Lang::ZhCn] {
            let other: BTreeSet<&String> = lang.catalog().keys().collect();
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
            assert!(
                extra.is_empty(),
                "{} has unknown keys {extra:?}",
                lang.code()
            );
            for (k, v) in lang.catalog() {
                let en_text = &Lang::En.catalog()[k];
                for ph in ["{0}", "{1}"] {
                    assert_eq!(
                        en_text.contains(ph),
                        v.contains(ph),
                        "{} {k}: placeholder {ph} differs from English",
                        lang.code()
                    );
                }
            }
        }
    }

    /// Every `t.t("…")`, `t.f("…"` and `t.f2("…"` in the customer templates and pages names a
    /// key that exists.
    #[test]
    fn every_key_used_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for sub in ["templates/customer", "src/pages/customer"] {
            for entry in std::fs::read_dir(dir.join(sub)).expect("dir").flatten() {
                sources.push(std::fs::read_to_string(entry.path()).expect("read"));
            }
        }
        let mut used = 0;
        for src in &sources {
            for pat in ["t.t(\"", "t.f(\"", "t.f2(\"", "tr(\""] {
                for (i, _) in src.match_indices(pat) {
                    let rest = &src[i + pat.len()..];
                    let key = &rest[..rest.find('"').expect("closing quote")];
                    if key.contains('{') {
                        continue;
                    }
                    used += 1;
                    assert!(
                        Lang::En.catalog().contains_key(key),
                        "missing translation key {key}"
                    );
                }
            }
        }
        assert!(used > 30, "found {used} keys in use");
    }

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(
            Lang::from_accept_language("ms-MY,ms;q=0.9,en;q=0.8"),
            Some(Lang::Ms)
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, zh-CN;q=0.8, en;q=0.5"),
            Some(Lang::ZhCn)
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0.3, zh-Hans;q=0.9"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("ms;q=0"), None);
    }

    #[test]
    fn query_beats_cookie_beats_header() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("zh-CN"));
        assert_eq!(Chosen::from_request(None, &h).lang, Lang::ZhCn);
        h.insert(header::COOKIE, HeaderValue::from_static("a=b; lang=ms"));
        assert_eq!(Chosen::from_request(None, &h).lang, Lang::Ms);
        let c = Chosen::from_request(Some("x=1&lang=en"), &h);
        assert_eq!((c.lang, c.from_query), (Lang::En, true));
        assert_eq!(Chosen::from_request(Some("lang=xx"), &h).lang, Lang::Ms);
    }

    #[test]
    fn formatting_and_fallback() {
        let t = Tr::new(Lang::En);
        assert_eq!(t.t("no.such.key"), "no.such.key");
        assert_eq!(t.f("status.ahead_many", 3), "3 people ahead of you");
        assert_eq!(
            Tr::new(Lang::Ms).f2("join.ahead", 4, 20),
            "4 orang menunggu · kira-kira 20 min"
        );
    }
}
