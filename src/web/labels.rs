//! Words for the codes pages show (statuses, channels, identities): each code has its
//! own catalog key, written out so the catalog test sees every one.

use crate::domain::ChannelKind;
use crate::domain::contact::Identity;
use crate::domain::email::ProbeStep;
use crate::i18n::L10n;

/// A conversation status (`open`, `snoozed`, `closed`).
pub fn status(l: &L10n, code: &str) -> String {
    l.t(match code {
        "open" => "status-open",
        "snoozed" => "status-snoozed",
        _ => "status-closed",
    })
}

/// A delivery status (`pending` … `failed`).
pub fn delivery(l: &L10n, code: &str) -> String {
    l.t(match code {
        "pending" => "delivery-pending",
        "sent" => "delivery-sent",
        "delivered" => "delivery-delivered",
        "read" => "delivery-read",
        _ => "delivery-failed",
    })
}

/// A channel's name.
pub fn channel(l: &L10n, kind: ChannelKind) -> String {
    l.t(match kind {
        ChannelKind::Api => "channel-api",
        ChannelKind::Email => "channel-email",
        ChannelKind::Website => "channel-website",
        ChannelKind::WhatsApp => "channel-whatsapp",
        ChannelKind::Sms => "channel-sms",
        ChannelKind::Messenger => "channel-messenger",
        ChannelKind::Telegram => "channel-telegram",
    })
}

/// A channel's name from its code (`email`, `website` …).
pub fn channel_code(l: &L10n, code: &str) -> String {
    match ChannelKind::parse(code) {
        Some(k) => channel(l, k),
        None => code.to_uppercase(),
    }
}

/// The kind of a contact's channel identity.
pub fn identity(l: &L10n, i: &Identity) -> String {
    l.t(match i {
        Identity::Phone(_) => "identity-phone",
        Identity::Email(_) => "identity-email",
        Identity::Messenger(_) => "identity-messenger",
        Identity::Telegram(_) => "identity-telegram",
        Identity::External(_) => "identity-identifier",
    })
}

/// The step a connection test failed at.
pub fn probe_step(l: &L10n, step: ProbeStep) -> String {
    l.t(match step {
        ProbeStep::Ok => "inboxes-step-ok",
        ProbeStep::Address => "inboxes-step-address",
        ProbeStep::Dns => "inboxes-step-dns",
        ProbeStep::Refused => "inboxes-step-refused",
        ProbeStep::Connect => "inboxes-step-connect",
        ProbeStep::Timeout => "inboxes-step-timeout",
        ProbeStep::Tls => "inboxes-step-tls",
        ProbeStep::Authentication => "inboxes-step-authentication",
        ProbeStep::Folder => "inboxes-step-folder",
        ProbeStep::Sender => "inboxes-step-sender",
        ProbeStep::Protocol => "inboxes-step-protocol",
    })
}

/// A size in bytes: "512 B", "12.3 kB" ("12,3 kB" in Spanish).
pub fn size(l: &L10n, bytes: u64) -> String {
    let text = crate::domain::message::human_size(bytes);
    match l.lang() {
        crate::i18n::Lang::Es => text.replace('.', ","),
        crate::i18n::Lang::En => text,
    }
}
