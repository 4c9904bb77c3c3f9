//! Builds a realistic data set in-process, through the same store operations and domain
//! rules the server uses (no HTTP), so a million messages take a minute, not an hour.

use crate::config::Config;
use crate::domain::conversation::{ConversationId, MessageId};
use crate::domain::message::{DeliveryStatus, Direction, Message, TimelineItem};
use crate::domain::{AgentId, Clock, InboxId, Role, SystemClock, TeamId, Timestamp};
use crate::service::InboxInput;
use crate::store::{Change, InboundMessage, InboundSender, Store, Thread};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const ADMIN_EMAIL: &str = "load@example.com";
pub const ADMIN_PASSWORD: &str = "load password";

/// What the measurements need to know about the data set.
pub struct DataSet {
    pub token: String,
    pub inboxes: Vec<(u64, String)>,
    pub team: u64,
    pub messages: usize,
    pub logical_bytes: u64,
}

const TEXTS: &[&str] = &[
    "Hola, ¿dónde está mi pedido? Lo compré hace tres días y todavía no ha llegado.",
    "Hi! Can I change the delivery address for order 48213?",
    "Gracias por la respuesta, lo reviso y os digo algo.",
    "The package arrived damaged, the box was open. What can I do?",
    "¿Tenéis la talla M en azul? En la web sale agotado.",
    "Perfect, thanks a lot for your help!",
];

