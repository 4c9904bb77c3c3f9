//! The shared inbox's reads: views, counts, rows and the conversation page. Every one
//! checks that the actor may see the conversation's inbox; anything out of reach is
//! `NotFound`. Changes are in `service::actions`.

use super::{Live, Result, ServiceError, Services};
use crate::domain::conversation::{ContactId, Conversation, ConversationId, MessageId, Status};
use crate::domain::message::TimelineItem;
use crate::domain::validate::Invalid;
use crate::domain::{Agent, InboxId, TeamId, Timestamp};
use crate::store::View;

/// One row of a conversation list, with what the row shows.
#[derive(Debug, Clone)]
pub struct Row {
    pub conversation: Conversation,
    pub unread: bool,
    pub missed: bool,
    pub is_new: bool,
    pub inbox_name: String,
    pub channel: &'static str,
    pub assignee_name: Option<String>,
    pub team_name: Option<String>,
    /// A website visitor with the widget open now.
    pub online: bool,
}

/// Counts of every view the actor can open.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub mine: u64,
    pub unassigned: u64,
    pub all: u64,
    pub snoozed: u64,
    pub closed: u64,
    pub mentions: u64,
    pub teams: Vec<(TeamId, String, u64)>,
}

/// A page of a view.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub rows: Vec<Row>,
    pub next: Option<String>,
}

/// A conversation with its contact and a page of its timeline (newest first).
#[derive(Debug, Clone)]
pub struct ConversationPage {
    pub row: Row,
    pub contact: Option<super::ContactView>,
    pub items: Vec<TimelineItem>,
    pub next: Option<MessageId>,
    /// A messaging channel's facts for the composer and the timeline.
    pub channel: Option<ChannelFacts>,
    /// Replies scheduled in this conversation, soonest first (see `service::scheduled`).
    pub scheduled: Vec<crate::store::Scheduled>,
    /// The largest file the composer may upload (`inbox.max_upload_bytes`).
    pub upload_limit: u64,
}

/// What the composer and the timeline show of a messaging channel.
#[derive(Debug, Clone)]
pub struct ChannelFacts {
    /// Where the messaging window stands (WindowState::None without one).
    pub window: super::WindowView,
    /// The window's length in hours (with the tag, when only that is open).
    pub window_hours: u32,
    /// The delivery statuses the channel reports at all.
    pub statuses: Vec<&'static str>,
    /// Milliseconds left in the open window, by this server's clock.
    pub left_ms: i64,
    /// WhatsApp approved templates can be sent here (the composer offers only them
    /// once the window has closed).
    pub templates: bool,
}

/// A status change asked for by an agent.
#[derive(Debug, Clone)]
pub enum StatusChange {
    Open,
    Closed { note: Option<String> },
    Snoozed { until: Timestamp },
}

/// An inbound message posted to an API inbox.
#[derive(Debug, Clone, Default)]
pub struct ApiIncoming {
    pub source_id: Option<String>,
    pub identifier: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub content: String,
}

/// "New message": start a conversation with a phone number or email address.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub inbox: InboxId,
    pub to: String,
    /// Email: the subject of the first mail (else "Your message from <inbox>").
    pub subject: Option<String>,
    pub content: String,
}

/// Parses `mine|unassigned|all|snoozed|closed|mentions|team:{id}` for `actor`.
pub fn parse_view(s: &str, actor: &Agent) -> std::result::Result<View, Invalid> {
    Ok(match s {
        "" | "mine" => View::Mine(actor.id),
        "unassigned" => View::Unassigned,
        "all" => View::All,
        "snoozed" => View::Snoozed,
        "closed" => View::Closed,
        "mentions" => View::Mentions(actor.id),
        t => match t.strip_prefix("team:").and_then(|n| n.parse().ok()) {
            Some(id) => View::Team(TeamId(id)),
            None => {
                return Err(Invalid {
                    field: "view",
                    reason: format!("unknown view {t:?}"),
                });
            }
        },
    })
}

