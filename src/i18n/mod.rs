//! Languages and local times: the Fluent catalogs (`templates/locales/<lang>/*.ftl`,
//! compiled into the binary), which language a person gets, and dates, times and
//! numbers in their language and time zone.
//!
//! A page gets an [`L10n`] for its request (see `web::locale`); anything else that
//! speaks to a person (an email built by a worker) builds one with [`L10n::new`] for
//! the language it needs. Text that is decided before the language is known (an error
//! raised in a handler) travels as a [`Msg`] and is put into words by `L10n::msg`.

mod format;
mod time;

pub use format::group_digits;
pub use time::{canonical_timezone, parse_local, timezone, timezone_names};

use crate::domain::Timestamp;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, langid};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static CATALOGS = {
        locales: "./templates/locales",
        fallback_language: "en",
        // Plain text around placeables (no bidi isolation marks), and numbers grouped
        // the way each language writes them.
        customise: |bundle| {
            bundle.set_use_isolating(false);
            let spanish = bundle.locales.first().is_some_and(|l| l.language.as_str() == "es");
            bundle.set_formatter(Some(if spanish { format::fluent_es } else { format::fluent_en }));
        },
    };
}

/// A language of the interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Es,
}

static EN: LanguageIdentifier = langid!("en");
static ES: LanguageIdentifier = langid!("es");

impl Lang {
    /// Every language the catalogs have.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The language's code (`en`, `es`), as stored and as in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// A language tag (`es`, `es-MX`, `EN_us`) by its primary language; `None` when the
    /// catalogs do not have it.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    /// The language's own name ("English", "Español"), for a language picker.
    pub fn native_name(self) -> String {
        L10n::new(self, "UTC").t("language-name")
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }
}

/// The first language of an `Accept-Language` header (by weight, then order) that the
/// catalogs have.
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut tags: Vec<(f32, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut bits = part.split(';');
            let tag = bits.next()?.trim();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (q > 0.0 && !tag.is_empty()).then_some((q, i, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.iter().find_map(|(_, _, t)| Lang::parse(t))
}

/// The language a person gets: their own choice, else their browser's, else the
/// installation's default.
pub fn negotiate(chosen: Option<&str>, accept_language: Option<&str>, default: Lang) -> Lang {
    chosen
        .and_then(Lang::parse)
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or(default)
}

/// The installation's language and time zone (`[ui]`): for agents who chose neither,
/// and for every email and widget a customer reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defaults {
    pub language: Lang,
    pub timezone: String,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            language: Lang::En,
            timezone: "UTC".into(),
        }
    }
}

/// The language a customer reads (emails, the widget): the contact's when known, else
/// the inbox's, else the installation's. Codes the catalogs lack count as unknown.
pub fn customer_lang(contact: Option<&str>, inbox: Option<&str>, installation: Lang) -> Lang {
    contact
        .and_then(Lang::parse)
        .or_else(|| inbox.and_then(Lang::parse))
        .unwrap_or(installation)
}

/// A value for a placeable: text, or a number (which also picks plural forms).
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Str(String),
    Num(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Self {
        Arg::Str(s.clone())
    }
}
/// Anything a placeable can show: text or a whole number, or a reference to one (so
/// templates can pass what they hold).
pub trait ToArg {
    fn to_arg(&self) -> Arg;
}

impl ToArg for Arg {
    fn to_arg(&self) -> Arg {
        self.clone()
    }
}
impl ToArg for str {
    fn to_arg(&self) -> Arg {
        Arg::Str(self.to_string())
    }
}
impl ToArg for String {
    fn to_arg(&self) -> Arg {
        Arg::Str(self.clone())
    }
}
impl<T: ToArg + ?Sized> ToArg for &T {
    fn to_arg(&self) -> Arg {
        (**self).to_arg()
    }
}

