//! Contacts (customers) and the rules for editing them.

use super::clock::Timestamp;
use super::conversation::{ChannelIdentity, ContactId};
use super::ids::InboxId;
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
    /// Every inbox where this contact is known (a conversation, or a message written
    /// into one): what an agent may see or change of the contact depends on it. Only
    /// ever grows, so it can over-state but never under-state who knows the contact.
    #[serde(default)]
    pub inboxes: Vec<InboxId>,
    /// Channel identities besides email, phone and identifier (Messenger, Telegram).
    #[serde(default)]
    pub handles: Vec<Identity>,
    /// The language the contact reads (`en`, `es`), when known: learnt from the
    /// widget visitor's browser, or set by an agent. Emails and the widget use it
    /// before the inbox's.
    #[serde(default)]
    pub language: Option<String>,
}

/// How a channel knows a person. A message's first identity is its sender's; contacts
/// are found and joined through them (a phone known from WhatsApp joins SMS).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Identity {
    /// A phone number in E.164 (`+34600111222`): SMS, WhatsApp, RCS.
    Phone(String),
    /// An email address, as written.
    Email(String),
    /// A Messenger page-scoped id (meaningful only with its page, i.e. its inbox).
    Messenger(String),
    /// A Telegram user id.
    Telegram(String),
    /// An integration's or widget's own id for the contact (scoped to the inbox).
    #[serde(rename = "identifier")]
    External(String),
}

impl Identity {
    /// The identity's kind, as shown and stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Identity::Phone(_) => "phone",
            Identity::Email(_) => "email",
            Identity::Messenger(_) => "messenger",
            Identity::Telegram(_) => "telegram",
            Identity::External(_) => "identifier",
        }
    }

    /// The value.
    pub fn value(&self) -> &str {
        match self {
            Identity::Phone(v)
            | Identity::Email(v)
            | Identity::Messenger(v)
            | Identity::Telegram(v)
            | Identity::External(v) => v,
        }
    }

    /// How the kind reads in the contact pane.
    pub fn label(&self) -> &'static str {
        match self {
            Identity::Phone(_) => "Phone",
            Identity::Email(_) => "Email",
            Identity::Messenger(_) => "Messenger",
            Identity::Telegram(_) => "Telegram",
            Identity::External(_) => "Identifier",
        }
    }
}

/// How much of a contact an agent may see and change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Not at all: the contact is unknown in every inbox the agent belongs to.
    None,
    /// Only what the agent's own inboxes' conversations know (their channel identities);
    /// nothing the contact has from other inboxes, and no edits or blocking.
    Partial,
    /// The whole record, editable: admins, and agents who belong to every inbox where
    /// the contact is known (an address-book entry known nowhere included).
    Full,
}

/// The access rule: `visible(inbox)` says whether the agent belongs to an inbox.
pub fn access(is_admin: bool, known_in: &[InboxId], visible: impl Fn(InboxId) -> bool) -> Access {
    if is_admin {
        return Access::Full;
    }
    let seen = known_in.iter().filter(|i| visible(**i)).count();
    if seen == known_in.len() {
        Access::Full
    } else if seen > 0 {
        Access::Partial
    } else {
        Access::None
    }
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

/// A phone number in E.164 (`+` and 8 to 15 digits, no leading zero), from what people
/// type: spaces, `-`, `.`, `( )` are dropped, `00` stands for `+`, and a provider's
/// prefix (`whatsapp:`, `tel:`) is taken off. Numbers without a country code are
/// refused, since which country was meant cannot be known.
pub fn e164(field: &'static str, raw: &str) -> Result<String, Invalid> {
    let t = raw.trim();
    let t = t
        .strip_prefix("whatsapp:")
        .or_else(|| t.strip_prefix("tel:"))
        .unwrap_or(t)
        .trim();
    let rest = if let Some(r) = t.strip_prefix('+') {
        r
    } else if let Some(r) = t.strip_prefix("00") {
        r
    } else {
        return Err(bad(
            field,
            "must start with + and the country code (for example +34 600 111 222)",
        ));
    };
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(bad(field, "may contain only digits after the +")),
        }
    }
    if digits.starts_with('0') {
        return Err(bad(field, "the country code cannot start with 0"));
    }
    if !(8..=15).contains(&digits.len()) {
        return Err(bad(field, "must have between 8 and 15 digits"));
    }
    Ok(format!("+{digits}"))
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