fn cursor_str(c: (i64, u64)) -> String {
    format!("{}.{}", c.0, c.1)
}

fn parse_cursor(s: &str) -> std::result::Result<(i64, u64), Invalid> {
    let bad = || Invalid {
        field: "cursor",
        reason: "not a valid cursor".into(),
    };
    let (t, c) = s.split_once('.').ok_or_else(bad)?;
    Ok((t.parse().map_err(|_| bad())?, c.parse().map_err(|_| bad())?))
}

impl Services {
    pub(super) fn content(&self, raw: &str) -> Result<String> {
        let c = raw.trim();
        if c.is_empty() {
            return Err(Invalid {
                field: "content",
                reason: "must not be empty".into(),
            }
            .into());
        }
        if c.chars().count() > self.settings.max_message_chars {
            return Err(ServiceError::TooLong(self.settings.max_message_chars));
        }
        Ok(c.to_string())
    }

    /// The conversation, if `actor` may see it.
    pub fn conversation_for(&self, actor: &Agent, id: ConversationId) -> Result<Conversation> {
        let c = self.store.conversation(id)?.ok_or(ServiceError::NotFound)?;
        let dir = self.directory();
        match dir.inbox(c.inbox_id) {
            Some(i) if i.visible_to(actor) => Ok(c),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// `c` as `actor` may see it: the contact's own name only for those who may see the
    /// whole contact; others see the name this conversation's channel gave.
    pub fn shown(&self, actor: &Agent, c: Conversation) -> Result<Conversation> {
        self.shown_in(actor, c, &self.directory())
    }

    fn shown_in(
        &self,
        actor: &Agent,
        mut c: Conversation,
        dir: &super::Directory,
    ) -> Result<Conversation> {
        if !actor.is_admin() {
            let full = self.store.contact(c.contact_id)?.is_some_and(|k| {
                crate::domain::contact::access(false, &k.inboxes, |i| {
                    dir.inbox(i).is_some_and(|x| x.visible_to(actor))
                }) == crate::domain::contact::Access::Full
            });
            if !full {
                c.contact_name = c.identity.display_name();
            }
        }
        Ok(c)
    }

    fn row(&self, actor: &Agent, c: Conversation, dir: &super::Directory) -> Result<Row> {
        let read = self.store.read_time(actor.id, c.id)?;
        self.row_read(actor, c, read, dir)
    }

    /// A row, given when `actor` last read it.
    fn row_read(
        &self,
        actor: &Agent,
        c: Conversation,
        read: Option<crate::domain::Timestamp>,
        dir: &super::Directory,
    ) -> Result<Row> {
        let c = self.shown_in(actor, c, dir)?;
        let unread = c
            .last_inbound_at
            .is_some_and(|t| read.is_none_or(|r| t > r));
        let inbox = dir.inbox(c.inbox_id);
        Ok(Row {
            unread,
            missed: c.missed(self.clock.now(), self.settings.missed_after_secs),
            is_new: c.is_new(),
            inbox_name: inbox.map(|i| i.name.clone()).unwrap_or_default(),
            channel: inbox.map(|i| i.channel.as_str()).unwrap_or("api"),
            assignee_name: c.assignee.map(|a| dir.agent_name(a)),
            team_name: c.team.and_then(|t| dir.team(t)).map(|t| t.name.clone()),
            online: inbox.is_some_and(|i| i.channel == crate::domain::ChannelKind::Website)
                && self.live.visitor_online(c.id),
            conversation: c,
        })
    }

    /// A page of a view, newest activity first.
    pub fn list(
        &self,
        actor: &Agent,
        view: View,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<ListPage> {
        let dir = self.directory();
        let inboxes = dir.visible_inboxes(actor);
        let before = cursor
            .filter(|c| !c.is_empty())
            .map(parse_cursor)
            .transpose()?;
        let page = self.store.view_page(view, &inboxes, before, limit)?;
        let ids: Vec<_> = page.conversations.iter().map(|c| c.id).collect();
        let reads = self.store.read_times(actor.id, &ids)?;
        let rows = page
            .conversations
            .into_iter()
            .zip(reads)
            .map(|(c, read)| self.row_read(actor, c, read, &dir))
            .collect::<Result<_>>()?;
        Ok(ListPage {
            rows,
            next: page.next.map(cursor_str),
        })
    }

    /// Every view's count for `actor` (kept counters, no scans).
    pub fn counts(&self, actor: &Agent) -> Result<Counts> {
        let dir = self.directory();
        let inboxes = dir.visible_inboxes(actor);
        let teams: Vec<_> = dir
            .teams
            .iter()
            .filter(|t| actor.is_admin() || t.members.contains(&actor.id))
            .collect();
        let mut views = vec![
            View::Mine(actor.id),
            View::Unassigned,
            View::All,
            View::Snoozed,
            View::Closed,
            View::Mentions(actor.id),
        ];
        views.extend(teams.iter().map(|t| View::Team(t.id)));
        // Every counter in one read.
        let n = self.store.view_counts(&views, &inboxes)?;
        Ok(Counts {
            mine: n[0],
            unassigned: n[1],
            all: n[2],
            snoozed: n[3],
            closed: n[4],
            mentions: n[5],
            teams: teams
                .iter()
                .zip(&n[6..])
                .map(|(t, c)| (t.id, t.name.clone(), *c))
                .collect(),
        })
    }

    /// A conversation with its contact and latest timeline page.
    pub fn conversation_page(
        &self,
        actor: &Agent,
        id: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<ConversationPage> {
        let c = self.conversation_for(actor, id)?;
        let contact = self.contact(actor, c.contact_id).ok();
        let (items, next) = self.store.timeline_page(id, before, limit)?;
        let dir = self.directory();
        let channel = dir.inbox(c.inbox_id).and_then(|inbox| {
            let caps = self.capabilities(inbox)?;
            let window = self.window(inbox, &c);
            let tagged = window.state == crate::channels::seam::WindowState::Tagged;
            Some(ChannelFacts {
                window,
                window_hours: caps
                    .window
                    .map(|w| match (tagged, w.tag_hours) {
                        (true, Some(t)) => t,
                        _ => w.hours,
                    })
                    .unwrap_or(0),
                statuses: caps.statuses.iter().map(|s| s.as_str()).collect(),
                left_ms: window
                    .closes_at
                    .map_or(0, |t| t.0.saturating_sub(self.clock.now().0)),
                templates: caps.templates && super::templates::whatsapp_cloud(inbox),
            })
        });
        let scheduled = self.store.scheduled_of(c.id)?;
        Ok(ConversationPage {
            row: self.row(actor, c, &dir)?,
            contact,
            items,
            next,
            channel,
            scheduled,
            upload_limit: self.settings.max_upload_bytes,
        })
    }

    pub(super) fn publish(&self, c: &Conversation) {
        self.live.publish(Live::Conversation {
            inbox: c.inbox_id,
            id: c.id,
        });
    }

    /// Whether `status` of a conversation is snoozed (helper for views).
    pub fn is_snoozed(c: &Conversation) -> bool {
        matches!(c.status, Status::Snoozed { .. })
    }

    /// Contacts of a contact id (internal helper for contact pages).
    pub fn contact_conversations(&self, actor: &Agent, id: ContactId) -> Result<Vec<Row>> {
        let dir = self.directory();
        self.store
            .conversations_of_contact(id, 200)?
            .into_iter()
            .filter(|c| dir.inbox(c.inbox_id).is_some_and(|i| i.visible_to(actor)))
            .map(|c| self.row(actor, c, &dir))
            .collect()
    }
}
