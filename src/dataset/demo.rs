//! `charla demo`: a realistic bilingual data set (Spanish and English customers) in a
//! new data directory, so an evaluator sees a working inbox in one command. Written
//! through the same store operations as the load generator (`dataset`): agents, teams,
//! an inbox of every channel, 500 conversations over the last 60 days with notes,
//! events, attachments and every state.
//!
//! Nothing connects anywhere: provider settings point at `*.demo.invalid` (a name that
//! never resolves, RFC 6761) with secrets that say they are demo values; the Telegram
//! bot is in webhook mode (only polling bots start a poller), and the email inbox has no
//! mailbox settings (only email inboxes with settings get a watcher). Replies on those
//! channels fail with the provider's address unreachable, in words, on the message.

use super::reply;
use crate::config::Config;
use crate::domain::contact::Identity;
use crate::domain::conversation::{Actor, ConversationId, MessageId};
use crate::domain::message::{AttachmentMeta, MailMeta, Message, TimelineItem};
use crate::domain::messaging::{MessagingSettings, Provider, TelegramMode};
use crate::domain::website::{Prechat, WebsiteSettings};
use crate::domain::{AgentId, AuditEntry, ChannelKind, Clock, Inbox, InboxId, Role, TeamId};
use crate::domain::{SystemClock, Timestamp};
use crate::service::{Keys, Services, random_token};
use crate::store::{Change, InboundMessage, InboundParts, InboundSender, Part, Store, Thread};
use std::sync::Arc;

mod files;
mod texts;

/// Conversations in the demo.
pub const CONVERSATIONS: usize = 500;
/// Over how many days.
const DAYS: i64 = 60;
const DAY: i64 = 86_400_000;
/// The admin who signs in first.
pub const ADMIN_EMAIL: &str = "admin@demo.example";

