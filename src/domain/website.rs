//! Website chat inbox settings and the pure rules around them: which site origins may
//! embed the widget, the widget's look, the pre-chat form.

use super::ids::InboxId;
use super::validate::Invalid;
use serde::{Deserialize, Serialize};

/// Whether the widget asks for name and email before the first message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Prechat {
    Off,
    /// Asked, may be skipped.
    Optional,
    /// The email must be given before chatting.
    Required,
}

impl Prechat {
    /// The API/form/widget spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Prechat::Off => "off",
            Prechat::Optional => "optional",
            Prechat::Required => "required",
        }
    }
    /// Parses the API/form spelling.
    pub fn parse(s: &str) -> Result<Prechat, Invalid> {
        match s.trim() {
            "off" | "" => Ok(Prechat::Off),
            "optional" => Ok(Prechat::Optional),
            "required" => Ok(Prechat::Required),
            other => Err(Invalid {
                field: "website.prechat",
                reason: format!("must be off, optional or required, not {other:?}"),
            }),
        }
    }
}

/// Everything a website inbox needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsiteSettings {
    /// Public key in the snippet: 32 hex characters, random (never a sequential id).
    pub key: String,
    /// Origins (`scheme://host[:port]`) allowed to embed the widget; empty: none yet.
    pub allowed_origins: Vec<String>,
    /// The first bubble the visitor sees.
    pub greeting: String,
    /// The widget's colour, `#rrggbb`.
    pub color: String,
    pub prechat: Prechat,
    /// Sealed with the installation key; empty: identity verification is off.
    pub identity_secret_sealed: String,
    /// The email inbox whose SMTP answers visitors who went offline (and transcripts).
    pub reply_email_inbox: Option<InboxId>,
    /// Visitors may not send files from the widget.
    #[serde(default)]
    pub visitor_files_off: bool,
}

/// The greeting's longest length, in characters.
pub const MAX_GREETING_CHARS: usize = 500;

/// Normalises one allowed origin: `https://Shop.example.com/` → `https://shop.example.com`.
/// Only http and https, a host, an optional port, nothing after it.
pub fn origin(raw: &str) -> Result<String, Invalid> {
    let bad = |reason: &str| Invalid {
        field: "website.allowed_origins",
        reason: format!("{raw:?} {reason}"),
    };
    let s = raw.trim();
    let (scheme, rest) = s
        .split_once("://")
        .ok_or_else(|| bad("must start with https:// or http://"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(bad("must start with https:// or http://"));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ', '*']) {
        return Err(bad(
            "must be only scheme, host and optional port, such as https://shop.example.com",
        ));
    }
    let (host, port) = if rest.starts_with('[') {
        // An IPv6 literal: the port, if any, follows the closing bracket.
        match rest.split_once("]:") {
            Some((h, p)) => (&rest[..h.len() + 1], Some(p)),
            None => (rest, None),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
    {
        return Err(bad("has an invalid host name"));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(bad("has an invalid port")),
            // The default port is not part of a browser's Origin header.
            Ok(443) if scheme == "https" => None,
            Ok(80) if scheme == "http" => None,
            Ok(n) => Some(n),
        },
    };
    let host = host.to_ascii_lowercase();
    Ok(match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Normalises a list of origins (one per line or comma-separated in forms), without
/// duplicates; at most 50.
pub fn origins<S: AsRef<str>>(raw: &[S]) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        for part in r.as_ref().split([',', '\n']) {
            if part.trim().is_empty() {
                continue;
            }
            let o = origin(part)?;
            if !out.contains(&o) {
                out.push(o);
            }
        }
    }
    if out.len() > 50 {
        return Err(Invalid {
            field: "website.allowed_origins",
            reason: "at most 50 origins".into(),
        });
    }
    Ok(out)
}

/// Whether a browser's `Origin` header is one of the allowed origins (exact match after
/// normalising; `null` and garbage never match).
pub fn origin_allowed(allowed: &[String], header: &str) -> bool {
    match origin(header) {
        Ok(o) => allowed.contains(&o),
        Err(_) => false,
    }
}

/// Checks a colour: `#rrggbb`, lowercased.
pub fn color(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    let ok = s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(Invalid {
            field: "website.color",
            reason: format!("must be a colour such as #4f46e5, not {raw:?}"),
        })
    }
}

/// Checks the greeting: trimmed, at most [`MAX_GREETING_CHARS`].
pub fn greeting(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    if s.chars().count() > MAX_GREETING_CHARS {
        return Err(Invalid {
            field: "website.greeting",
            reason: format!("must be at most {MAX_GREETING_CHARS} characters"),
        });
    }
    Ok(s.to_string())
}

/// The one-line snippet to paste into a site, for a server reachable at `base`.
pub fn snippet(base: &str, key: &str) -> String {
    format!(
        "<script async src=\"{}/widget/charla.js\" data-charla-inbox=\"{key}\"></script>",
        base.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            origin("https://Shop.Example.com/").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            origin("https://shop.example.com:443").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            origin("http://localhost:8080").unwrap(),
            "http://localhost:8080"
        );
        assert_eq!(
            origin("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert_eq!(origin("http://[::1]:3000").unwrap(), "http://[::1]:3000");
        assert_eq!(origin("http://[::1]").unwrap(), "http://[::1]");
    }

    #[test]
    fn bad_origins_are_refused_with_the_field() {
        for bad in [
            "shop.example.com",
            "ftp://shop.example.com",
            "https://shop.example.com/path",
            "https://*.example.com",
            "https://",
            "https://shop.example.com:0",
            "https://shop.example.com:99999",
            "https://user@shop.example.com",
            "javascript://x",
            "https://shop example.com",
        ] {
            let e = origin(bad).unwrap_err();
            assert_eq!(e.field, "website.allowed_origins", "{bad}");
        }
    }

    #[test]
    fn origin_matching_is_exact() {
        let allowed = origins(&["https://shop.example.com, http://localhost:8080\n"]).unwrap();
        assert_eq!(allowed.len(), 2);
        assert!(origin_allowed(&allowed, "https://shop.example.com"));
        assert!(origin_allowed(&allowed, "https://SHOP.example.com:443"));
        assert!(origin_allowed(&allowed, "http://localhost:8080"));
        for no in [
            "http://shop.example.com",
            "https://evil.shop.example.com",
            "https://shop.example.com.evil.com",
            "http://localhost:8081",
            "null",
            "",
        ] {
            assert!(!origin_allowed(&allowed, no), "{no}");
        }
    }

    #[test]
    fn colours_greetings_and_prechat() {
        assert_eq!(color(" #4F46E5 ").unwrap(), "#4f46e5");
        for bad in ["4f46e5", "#4f46e", "#4f46e5f", "red", "#ggg000"] {
            assert!(color(bad).is_err(), "{bad}");
        }
        assert!(greeting(&"a".repeat(MAX_GREETING_CHARS)).is_ok());
        assert!(greeting(&"a".repeat(MAX_GREETING_CHARS + 1)).is_err());
        assert_eq!(Prechat::parse("required").unwrap(), Prechat::Required);
        assert!(Prechat::parse("always").is_err());
    }

    #[test]
    fn snippet_is_one_line() {
        let s = snippet("https://charla.example.com/", &"ab".repeat(16));
        assert_eq!(
            s,
            format!(
                "<script async src=\"https://charla.example.com/widget/charla.js\" data-charla-inbox=\"{}\"></script>",
                "ab".repeat(16)
            )
        );
    }
}
