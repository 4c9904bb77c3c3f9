//! Contacts (customers) and the rules for editing them.

use super::clock::Timestamp;
use super::conversation::ContactId;
use super::validate::Invalid;
use serde::{Deserialize, Serialize};

/// A customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The integration's own id for this contact (API inbox).
    pub identifier: Option<String>,
    pub tags: Vec<String>,
    pub properties: Vec<(String, String)>,
    pub blocked: bool,
    pub created_at: Timestamp,
}

/// Limits for contact fields.
pub const NAME_MAX: usize = 200;
pub const FIELD_MAX: usize = 320;
pub const TAGS_MAX: usize = 50;
pub const PROPERTIES_MAX: usize = 100;
pub const PROPERTY_VALUE_MAX: usize = 2000;

fn bad(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

/// Trims an optional field; empty becomes `None`.
pub fn optional(
    field: &'static str,
    v: Option<&str>,
    max: usize,
) -> Result<Option<String>, Invalid> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > max => {
            Err(bad(field, format!("must be at most {max} characters")))
        }
        Some(s) => Ok(Some(s.to_string())),
    }
}

/// Normalises a phone number: keeps a leading `+` and digits, drops spaces, dots,
/// dashes and brackets; refuses anything else.
pub fn phone(v: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(raw) = v.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let mut out = String::new();
    for (i, c) in raw.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push(c),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(bad(
                    "phone",
                    "may contain only digits, spaces, - . ( ) and a leading +",
                ));
            }
        }
    }
    let digits = out.chars().filter(char::is_ascii_digit).count();
    if !(3..=20).contains(&digits) {
        return Err(bad("phone", "must have between 3 and 20 digits"));
    }
    Ok(Some(out))
}

/// Normalises tags: trimmed, lower case, deduplicated, bounded.
pub fn tags(raw: &[String]) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for t in raw.iter().flat_map(|t| t.split(',')) {
        let t = t.trim().to_lowercase();
        if t.is_empty() || out.contains(&t) {
            continue;
        }
        if t.chars().count() > 50 {
            return Err(bad("tags", "each tag must be at most 50 characters"));
        }
        out.push(t);
    }
    if out.len() > TAGS_MAX {
        return Err(bad("tags", format!("at most {TAGS_MAX} tags")));
    }
    Ok(out)
}

/// Checks custom properties: non-empty unique keys, bounded values.
pub fn properties(raw: &[(String, String)]) -> Result<Vec<(String, String)>, Invalid> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in raw {
        let k = k.trim();
        if k.is_empty() {
            if v.trim().is_empty() {
                continue;
            }
            return Err(bad("properties", "a property needs a name"));
        }
        if k.chars().count() > 100 || v.chars().count() > PROPERTY_VALUE_MAX {
            return Err(bad(
                "properties",
                format!("names up to 100 and values up to {PROPERTY_VALUE_MAX} characters"),
            ));
        }
        if let Some(slot) = out.iter_mut().find(|(ek, _)| ek == k) {
            slot.1 = v.clone();
        } else {
            out.push((k.to_string(), v.clone()));
        }
    }
    if out.len() > PROPERTIES_MAX {
        return Err(bad(
            "properties",
            format!("at most {PROPERTIES_MAX} properties"),
        ));
    }
    Ok(out)
}

impl Contact {
    /// The name to show: the name, else email, else phone, else "Visitor".
    pub fn display_name(&self) -> String {
        if !self.name.trim().is_empty() {
            return self.name.clone();
        }
        self.email
            .clone()
            .or_else(|| self.phone.clone())
            .unwrap_or_else(|| "Visitor".into())
    }

    /// Lower-case text the search matches against (name, email, phone, tags, properties).
    pub fn search_text(&self) -> String {
        let mut s = format!(
            "{} {} {} {}",
            self.name,
            self.email.as_deref().unwrap_or(""),
            self.phone.as_deref().unwrap_or(""),
            self.tags.join(" ")
        );
        for (k, v) in &self.properties {
            s.push(' ');
            s.push_str(k);
            s.push(' ');
            s.push_str(v);
        }
        s.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise() {
        assert_eq!(
            phone(Some(" +34 600-00.00 (00) ")).unwrap().as_deref(),
            Some("+34600000000")
        );
        assert_eq!(phone(Some("")).unwrap(), None);
        assert!(phone(Some("call me")).is_err());
        assert!(phone(Some("12")).is_err());
        assert!(phone(Some("34+600")).is_err());
    }

    #[test]
    fn tags_normalise() {
        assert_eq!(
            tags(&["VIP, vip ,  ".into(), "Delivery".into()]).unwrap(),
            vec!["vip", "delivery"]
        );
        assert!(tags(&["x".repeat(51)]).is_err());
    }

    #[test]
    fn properties_dedupe_and_need_names() {
        let p = properties(&[
            ("plan".into(), "pro".into()),
            ("plan".into(), "max".into()),
            ("".into(), "".into()),
        ])
        .unwrap();
        assert_eq!(p, vec![("plan".to_string(), "max".to_string())]);
        assert!(properties(&[("".into(), "orphan".into())]).is_err());
    }

    #[test]
    fn display_name_falls_back() {
        let mut c = Contact {
            id: ContactId(1),
            name: " ".into(),
            email: None,
            phone: Some("+1555".into()),
            identifier: None,
            tags: vec![],
            properties: vec![],
            blocked: false,
            created_at: Timestamp(0),
        };
        assert_eq!(c.display_name(), "+1555");
        c.email = Some("c@x.io".into());
        assert_eq!(c.display_name(), "c@x.io");
    }
}
