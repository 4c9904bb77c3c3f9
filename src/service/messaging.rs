//! Messaging inboxes (WhatsApp, SMS, Messenger, Telegram): their settings, sealed and
//! bound to the account they were given for; the provider built from them; and the
//! messaging window a reply must fit in.

use super::{Result, ServiceError, Services};
use crate::channels::provider::Provider;
use crate::channels::seam::{Capabilities, Identity, WindowState};
use crate::channels::{messenger, telegram, twilio, whatsapp};
use crate::domain::conversation::Conversation;
use crate::domain::messaging::{
    self, MessagingInput, MessagingSettings, Part, Provider as Kind, TelegramMode,
};
use crate::domain::validate::Invalid;
use crate::domain::{ChannelKind, Inbox, Timestamp};
use std::sync::Arc;

/// Where a conversation's messaging window stands, for the composer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowView {
    pub state: WindowState,
    /// When the current window (the tagged one when only that is open) closes.
    pub closes_at: Option<Timestamp>,
}

impl Services {
    /// Reads and seals a messaging inbox's settings. A secret left empty keeps the
    /// stored one, unless what it is bound to (the account, the sender or the base URL)
    /// changed: then it must be given again, so a stored secret is only ever sent where
    /// it was stored for.
    pub fn messaging_settings(
        &self,
        channel: ChannelKind,
        input: MessagingInput,
        old: Option<&MessagingSettings>,
    ) -> Result<MessagingSettings> {
        let provider = messaging::provider(channel, &input)?;
        let f = |p| messaging::field(channel, provider, p);
        let account = match (&input.account, old) {
            (None, Some(o)) if o.provider == provider => o.account.clone(),
            (a, _) => messaging::account(channel, provider, a.as_deref())?,
        };
        let from = match (provider, &input.from, old) {
            (Kind::Twilio, None, Some(o)) if o.provider == provider => o.from.clone(),
            (Kind::Twilio, from, _) => messaging::twilio_from(channel, from.as_deref())?,
            _ => String::new(),
        };
        let api_base = match (&input.api_base, old) {
            (None, Some(o)) => o.api_base.clone(),
            (Some(b), _) => api_base(f(Part::ApiBase), b)?,
            (None, None) => String::new(),
        };
        let bound = old.filter(|o| {
            o.provider == provider
                && o.account == account
                && o.api_base == api_base
                && o.from == from
        });
        let token = self.secret(f(Part::Token), &input.token, bound.map(|o| &o.token_sealed))?;
        let meta = matches!(provider, Kind::WhatsAppCloud | Kind::Messenger);
        let (app_secret, verify_token) = if meta {
            (
                self.secret(
                    f(Part::AppSecret),
                    &input.app_secret,
                    bound.map(|o| &o.app_secret_sealed),
                )?,
                self.secret(
                    f(Part::VerifyToken),
                    &input.verify_token,
                    bound.map(|o| &o.verify_token_sealed),
                )?,
            )
        } else {
            (String::new(), String::new())
        };
        let telegram_mode = match input.mode.as_deref().map(str::trim) {
            None => old.map(|o| o.telegram_mode).unwrap_or_default(),
            Some("" | "poll") => TelegramMode::Poll,
            Some("webhook") => TelegramMode::Webhook,
            Some(_) => {
                return Err(Invalid {
                    field: "telegram.mode",
                    reason: "use \"poll\" or \"webhook\"".into(),
                }
                .into());
            }
        };
        let hook_secret_sealed = match old {
            Some(o) if !o.hook_secret_sealed.is_empty() => o.hook_secret_sealed.clone(),
            _ if provider == Kind::Telegram => self.keys.seal(&super::random_token(24))?,
            _ => String::new(),
        };
        let waba_id = match (provider, &input.waba_id, old) {
            (Kind::WhatsAppCloud, None, Some(o)) => o.waba_id.clone(),
            (Kind::WhatsAppCloud, Some(w), _) => messaging::waba_id(w)?,
            _ => String::new(),
        };
        Ok(MessagingSettings {
            provider,
            account,
            from,
            api_base,
            token_sealed: token,
            app_secret_sealed: app_secret,
            verify_token_sealed: verify_token,
            human_agent_tag: input
                .human_agent_tag
                .unwrap_or_else(|| old.is_some_and(|o| o.human_agent_tag)),
            telegram_mode,
            hook_token: old
                .map(|o| o.hook_token.clone())
                .unwrap_or_else(|| super::random_token(16)),
            hook_secret_sealed,
            webhook_base: input.webhook_base.trim_end_matches('/').to_string(),
            waba_id,
        })
    }

    /// A secret given now (sealed), else the stored one when it may be kept.
    fn secret(
        &self,
        field: &'static str,
        given: &Option<String>,
        stored: Option<&String>,
    ) -> Result<String> {
        match (given.as_deref().map(str::trim).unwrap_or(""), stored) {
            ("", Some(s)) if !s.is_empty() => Ok(s.clone()),
            ("", _) => Err(Invalid {
                field,
                reason: "is required (it must be given again when the account or base URL changes)"
                    .into(),
            }
            .into()),
            (v, _) => Ok(self.keys.seal(&messaging::secret(field, v)?)?),
        }
    }

