//! Input rules shared by the web forms, the API and the command line.

/// Why a value was refused; `field` is the form/JSON name it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

/// Checks a language setting: empty (none: the default applies) or the code of a
/// language the catalogs have (`en`, `es`), returned as that code.
pub fn language(field: &'static str, raw: &str) -> Result<Option<String>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    crate::i18n::Lang::ALL
        .iter()
        .find(|l| l.code().eq_ignore_ascii_case(raw))
        .map(|l| Some(l.code().to_string()))
        .ok_or_else(|| {
            let codes: Vec<String> = crate::i18n::Lang::ALL
                .iter()
                .map(|l| format!("\"{}\"", l.code()))
                .collect();
            invalid(
                field,
                format!(
                    "unknown language {raw:?}: use {}, or leave it empty for the installation's",
                    codes.join(" or ")
                ),
            )
        })
}

/// Passwords: at least this many characters (NIST SP 800-63B minimum).
pub const PASSWORD_MIN: usize = 8;
/// Passwords: at most this many characters (bounds hashing work).
pub const PASSWORD_MAX: usize = 256;

/// Checks a new password's length.
pub fn password(p: &str) -> Result<(), Invalid> {
    let n = p.chars().count();
    if n < PASSWORD_MIN {
        return Err(invalid(
            "password",
            format!("must be at least {PASSWORD_MIN} characters"),
        ));
    }
    if n > PASSWORD_MAX {
        return Err(invalid(
            "password",
            format!("must be at most {PASSWORD_MAX} characters"),
        ));
    }
    Ok(())
}

/// Normalises and checks an email address (trimmed, lower case, one `@`, no spaces).
pub fn email(e: &str) -> Result<String, Invalid> {
    let e = e.trim().to_lowercase();
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if ok {
        Ok(e)
    } else {
        Err(invalid("email", "is not a valid email address"))
    }
}

/// Checks a display name (agent, team, inbox, token label): 1 to `max` characters, no
/// control characters. Returns it trimmed.
pub fn name(field: &'static str, n: &str, max: usize) -> Result<String, Invalid> {
    let n = n.trim();
    if n.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if n.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    if n.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_codes_the_catalogs_have_or_nothing() {
        assert_eq!(language("language", " ES "), Ok(Some("es".into())));
        assert_eq!(language("language", "en"), Ok(Some("en".into())));
        assert_eq!(language("language", "  "), Ok(None));
        let e = language("language", "fr").unwrap_err();
        assert_eq!(e.field, "language");
        assert!(
            e.reason.contains("\"fr\"") && e.reason.contains("\"es\""),
            "{e}"
        );
        assert!(language("language", "es-MX").is_err(), "a code, not a tag");
    }

    #[test]
    fn password_length_rules() {
        assert!(password("1234567").is_err());
        assert!(password("12345678").is_ok());
        assert!(password("ñññññññ").is_err(), "counts characters, not bytes");
        assert!(password(&"x".repeat(PASSWORD_MAX)).is_ok());
        assert_eq!(
            password(&"x".repeat(PASSWORD_MAX + 1)).unwrap_err().field,
            "password"
        );
    }

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(email("  Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in [
            "", "ana", "@x.io", "ana@", "a b@x.io", "a@b@c", "a@.x", "a@x.",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Ana ", 10).unwrap(), "Ana");
        assert!(name("name", "   ", 10).is_err());
        assert!(name("name", "abcdefghijk", 10).is_err());
        assert!(name("name", "a\u{7}b", 10).is_err());
    }
}
