//! "Test connection" for messaging inboxes: one harmless authenticated request to the
//! provider (Twilio's account, the Graph phone number or page, Telegram `getMe`) with
//! the settings given or stored. Nothing is saved.

use super::{Result, Services};
use crate::domain::messaging::MessagingInput;
use crate::domain::validate::Invalid;
use crate::domain::{Agent, ChannelKind, Inbox, InboxId};

/// The answers to a probe are small: the account or bot, in JSON.
const PROBE_LIMIT: usize = 1 << 20;

/// What "Test connection" found: whether the provider accepted the settings, and what
/// it said, in words ("WhatsApp number +1 555… (Lucky Shrub)", or what is wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagingProbe {
    pub ok: bool,
    pub detail: String,
}

impl Services {
    /// Tries a messaging inbox's settings: `input` over the stored ones of inbox `id`
    /// (an empty secret is the stored one, under the same binding rule as saving), or
    /// the stored ones alone. Admins only; nothing is saved.
    pub async fn test_messaging_connection(
        &self,
        actor: &Agent,
        id: Option<InboxId>,
        channel: ChannelKind,
        input: Option<MessagingInput>,
    ) -> Result<MessagingProbe> {
        Self::require_admin(actor)?;
        let stored = match id {
            Some(id) => Some(self.inbox(actor, id)?),
            None => None,
        };
        if let Some(s) = &stored
            && s.channel != channel
        {
            return Err(Invalid {
                field: "channel",
                reason: format!("this inbox is a {} inbox", s.channel.label()),
            }
            .into());
        }
        if !channel.is_messaging() {
            return Err(Invalid {
                field: "channel",
                reason: "only messaging inboxes are tested this way".into(),
            }
            .into());
        }
        let old = stored.as_ref().and_then(|i| i.messaging.as_ref());
        let settings = match (input, old) {
            (Some(m), old) => self.messaging_settings(channel, m, old)?,
            (None, Some(s)) => s.clone(),
            (None, None) => {
                return Err(Invalid {
                    field: channel.as_str(),
                    reason: "the provider settings to test are missing".into(),
                }
                .into());
            }
        };
        let token = match settings.token_sealed.as_str() {
            "" => String::new(),
            sealed => self.keys.open(sealed)?,
        };
        let inbox = Inbox {
            id: stored.as_ref().map_or(InboxId(0), |i| i.id),
            name: stored.as_ref().map(|i| i.name.clone()).unwrap_or_default(),
            channel,
            members: vec![],
            created_at: self.clock.now(),
            api_token: None,
            webhook_url: None,
            email: None,
            website: None,
            messaging: Some(settings),
            language: None,
        };
        let provider = self.provider(&inbox)?;
        let req = provider.probe();
        let found = match self.provider_call(&req, PROBE_LIMIT).await {
            Ok(resp) => provider.probed(&resp),
            Err(e) => Err(format!("could not reach the provider: {}", e.text())),
        };
        let (ok, detail) = match found {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        // Telegram's token is part of its URLs: never let an error text carry it.
        let detail = if token.len() >= 8 {
            detail.replace(&token, "<token>")
        } else {
            detail
        };
        Ok(MessagingProbe { ok, detail })
    }
}
