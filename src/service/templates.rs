//! Message templates: admins manage them, every agent sends them. Sending fills the
//! conversation's variables on the server; a field nobody filled refuses the send.

use super::{Result, ServiceError, Services, from_store};
use crate::domain::conversation::ConversationId;
use crate::domain::template::{HEADER_FIELD, WaHeaderKind, WaSend, WhatsAppTemplate, button_field};
use crate::domain::template::{MessageTemplate, TemplateInput};
use crate::domain::validate::Invalid;
use crate::domain::{Agent, ChannelKind, Inbox, InboxId, Timestamp};

/// The template message for `w` with the agent's values of `{{1}}…`, of a text
/// header's `{{1}}` and of URL buttons' suffixes; a header or button value left empty
/// is refused, named (the body's were checked by rendering).
fn wa_send(w: &WhatsAppTemplate, given: &[(String, String)]) -> Result<WaSend> {
    let value = |name: &str| {
        given
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    };
    let missing: Vec<String> = w
        .extra_fields()
        .into_iter()
        .filter(|f| value(f).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ServiceError::Unfilled(missing));
    }
    let parameters = (1..=w.variable_count())
        .map(|n| value(&n.to_string()).unwrap_or_default())
        .collect();
    let header = w
        .header
        .as_ref()
        .filter(|h| h.kind != WaHeaderKind::Text)
        .and_then(|h| h.url.clone().map(|u| (h.kind, u)));
    Ok(WaSend {
        name: w.name.clone(),
        language: w.language.clone(),
        header,
        parameters,
        header_text: w.header_variable().then(|| value(HEADER_FIELD)).flatten(),
        url_buttons: w
            .url_button_variables()
            .into_iter()
            .filter_map(|i| Some((i as u32, value(&button_field(i))?)))
            .collect(),
    })
}

/// A template as the composer's dialog opens it for one conversation: each field with
/// the value the conversation gives it (empty when none).
#[derive(Debug, Clone)]
pub struct TemplateForConversation {
    pub template: MessageTemplate,
    pub fields: Vec<(String, String)>,
}

/// What a template send asks (see [`super::Draft::template`]).
#[derive(Debug, Clone, Default)]
pub struct TemplateUse {
    pub id: u64,
    /// Values the agent typed, by field name; they come before the conversation's.
    pub fields: Vec<(String, String)>,
}

/// A template's text for one conversation, ready to send.
pub(super) struct Rendered {
    pub text: String,
    pub subject: Option<String>,
    /// On the WhatsApp inbox the template was approved for: what its template message
    /// carries.
    pub whatsapp: Option<crate::domain::template::WaSend>,
}

fn template_from(
    input: TemplateInput,
    id: u64,
    created_at: Timestamp,
    now: Timestamp,
) -> MessageTemplate {
    MessageTemplate {
        id,
        name: input.name,
        language: input.language,
        body: input.body,
        subject: (!input.subject.is_empty()).then_some(input.subject),
        created_at,
        updated_at: now,
        whatsapp: input.whatsapp,
    }
}

/// Whether `inbox` sends WhatsApp approved templates by name (WhatsApp Cloud).
pub fn whatsapp_cloud(inbox: &Inbox) -> bool {
    inbox.channel == ChannelKind::WhatsApp
        && inbox
            .messaging
            .as_ref()
            .is_some_and(|m| m.provider == crate::domain::messaging::Provider::WhatsAppCloud)
}

impl Services {
    /// A WhatsApp template belongs to a WhatsApp Cloud inbox.
    fn check_whatsapp_inbox(&self, input: &TemplateInput) -> Result<()> {
        let Some(w) = &input.whatsapp else {
            return Ok(());
        };
        let dir = self.directory();
        if !dir.inbox(InboxId(w.inbox_id)).is_some_and(whatsapp_cloud) {
            return Err(ServiceError::Invalid(Invalid {
                field: "whatsapp.inbox_id",
                reason: "must be a WhatsApp Cloud API inbox".into(),
            }));
        }
        Ok(())
    }

