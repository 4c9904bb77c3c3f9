//! Views of "sending with care": the conversation's scheduled replies (the panel above
//! the composer) and the conflict guard's answer (what arrived while the agent typed).

use super::inbox_views::{ItemView, TimeView};
use super::views::{Localized, localized};
use crate::domain::conversation::ContactId;
use crate::domain::message::Message;
use crate::i18n::L10n;
use crate::service::Directory;
use crate::store::Scheduled;
use askama::Template;

/// One scheduled reply in the panel.
pub struct ScheduledView {
    pub id: u64,
    pub text: String,
    pub at: TimeView,
    /// The picker's value for an edit, in the agent's zone (`2026-11-30T09:00`).
    pub local: String,
    pub author: String,
    /// Why it was not sent at its time.
    pub failed: Option<String>,
}

impl ScheduledView {
    pub fn new(l: &L10n, s: &Scheduled, dir: &Directory) -> Self {
        ScheduledView {
            id: s.id,
            text: s.content.clone(),
            at: TimeView::new(l, s.send_at),
            local: local_input(l, s.send_at),
            author: dir.agent_name(s.author),
            failed: s.failed.as_deref().map(|f| say_failure(l, f)),
        }
    }
}

/// A time as a `datetime-local` input's value in the reader's zone.
pub fn local_input(l: &L10n, t: crate::domain::Timestamp) -> String {
    jiff::Timestamp::from_millisecond(t.0)
        .map(|ts| {
            ts.to_zoned_datetime(l.tz().clone())
                .strftime("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// A recorded failure in the reader's language: the closed window has its message.
fn say_failure(l: &L10n, reason: &str) -> String {
    let msg = crate::web::error::refusal_msg(reason);
    l.msg(&msg)
}

/// The conflict guard's answer: nothing was sent; here is what is new.
#[derive(Template)]
#[template(path = "inbox/_conflict.html")]
pub struct ConflictPartial {
    pub l: L10n,
    pub items: Vec<ItemView>,
    /// The newest of them: "Send anyway" and "Edit" count it as seen.
    pub newest: u64,
}

impl ConflictPartial {
    pub fn new(l: &L10n, new: &[Message], contact: (&str, ContactId), dir: &Directory) -> Self {
        ConflictPartial {
            l: l.clone(),
            items: new
                .iter()
                .map(|m| {
                    ItemView::new(
                        l,
                        &crate::domain::message::TimelineItem::Message(m.clone()),
                        contact.0,
                        contact.1,
                        dir,
                    )
                })
                .collect(),
            newest: new.last().map_or(0, |m| m.id.0),
        }
    }
}

localized!(own: ConflictPartial);
