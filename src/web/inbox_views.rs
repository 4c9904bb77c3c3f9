//! View structs of the inbox: the three-pane page and its partials.

use super::labels;
pub use super::timeline_views::{ItemView, Rich};
use super::views::{Localized, Page, initials, localized};
use crate::domain::Timestamp;
use crate::domain::contact::Contact;
use crate::domain::conversation::Status;
use crate::domain::message::TimelineItem;
use crate::i18n::L10n;
use crate::service::{ConversationPage, Counts, Directory, Row};
use askama::Template;
use askama_web::WebTemplate;

/// RFC 3339 for `<time datetime>`.
pub fn iso(t: Timestamp) -> String {
    super::json::ts(t)
}

/// A time as the reader sees it: machine-readable, short, and in full (for `title`).
#[derive(Clone, Debug, Default)]
pub struct TimeView {
    pub iso: String,
    pub short: String,
    pub full: String,
}

impl TimeView {
    pub fn new(l: &L10n, t: Timestamp) -> Self {
        TimeView {
            iso: iso(t),
            short: l.when(t),
            full: l.datetime(t),
        }
    }
}

/// One entry of the view selector.
pub struct ViewLink {
    pub key: String,
    pub label: String,
    /// The count as the reader's language writes it.
    pub count: String,
    pub zero: bool,
    pub active: bool,
}

/// The view selector.
#[derive(Template)]
#[template(path = "inbox/_views.html")]
pub struct ViewsPartial {
    pub l: L10n,
    pub views: Vec<ViewLink>,
    pub teams: Vec<ViewLink>,
}

/// The catalog key of a view's name.
pub fn view_key(view: &str) -> Option<&'static str> {
    Some(match view {
        "mine" => "view-mine",
        "unassigned" => "view-unassigned",
        "all" => "view-all",
        "mentions" => "view-mentions",
        "snoozed" => "view-snoozed",
        "closed" => "view-closed",
        _ => return None,
    })
}

impl ViewsPartial {
    pub fn new(l: &L10n, c: &Counts, active: &str) -> Self {
        let link = |key: &str, label: String, count: u64| ViewLink {
            key: key.into(),
            label,
            count: l.number(i64::try_from(count).unwrap_or(i64::MAX)),
            zero: count == 0,
            active: active == key,
        };
        let named = |key: &str, count: u64| link(key, l.t(view_key(key).unwrap_or(key)), count);
        ViewsPartial {
            l: l.clone(),
            views: vec![
                named("mine", c.mine),
                named("unassigned", c.unassigned),
                named("all", c.all),
                named("mentions", c.mentions),
                named("snoozed", c.snoozed),
                named("closed", c.closed),
            ],
            teams: c
                .teams
                .iter()
                .map(|(id, name, n)| link(&format!("team:{id}"), name.clone(), *n))
                .collect(),
        }
    }
}

/// A conversation row.
pub struct RowView {
    pub id: u64,
    pub contact: String,
    pub initials: String,
    pub channel: String,
    pub inbox: String,
    pub preview: String,
    pub at: TimeView,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub unread: bool,
    pub missed: bool,
    pub is_new: bool,
    pub status: &'static str,
    pub status_label: String,
    pub selected: bool,
    /// A website visitor with the widget open now (green dot).
    pub online: bool,
}

impl RowView {
    pub fn new(l: &L10n, r: &Row, selected: Option<u64>) -> Self {
        let c = &r.conversation;
        RowView {
            id: c.id.0,
            contact: c.contact_name.clone(),
            initials: initials(&c.contact_name),
            channel: labels::channel_code(l, r.channel),
            inbox: r.inbox_name.clone(),
            preview: c.preview.clone(),
            at: TimeView::new(l, c.last_activity_at),
            assignee: r.assignee_name.clone(),
            team: r.team_name.clone(),
            unread: r.unread,
            missed: r.missed,
            is_new: r.is_new,
            status: c.status.as_str(),
            status_label: labels::status(l, c.status.as_str()),
            selected: selected == Some(c.id.0),
            online: r.online,
        }
    }
}

/// The conversation list.
#[derive(Template)]
#[template(path = "inbox/_list.html")]
pub struct ListPartial {
    pub l: L10n,
    pub rows: Vec<RowView>,
    pub view: String,
    pub q: String,
    pub next: Option<String>,
    pub title: String,
}

/// "(5 h 12 min left)", "(40 min left)": how long is left.
fn left_words(l: &L10n, ms: i64) -> String {
    let mins = ms.max(0) / 60_000;
    match (mins / 60, mins % 60) {
        (0, m) => l.t1("window-left-m", "minutes", m),
        (h, m) => l.t2("window-left-hm", "hours", h, "minutes", m),
    }
}

