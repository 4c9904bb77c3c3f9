//! "Sync templates": a WhatsApp Cloud inbox's approved templates read from Meta's list
//! (`GET /{WABA-ID}/message_templates`, every page) and stored as its WhatsApp
//! templates, matched by name and language: new ones created, known ones updated,
//! and this inbox's WhatsApp templates Meta no longer lists as approved removed.
//! Everything is read before anything is written, and written in one transaction: a
//! failure on any page leaves the templates as they were.

use super::{ServiceError, Services};
use crate::channels::http::MAX_BODY;
use crate::channels::whatsapp::templates::{self, ListError, Listed, Skip};
use crate::domain::template::{MessageTemplate, NAME_MAX, WaHeaderKind, WhatsAppTemplate};
use crate::domain::{Agent, InboxId};
use crate::store::TEMPLATES_MAX;

/// The most pages read (100 templates each): a WABA has at most a few hundred.
const MAX_PAGES: usize = 50;

/// Why a sync stopped before writing anything.
#[derive(Debug)]
pub enum SyncError {
    /// Not allowed, not a WhatsApp Cloud inbox, or a store failure.
    Service(ServiceError),
    /// The inbox has no WhatsApp Business Account id in its settings.
    NoWabaId,
    /// Graph refused or failed (see [`ListError`]).
    Graph(ListError),
    /// Graph could not be reached, or the address policy refused its URL.
    Unreachable(String),
    /// The list would take the installation past its template limit.
    TooMany(usize),
}

impl From<ServiceError> for SyncError {
    fn from(e: ServiceError) -> Self {
        SyncError::Service(e)
    }
}

impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncError::Service(e) => write!(f, "{e}"),
            SyncError::NoWabaId => {
                f.write_str("set the inbox's WhatsApp Business Account ID in its settings first")
            }
            SyncError::Graph(ListError::TokenRefused(d)) => write!(
                f,
                "Meta refused the access token (expired, revoked or mistyped): {d}"
            ),
            SyncError::Graph(ListError::NotFound(d)) => write!(
                f,
                "Meta does not let this access token read that WhatsApp Business Account: {d}"
            ),
            SyncError::Graph(ListError::RateLimited(d)) => {
                write!(
                    f,
                    "Meta is limiting requests; try again in a few minutes: {d}"
                )
            }
            SyncError::Graph(ListError::Failed(d)) => write!(f, "Meta refused: {d}"),
            SyncError::Unreachable(d) => write!(f, "Meta could not be reached: {d}"),
            SyncError::TooMany(n) => write!(
                f,
                "the list has {n} approved templates, more than the {TEMPLATES_MAX} Charla keeps"
            ),
        }
    }
}

/// One template of Meta's list that was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub language: String,
    pub reason: Skip,
}

/// Meta's list for one inbox, read whole.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub inbox: InboxId,
    pub approved: Vec<WhatsAppTemplate>,
    pub skipped: Vec<Skipped>,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Approved templates now stored (created + updated + unchanged).
    pub synced: usize,
    pub created: usize,
    pub updated: usize,
    /// This inbox's WhatsApp templates removed (no longer approved, or gone).
    pub removed: usize,
    pub skipped: Vec<Skipped>,
}

/// The stored template for `w` (matched one or a new one), and whether it changed.
fn merged(
    w: WhatsAppTemplate,
    cur: Option<&MessageTemplate>,
    id: u64,
    now: crate::domain::Timestamp,
) -> (MessageTemplate, bool) {
    let mut w = w;
    match cur {
        Some(c) => {
            // A media header's file an admin set is kept over Meta's sample.
            if let (Some(h), Some(old)) = (
                w.header.as_mut(),
                c.whatsapp.as_ref().and_then(|o| o.header.as_ref()),
            ) && h.kind != WaHeaderKind::Text
                && h.kind == old.kind
                && old.url.is_some()
            {
                h.url = old.url.clone();
            }
            let mut t = c.clone();
            let changed = t.body != w.body || t.whatsapp.as_ref() != Some(&w);
            t.body = w.body.clone();
            t.whatsapp = Some(w);
            if changed {
                t.updated_at = now;
            }
            (t, changed)
        }
        None => (
            MessageTemplate {
                id,
                name: w.name.chars().take(NAME_MAX).collect(),
                language: w.language.clone(),
                body: w.body.clone(),
                subject: None,
                created_at: now,
                updated_at: now,
                whatsapp: Some(w),
            },
            true,
        ),
    }
}

