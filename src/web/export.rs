//! Conversations as one self-contained HTML document (`charla export --format html`
//! and a contact's "Download conversations"): a readable transcript per conversation
//! in the reader's language, times in their time zone (named in the heading and next
//! to each time), customer text escaped by the templates (never markup), internal
//! notes marked, events as one line, attachments listed by name, type and size.

use crate::domain::conversation::Status;
use crate::domain::message::{Direction, TimelineItem};
use crate::i18n::L10n;
use crate::service::Directory;
use crate::service::exchange::Transcript;
use crate::web::labels;
use crate::web::views::Localized;
use askama::Template;

#[derive(Template)]
#[template(path = "export/head.html")]
struct Head<'a> {
    l: &'a L10n,
    title: &'a str,
}

struct Entry {
    kind: &'static str,
    who: String,
    at: String,
    text: String,
    files: Vec<String>,
}

#[derive(Template)]
#[template(path = "export/conversation.html")]
struct ConversationSection<'a> {
    l: &'a L10n,
    id: u64,
    contact: String,
    inbox: String,
    /// "Conversation #5 · Email · open · started … · last activity …".
    about: String,
    entries: Vec<Entry>,
}

impl Localized for Head<'_> {
    fn l10n(&self) -> &L10n {
        self.l
    }
}
impl Localized for ConversationSection<'_> {
    fn l10n(&self) -> &L10n {
        self.l
    }
}

/// The document's beginning, in `l`'s language: a title, and a line under it naming
/// the time zone.
pub fn head(l: &L10n, title: &str) -> String {
    Head { l, title }
        .render()
        .unwrap_or_else(|_| String::from("<!doctype html><html><body><main>"))
}

/// The title of one contact's transcripts.
pub fn contact_title(l: &L10n, name: &str) -> String {
    l.t1("export-title-contact", "name", name)
}

/// The title of every conversation's transcripts.
pub fn all_title(l: &L10n) -> String {
    l.t("export-title-all")
}

/// The document's end.
pub const FOOT: &str = "</main>\n</body>\n</html>\n";

/// One conversation's section, in `l`'s language and time zone.
pub fn conversation(l: &L10n, t: &Transcript, dir: &Directory) -> String {
    let c = &t.conversation;
    let contact = c.identity.display_name();
    let entries = t
        .items
        .iter()
        .map(|item| match item {
            TimelineItem::Event(_, e) => Entry {
                kind: "event",
                who: String::new(),
                at: l.datetime(e.at),
                text: crate::web::json::event_text(l, e, dir),
                files: Vec::new(),
            },
            TimelineItem::Message(m) => Entry {
                kind: match m.direction {
                    Direction::Inbound => "inbound",
                    Direction::Outbound => "outbound",
                    Direction::Note => "note",
                },
                who: match (m.author, &m.sender) {
                    (Some(a), _) => dir.agent_name(a),
                    (None, Some(s)) => s.display_name(),
                    (None, None) => contact.clone(),
                },
                at: l.datetime(m.created_at),
                text: m
                    .email
                    .as_ref()
                    .and_then(|e| e.full_text.clone())
                    .unwrap_or_else(|| m.content.clone()),
                files: m
                    .attachments
                    .iter()
                    .map(|a| {
                        let key = if a.stored {
                            "export-file"
                        } else {
                            "export-file-not-kept"
                        };
                        l.tr(
                            key,
                            &[
                                ("name", a.filename.as_str().into()),
                                ("mime", a.mime.as_str().into()),
                                ("size", labels::size(l, a.size).into()),
                            ],
                        )
                    })
                    .collect(),
            },
        })
        .collect();
    let status = match c.status {
        Status::Snoozed { until } => l.t1("export-snoozed-until", "time", l.datetime(until)),
        s => labels::status(l, s.as_str()),
    };
    let channel = match t.channel {
        Some(k) => labels::channel(l, k),
        None => l.t("export-unknown-channel"),
    };
    let about = l.tr(
        "export-about",
        &[
            ("id", c.id.0.to_string().into()),
            ("channel", channel.into()),
            ("status", status.into()),
            ("started", l.datetime(c.created_at).into()),
            ("last", l.datetime(c.last_activity_at).into()),
        ],
    );
    ConversationSection {
        l,
        id: c.id.0,
        contact,
        inbox: t.inbox_name.clone(),
        about,
        entries,
    }
    .render()
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::{
        ChannelIdentity, ContactId, Conversation, ConversationId, MessageId,
    };
    use crate::domain::message::{AttachmentMeta, Message};
    use crate::domain::{AgentId, InboxId, Timestamp};

    #[test]
    fn customer_text_is_escaped_and_files_listed() {
        let conv = Conversation {
            id: ConversationId(5),
            inbox_id: InboxId(1),
            contact_id: ContactId(2),
            status: Status::Open,
            assignee: None,
            team: None,
            created_at: Timestamp(0),
            last_activity_at: Timestamp(0),
            last_inbound_at: None,
            agent_replies: 0,
            closed_assignee: None,
            waiting_since: None,
            agent_replied: false,
            preview: String::new(),
            contact_name: "x".into(),
            token: String::new(),
            identity: ChannelIdentity {
                name: "<img src=x onerror=alert(1)>".into(),
                ..ChannelIdentity::default()
            },
        };
        let mut m = Message::outgoing(
            MessageId(9),
            conv.id,
            AgentId(3),
            "<script>alert(1)</script> & more".into(),
            Timestamp(0),
            true,
            false,
        );
        m.attachments.push(AttachmentMeta {
            filename: "<b>.pdf".into(),
            mime: "application/pdf".into(),
            size: 2048,
            stored: false,
            ..AttachmentMeta::default()
        });
        let t = Transcript {
            conversation: conv,
            inbox_name: "Ventas & <Co>".into(),
            channel: None,
            items: vec![TimelineItem::Message(m)],
        };
        let dir = Directory {
            agents: vec![],
            teams: vec![],
            inboxes: vec![],
            version: 0,
        };
        let html = conversation(&L10n::english(), &t, &dir);
        assert!(
            !html.contains("<script>") && !html.contains("<img"),
            "{html}"
        );
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; more"),
            "{html}"
        );
        assert!(html.contains("Ventas &#38; &#60;Co&#62;"));
        assert!(
            html.contains("&#60;b&#62;.pdf (application/pdf, 2 kB, not kept)"),
            "{html}"
        );
        assert!(html.contains("(internal note)"));
        assert!(
            head(&L10n::english(), "<x>").contains("<title>&#60;x&#62;</title>"),
            "titles are escaped"
        );
        // In Spanish and Madrid's time: the zone named in the heading and at each time.
        let es = L10n::new(crate::i18n::Lang::Es, "Europe/Madrid");
        let html = conversation(&es, &t, &dir);
        assert!(html.contains("(nota privada)"), "{html}");
        assert!(html.contains("1 ene 1970, 01:00 CET"), "{html}");
        assert!(html.contains("no conservado"), "{html}");
        assert!(
            !html.contains("internal note") && !html.contains("UTC"),
            "{html}"
        );
        let top = head(&es, &contact_title(&es, "Ana"));
        assert!(top.contains("<html lang=\"es\">"), "{top}");
        assert!(top.contains("Conversaciones con Ana"), "{top}");
        assert!(top.contains("Europe/Madrid"), "{top}");
    }
}
