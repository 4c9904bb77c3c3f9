//! The inbox page, its partials, and the live event stream.

use crate::domain::Agent;
use crate::domain::conversation::ConversationId;
use crate::i18n::L10n;
use crate::service::{Live, Services, SessionAuth, parse_view};
use crate::web::AppState;
use crate::web::auth::Signed;
use crate::web::error::WebError;
use crate::web::inbox_views::{
    ComposeInbox, InboxPage, ListPartial, NewMessageForm, PanePartial, PresencePartial, RowView,
    ViewsPartial, view_key,
};
use crate::web::labels;
use crate::web::locale::Loc;
use crate::web::views::{Page, initials};
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    pub view: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub flash: Option<String>,
    /// The open conversation (keeps the row highlighted when the list reloads).
    pub c: Option<u64>,
}

fn title_of(l: &L10n, view: &str, s: &Services) -> String {
    match view_key(view) {
        Some(key) => l.t(key),
        None => view
            .strip_prefix("team:")
            .and_then(|n| n.parse().ok())
            .and_then(|id| {
                s.directory()
                    .team(crate::domain::TeamId(id))
                    .map(|t| t.name.clone())
            })
            .unwrap_or_else(|| l.t("view-conversations")),
    }
}

/// The list for a view (or a search), as shown (store reads: call it through
/// [`Services::blocking`]).
pub fn list_partial(
    s: &Services,
    l: &L10n,
    agent: &Agent,
    q: &InboxQuery,
    selected: Option<u64>,
) -> Result<ListPartial, WebError> {
    let view_key = q
        .view
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "mine".into());
    let search = q.q.clone().unwrap_or_default();
    let (rows, next, title) = if search.trim().is_empty() {
        let view = parse_view(&view_key, agent)?;
        let page = s.list(agent, view, q.cursor.as_deref(), 50)?;
        (page.rows, page.next, title_of(l, &view_key, s))
    } else {
        (
            s.search_conversations(agent, &search, 50)?,
            None,
            l.t1("list-results", "query", search.trim()),
        )
    };
    Ok(ListPartial {
        l: l.clone(),
        rows: rows.iter().map(|r| RowView::new(l, r, selected)).collect(),
        view: view_key,
        q: search,
        next,
        title,
    })
}

pub fn presence(s: &Services, l: &L10n) -> PresencePartial {
    let dir = s.directory();
    let online = s.live.online();
    PresencePartial {
        l: l.clone(),
        agents: dir
            .agents
            .iter()
            .filter(|a| a.active)
            .map(|a| (a.name.clone(), initials(&a.name), online.contains(&a.id)))
            .collect(),
    }
}

/// The empty "New message" form: only inboxes that can write first (not a website
/// chat, where visitors write first, nor a channel whose capabilities say the customer
/// writes first or that a first message needs an approved template), each with the kind
/// of address it reaches so the form can follow what is typed in "To".
pub fn compose_form(s: &Services, l: &L10n, agent: &Agent) -> NewMessageForm {
    use crate::domain::ChannelKind;
    let dir = s.directory();
    let inboxes = dir
        .inboxes
        .iter()
        .filter(|i| i.visible_to(agent))
        .filter_map(|i| {
            let reach = match i.channel {
                ChannelKind::Website => return None,
                ChannelKind::Email => "email",
                _ if i.messaging.is_none() => "any",
                _ => {
                    let caps = s.capabilities(i)?;
                    if !caps.can_start || caps.window.is_some() {
                        return None;
                    }
                    "phone"
                }
            };
            Some(ComposeInbox {
                id: i.id.0,
                name: format!("{} · {}", i.name, labels::channel(l, i.channel)),
                reach,
            })
        })
        .collect();
    NewMessageForm {
        inboxes,
        ..NewMessageForm::default()
    }
}

/// The full page, optionally with a conversation open (store reads: call it through
/// [`Services::blocking`]).
pub fn page(
    s: &Services,
    l: &L10n,
    auth: &SessionAuth,
    q: &InboxQuery,
    open: Option<ConversationId>,
) -> Result<InboxPage, WebError> {
    let agent = &auth.agent;
    let view = q
        .view
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "mine".into());
    let counts = s.counts(agent)?;
    let pane = match open {
        Some(id) => {
            let p = s.conversation_page(agent, id, None, 50)?;
            Some(
                PanePartial::new(l, &p, &s.directory(), &auth.session.csrf, agent.is_admin())
                    .with_signature(s.composer_signature(agent, p.row.conversation.inbox_id)),
            )
        }
        None => None,
    };
    Ok(InboxPage {
        page: Page::signed(l, agent, &auth.session.csrf, l.t("nav-inbox"), "inbox")
            .with_flash(q.flash.as_deref()),
        views: ViewsPartial::new(l, &counts, &view),
        list: list_partial(s, l, agent, q, open.map(|c| c.0))?,
        pane,
        presence: presence(s, l),
        compose: compose_form(s, l, agent),
        view,
        selected: open.map(|c| c.0),
    })
}

pub async fn inbox_page(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<InboxQuery>,
) -> Result<InboxPage, WebError> {
    let q = q.into_inner();
    st.services
        .blocking(move |s| page(s, &l, &auth, &q, None))
        .await
}