/// An option in a select.
pub struct Opt {
    pub id: u64,
    pub name: String,
    pub selected: bool,
}

/// An inbox "New message" can write from, and the kind of address it reaches.
pub struct ComposeInbox {
    pub id: u64,
    pub name: String,
    /// `email`, `phone`, or `any` (an API inbox takes either).
    pub reach: &'static str,
}

/// The "New message" form: what was typed is kept when it is refused, with the reason
/// next to the field it concerns.
#[derive(Default)]
pub struct NewMessageForm {
    pub inboxes: Vec<ComposeInbox>,
    pub inbox_id: String,
    pub to: String,
    pub subject: String,
    pub content: String,
    /// The field the error concerns (`to`, `content`, `inbox_id`), or empty.
    pub error_field: String,
    pub error: Option<String>,
}

impl NewMessageForm {
    pub fn selected(&self, id: &u64) -> bool {
        self.inbox_id == id.to_string()
    }
}

/// The open conversation: timeline, composer, actions and contact details.
#[derive(Template)]
#[template(path = "inbox/_pane.html")]
pub struct PanePartial {
    pub l: L10n,
    pub csrf: String,
    pub id: u64,
    pub contact_name: String,
    pub inbox: String,
    pub channel: String,
    pub status: &'static str,
    pub status_label: String,
    pub snoozed_until: Option<TimeView>,
    pub items: Vec<ItemView>,
    pub older: Option<u64>,
    pub agents: Vec<Opt>,
    pub teams: Vec<Opt>,
    pub contact: Option<Contact>,
    /// The agent may edit and block the contact (see `ContactView`).
    pub contact_full: bool,
    /// The conversation's own reply address (replies by mail go only here).
    pub reply_email: Option<String>,
    /// The visitor typed that address and no agent has confirmed it yet.
    pub email_unconfirmed: bool,
    pub is_admin: bool,
    pub mention_names: Vec<String>,
    /// A website chat: presence, typing and the chat/email choice apply.
    pub website: bool,
    /// The visitor has the widget open now.
    pub online: bool,
    /// The reply can go by email (the visitor left an address, the inbox has a reply
    /// email inbox); offered first when the visitor is offline.
    pub can_email: bool,
    /// "Send transcript" is possible: a contact email and a mailbox to send through.
    pub can_transcript: bool,
    /// A messaging window: its length in hours, and when it closes (ISO) while open.
    pub window_hours: u32,
    pub window_closes_at: Option<TimeView>,
    /// The window has closed: only an approved template may go.
    pub window_closed: bool,
    /// The window has closed on a channel with approved templates: the composer
    /// offers only them (notes still go).
    pub window_templates: bool,
    /// The time left in the open window, by the server's clock, in words and in ms
    /// (the page counts it down from there).
    pub window_left: String,
    pub window_left_ms: i64,
    /// The statuses this channel reports ("sent, delivered, read, failed").
    pub reported_statuses: Option<String>,
    /// Replies scheduled here (the panel above the composer).
    pub scheduled: Vec<super::care_views::ScheduledView>,
    /// The newest message shown: the composer's `seen` (the conflict guard).
    pub newest: u64,
    /// The largest file the composer uploads, in bytes and for people.
    pub upload_limit_bytes: u64,
    pub upload_limit: String,
    /// The signatures a reply by mail carries, previewed under the composer.
    pub signature: Option<Rich>,
}