impl Services {
    /// Reads every page of the inbox's template list (admins; a WhatsApp Cloud inbox
    /// with a WABA id). Only the inbox's own base URL is asked, with its token.
    pub async fn fetch_whatsapp_templates(
        &self,
        actor: &Agent,
        inbox: InboxId,
    ) -> std::result::Result<Fetched, SyncError> {
        Self::require_admin(actor)?;
        let (cfg, waba) = {
            let dir = self.directory();
            let i = dir.inbox(inbox).ok_or(ServiceError::NotFound)?;
            if !super::whatsapp_cloud(i) {
                return Err(ServiceError::Conflict(
                    "only WhatsApp Cloud API inboxes have approved templates to sync",
                )
                .into());
            }
            let waba = i.messaging.as_ref().map(|m| m.waba_id.clone());
            (self.whatsapp_config(i)?, waba.unwrap_or_default())
        };
        if waba.is_empty() {
            return Err(SyncError::NoWabaId);
        }
        let mut out = Fetched {
            inbox,
            approved: vec![],
            skipped: vec![],
        };
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let req = templates::list_request(&cfg, &waba, cursor.as_deref());
            let resp = self
                .provider_call(&req, MAX_BODY)
                .await
                .map_err(|e| SyncError::Unreachable(e.text().to_string()))?;
            let page = templates::read_page(&resp).map_err(SyncError::Graph)?;
            for t in page.templates {
                match t {
                    Listed::Approved(mut w) => {
                        w.inbox_id = inbox.0;
                        // Meta lists a name and language once; a repeat is ignored.
                        if !out
                            .approved
                            .iter()
                            .any(|a| a.name == w.name && a.language == w.language)
                        {
                            out.approved.push(w);
                        }
                    }
                    Listed::Skipped {
                        name,
                        language,
                        reason,
                    } => out.skipped.push(Skipped {
                        name,
                        language,
                        reason,
                    }),
                }
            }
            match page.after {
                Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
                Some(_) => {
                    return Err(SyncError::Graph(ListError::Failed(
                        "Graph answered the same page twice".into(),
                    )));
                }
                None => return Ok(out),
            }
        }
        Err(SyncError::Graph(ListError::Failed(format!(
            "the list has more than {MAX_PAGES} pages"
        ))))
    }

    /// Stores what [`fetch_whatsapp_templates`](Self::fetch_whatsapp_templates) read,
    /// in one transaction (store work: run it off the async workers).
    pub async fn apply_whatsapp_templates(
        &self,
        actor: &Agent,
        fetched: Fetched,
    ) -> std::result::Result<SyncReport, SyncError> {
        Self::require_admin(actor)?;
        let all = self.store.templates().map_err(ServiceError::from)?;
        let now = self.clock.now();
        let mine = |t: &&MessageTemplate| {
            t.whatsapp
                .as_ref()
                .is_some_and(|w| w.inbox_id == fetched.inbox.0)
        };
        let mut report = SyncReport {
            skipped: fetched.skipped,
            ..SyncReport::default()
        };
        let mut puts = Vec::new();
        let mut kept = Vec::new();
        for w in fetched.approved {
            let cur = all.iter().filter(mine).find(|t| {
                t.whatsapp
                    .as_ref()
                    .is_some_and(|o| o.name == w.name && o.language == w.language)
            });
            let id = match cur {
                Some(c) => c.id,
                None => self.store.generate_id().map_err(ServiceError::from)?,
            };
            let (t, changed) = merged(w, cur, id, now);
            match (cur, changed) {
                (None, _) => report.created += 1,
                (Some(_), true) => report.updated += 1,
                (Some(_), false) => {}
            }
            if changed {
                puts.push(t);
            }
            kept.push(id);
        }
        let removes: Vec<u64> = all
            .iter()
            .filter(mine)
            .filter(|t| !kept.contains(&t.id))
            .map(|t| t.id)
            .collect();
        let total = all.len() + report.created - removes.len();
        if total > TEMPLATES_MAX {
            return Err(SyncError::TooMany(kept.len()));
        }
        report.synced = kept.len();
        report.removed = removes.len();
        self.store
            .sync_templates(&puts, &removes)
            .map_err(ServiceError::from)?;
        self.store.durable().await.map_err(ServiceError::from)?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::domain::template::WaHeader;

    fn wa(url: &str) -> WhatsAppTemplate {
        WhatsAppTemplate {
            name: "invoice".into(),
            language: "es".into(),
            body: "Factura {{1}}".into(),
            header: Some(WaHeader {
                kind: WaHeaderKind::Document,
                text: None,
                url: Some(url.into()),
            }),
            buttons: vec![],
            inbox_id: 7,
            footer: None,
            examples: vec![],
            synced: true,
        }
    }

    #[test]
    fn a_known_template_keeps_its_name_id_and_the_admin_s_header_file() {
        let (new, changed) = merged(wa("https://scontent.example/a"), None, 5, Timestamp(9));
        assert!(changed);
        assert_eq!((new.id, new.name.as_str()), (5, "invoice"));
        let mut cur = new.clone();
        cur.name = "Factura".into();
        cur.whatsapp = Some(wa("https://shop.example/factura.pdf"));
        let (same, changed) = merged(
            wa("https://scontent.example/b"),
            Some(&cur),
            6,
            Timestamp(10),
        );
        assert!(!changed, "only Meta's sample file differs");
        assert_eq!((same.id, same.name.as_str()), (5, "Factura"));
        let mut body = wa("https://scontent.example/b");
        body.body = "Tu factura {{1}}".into();
        let (t, changed) = merged(body, Some(&cur), 6, Timestamp(10));
        assert!(changed);
        assert_eq!(t.body, "Tu factura {{1}}");
        assert_eq!(t.updated_at, Timestamp(10));
        assert_eq!(
            t.whatsapp.unwrap().header.unwrap().url.as_deref(),
            Some("https://shop.example/factura.pdf")
        );
    }
}
