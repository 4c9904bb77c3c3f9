//! Mail pollers: every email inbox is polled on its own interval. A poll reads the
//! folder's cursor, lists UIDs above it (from 0 again after a UIDVALIDITY change: the
//! content-key dedupe keeps that from duplicating anything), fetches in small batches
//! with `BODY.PEEK[]` and stores each mail durably together with the new cursor, so a
//! crash at any point neither loses nor repeats mail. Failures back off per inbox.

use crate::channels::imap::{self, Account};
use crate::domain::{ChannelKind, InboxId};
use crate::service::Services;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Messages fetched per IMAP round trip.
const BATCH: usize = 25;

struct Schedule {
    next: Instant,
    failures: u32,
}

/// Polls one mailbox once; returns how many new messages were stored.
pub async fn poll_once(s: &Services, inbox_id: InboxId) -> Result<u64, String> {
    let dir = s.directory();
    let inbox = dir.inbox(inbox_id).ok_or("the inbox no longer exists")?;
    let settings = inbox
        .email
        .clone()
        .ok_or("the inbox has no email settings")?;
    let password = if settings.imap.password_sealed.is_empty() {
        String::new()
    } else {
        s.keys
            .open(&settings.imap.password_sealed)
            .map_err(|e| e.to_string())?
    };
    let account = Account {
        host: &settings.imap.host,
        port: settings.imap.port,
        security: settings.imap.security,
        username: &settings.imap.username,
        password: &password,
        folder: &settings.folder,
    };
    let mut mb = imap::open(&account, Duration::from_secs(30))
        .await
        .map_err(|e| e.to_string())?;
    let last = match s
        .store
        .mail_cursor(inbox_id, &settings.folder)
        .map_err(|e| e.to_string())?
    {
        Some((validity, uid)) if validity == mb.uidvalidity => uid,
        Some((validity, _)) => {
            tracing::warn!(inbox = %inbox_id, old = validity, new = mb.uidvalidity, "UIDVALIDITY changed: resyncing the folder");
            0
        }
        None => 0,
    };
    let uids = mb.uids_after(last).await.map_err(|e| e.to_string())?;
    let mut stored = 0;
    for chunk in uids.chunks(BATCH) {
        let mails = mb.fetch(chunk).await.map_err(|e| e.to_string())?;
        for (uid, raw) in mails {
            let r = s
                .ingest_mail(inbox_id, &settings.folder, mb.uidvalidity, uid, raw)
                .await
                .map_err(|e| e.to_string())?;
            if !r.duplicate {
                stored += 1;
            }
        }
        if settings.mark_seen {
            mb.mark_seen(chunk).await.map_err(|e| e.to_string())?;
        }
    }
    mb.close().await;
    Ok(stored)
}

/// Runs every email inbox's poll on its interval until stopped.
pub(super) async fn run(s: Arc<Services>, mut stop: watch::Receiver<bool>) -> Result<(), String> {
    let mut schedule: HashMap<InboxId, Schedule> = HashMap::new();
    loop {
        let dir = s.directory();
        let inboxes: Vec<(InboxId, u64)> = dir
            .inboxes
            .iter()
            .filter(|i| i.channel == ChannelKind::Email)
            .filter_map(|i| i.email.as_ref().map(|e| (i.id, e.poll_seconds)))
            .collect();
        schedule.retain(|id, _| inboxes.iter().any(|(i, _)| i == id));
        for (id, every) in inboxes {
            let due = schedule
                .get(&id)
                .is_none_or(|sch| sch.next <= Instant::now());
            if !due {
                continue;
            }
            let result = tokio::select! {
                r = poll_once(&s, id) => r,
                _ = stop.changed() => return Ok(()),
            };
            let now = s.clock.now();
            let sch = schedule.entry(id).or_insert(Schedule {
                next: Instant::now(),
                failures: 0,
            });
            match result {
                Ok(n) => {
                    s.mail_health.ok(id, now, n);
                    sch.failures = 0;
                    sch.next = Instant::now() + Duration::from_secs(every);
                }
                Err(e) => {
                    tracing::warn!(inbox = %id, error = %e, "mail poll failed");
                    s.mail_health.failed(id, now, e);
                    sch.failures += 1;
                    let backoff = Duration::from_secs(every)
                        .saturating_mul(1 << sch.failures.min(5))
                        .min(Duration::from_secs(1800));
                    sch.next = Instant::now() + backoff;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.changed() => return Ok(()),
        }
    }
}