    /// The provider behind a messaging inbox, its secrets opened.
    pub fn provider(&self, inbox: &Inbox) -> Result<Arc<dyn Provider>> {
        let Some(m) = inbox.messaging.as_ref() else {
            return Err(ServiceError::Conflict(
                "this inbox has no messaging provider",
            ));
        };
        let open = |sealed: &str| -> Result<String> {
            if sealed.is_empty() {
                Ok(String::new())
            } else {
                self.keys.open(sealed)
            }
        };
        let token = open(&m.token_sealed)?;
        Ok(match m.provider {
            Kind::WhatsAppCloud => Arc::new(whatsapp::WhatsApp::new(self.whatsapp_config(inbox)?)),
            Kind::Messenger => Arc::new(messenger::Messenger::new(messenger::Config {
                page_id: m.account.clone(),
                page_access_token: token,
                app_secret: open(&m.app_secret_sealed)?,
                verify_token: open(&m.verify_token_sealed)?,
                human_agent_tag: m.human_agent_tag,
                api_base: m.api_base.clone(),
            })),
            Kind::Twilio => Arc::new(twilio::Twilio::new(twilio::Config {
                account_sid: m.account.clone(),
                auth_token: token,
                from: m.from.clone(),
                api_base: m.api_base.clone(),
                status_callback: m.webhook_url().filter(|u| u.starts_with("http")),
                whatsapp: inbox.channel == ChannelKind::WhatsApp,
            })),
            Kind::Telegram => Arc::new(telegram::Telegram::new(telegram::Config {
                bot_token: token,
                api_base: m.api_base.clone(),
                // Only a webhook-mode inbox has a secret token: a polling one refuses
                // every webhook request, and only a webhook-mode one skips polling.
                secret_token: match m.telegram_mode {
                    TelegramMode::Webhook => Some(open(&m.hook_secret_sealed)?),
                    TelegramMode::Poll => None,
                },
            })),
        })
    }

    /// A WhatsApp Cloud inbox's settings, its secrets opened.
    pub(super) fn whatsapp_config(&self, inbox: &Inbox) -> Result<whatsapp::Config> {
        let Some(m) = inbox
            .messaging
            .as_ref()
            .filter(|m| m.provider == Kind::WhatsAppCloud)
        else {
            return Err(ServiceError::Conflict(
                "this inbox has no messaging provider",
            ));
        };
        let open = |sealed: &str| -> Result<String> {
            if sealed.is_empty() {
                Ok(String::new())
            } else {
                self.keys.open(sealed)
            }
        };
        Ok(whatsapp::Config {
            phone_number_id: m.account.clone(),
            access_token: open(&m.token_sealed)?,
            app_secret: open(&m.app_secret_sealed)?,
            verify_token: open(&m.verify_token_sealed)?,
            api_base: m.api_base.clone(),
        })
    }

    /// Tells Telegram where this bot's updates go when its mode is new or changed:
    /// `setWebhook` for webhook mode (with the secret token we check), `deleteWebhook`
    /// back to polling. Other inboxes: nothing to do.
    pub async fn register_telegram(&self, inbox: &Inbox, old: Option<&Inbox>) -> Result<()> {
        let Some(m) = inbox
            .messaging
            .as_ref()
            .filter(|m| m.provider == Kind::Telegram)
        else {
            return Ok(());
        };
        let before = old.and_then(|o| o.messaging.as_ref());
        let unchanged = before.is_some_and(|b| {
            b.telegram_mode == m.telegram_mode
                && b.token_sealed == m.token_sealed
                && b.api_base == m.api_base
                && b.webhook_base == m.webhook_base
        });
        // A new polling bot is told too: a webhook left set elsewhere would make
        // every poll fail.
        if unchanged {
            return Ok(());
        }
        let secret = self.keys.open(&m.hook_secret_sealed)?;
        let bot = telegram::Telegram::new(telegram::Config {
            bot_token: self.keys.open(&m.token_sealed)?,
            api_base: m.api_base.clone(),
            secret_token: Some(secret),
        });
        let req = match (m.telegram_mode, m.webhook_url()) {
            (TelegramMode::Webhook, Some(url)) => bot.set_webhook(&url),
            _ => bot.delete_webhook(),
        };
        let resp = self.provider_call(&req, 1 << 20).await.map_err(|e| {
            ServiceError::Invalid(Invalid {
                field: "telegram.mode",
                reason: format!("Telegram could not be reached: {}", e.text()),
            })
        })?;
        bot.confirmed(&resp).map_err(|reason| {
            ServiceError::Invalid(Invalid {
                field: "telegram.mode",
                reason: format!("Telegram refused: {reason}"),
            })
        })?;
        Ok(())
    }

    /// What the inbox's channel can do; `None` for channels without a provider.
    pub fn capabilities(&self, inbox: &Inbox) -> Option<Capabilities> {
        inbox.messaging.as_ref()?;
        self.provider(inbox).ok().map(|p| p.capabilities())
    }

