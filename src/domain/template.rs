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
    /// A WhatsApp approved template: sent as a template message on its inbox (also
    /// outside the 24-hour window). Its body is then the template's `body`.
    #[serde(default)]
    pub whatsapp: Option<WhatsAppTemplate>,
}

/// Longest WhatsApp template body (Meta's limit), in characters.
pub const WA_BODY_MAX: usize = 1024;
/// Longest WhatsApp header text (Meta's limit), in characters.
pub const WA_HEADER_MAX: usize = 60;
/// Most buttons on a WhatsApp template (Meta's limit).
pub const WA_BUTTONS_MAX: usize = 10;

/// A WhatsApp approved template as Meta knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppTemplate {
    /// The approved template's name at Meta (`order_shipped`).
    pub name: String,
    /// Its language code (`es`, `en_US`).
    pub language: String,
    /// Its body, with numbered variables `{{1}}`, `{{2}}`…
    pub body: String,
    #[serde(default)]
    pub header: Option<WaHeader>,
    #[serde(default)]
    pub buttons: Vec<WaButton>,
    /// The WhatsApp inbox it was approved for.
    pub inbox_id: u64,
    /// The footer's fixed text.
    #[serde(default)]
    pub footer: Option<String>,
    /// Meta's sample values of the body's variables, in order (shown as hints).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Read from Meta's template list ("Sync templates"), not typed by an admin.
    #[serde(default)]
    pub synced: bool,
}

/// What a WhatsApp template shows above its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaHeaderKind {
    Text,
    Image,
    Document,
    Video,
}

/// A WhatsApp template's header: a text, or an image or document at a URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaHeader {
    #[serde(rename = "type")]
    pub kind: WaHeaderKind,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// A kind of WhatsApp template button.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaButtonKind {
    QuickReply,
    Url,
    PhoneNumber,
}

/// One button of a WhatsApp template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaButton {
    #[serde(rename = "type")]
    pub kind: WaButtonKind,
    pub text: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// A WhatsApp template message as sent: what the provider's components need. Kept on
/// the stored message so that the outbox sends it as a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaSend {
    pub name: String,
    pub language: String,
    /// A media header's kind and URL.
    pub header: Option<(WaHeaderKind, String)>,
    /// The body's variables `{{1}}…` in order, filled.
    pub parameters: Vec<String>,
    /// A text header's `{{1}}`, filled.
    #[serde(default)]
    pub header_text: Option<String>,
    /// Each URL button with a `{{1}}` suffix: its index among the buttons and the
    /// suffix, filled.
    #[serde(default)]
    pub url_buttons: Vec<(u32, String)>,
}

/// The composer's field for a text header's `{{1}}`.
pub const HEADER_FIELD: &str = "header.1";

/// The composer's field for the `{{1}}` suffix of the URL button at `index`.
pub fn button_field(index: usize) -> String {
    format!("button.{index}")
}

fn language_code(field: &'static str, raw: &str) -> Result<String, Invalid> {
    let language = raw.trim().to_string();
    if language.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if language.len() > 16
        || !language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(invalid(
            field,
            "must be a language code such as es or en_US",
        ));
    }
    Ok(language)
}

fn web_url(field: &'static str, raw: &str) -> Result<String, Invalid> {
    let u = raw.trim();
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or("");
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let ok = !host.is_empty()
        && u.len() <= 2000
        && !u.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(invalid(field, "must be an http(s) URL"));
    }
    Ok(u.to_string())
}

impl WhatsAppTemplate {
    /// How many numbered variables the body has (`{{1}}`…`{{n}}`).
    pub fn variable_count(&self) -> usize {
        variables::names(&self.body).len()
    }