/// What `charla demo` made, to print.
pub struct Demo {
    /// (name, email, role) of every agent; all share `password`.
    pub agents: Vec<(String, String, Role)>,
    pub password: String,
    pub inboxes: Vec<(String, ChannelKind)>,
    pub conversations: usize,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Fills the (empty) store of `cfg` with the demo data set; `progress(done, total)`.
pub async fn generate(cfg: &Config, progress: &mut dyn FnMut(u64, u64)) -> Result<Demo, String> {
    let store = match Store::open_empty(&crate::app::store_options(cfg)) {
        Ok(s) => Arc::new(s),
        Err(crate::store::StoreError::NotEmpty { tree, .. }) => {
            return Err(format!(
                "{} already holds data ({tree}): `charla demo` fills only a new data directory; pass --data NEW_DIR",
                cfg.storage.path.display()
            ));
        }
        Err(e) => return Err(err(e)),
    };
    let services =
        crate::app::build_services(cfg, store.clone(), Arc::new(SystemClock)).map_err(err)?;
    let password = format!("demo-{}", random_token(6));
    let admin = services
        .cli_create_admin(ADMIN_EMAIL, "Ana García", &password)
        .map_err(err)?;
    let mut agents = vec![(admin.name.clone(), admin.email.clone(), Role::Admin)];
    let mut ids = vec![admin.id];
    for (name, email) in texts::AGENTS {
        let (a, _) = services
            .create_agent(&admin, name, email, Role::Agent, Some(&password))
            .await
            .map_err(err)?;
        agents.push((a.name.clone(), a.email.clone(), Role::Agent));
        ids.push(a.id);
    }
    let mut teams = Vec::new();
    for (n, name) in texts::TEAMS.iter().enumerate() {
        let members: Vec<AgentId> = ids.iter().copied().skip(1 + n).step_by(2).collect();
        teams.push(
            services
                .save_team(&admin, None, name, &members)
                .await
                .map_err(err)?
                .id,
        );
    }
    let inboxes = make_inboxes(&services, &store, &ids)?;
    let now = SystemClock.now();
    for i in 0..CONVERSATIONS {
        let inbox = &inboxes[i % inboxes.len()];
        one_conversation(&store, i, now, inbox, &ids, &teams).map_err(err)?;
        progress(i as u64 + 1, CONVERSATIONS as u64);
    }
    store.flush_blocking().map_err(err)?;
    Ok(Demo {
        agents,
        password,
        inboxes: inboxes
            .iter()
            .map(|i| (i.name.clone(), i.channel))
            .collect(),
        conversations: CONVERSATIONS,
    })
}

/// A provider's settings with placeholder account, demo secrets sealed like real ones,
/// and an API base that never resolves.
fn messaging(keys: &Keys, provider: Provider, account: &str) -> Result<MessagingSettings, String> {
    let seal = |what: &str| {
        keys.seal(&format!("demo-{what}-not-a-real-secret"))
            .map_err(err)
    };
    let host = match provider {
        Provider::WhatsAppCloud => "whatsapp",
        Provider::Twilio => "twilio",
        Provider::Messenger => "messenger",
        Provider::Telegram => "telegram",
    };
    let meta = matches!(provider, Provider::WhatsAppCloud | Provider::Messenger);
    Ok(MessagingSettings {
        provider,
        account: account.into(),
        from: if provider == Provider::Twilio {
            "+15550000000".into()
        } else {
            String::new()
        },
        api_base: format!("https://{host}.demo.invalid"),
        token_sealed: seal("token")?,
        app_secret_sealed: if meta {
            seal("app-secret")?
        } else {
            String::new()
        },
        verify_token_sealed: if meta {
            seal("verify-token")?
        } else {
            String::new()
        },
        human_agent_tag: false,
        telegram_mode: TelegramMode::Webhook,
        hook_token: random_token(16),
        hook_secret_sealed: if provider == Provider::Telegram {
            seal("hook-secret")?
        } else {
            String::new()
        },
        webhook_base: "https://charla.demo.invalid".into(),
        waba_id: String::new(),
    })
}

fn make_inboxes(s: &Services, store: &Store, members: &[AgentId]) -> Result<Vec<Inbox>, String> {
    let now = SystemClock.now();
    let mut out = Vec::new();
    for (name, channel) in texts::INBOXES {
        let mut inbox = Inbox {
            id: InboxId(store.generate_id().map_err(err)?),
            name: name.to_string(),
            channel: *channel,
            members: members.to_vec(),
            created_at: now,
            api_token: None,
            webhook_url: None,
            email: None,
            website: None,
            messaging: None,
            language: None,
        };
        match channel {
            ChannelKind::Api => {
                inbox.api_token = Some(format!("charla_inbox_{}", random_token(16)))
            }
            ChannelKind::Website => {
                inbox.website = Some(WebsiteSettings {
                    key: random_token(16),
                    allowed_origins: vec!["https://shop.demo.invalid".into()],
                    greeting: "¡Hola! ¿En qué podemos ayudarte? · Hi! How can we help?".into(),
                    color: "#4f46e5".into(),
                    prechat: Prechat::Optional,
                    identity_secret_sealed: String::new(),
                    reply_email_inbox: None,
                    visitor_files_off: false,
                })
            }
            ChannelKind::WhatsApp => {
                inbox.messaging = Some(messaging(
                    &s.keys,
                    Provider::WhatsAppCloud,
                    "100000000000001",
                )?)
            }
            ChannelKind::Sms => {
                inbox.messaging = Some(messaging(
                    &s.keys,
                    Provider::Twilio,
                    "ACdemo0000000000000000000000000000",
                )?)
            }
            ChannelKind::Messenger => {
                inbox.messaging = Some(messaging(&s.keys, Provider::Messenger, "100000000000002")?)
            }
            ChannelKind::Telegram => {
                inbox.messaging = Some(messaging(&s.keys, Provider::Telegram, "")?)
            }
            ChannelKind::Email => {}
        }
        let audit = (
            store.generate_id().map_err(err)?,
            AuditEntry {
                at: now,
                actor: None,
                actor_name: "charla demo".into(),
                action: "inbox.create".into(),
                target: format!("inbox {name}"),
                detail: format!("{} channel, demo settings", channel.label()),
            },
        );
        store.put_inbox(&inbox, false, &audit).map_err(err)?;
        out.push(inbox);
    }
    Ok(out)
}

/// How the customer of conversation `i` is known on `channel`.
fn identities(channel: ChannelKind, who: &texts::Person, i: usize) -> Vec<Identity> {
    let email = Identity::Email(who.email.clone());
    let phone = Identity::Phone(who.phone.clone());
    match channel {
        ChannelKind::Api => vec![Identity::External(format!("cust-{}", who.n)), email],
        ChannelKind::Email => vec![email],
        ChannelKind::Website if i.is_multiple_of(3) => {
            vec![Identity::External(format!("visitor-{i}"))]
        }
        ChannelKind::Website => vec![Identity::External(format!("visitor-{}", who.n)), email],
        ChannelKind::WhatsApp | ChannelKind::Sms => vec![phone],
        ChannelKind::Messenger => vec![Identity::Messenger(format!("{}", 7_100_000 + who.n))],
        ChannelKind::Telegram => vec![Identity::Telegram(format!("{}", 5_200_000 + who.n))],
    }
}

fn one_conversation(
    store: &Store,
    i: usize,
    now: Timestamp,
    inbox: &Inbox,
    agents: &[AgentId],
    teams: &[TeamId],
) -> crate::store::Result<()> {
    let who = texts::person(i);
    let topic = texts::topic(i, who.spanish);
    // Spread over the last 60 days, newest last, within working hours.
    let start = now.0 - DAYS * DAY + (i as i64 * (DAYS * DAY - DAY / 2)) / CONVERSATIONS as i64;
    let start = Timestamp(start.min(now.0 - 3_600_000));
    let agent = agents[i % agents.len()];
    let mail = |n: usize| {
        (inbox.channel == ChannelKind::Email).then(|| MailMeta {
            subject: if n == 0 {
                topic.subject.to_string()
            } else {
                format!("Re: {}", topic.subject)
            },
            message_id: Some(format!("demo-{i}-{n}@mail.demo.invalid")),
            ..MailMeta::default()
        })
    };
    let ingest = |n: usize, text: &str, at: Timestamp, parts: &InboundParts| {
        let ids = fresh::<5>(store)?;
        let m = InboundMessage {
            inbox_id: inbox.id,
            source_id: Some(format!("demo-{i}-{n}")),
            sender: InboundSender {
                name: Some(who.name.clone()),
                identities: identities(inbox.channel, &who, i),
                claimed_email: None,
            },
            content: text.to_string(),
            at,
            token: random_token(16),
            thread: Thread::Latest,
            position: None,
            quiet: false,
            mail: mail(n),
        };
        store.ingest_with_parts(&m, ids, parts)
    };
    let parts = files::parts(i);
    let first = ingest(0, topic.opening, start, &parts)?;
    let conv = first.conversation_id;
    let state = i % 10;
    let newest = i + 15 >= CONVERSATIONS;
    if newest || state == 7 {
        // New, or missed: nobody has answered yet.
        return Ok(());
    }
    let mut at = Timestamp(start.0 + 4 * 60_000 + (i as i64 % 7) * 60_000);
    reply(store, conv, agent, topic.answer, at).map_err(crate::store::StoreError::Engine)?;
    at = Timestamp(at.0 + 20 * 60_000);
    ingest(1, topic.follow_up, at, &InboundParts::default())?;
    if state == 9 || state == 3 {
        at = Timestamp(at.0 + 60_000);
        note(store, conv, agent, agents[0], who.spanish, at)?;
    }
    if state == 5 {
        // Answered, then the customer wrote again: unread for the agent.
        return Ok(());
    }
    at = Timestamp(at.0 + 10 * 60_000);
    reply(store, conv, agent, topic.closing, at).map_err(crate::store::StoreError::Engine)?;
    let team = teams[i % teams.len()];
    let ev_ids = fresh::<3>(store)?;
    store.update_conversation(conv, |c| {
        let me = Actor::Agent(agent);
        let mut events = Vec::new();
        if state != 6 {
            events.extend(c.set_team(me.clone(), Some(team), at));
        }
        match state {
            0..=3 => events.extend(c.close(me.clone(), None, at).unwrap_or_default()),
            4 => events.extend(
                c.snooze(me.clone(), Timestamp(now.0 + (1 + i as i64 % 3) * DAY), at)
                    .unwrap_or_default(),
            ),
            _ => {}
        }
        Ok(Change {
            items: events
                .into_iter()
                .zip(&ev_ids)
                .map(|(e, id)| TimelineItem::Event(MessageId(*id), e))
                .collect(),
            ..Change::default()
        })
    })?;
    Ok(())
}

/// `N` new ids.
fn fresh<const N: usize>(store: &Store) -> crate::store::Result<[u64; N]> {
    let mut ids = [0u64; N];
    for id in &mut ids {
        *id = store.generate_id()?;
    }
    Ok(ids)
}

/// An internal note that @mentions the admin.
fn note(
    store: &Store,
    c: ConversationId,
    agent: AgentId,
    admin: AgentId,
    spanish: bool,
    at: Timestamp,
) -> crate::store::Result<()> {
    let text = if spanish {
        "@Ana García ¿puedes revisar este pedido? El cliente ya ha escrito dos veces."
    } else {
        "@Ana García can you check this order? The customer has written twice."
    };
    let id = store.generate_id()?;
    let msg = Message::outgoing(MessageId(id), c, agent, text.into(), at, true, false);
    store.update_conversation(c, |conv| {
        conv.on_note(text, at);
        Ok(Change {
            items: vec![TimelineItem::Message(msg.clone())],
            mentions: vec![admin],
            ..Change::default()
        })
    })?;
    Ok(())
}

/// The attachment metas and bytes a message brings.
pub(super) fn with_files(files: Vec<(String, &str, Vec<u8>)>) -> InboundParts {
    let mut parts = InboundParts::default();
    for (n, (filename, mime, bytes)) in files.into_iter().enumerate() {
        parts.attachments.push(AttachmentMeta {
            filename,
            mime: mime.into(),
            size: bytes.len() as u64,
            stored: true,
            inline: false,
            content_id: None,
            ..AttachmentMeta::default()
        });
        parts.bytes.push((Part::Attachment(n as u32), bytes));
    }
    parts
}