    /// Whether the free-form reply `content` (the composer's Markdown) may go to
    /// conversation `c` of a messaging inbox now: somewhere to send it, within the
    /// channel's longest text as the channel receives it (rendered for its markup:
    /// `**bold**` is 4 characters on SMS), and inside its messaging window. Refused
    /// before anything is stored or sent.
    /// `extra`: characters the reply's files add to its text (links under it).
    pub fn check_can_reply(
        &self,
        inbox: &Inbox,
        c: &Conversation,
        content: &str,
        extra: usize,
    ) -> Result<()> {
        let caps = self.capabilities(inbox).ok_or(ServiceError::Conflict(
            "this inbox's provider settings cannot be read",
        ))?;
        if recipient(inbox, c).is_none() {
            return Err(ServiceError::Conflict(
                "this conversation has no address on this channel to reply to",
            ));
        }
        if channel_chars(content, caps.markup) + extra > caps.max_text {
            return Err(ServiceError::TooLong(caps.max_text));
        }
        let w = self.window(inbox, c);
        if w.state == WindowState::Closed {
            let hours = caps.window.map(|w| w.hours).unwrap_or(24);
            return Err(ServiceError::WindowClosed(format!(
                "the {hours}-hour messaging window is closed: the customer has not written in the last {hours} hours, so only an approved template can be sent"
            )));
        }
        Ok(())
    }

    /// Whether an approved template may go to conversation `c` now: the channel sends
    /// templates and the conversation has an address on it. The window does not matter.
    pub fn check_can_send_template(&self, inbox: &Inbox, c: &Conversation) -> Result<()> {
        let caps = self.capabilities(inbox).ok_or(ServiceError::Conflict(
            "this inbox's provider settings cannot be read",
        ))?;
        if !caps.templates || !super::templates::whatsapp_cloud(inbox) {
            return Err(ServiceError::Conflict(
                "this channel does not send WhatsApp approved templates",
            ));
        }
        if recipient(inbox, c).is_none() {
            return Err(ServiceError::Conflict(
                "this conversation has no address on this channel to reply to",
            ));
        }
        Ok(())
    }

    /// Where a conversation's messaging window stands now.
    pub fn window(&self, inbox: &Inbox, conv: &Conversation) -> WindowView {
        let Some(w) = self.capabilities(inbox).and_then(|c| c.window) else {
            return WindowView {
                state: WindowState::None,
                closes_at: None,
            };
        };
        let tag = inbox.messaging.as_ref().is_some_and(|m| m.human_agent_tag);
        let state = w.state(conv.last_inbound_at, self.clock.now(), tag);
        let closes_at = conv.last_inbound_at.and_then(|l| match state {
            WindowState::Open => Some(w.closes_at(l, false)),
            WindowState::Tagged => Some(w.closes_at(l, true)),
            WindowState::None | WindowState::Closed => None,
        });
        WindowView { state, closes_at }
    }
}

/// How many characters the channel receives for the composer's Markdown `content`: its
/// text rendered for the channel's `markup`, what its length limit is about.
pub fn channel_chars(content: &str, markup: crate::channels::seam::TextMarkup) -> usize {
    crate::domain::markdown::render::for_channel(content, markup)
        .chars()
        .count()
}

/// Who a reply in conversation `c` goes to on the inbox's channel: its phone number
/// (SMS, WhatsApp) or the channel's own id (Messenger, Telegram).
pub(super) fn recipient(inbox: &Inbox, c: &Conversation) -> Option<Identity> {
    match inbox.channel {
        ChannelKind::WhatsApp | ChannelKind::Sms => c.identity.phone.clone().map(Identity::Phone),
        _ => c.identity.handle.clone(),
    }
}

/// Checks a provider base URL: http(s), no query or fragment; kept without a trailing `/`.
fn api_base(field: &'static str, raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim().trim_end_matches('/');
    if raw.is_empty() {
        return Ok(String::new());
    }
    let ok = (raw.starts_with("https://") || raw.starts_with("http://"))
        && raw.len() <= 500
        && !raw.contains(['?', '#', ' '])
        && url_host(raw).is_some();
    if ok {
        Ok(raw.to_string())
    } else {
        Err(Invalid {
            field,
            reason: "must be an http:// or https:// URL without query (empty: the provider's public endpoint)".into(),
        })
    }
}

fn url_host(raw: &str) -> Option<&str> {
    let rest = raw.split_once("://")?.1;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::channel_chars;
    use crate::channels::seam::TextMarkup;

    #[test]
    fn the_limit_counts_the_text_as_the_channel_receives_it() {
        assert_eq!(channel_chars("**bold**", TextMarkup::Plain), 4);
        assert_eq!(channel_chars("**bold**", TextMarkup::WhatsApp), 6);
        assert_eq!(channel_chars("_ñandú_ ~~no~~", TextMarkup::Plain), 8);
        assert_eq!(channel_chars("_ñandú_ ~~no~~", TextMarkup::WhatsApp), 12);
        assert_eq!(channel_chars("plain text", TextMarkup::Plain), 10);
    }
}