pub async fn generate(
    cfg: &Config,
    conversations: usize,
    messages: usize,
) -> Result<DataSet, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let store = crate::app::open_store(cfg).map_err(|x| e(&x))?;
    let services =
        crate::app::build_services(cfg, store.clone(), Arc::new(SystemClock)).map_err(|x| e(&x))?;
    let admin = services
        .cli_create_admin(ADMIN_EMAIL, "Load Admin", ADMIN_PASSWORD)
        .map_err(|x| e(&x))?;
    let token = services
        .cli_create_token(ADMIN_EMAIL, "load")
        .map_err(|x| e(&x))?;
    let mut agents = vec![admin.id];
    for i in 1..20 {
        let (a, _) = services
            .create_agent(
                &admin,
                &format!("Agent {i}"),
                &format!("agent{i}@example.com"),
                Role::Agent,
                Some("agent password"),
            )
            .await
            .map_err(|x| e(&x))?;
        agents.push(a.id);
    }
    let mut teams = Vec::new();
    for (n, name) in ["Customer support", "Delivery", "Sales"].iter().enumerate() {
        let members: Vec<AgentId> = agents.iter().copied().skip(n).step_by(3).collect();
        teams.push(
            services
                .save_team(&admin, None, name, &members)
                .await
                .map_err(|x| e(&x))?
                .id,
        );
    }
    let mut inboxes = Vec::new();
    for name in [
        "Web chat",
        "support@shop.example",
        "+34 600 000 000 SMS",
        "WhatsApp",
        "Partner API",
    ] {
        let input = InboxInput {
            messaging: None,
            language: None,
            name: name.into(),
            channel: None,
            members: agents.clone(),
            webhook_url: None,
            email: None,
            website: None,
        };
        let (inbox, tok) = services
            .save_inbox(&admin, None, input)
            .await
            .map_err(|x| e(&x))?;
        inboxes.push((inbox.id.0, tok.unwrap_or_default()));
    }
    let per = (messages / conversations.max(1)).max(1);
    let done = Arc::new(AtomicUsize::new(0));
    let now = SystemClock.now();
    let threads = 2;
    let mut handles = Vec::new();
    for t in 0..threads {
        let (store, agents, teams, inboxes, done) = (
            store.clone(),
            agents.clone(),
            teams.clone(),
            inboxes.clone(),
            done.clone(),
        );
        handles.push(std::thread::spawn(move || -> Result<usize, String> {
            let mut count = 0;
            for i in (t..conversations).step_by(threads) {
                count += one_conversation(
                    &store,
                    i,
                    conversations,
                    per,
                    now,
                    &agents,
                    &teams,
                    &inboxes,
                )?;
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d % 5000 == 0 {
                    eprint!("\r  generated {d}/{conversations} conversations");
                }
            }
            Ok(count)
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h
            .join()
            .map_err(|_| "generator thread panicked".to_string())??;
    }
    eprintln!();
    store.flush_blocking().map_err(|x| e(&x))?;
    let logical_bytes = store.logical_size().map_err(|x| e(&x))?;
    drop(services);
    Ok(DataSet {
        token,
        inboxes,
        team: teams[1].0,
        messages: total,
        logical_bytes,
    })
}

#[allow(clippy::too_many_arguments)]
fn one_conversation(
    store: &Store,
    i: usize,
    total: usize,
    per: usize,
    now: Timestamp,
    agents: &[AgentId],
    teams: &[TeamId],
    inboxes: &[(u64, String)],
) -> Result<usize, String> {
    let e = |x: crate::store::StoreError| x.to_string();
    // Spread activity over the last 90 days, newest conversations last.
    let start =
        Timestamp(now.0 - 90 * 86_400_000 + (i as i64 * 90 * 86_400_000 / total.max(1) as i64));
    let inbox = InboxId(inboxes[i % inboxes.len()].0);
    // Decorrelated from the close/snooze pattern below, so every agent has open work.
    let agent = agents[(i / 3) % agents.len()];
    let mut conv = None;
    let mut n = 0;
    for j in 0..per {
        let at = Timestamp(start.0 + j as i64 * 60_000);
        let text = TEXTS[(i + j) % TEXTS.len()];
        if j % 2 == 0 || conv.is_none() {
            let ids = [
                store.generate_id().map_err(e)?,
                store.generate_id().map_err(e)?,
                store.generate_id().map_err(e)?,
                store.generate_id().map_err(e)?,
                store.generate_id().map_err(e)?,
            ];
            let m = InboundMessage {
                inbox_id: inbox,
                source_id: Some(format!("gen-{i}-{j}")),
                sender: InboundSender::of(
                    Some(format!("Customer {i}")),
                    Some(format!("cust-{i}")),
                    Some(format!("customer{i}@mail.example")),
                    None,
                ),
                thread: Thread::Latest,
                position: None,
                content: text.to_string(),
                at,
                token: format!("{i:032x}"),
                quiet: false,
                mail: None,
            };
            conv = Some(store.ingest(&m, ids).map_err(e)?.conversation_id);
        } else if let Some(c) = conv {
            reply(store, c, agent, text, at)?;
        }
        n += 1;
    }
    if let Some(c) = conv {
        let team = i.is_multiple_of(2).then(|| teams[i % teams.len()]);
        let close = i % 5 < 2;
        let snooze = i % 20 == 7;
        // One id per event (a team change and a close or snooze): each is a timeline
        // item of its own, which the reports count from.
        let ev = [
            store.generate_id().map_err(e)?,
            store.generate_id().map_err(e)?,
        ];
        store
            .update_conversation(c, |conv| {
                let at = conv.last_activity_at;
                let mut ev_items =
                    conv.set_team(crate::domain::conversation::Actor::Agent(agent), team, at);
                if close {
                    ev_items.extend(
                        conv.close(crate::domain::conversation::Actor::Agent(agent), None, at)
                            .unwrap_or_default(),
                    );
                } else if snooze {
                    ev_items.extend(
                        conv.snooze(
                            crate::domain::conversation::Actor::Agent(agent),
                            Timestamp(now.0 + 86_400_000),
                            at,
                        )
                        .unwrap_or_default(),
                    );
                }
                let items = ev_items
                    .into_iter()
                    .zip(ev)
                    .map(|(e, id)| TimelineItem::Event(MessageId(id), e))
                    .collect();
                Ok(Change {
                    items,
                    ..Change::default()
                })
            })
            .map_err(e)?;
    }
    Ok(n)
}

fn reply(
    store: &Store,
    c: ConversationId,
    agent: AgentId,
    text: &str,
    at: Timestamp,
) -> Result<(), String> {
    let e = |x: crate::store::StoreError| x.to_string();
    let (ev, id) = (
        store.generate_id().map_err(e)?,
        store.generate_id().map_err(e)?,
    );
    let msg = Message {
        id: MessageId(id),
        conversation_id: c,
        direction: Direction::Outbound,
        author: Some(agent),
        content: text.to_string(),
        created_at: at,
        status: DeliveryStatus::Delivered,
        status_times: vec![(DeliveryStatus::Sent, at), (DeliveryStatus::Delivered, at)],
        error: None,
        source_id: None,
        mentions: vec![],
        email: None,
        attachments: vec![],
        notes: vec![],
        via_email: false,
        transcript: false,
        sender: None,
        whatsapp_template: None,
    };
    store
        .update_conversation(c, |conv| {
            let mut items: Vec<TimelineItem> = conv
                .on_reply(agent, text, at)
                .into_iter()
                .map(|e| TimelineItem::Event(MessageId(ev), e))
                .collect();
            items.push(TimelineItem::Message(msg.clone()));
            Ok(Change {
                items,
                ..Change::default()
            })
        })
        .map_err(e)?;
    Ok(())
}

pub mod demo;
