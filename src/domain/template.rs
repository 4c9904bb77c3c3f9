//! Message templates: a name, a language, a body with fields (the conversation's
//! variables and free fields such as `{{order_number}}`) and, for email, a subject.

use super::Timestamp;
use super::validate::Invalid;
use super::variables::{self, Filled, Values};
use serde::{Deserialize, Serialize};

/// Longest name, in characters.
pub const NAME_MAX: usize = 100;
/// Longest subject, in characters.
pub const SUBJECT_MAX: usize = 200;
/// Longest body, in characters.
pub const BODY_MAX: usize = 10_000;

/// One template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTemplate {
    pub id: u64,
    pub name: String,
    /// A language code such as `es` or `en_US`.
    pub language: String,
    pub body: String,
    /// The mail's subject when sent by email.
    pub subject: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields an admin types, checked by [`TemplateInput::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateInput {
    pub name: String,
    pub language: String,
    pub body: String,
    pub subject: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

fn at_most(field: &'static str, s: &str, max: usize) -> Result<(), Invalid> {
    if s.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    Ok(())
}

impl TemplateInput {
    /// Trims and checks every field: name, language and body are required.
    pub fn check(self) -> Result<TemplateInput, Invalid> {
        let name = super::validate::name("name", &self.name, NAME_MAX)?;
        let language = self.language.trim().to_string();
        if language.is_empty() {
            return Err(invalid("language", "must not be empty"));
        }
        if language.len() > 16
            || !language
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(invalid(
                "language",
                "must be a language code such as es or en_US",
            ));
        }
        let body = self.body.trim().to_string();
        if body.is_empty() {
            return Err(invalid("body", "must not be empty"));
        }
        at_most("body", &body, BODY_MAX)?;
        let subject = self.subject.trim().to_string();
        at_most("subject", &subject, SUBJECT_MAX)?;
        if subject.chars().any(char::is_control) {
            return Err(invalid("subject", "must not contain control characters"));
        }
        Ok(TemplateInput {
            name,
            language,
            body,
            subject,
        })
    }
}

impl MessageTemplate {
    /// Every field of the body and the subject, in order, each once.
    pub fn fields(&self) -> Vec<String> {
        let mut all = variables::names(&self.body);
        for n in variables::names(self.subject.as_deref().unwrap_or("")) {
            if !all.contains(&n) {
                all.push(n);
            }
        }
        all
    }

    /// The body and subject as the customer receives them: `given` (what the agent
    /// typed, non-empty values only) first, then the conversation's `values`.
    /// `missing` names what neither gave.
    pub fn render(&self, values: &Values, given: &[(String, String)]) -> (Filled, Option<String>) {
        let lookup = |name: &str| {
            given
                .iter()
                .find(|(k, v)| k == name && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
                .or_else(|| values.get(name).map(str::to_string))
        };
        let mut body = variables::fill(&self.body, &lookup);
        let subject = self.subject.as_deref().map(|s| {
            let f = variables::fill(s, &lookup);
            for m in f.missing {
                if !body.missing.contains(&m) {
                    body.missing.push(m);
                }
            }
            f.text
        });
        (body, subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> MessageTemplate {
        MessageTemplate {
            id: 1,
            name: "Order shipped".into(),
            language: "es".into(),
            body: "Hola {{contact.first_name}}, tu pedido {{order_number}} ya salió.".into(),
            subject: Some("Pedido {{order_number}}".into()),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn fields_list_variables_and_free_fields_once() {
        assert_eq!(template().fields(), ["contact.first_name", "order_number"]);
    }

    #[test]
    fn rendering_uses_what_the_agent_typed_then_the_conversation() {
        let mut values = Values::default();
        values.set("contact.first_name", "Lucía");
        let given = vec![("order_number".to_string(), " 48213 ".to_string())];
        let (body, subject) = template().render(&values, &given);
        assert_eq!(body.text, "Hola Lucía, tu pedido 48213 ya salió.");
        assert!(body.missing.is_empty());
        assert_eq!(subject.as_deref(), Some("Pedido 48213"));
        let typed = vec![("contact.first_name".to_string(), "Lu".to_string())];
        let (body, _) = template().render(&values, &typed);
        assert_eq!(
            body.missing,
            ["order_number"],
            "an empty field stays missing"
        );
        assert!(body.text.starts_with("Hola Lu,"), "the agent's value wins");
    }

    #[test]
    fn input_is_checked() {
        let ok = TemplateInput {
            name: " Envío ".into(),
            language: " es ".into(),
            body: " Hola ".into(),
            subject: "".into(),
        }
        .check()
        .unwrap();
        assert_eq!((ok.name.as_str(), ok.language.as_str()), ("Envío", "es"));
        let bad = |name: &str, language: &str, body: &str| {
            TemplateInput {
                name: name.into(),
                language: language.into(),
                body: body.into(),
                subject: String::new(),
            }
            .check()
            .unwrap_err()
            .field
        };
        assert_eq!(bad("", "es", "b"), "name");
        assert_eq!(bad("n", "", "b"), "language");
        assert_eq!(bad("n", "e s", "b"), "language");
        assert_eq!(bad("n", "es", " "), "body");
    }
}