impl PanePartial {
    pub fn new(
        l: &L10n,
        p: &ConversationPage,
        dir: &Directory,
        csrf: &str,
        is_admin: bool,
    ) -> Self {
        let c = &p.row.conversation;
        let inbox = dir.inbox(c.inbox_id);
        let members: Vec<_> = dir
            .agents
            .iter()
            .filter(|a| a.active && inbox.is_some_and(|i| i.visible_to(a)))
            .collect();
        let mut items: Vec<ItemView> = p
            .items
            .iter()
            .map(|it| ItemView::new(l, it, &c.contact_name, c.contact_id, dir))
            .collect();
        items.reverse();
        let newest = p
            .items
            .iter()
            .find_map(|it| match it {
                TimelineItem::Message(m) => Some(m.id.0),
                TimelineItem::Event(..) => None,
            })
            .unwrap_or(0);
        PanePartial {
            scheduled: p
                .scheduled
                .iter()
                .map(|s| super::care_views::ScheduledView::new(l, s, dir))
                .collect(),
            newest,
            l: l.clone(),
            csrf: csrf.into(),
            id: c.id.0,
            contact_name: c.contact_name.clone(),
            inbox: p.row.inbox_name.clone(),
            channel: labels::channel_code(l, p.row.channel),
            status: c.status.as_str(),
            status_label: labels::status(l, c.status.as_str()),
            snoozed_until: match c.status {
                Status::Snoozed { until } => Some(TimeView::new(l, until)),
                _ => None,
            },
            items,
            older: p.next.map(|m| m.0),
            agents: members
                .iter()
                .map(|a| Opt {
                    id: a.id.0,
                    name: a.name.clone(),
                    selected: c.assignee == Some(a.id),
                })
                .collect(),
            teams: dir
                .teams
                .iter()
                .map(|t| Opt {
                    id: t.id.0,
                    name: t.name.clone(),
                    selected: c.team == Some(t.id),
                })
                .collect(),
            contact: p.contact.as_ref().map(|v| v.contact.clone()),
            contact_full: p.contact.as_ref().is_some_and(|v| v.full),
            // Only channels that answer by mail have a reply address to show.
            reply_email: c
                .identity
                .email
                .clone()
                .filter(|_| matches!(p.row.channel, "email" | "website")),
            email_unconfirmed: c.identity.email.is_some() && !c.identity.email_verified,
            is_admin,
            mention_names: members.iter().map(|a| a.name.clone()).collect(),
            upload_limit_bytes: p.upload_limit,
            upload_limit: labels::size(l, p.upload_limit),
            can_transcript: c.identity.email_verified
                && c.identity.email.is_some()
                && inbox.is_some_and(|i| {
                    i.email.is_some()
                        || i.website
                            .as_ref()
                            .is_some_and(|w| w.reply_email_inbox.is_some())
                }),
            website: p.row.channel == "website",
            online: p.row.online,
            window_hours: p.channel.as_ref().map_or(0, |f| f.window_hours),
            window_closes_at: p
                .channel
                .as_ref()
                .and_then(|f| f.window.closes_at)
                .map(|t| TimeView::new(l, t)),
            window_closed: p
                .channel
                .as_ref()
                .is_some_and(|f| f.window.state == crate::channels::seam::WindowState::Closed),
            window_templates: p.channel.as_ref().is_some_and(|f| {
                f.templates && f.window.state == crate::channels::seam::WindowState::Closed
            }),
            reported_statuses: p.channel.as_ref().map(|f| {
                f.statuses
                    .iter()
                    .map(|s| labels::delivery(l, s))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            window_left_ms: p.channel.as_ref().map_or(0, |f| f.left_ms),
            window_left: left_words(l, p.channel.as_ref().map_or(0, |f| f.left_ms)),
            can_email: p.row.channel == "website"
                && inbox.is_some_and(|i| {
                    i.website
                        .as_ref()
                        .is_some_and(|w| w.reply_email_inbox.is_some())
                })
                && c.identity.email_verified
                && c.identity.email.is_some(),
            signature: None,
        }
    }

    /// With the preview of the signatures a mail reply carries (see
    /// `Services::composer_signature`).
    pub fn with_signature(mut self, markdown: Option<String>) -> Self {
        self.signature = markdown.map(|m| Rich::of(&m));
        self
    }

    pub fn tags(&self) -> String {
        self.contact
            .as_ref()
            .map(|c| c.tags.join(", "))
            .unwrap_or_default()
    }

    pub fn blocked(&self) -> bool {
        self.contact.as_ref().is_some_and(|c| c.blocked)
    }

    /// A contact's channel identity kind, in words.
    pub fn identity(&self, i: &crate::domain::contact::Identity) -> String {
        labels::identity(&self.l, i)
    }
}

/// Who is online.
#[derive(Template)]
#[template(path = "inbox/_presence.html")]
pub struct PresencePartial {
    pub l: L10n,
    pub agents: Vec<(String, String, bool)>,
}

/// The inbox page.
#[derive(Template, WebTemplate)]
#[template(path = "inbox/page.html")]
pub struct InboxPage {
    pub page: Page,
    pub views: ViewsPartial,
    pub list: ListPartial,
    pub pane: Option<PanePartial>,
    pub presence: PresencePartial,
    pub compose: NewMessageForm,
    pub view: String,
    pub selected: Option<u64>,
}

/// The contacts page.
#[derive(Template, WebTemplate)]
#[template(path = "contacts/list.html")]
pub struct ContactsPage {
    pub page: Page,
    pub q: String,
    pub contacts: Vec<crate::service::ContactView>,
    pub next: Option<u64>,
}

/// One contact and their conversations.
#[derive(Template, WebTemplate)]
#[template(path = "contacts/show.html")]
pub struct ContactPage {
    pub page: Page,
    pub contact: Contact,
    /// The agent may edit and block it; else only what their inboxes know is shown.
    pub full: bool,
    pub rows: Vec<RowView>,
}

localized!(own: ViewsPartial, ListPartial, PanePartial, PresencePartial);
localized!(page: InboxPage, ContactsPage, ContactPage);