    /// Trims and checks it: Meta's name rules, a language code, a body within Meta's
    /// limit whose variables are exactly `{{1}}`…`{{n}}`, a header and buttons as Meta
    /// takes them.
    pub fn check(self) -> Result<WhatsAppTemplate, Invalid> {
        let name = self.name.trim().to_string();
        if name.is_empty()
            || name.len() > 512
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(invalid(
                "whatsapp.name",
                "must be the approved template's name: lowercase letters, digits and _",
            ));
        }
        let language = language_code("whatsapp.language", &self.language)?;
        let body = self.body.trim().to_string();
        if body.is_empty() {
            return Err(invalid("whatsapp.body", "must not be empty"));
        }
        at_most("whatsapp.body", &body, WA_BODY_MAX)?;
        let names = variables::names(&body);
        let numbered = names
            .iter()
            .enumerate()
            .all(|(i, n)| n.parse::<usize>().ok() == Some(i + 1));
        if !numbered {
            return Err(invalid(
                "whatsapp.body",
                "variables must be numbered {{1}}, {{2}}… in order",
            ));
        }
        let header = match self.header {
            None => None,
            Some(h) => Some(match h.kind {
                WaHeaderKind::Text => {
                    let text = h.text.unwrap_or_default().trim().to_string();
                    if text.is_empty() {
                        return Err(invalid("whatsapp.header.text", "must not be empty"));
                    }
                    at_most("whatsapp.header.text", &text, WA_HEADER_MAX)?;
                    let names = variables::names(&text);
                    if !(names.is_empty() || names == ["1"]) {
                        return Err(invalid(
                            "whatsapp.header.text",
                            "may have one variable, {{1}}",
                        ));
                    }
                    WaHeader {
                        kind: h.kind,
                        text: Some(text),
                        url: None,
                    }
                }
                WaHeaderKind::Image | WaHeaderKind::Document | WaHeaderKind::Video => WaHeader {
                    kind: h.kind,
                    text: None,
                    url: Some(web_url(
                        "whatsapp.header.url",
                        h.url.as_deref().unwrap_or(""),
                    )?),
                },
            }),
        };
        if self.buttons.len() > WA_BUTTONS_MAX {
            return Err(invalid(
                "whatsapp.buttons",
                format!("must be at most {WA_BUTTONS_MAX}"),
            ));
        }
        let mut buttons = Vec::new();
        for b in self.buttons {
            let text = b.text.trim().to_string();
            if text.is_empty() {
                return Err(invalid("whatsapp.buttons.text", "must not be empty"));
            }
            at_most("whatsapp.buttons.text", &text, 25)?;
            let (url, phone_number) = match b.kind {
                WaButtonKind::QuickReply => (None, None),
                WaButtonKind::Url => {
                    let url = web_url("whatsapp.buttons.url", b.url.as_deref().unwrap_or(""))?;
                    // Meta allows one variable, at the end: `https://shop.example/t/{{1}}`.
                    let names = variables::names(&url);
                    if !(names.is_empty() || (names == ["1"] && url.ends_with("{{1}}"))) {
                        return Err(invalid(
                            "whatsapp.buttons.url",
                            "may have one variable, {{1}}, at its end",
                        ));
                    }
                    (Some(url), None)
                }
                WaButtonKind::PhoneNumber => {
                    let p = b.phone_number.unwrap_or_default().trim().to_string();
                    let digits = p.trim_start_matches('+');
                    if digits.len() < 6
                        || digits.len() > 20
                        || !digits.chars().all(|c| c.is_ascii_digit())
                    {
                        return Err(invalid(
                            "whatsapp.buttons.phone_number",
                            "must be a phone number such as +34600111222",
                        ));
                    }
                    (None, Some(p))
                }
            };
            buttons.push(WaButton {
                kind: b.kind,
                text,
                url,
                phone_number,
            });
        }
        let footer = self
            .footer
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty());
        if let Some(f) = &footer {
            at_most("whatsapp.footer", f, 60)?;
        }
        let examples: Vec<String> = self
            .examples
            .into_iter()
            .take(names.len())
            .map(|e| e.trim().chars().take(200).collect())
            .collect();
        Ok(WhatsAppTemplate {
            name,
            language,
            body,
            header,
            buttons,
            inbox_id: self.inbox_id,
            footer,
            examples,
            synced: self.synced,
        })
    }

    /// Whether its text header has a `{{1}}` the agent fills.
    pub fn header_variable(&self) -> bool {
        self.header.as_ref().is_some_and(|h| {
            h.kind == WaHeaderKind::Text
                && h.text
                    .as_deref()
                    .is_some_and(|t| !variables::names(t).is_empty())
        })
    }

    /// The indexes of its URL buttons whose URL ends with a `{{1}}` the agent fills.
    pub fn url_button_variables(&self) -> Vec<usize> {
        self.buttons
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                b.kind == WaButtonKind::Url
                    && b.url
                        .as_deref()
                        .is_some_and(|u| !variables::names(u).is_empty())
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The composer's fields beyond the body's: the header's `{{1}}`, then each URL
    /// button's suffix.
    pub fn extra_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.header_variable() {
            out.push(HEADER_FIELD.to_string());
        }
        out.extend(self.url_button_variables().into_iter().map(button_field));
        out
    }
}

/// The fields an admin types, checked by [`TemplateInput::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateInput {
    pub name: String,
    pub language: String,
    pub body: String,
    pub subject: String,
    /// A WhatsApp approved template; its body becomes the template's body, and its
    /// name and language fill `name` and `language` when they are empty.
    pub whatsapp: Option<WhatsAppTemplate>,
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
        let whatsapp = self.whatsapp.map(WhatsAppTemplate::check).transpose()?;
        let or_wa = |v: String, f: fn(&WhatsAppTemplate) -> &String| match &whatsapp {
            Some(w) if v.trim().is_empty() => f(w).clone(),
            _ => v,
        };
        let name = super::validate::name("name", &or_wa(self.name, |w| &w.name), NAME_MAX)?;
        let language = language_code("language", &or_wa(self.language, |w| &w.language))?;
        let body = match &whatsapp {
            Some(w) => w.body.clone(),
            None => self.body.trim().to_string(),
        };
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
            whatsapp,
        })
    }
}

impl MessageTemplate {
    /// Every field of the body and the subject, in order, each once.
    pub fn fields(&self) -> Vec<String> {
        let mut all = variables::names(&self.body);
        let subject = variables::names(self.subject.as_deref().unwrap_or(""));
        let extra = self.whatsapp.as_ref().map(WhatsAppTemplate::extra_fields);
        for n in subject.into_iter().chain(extra.into_iter().flatten()) {
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
            whatsapp: None,
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
            whatsapp: None,
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
                whatsapp: None,
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
