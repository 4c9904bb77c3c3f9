//! Mail pollers: one task per email inbox, each holding its own IMAP session, so a slow
//! server delays nobody else. A pass reads the folder's cursor, lists UIDs above it
//! (from 0 again after a UIDVALIDITY change: the content-key dedupe keeps that from
//! duplicating anything), fetches in small batches with `BODY.PEEK[]` and stores each
//! mail durably together with the new cursor, so a crash at any point neither loses
//! nor repeats mail. Between passes the task waits in IDLE when the server offers it
//! (new mail arrives within a second) and otherwise sleeps; either way it re-checks at
//! least every `poll_seconds`. A failing task backs off and reconnects; a task whose
//! settings changed is replaced.
//!
//! With several nodes, each mailbox is watched by the node holding its `mail:<inbox>`
//! lease (see `watchers`). What a watcher stores is fenced by its lease, and a watcher
//! whose lease is lost stops.

use super::lease::Held;
use crate::channels::imap::{self, Account, Mailbox};
use crate::domain::email::EmailSettings;
use crate::domain::{ChannelKind, InboxId};
use crate::service::Services;
use crate::store::Fence;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Messages fetched per IMAP round trip.
const BATCH: usize = 25;

/// How long one IMAP command may take before the session is given up.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest wait between reconnection attempts of a failing mailbox.
const MAX_BACKOFF: Duration = Duration::from_secs(1800);

/// The inbox's current email settings.
fn settings(s: &Services, inbox_id: InboxId) -> Result<EmailSettings, String> {
    let dir = s.directory();
    let inbox = dir.inbox(inbox_id).ok_or("the inbox no longer exists")?;
    inbox
        .email
        .clone()
        .ok_or_else(|| "the inbox has no email settings".to_string())
}

/// An IMAP error as shown on the inbox's health: our step, and the server's own words
/// only from a refusal (see `ImapError`).
fn words(e: &imap::ImapError) -> String {
    e.to_string()
}

/// Logs in and selects the inbox's folder.
async fn connect(s: &Services, settings: &EmailSettings) -> Result<Mailbox, String> {
    let password = if settings.imap.password_sealed.is_empty() {
        String::new()
    } else {
        s.keys
            .open(&settings.imap.password_sealed)
            .map_err(|e| e.to_string())?
    };
    imap::open(
        &Account::of(settings, &password),
        s.settings.outbound,
        COMMAND_TIMEOUT,
    )
    .await
    .map_err(|e| words(&e))
}

/// Stores every mail above the folder's cursor; returns how many were new.
async fn catch_up(
    s: &Arc<Services>,
    inbox_id: InboxId,
    settings: &EmailSettings,
    mb: &mut Mailbox,
    fence: Option<&Fence>,
) -> Result<u64, String> {
    let folder = settings.folder.clone();
    let last = match s
        .blocking(move |s| s.store.mail_cursor(inbox_id, &folder))
        .await
        .map_err(|e| e.to_string())?
    {
        Some((validity, uid)) if validity == mb.uidvalidity => uid,
        Some((validity, _)) => {
            tracing::warn!(inbox = %inbox_id, old = validity, new = mb.uidvalidity, "UIDVALIDITY changed: resyncing the folder");
            0
        }
        None => 0,
    };
    let uids = mb.uids_after(last).await.map_err(|e| words(&e))?;
    let mut stored = 0;
    for chunk in uids.chunks(BATCH) {
        let mails = mb.fetch(chunk).await.map_err(|e| words(&e))?;
        for (uid, raw) in mails {
            let (folder, validity) = (settings.folder.clone(), mb.uidvalidity);
            let fence = fence.cloned();
            let r = s
                .blocking_async(move |s| async move {
                    s.ingest_mail_fenced(inbox_id, &folder, validity, uid, raw, fence)
                        .await
                })
                .await
                .map_err(|e| e.to_string())?;
            if !r.duplicate {
                stored += 1;
            }
        }
        if settings.mark_seen {
            mb.mark_seen(chunk).await.map_err(|e| words(&e))?;
        }
    }
    Ok(stored)
}