/// The name to show for a customer: the name, else email, else phone, else "Visitor".
pub fn display_name(name: &str, email: Option<&str>, phone: Option<&str>) -> String {
    if !name.trim().is_empty() {
        return name.to_string();
    }
    email.or(phone).unwrap_or("Visitor").to_string()
}

impl Contact {
    /// Records that the contact is known in `inbox`; true when that is new.
    pub fn known_in(&mut self, inbox: InboxId) -> bool {
        if self.inboxes.contains(&inbox) {
            return false;
        }
        self.inboxes.push(inbox);
        true
    }

    /// What an agent with partial access sees: the id, the blocked flag, and what the
    /// given conversations' channels told (`identities`, newest first); no tags,
    /// properties or fields from other inboxes.
    pub fn limited(&self, identities: &[&ChannelIdentity]) -> Contact {
        let pick = |f: fn(&ChannelIdentity) -> Option<String>| identities.iter().find_map(|i| f(i));
        Contact {
            id: self.id,
            name: pick(|i| Some(i.name.clone()).filter(|n| !n.trim().is_empty()))
                .unwrap_or_default(),
            email: pick(|i| i.email.clone()),
            phone: pick(|i| i.phone.clone()),
            identifier: pick(|i| i.identifier.clone()),
            tags: vec![],
            properties: vec![],
            blocked: self.blocked,
            created_at: self.created_at,
            inboxes: vec![],
            handles: vec![],
            language: None,
        }
    }

    /// The name to show: the name, else email, else phone, else "Visitor".
    pub fn display_name(&self) -> String {
        display_name(&self.name, self.email.as_deref(), self.phone.as_deref())
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
            inboxes: vec![],
            handles: vec![],
            language: None,
        };
        assert_eq!(c.display_name(), "+1555");
        c.email = Some("c@x.io".into());
        assert_eq!(c.display_name(), "c@x.io");
    }

    #[test]
    fn access_is_bounded_by_the_agents_inboxes() {
        let mine = |i: InboxId| i == InboxId(1) || i == InboxId(2);
        assert_eq!(access(true, &[InboxId(9)], mine), Access::Full);
        assert_eq!(access(false, &[], mine), Access::Full);
        assert_eq!(access(false, &[InboxId(1), InboxId(2)], mine), Access::Full);
        assert_eq!(
            access(false, &[InboxId(1), InboxId(9)], mine),
            Access::Partial
        );
        assert_eq!(access(false, &[InboxId(9)], mine), Access::None);
    }

    #[test]
    fn a_limited_contact_shows_only_what_the_conversations_know() {
        let c = Contact {
            id: ContactId(4),
            name: "Secret Customer".into(),
            email: Some("secret@customer.example".into()),
            phone: Some("+34600000000".into()),
            identifier: Some("crm-77".into()),
            tags: vec!["vip".into()],
            properties: vec![("plan".into(), "gold".into())],
            blocked: true,
            created_at: Timestamp(1),
            inboxes: vec![InboxId(1), InboxId(9)],
            handles: vec![],
            language: None,
        };
        let started = ChannelIdentity {
            email: Some("secret@customer.example".into()),
            email_verified: true,
            ..ChannelIdentity::default()
        };
        let l = c.limited(&[&started]);
        assert_eq!(l.name, "");
        assert_eq!(l.display_name(), "secret@customer.example");
        assert_eq!(l.phone, None);
        assert_eq!(l.identifier, None);
        assert!(l.tags.is_empty() && l.properties.is_empty() && l.inboxes.is_empty());
        assert!(l.blocked);
    }

    #[test]
    fn e164_normalises_what_people_type() {
        assert_eq!(e164("to", " +34 600-11.12(22) ").unwrap(), "+34600111222");
        assert_eq!(e164("to", "0034600111222").unwrap(), "+34600111222");
        assert_eq!(e164("to", "whatsapp:+14155238886").unwrap(), "+14155238886");
        assert!(e164("to", "600111222").is_err());
        assert!(e164("to", "+0600111222").is_err());
        assert!(e164("to", "+3460011").is_err());
        assert!(e164("to", "+34600111222999888").is_err());
        assert!(e164("to", "+34 600 abc").is_err());
        assert_eq!(e164("to", "12").unwrap_err().field, "to");
    }
}
