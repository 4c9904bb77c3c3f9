//! Conversations as one self-contained HTML document (`charla export --format html`
//! and a contact's "Download conversations"): a readable transcript per conversation,
//! times in UTC, customer text escaped by the templates (never markup), internal notes
//! marked, events as one line, attachments listed by name, type and size.

use crate::domain::message::{Direction, TimelineItem, human_size};
use crate::domain::{Timestamp, conversation::Status};
use crate::service::Directory;
use crate::service::exchange::Transcript;
use askama::Template;

#[derive(Template)]
#[template(path = "export/head.html")]
struct Head<'a> {
    title: &'a str,
    subtitle: &'a str,
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
struct ConversationSection {
    id: u64,
    contact: String,
    inbox: String,
    channel: &'static str,
    status: String,
    started: String,
    last: String,
    entries: Vec<Entry>,
}

fn utc(t: Timestamp) -> String {
    format!("{} UTC", t.display())
}

/// The document's beginning: title and a line under it.
pub fn head(title: &str, subtitle: &str) -> String {
    Head { title, subtitle }
        .render()
        .unwrap_or_else(|_| String::from("<!doctype html><html><body><main>"))
}

/// The document's end.
pub const FOOT: &str = "</main>\n</body>\n</html>\n";

/// One conversation's section.
pub fn conversation(t: &Transcript, dir: &Directory) -> String {
    let c = &t.conversation;
    let contact = c.identity.display_name();
    let entries = t
        .items
        .iter()
        .map(|item| match item {
            TimelineItem::Event(_, e) => Entry {
                kind: "event",
                who: String::new(),
                at: utc(e.at),
                text: crate::web::json::event_text(&crate::i18n::L10n::english(), e, dir),
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
                at: utc(m.created_at),
                text: m
                    .email
                    .as_ref()
                    .and_then(|e| e.full_text.clone())
                    .unwrap_or_else(|| m.content.clone()),
                files: m
                    .attachments
                    .iter()
                    .map(|a| {
                        format!(
                            "{} ({}, {}{})",
                            a.filename,
                            a.mime,
                            human_size(a.size),
                            if a.stored { "" } else { ", not kept" }
                        )
                    })
                    .collect(),
            },
        })
        .collect();
    let status = match c.status {
        Status::Snoozed { until } => format!("snoozed until {}", utc(until)),
        s => s.as_str().to_string(),
    };
    ConversationSection {
        id: c.id.0,
        contact,
        inbox: t.inbox_name.clone(),
        channel: t.channel.map(|k| k.label()).unwrap_or("unknown channel"),
        status,
        started: utc(c.created_at),
        last: utc(c.last_activity_at),
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
    use crate::domain::{AgentId, InboxId};

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
        let html = conversation(&t, &dir);
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
        assert!(head("<x>", "y").contains("<title>&#60;x&#62;</title>"));
    }
}