/// Polls one mailbox once on a fresh connection; returns how many new messages were
/// stored. The background task does the same continuously; both may run at once (the
/// store's dedupe and forward-only cursor make that harmless).
pub async fn poll_once(s: &Arc<Services>, inbox_id: InboxId) -> Result<u64, String> {
    let settings = settings(s, inbox_id)?;
    let mut mb = connect(s, &settings).await?;
    let n = catch_up(s, inbox_id, &settings, &mut mb, None).await?;
    mb.close().await;
    Ok(n)
}

/// One connected session: catch up, wait (IDLE or sleep), repeat, until an error.
async fn session(
    s: &Arc<Services>,
    inbox_id: InboxId,
    settings: &EmailSettings,
    failures: &mut u32,
    fence: Option<&Fence>,
) -> Result<(), String> {
    let every = Duration::from_secs(settings.poll_seconds);
    let mut mb = connect(s, settings).await?;
    tracing::info!(inbox = %inbox_id, idle = mb.idle, "mailbox connected");
    loop {
        let n = catch_up(s, inbox_id, settings, &mut mb, fence).await?;
        s.mail_health.ok(inbox_id, s.clock.now(), n);
        *failures = 0;
        if mb.idle {
            mb = mb.idle(every).await.map_err(|e| words(&e))?.0;
        } else {
            tokio::time::sleep(every).await;
        }
        mb.reselect().await.map_err(|e| words(&e))?;
    }
}

/// Keeps one inbox's mailbox watched until cancelled or its lease is lost,
/// reconnecting with backoff; then gives the lease back.
async fn watch_inbox(
    s: Arc<Services>,
    inbox_id: InboxId,
    settings: EmailSettings,
    cancel: CancellationToken,
    held: Held,
) {
    watch_held(&s, inbox_id, &settings, &cancel, &held).await;
    held.release().await;
}

async fn watch_held(
    s: &Arc<Services>,
    inbox_id: InboxId,
    settings: &EmailSettings,
    cancel: &CancellationToken,
    held: &Held,
) {
    let every = Duration::from_secs(settings.poll_seconds);
    let mut failures = 0u32;
    loop {
        let error = tokio::select! {
            r = session(s, inbox_id, settings, &mut failures, held.fence()) => match r {
                Ok(()) => return,
                Err(e) => e,
            },
            _ = cancel.cancelled() => return,
            _ = held.lost().cancelled() => return,
        };
        if let Some(f) = held.fence().cloned() {
            // A store refusal may mean another node watches the mailbox now: then stop
            // at once, before the next renewal would tell.
            let store = s.store.clone();
            if let Ok(Ok(false)) = tokio::task::spawn_blocking(move || store.fence_holds(&f)).await
            {
                tracing::info!(inbox = %inbox_id, "mailbox watcher stopping: its lease was lost");
                held.lost().cancel();
                return;
            }
        }
        tracing::warn!(inbox = %inbox_id, error = %error, "mailbox failed");
        s.mail_health.failed(inbox_id, s.clock.now(), error);
        failures += 1;
        let backoff = every.saturating_mul(1 << failures.min(5)).min(MAX_BACKOFF);
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = cancel.cancelled() => return,
            _ = held.lost().cancelled() => return,
        }
    }
}

/// Keeps one watcher per email inbox this node holds the `mail:<inbox>` lease of.
pub(super) async fn run(s: Arc<Services>, stop: watch::Receiver<bool>) -> Result<(), String> {
    let kind = super::watchers::Kind {
        prefix: "mail",
        wanted: |s: &Services| {
            s.directory()
                .inboxes
                .iter()
                .filter(|i| i.channel == ChannelKind::Email && i.polled())
                .filter_map(|i| i.email.clone().map(|e| (i.id, e)))
                .collect()
        },
        watch: watch_inbox,
    };
    super::watchers::run(s, stop, kind).await
}