    /// Every template (all agents may read and send them).
    pub fn templates(&self, _actor: &Agent) -> Result<Vec<MessageTemplate>> {
        Ok(self.store.templates()?)
    }

    /// One template.
    pub fn template(&self, _actor: &Agent, id: u64) -> Result<MessageTemplate> {
        self.store.template(id)?.ok_or(ServiceError::NotFound)
    }

    /// Creates a template (admins).
    pub async fn create_template(
        &self,
        actor: &Agent,
        input: TemplateInput,
    ) -> Result<MessageTemplate> {
        Self::require_admin(actor)?;
        let input = input.check()?;
        self.check_whatsapp_inbox(&input)?;
        let now = self.clock.now();
        let t = template_from(input, self.store.generate_id()?, now, now);
        self.store.put_template(&t, false)?;
        self.store.durable().await?;
        Ok(t)
    }

    /// Changes a template (admins).
    pub async fn update_template(
        &self,
        actor: &Agent,
        id: u64,
        input: TemplateInput,
    ) -> Result<MessageTemplate> {
        Self::require_admin(actor)?;
        let cur = self.template(actor, id)?;
        let input = input.check()?;
        self.check_whatsapp_inbox(&input)?;
        let t = template_from(input, id, cur.created_at, self.clock.now());
        self.store.put_template(&t, true).map_err(from_store)?;
        self.store.durable().await?;
        Ok(t)
    }

    /// Deletes a template (admins).
    pub async fn delete_template(&self, actor: &Agent, id: u64) -> Result<()> {
        Self::require_admin(actor)?;
        self.store.delete_template(id).map_err(from_store)?;
        self.store.durable().await?;
        Ok(())
    }

    /// The templates that may go in conversation `id` (one of the agent's inboxes, else
    /// not found) with their fields prefilled: a WhatsApp template only on its inbox,
    /// and only those once the messaging window has closed.
    pub fn templates_for_conversation(
        &self,
        actor: &Agent,
        id: ConversationId,
    ) -> Result<Vec<TemplateForConversation>> {
        let c = self.conversation_for(actor, id)?;
        let values = self.variables_of(actor, &c)?;
        let dir = self.directory();
        let inbox = dir.inbox(c.inbox_id).ok_or(ServiceError::NotFound)?;
        // Past the messaging window only this inbox's WhatsApp templates may go; a
        // WhatsApp template is of use only on its own inbox.
        let closed = self.window(inbox, &c).state == crate::channels::seam::WindowState::Closed;
        Ok(self
            .store
            .templates()?
            .into_iter()
            .filter(|t| match &t.whatsapp {
                Some(w) => w.inbox_id == inbox.id.0,
                None => !closed,
            })
            .map(|template| TemplateForConversation {
                fields: template
                    .fields()
                    .into_iter()
                    .map(|f| {
                        let v = values.get(&f).unwrap_or("").to_string();
                        (f, v)
                    })
                    .collect(),
                template,
            })
            .collect())
    }

    /// The text (and subject) of `t` for conversation `c`; a field left without a
    /// value is refused, named.
    pub(super) fn render_template(
        &self,
        actor: &Agent,
        c: &crate::domain::conversation::Conversation,
        t: &TemplateUse,
    ) -> Result<Rendered> {
        let template = self.template(actor, t.id)?;
        let values = self.variables_of(actor, c)?;
        let (body, subject) = template.render(&values, &t.fields);
        if !body.missing.is_empty() {
            return Err(ServiceError::Unfilled(body.missing));
        }
        let dir = self.directory();
        let inbox = dir.inbox(c.inbox_id).ok_or(ServiceError::NotFound)?;
        let whatsapp = match &template.whatsapp {
            Some(w) if w.inbox_id == inbox.id.0 => Some(wa_send(w, &t.fields)?),
            Some(_) if inbox.channel == ChannelKind::WhatsApp => {
                return Err(ServiceError::Conflict(
                    "this WhatsApp template was approved for another WhatsApp inbox",
                ));
            }
            _ => None,
        };
        Ok(Rendered {
            text: body.text,
            subject,
            whatsapp,
        })
    }
}
