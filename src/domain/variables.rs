//! Variables in saved responses and templates: `{{contact.name}}`, `{{agent.name}}`,
//! `{{inbox.name}}`, free fields such as `{{order_number}}`, WhatsApp's `{{1}}`.
//! Filling is pure: a value that is missing or empty leaves its placeholder in the
//! text, so the agent sees it (and the send path refuses it), never an empty gap.

use super::contact::Contact;

/// The values a conversation offers, by variable name (`contact.email`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values(Vec<(String, String)>);

/// What filling left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filled {
    pub text: String,
    /// Variables still in `text`, in order of first appearance, each once.
    pub missing: Vec<String>,
}

impl Values {
    /// The variables of a conversation: its contact (name, first name, email, phone
    /// and every property), the agent's name and the inbox's name.
    pub fn conversation(contact: Option<&Contact>, agent: &str, inbox: &str) -> Values {
        let mut v = Values::default();
        if let Some(c) = contact {
            // Properties first, so the fixed names below win over a property of that name.
            for (k, val) in &c.properties {
                v.set(&format!("contact.{}", k.trim()), val);
            }
            v.set("contact.name", &c.name);
            v.set(
                "contact.first_name",
                c.name.split_whitespace().next().unwrap_or(""),
            );
            v.set("contact.email", c.email.as_deref().unwrap_or(""));
            v.set("contact.phone", c.phone.as_deref().unwrap_or(""));
        }
        v.set("agent.name", agent);
        v.set("inbox.name", inbox);
        v
    }

    /// Sets `name` (an empty value counts as missing).
    pub fn set(&mut self, name: &str, value: &str) {
        let value = value.trim();
        self.0.retain(|(k, _)| k != name);
        if !value.is_empty() {
            self.0.push((name.to_string(), value.to_string()));
        }
    }

    /// The value of `name`, if it has one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether `name` is one the conversation fills (`contact.*`, `agent.name`,
/// `inbox.name`); other names are free fields the agent types.
pub fn is_known(name: &str) -> bool {
    name.starts_with("contact.") || name == "agent.name" || name == "inbox.name"
}

/// A placeholder at the start of `s`: its length in bytes and the variable's name.
fn placeholder(s: &str) -> Option<(usize, &str)> {
    let rest = s.strip_prefix("{{")?;
    let end = rest.find("}}")?;
    let name = rest[..end].trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-');
    ok.then_some((end + 4, name))
}

/// Every variable in `text`, in order of first appearance, each once.
pub fn names(text: &str) -> Vec<String> {
    fill(text, &|_| None).missing
}

/// Replaces each placeholder whose value `lookup` gives; the others stay as typed.
pub fn fill(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Filled {
    let mut out = Filled::default();
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.text.push_str(&rest[..at]);
        rest = &rest[at..];
        match placeholder(rest) {
            Some((len, name)) => {
                match lookup(name) {
                    Some(v) => out.text.push_str(&v),
                    None => {
                        out.text.push_str(&rest[..len]);
                        if !out.missing.iter().any(|m| m == name) {
                            out.missing.push(name.to_string());
                        }
                    }
                }
                rest = &rest[len..];
            }
            None => {
                // Not a placeholder: move one brace on, so `{{{a}}}` finds `{{a}}`.
                out.text.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.text.push_str(rest);
    out
}

/// Fills the conversation's variables; free fields stay.
pub fn fill_known(text: &str, values: &Values) -> Filled {
    fill(text, &|name| values.get(name).map(str::to_string))
}

/// Known variables still in `text` (a reply holding one is refused: it would reach the
/// customer as `{{contact.name}}`).
pub fn unfilled_known(text: &str) -> Vec<String> {
    names(text).into_iter().filter(|n| is_known(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::domain::conversation::ContactId;

    fn contact() -> Contact {
        Contact {
            id: ContactId(1),
            name: "Lucía Fernández".into(),
            email: Some("lucia@example.com".into()),
            phone: None,
            identifier: None,
            tags: vec![],
            properties: vec![("plan".into(), "Pro".into()), ("city".into(), " ".into())],
            blocked: false,
            created_at: Timestamp(0),
            inboxes: vec![],
            handles: vec![],
            language: None,
        }
    }

    #[test]
    fn the_conversation_fills_contact_agent_and_inbox() {
        let v = Values::conversation(Some(&contact()), "Ana", "Soporte");
        let f = fill_known(
            "Hola {{contact.first_name}} ({{ contact.name }}, {{contact.email}}, plan \
             {{contact.plan}}): soy {{agent.name}} de {{inbox.name}}.",
            &v,
        );
        assert_eq!(
            f.text,
            "Hola Lucía (Lucía Fernández, lucia@example.com, plan Pro): soy Ana de Soporte."
        );
        assert!(f.missing.is_empty());
    }

    #[test]
    fn a_missing_value_keeps_its_placeholder_and_is_listed_once() {
        let v = Values::conversation(Some(&contact()), "Ana", "Soporte");
        let f = fill_known(
            "{{contact.phone}} / {{contact.city}} / {{order_number}} / {{contact.phone}}",
            &v,
        );
        assert_eq!(
            f.text,
            "{{contact.phone}} / {{contact.city}} / {{order_number}} / {{contact.phone}}"
        );
        assert_eq!(f.missing, ["contact.phone", "contact.city", "order_number"]);
        assert_eq!(unfilled_known(&f.text), ["contact.phone", "contact.city"]);
    }

    #[test]
    fn without_a_contact_only_agent_and_inbox_fill() {
        let v = Values::conversation(None, "Ana", "Soporte");
        let f = fill_known("{{agent.name}} {{contact.name}}", &v);
        assert_eq!(f.text, "Ana {{contact.name}}");
    }

    #[test]
    fn text_that_is_not_a_placeholder_is_kept() {
        let v = Values::conversation(None, "Ana", "S");
        for s in [
            "{{",
            "a {{ b",
            "{{}}",
            "{{a b}}",
            "x }} {{agent.name",
            "{{{agent.name}}}",
        ] {
            let f = fill_known(s, &v);
            if s == "{{{agent.name}}}" {
                assert_eq!(f.text, "{Ana}");
            } else {
                assert_eq!(f.text, s, "{s}");
            }
        }
        assert!(unfilled_known("{{order_number}} {{1}}").is_empty());
        assert_eq!(names("{{1}} and {{2}} and {{1}}"), ["1", "2"]);
    }

    #[test]
    fn a_value_containing_braces_is_not_filled_again() {
        let mut v = Values::default();
        v.set("contact.name", "{{agent.name}}");
        v.set("agent.name", "Ana");
        assert_eq!(fill_known("{{contact.name}}", &v).text, "{{agent.name}}");
    }
}