macro_rules! num_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
        impl ToArg for $t {
            fn to_arg(&self) -> Arg {
                Arg::Num(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
num_arg!(i64, u64, u32, i32, usize, u16);

/// Text to be put into words later, in the reader's language: a catalog key and its
/// arguments (an error raised before the language is known, a flash notice).
#[derive(Clone, Debug, PartialEq)]
pub struct Msg {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Msg {
    pub fn new(key: &'static str) -> Msg {
        Msg { key, args: vec![] }
    }

    /// Adds a placeable's value.
    pub fn arg(mut self, name: &'static str, value: impl ToArg) -> Msg {
        self.args.push((name, value.to_arg()));
        self
    }
}

/// The translator and clock face for one reader: a language, a time zone, and the time
/// now (for "today" in short times).
#[derive(Clone, Debug)]
pub struct L10n {
    lang: Lang,
    tz: jiff::tz::TimeZone,
    tz_name: String,
    now: Timestamp,
}

impl L10n {
    /// A translator for `lang` and the IANA time zone `tz` (UTC when it is unknown).
    pub fn new(lang: Lang, tz: &str) -> L10n {
        let (tz, tz_name) = match timezone(tz) {
            Some(z) => (z, tz.trim().to_string()),
            None => (jiff::tz::TimeZone::UTC, "UTC".to_string()),
        };
        L10n {
            lang,
            tz,
            tz_name,
            now: Timestamp(0),
        }
    }

    /// English and UTC: the API, logs, and anything without a reader.
    pub fn english() -> L10n {
        L10n::new(Lang::En, "UTC")
    }

    /// The same reader at `now` (short times show only the time for today).
    pub fn at(mut self, now: Timestamp) -> L10n {
        self.now = now;
        self
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The language code, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The IANA name of the time zone in use.
    pub fn tz_name(&self) -> &str {
        &self.tz_name
    }

    /// The time this translator was made for (see [`L10n::at`]).
    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub fn tz(&self) -> &jiff::tz::TimeZone {
        &self.tz
    }

    /// The text of `key`.
    pub fn t(&self, key: &str) -> String {
        self.lookup(key, None)
    }

    /// The text of `key` with arguments: `l.tr("list-results", &[("query", q.into())])`.
    pub fn tr(&self, key: &str, args: &[(&str, Arg)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(name, value)| {
                let v = match value {
                    Arg::Str(s) => FluentValue::from(s.clone()),
                    Arg::Num(n) => FluentValue::from(*n),
                };
                (Cow::Owned(name.to_string()), v)
            })
            .collect();
        self.lookup(key, Some(&map))
    }

    /// `tr` with one text argument, for templates: `t.t1("hello", "name", a.name)`.
    pub fn t1(&self, key: &str, name: &str, value: impl ToArg) -> String {
        self.tr(key, &[(name, value.to_arg())])
    }

    /// `tr` with two arguments.
    pub fn t2(&self, key: &str, n1: &str, v1: impl ToArg, n2: &str, v2: impl ToArg) -> String {
        self.tr(key, &[(n1, v1.to_arg()), (n2, v2.to_arg())])
    }

    /// A message decided earlier, in this reader's language.
    pub fn msg(&self, m: &Msg) -> String {
        let args: Vec<(&str, Arg)> = m.args.iter().map(|(n, v)| (*n, v.clone())).collect();
        self.tr(m.key, &args)
    }

    /// A whole number as this language writes it ("12,345" / "12.345").
    pub fn number(&self, n: i64) -> String {
        group_digits(n, self.lang)
    }

    /// The catalog's text, or the English one, or the key itself (which the catalog test
    /// never lets happen).
    fn lookup(&self, key: &str, args: Option<&HashMap<Cow<'static, str>, FluentValue>>) -> String {
        let found = CATALOGS
            .lookup_single_language(self.lang.id(), key, args)
            .or_else(|_| CATALOGS.lookup_single_language(Lang::En.id(), key, args));
        match found {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(key, error = %e, "missing catalog text");
                key.to_string()
            }
        }
    }
}

#[cfg(test)]
mod check;
#[cfg(test)]
mod tests;