fn html(t: &impl Template) -> Result<HttpResponse, WebError> {
    let body = t
        .render()
        .map_err(|e| WebError::Internal(format!("template: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub async fn inbox_list(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<InboxQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    let list = st
        .services
        .blocking(move |s| list_partial(s, &l, &auth.agent, &q, q.c))
        .await?;
    html(&list)
}

pub async fn inbox_views(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<InboxQuery>,
) -> Result<HttpResponse, WebError> {
    let counts = st.services.blocking(move |s| s.counts(&auth.agent)).await?;
    html(&ViewsPartial::new(
        &l,
        &counts,
        q.view.as_deref().unwrap_or("mine"),
    ))
}

pub async fn inbox_presence(
    _s: Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    html(&presence(&st.services, &l))
}

/// How often a live stream checks its session again even without news (idle and
/// absolute expiry, changes made by another process).
const RECHECK: Duration = Duration::from_secs(5);

/// `GET /events`: Server-Sent Events for this agent. `list` when any conversation they
/// can see changes, `conv-{id}` for that conversation, `presence` when someone comes or
/// goes, `notify` (`{"kind", "conversation", "title", "excerpt"}`) when something needs
/// their attention (see `crate::service::notify`). A lagging stream gets `list` (reload)
/// instead of the missed events.
///
/// The stream is only as good as its session: it checks the session and the agent
/// again whenever access changes (sign-out, password change, role, membership,
/// deactivation; see `Live::Access`) and every few seconds, filters with the agent as
/// they are now, and ends once the session is gone.
pub async fn events(Signed(auth): Signed, st: web::Data<AppState>) -> HttpResponse {
    let services = st.services.clone();
    let hash = auth.hash;
    let mut agent = auth.agent.clone();
    let mut rx = services.live.subscribe();
    let presence_guard = services.live.connect(agent.id);
    let open_guard = services.metrics.sse_opened();
    let stream = async_stream(move |tx| async move {
        let _presence = presence_guard;
        let mut heartbeat = tokio::time::interval(Duration::from_secs(15));
        let mut recheck = tokio::time::interval(RECHECK);
        if tx
            .send(web::Bytes::from_static(b"retry: 2000\n: connected\n\n"))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let step = tokio::select! {
                _ = services.shutdown.cancelled() => return,
                _ = heartbeat.tick() => Step::Send(": ping\n\n".to_string()),
                _ = recheck.tick() => Step::Check,
                r = rx.recv() => match r {
                    Ok(Live::Access { agent: Some(who) }) if who != agent.id => Step::Skip,
                    Ok(Live::Access { .. }) => Step::Check,
                    Ok(Live::Conversation { inbox, id }) => {
                        let visible = services.directory().inbox(inbox).is_some_and(|i| i.visible_to(&agent));
                        Step::send_if(visible, || format!("event: list\ndata: {id}\n\nevent: conv-{id}\ndata: {id}\n\n"))
                    }
                    Ok(Live::Presence) => Step::Send("event: presence\ndata: 1\n\n".to_string()),
                    Ok(Live::ReadState { agent: who, id }) => Step::send_if(who == agent.id, || format!("event: list\ndata: {id}\n\n")),
                    Ok(Live::Typing { inbox, id, agent: by, active }) => {
                        // Only the contact's typing is shown to agents (an agent's own typing
                        // reaches the widget, not other agents).
                        let visible = by.is_none() && services.directory().inbox(inbox).is_some_and(|i| i.visible_to(&agent));
                        Step::send_if(visible, || format!("event: typing-{id}\ndata: {}\n\n", u8::from(active)))
                    }
                    // Addressed by the service (who, which kinds they want); the inbox is
                    // checked again against the agent as they are now.
                    Ok(Live::Notify(n)) => {
                        let to_me = n.to.contains(&agent.id) && services.directory().inbox(n.inbox).is_some_and(|i| i.visible_to(&agent));
                        Step::send_if(to_me, || format!("event: notify\ndata: {}\n\n", n.event_data()))
                    }
                    // Missed events may have changed access too: check, then reload.
                    Ok(Live::Resync) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => match current(&services, hash).await {
                        Some(a) => {
                            agent = a;
                            Step::Send("event: list\ndata: 0\n\n".to_string())
                        }
                        None => return,
                    },
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
            };
            match step {
                Step::Send(m) => {
                    if tx.send(web::Bytes::from(m)).await.is_err() {
                        return;
                    }
                }
                Step::Skip => {}
                // The agent as they are now (role, active), or the end of the stream.
                Step::Check => match current(&services, hash).await {
                    Some(a) => agent = a,
                    None => return,
                },
            }
        }
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header((header::CONTENT_ENCODING, "identity"))
        // Counted open for as long as the response's body lives.
        .streaming(futures_util::StreamExt::map(stream, move |chunk| {
            let _open = &open_guard;
            chunk
        }))
}

/// What a live stream does next.
enum Step {
    Send(String),
    Skip,
    /// Check the session and the agent again.
    Check,
}

impl Step {
    fn send_if(cond: bool, event: impl FnOnce() -> String) -> Step {
        if cond {
            Step::Send(event())
        } else {
            Step::Skip
        }
    }
}

/// The agent behind a live stream's session now; `None` when the session has ended (a
/// store error ends the stream too: the browser reconnects and is checked afresh).
async fn current(services: &std::sync::Arc<Services>, hash: [u8; 32]) -> Option<Agent> {
    match services.blocking(move |s| s.live_session(&hash)).await {
        Ok(auth) => auth.map(|a| a.agent),
        Err(e) => {
            tracing::warn!(error = %e, "live stream: session check failed");
            None
        }
    }
}

/// A byte stream fed by a task through a small channel; the task ends when the client
/// goes away (the send fails).
fn async_stream<F, Fut>(
    f: F,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<web::Bytes>) -> Fut,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<web::Bytes>(64);
    actix_web::rt::spawn(f(tx));
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) },
    )
}
