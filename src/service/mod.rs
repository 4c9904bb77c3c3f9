//! Use-cases. Each method is one store transaction; permission checks live here so the
//! browser, the API and the command line all obey the same rules.

mod accounts;
mod actions;
mod attachments;
mod backup;
mod channel_in;
mod channel_out;
mod compose;
mod contacts;
mod conversations;
mod crypto;
mod directory;
mod email;
pub mod exchange;
pub mod file_links;
pub mod formatting;
pub mod live;
mod mail;
mod messaging;
mod messaging_probe;
mod metrics;
mod node;
pub mod notify;
mod org;
mod outbound;
mod outbox;
mod reports;
mod saved;
pub mod scheduled;
mod template_sync;
mod templates;
mod throttle;
mod transcript;
mod two_factor;
mod typing;
mod uploads;
pub mod website;
pub mod widget;
pub mod widget_files;
mod widget_rates;

pub use accounts::{NewSession, SessionAuth};
pub use attachments::{AttachmentFile, FileBody};
pub use channel_in::HookAnswer;
pub use compose::Draft;
pub use contacts::{ContactInput, ContactView, SHARED_CONTACT};
pub use conversations::{
    ApiIncoming, ChannelFacts, ConversationPage, Counts, ListPage, NewOutbound, Row, StatusChange,
    parse_view,
};
pub use crypto::{Hasher, Keys, hash_token, random_token, same_secret};
pub use directory::Directory;
pub use email::{EmailInput, ServerInput};
pub use live::{Live, LiveBus};
pub use mail::{MailHealth, MailHealthBoard, MailPoll};
pub use messaging::WindowView;
pub use messaging_probe::MessagingProbe;
pub use node::Node;
pub use org::InboxInput;
pub use outbox::Delivery;
pub use reports::{
    Filter, GroupBy, LocalZone, MAX_DAYS, QueryError, REPORTS, Report, ReportQuery, ReportRow,
};
pub use saved::FilledResponse;
pub use scheduled::Sent;
pub use template_sync::{Fetched, Skipped, SyncError, SyncReport};
pub use templates::{TemplateForConversation, TemplateUse, whatsapp_cloud};
pub use throttle::{Refused, Throttle, ThrottleLimits, Windows};
pub use two_factor::{
    Enrollment, FactorUsed, LoginOutcome, PENDING_TTL_SECS, TWO_FACTOR_REQUIRED,
    TWO_FACTOR_SELF_FIRST, TWO_FACTOR_STALE_SETUP,
};
pub use uploads::{DraftFile, UploadRefused, sniff};

use crate::domain::account::SessionPolicy;
use crate::domain::validate::Invalid;
use crate::domain::{Agent, AuditEntry, Clock};
use crate::store::{Abort, Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a closure run on the blocking pool returns (see [`Services::blocking`]).
async fn joined<R>(task: tokio::task::JoinHandle<R>) -> R {
    match task.await {
        Ok(r) => r,
        Err(e) => match e.try_into_panic() {
            // The closure panicked: so does its caller, as it would have inline.
            Ok(payload) => std::panic::resume_unwind(payload),
            // Cancelled: a blocking task is only cancelled when its runtime shuts down,
            // which drops the waiting task too; nothing is left to answer.
            Err(_) => std::future::pending().await,
        },
    }
}

/// Why a use-case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(Invalid),
    #[error("not found")]
    NotFound,
    #[error("you are not allowed to do that")]
    NotAllowed,
    /// Not allowed, with the reason the user needs.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("wrong email or password")]
    BadCredentials,
    #[error("too many failed sign-in attempts; try again in {} minute(s)", retry_after_secs.div_ceil(60).max(1))]
    Throttled { retry_after_secs: u64 },
    #[error("setup has already been completed")]
    AlreadySetUp,
    #[error("an agent with that email already exists")]
    DuplicateEmail,
    #[error("this invite link is invalid, already used or expired; ask an admin for a new one")]
    InviteInvalid,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    /// A two-factor code (or recovery code) that is wrong or was used already.
    #[error("that code is wrong or was already used")]
    BadCode,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("{0}")]
    Rule(crate::domain::conversation::RuleError),
    #[error("the content is longer than {0} characters")]
    TooLong(usize),
    #[error("too many messages; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A provider's webhook request that was not accepted (signature, verify token).
    #[error("{}", hook_refusal(.0))]
    HookRefused(crate::channels::seam::Refused),
    /// A free-form reply outside the channel's messaging window, refused before sending.
    #[error("{0}")]
    WindowClosed(String),
    /// Variables or fields still unfilled in what would be sent (their names).
    #[error("fill in {} before sending: {}", .0.iter().map(|n| format!("{{{{{n}}}}}")).collect::<Vec<_>>().join(", "), if .0.len() == 1 { "it has no value here" } else { "they have no value here" })]
    Unfilled(Vec<String>),
    /// A file the conversation's channel cannot carry (type or size), refused before
    /// anything was sent.
    #[error("{0}")]
    ChannelFile(file_links::ChannelFileRefused),
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Invalid> for ServiceError {
    fn from(i: Invalid) -> Self {
        ServiceError::Invalid(i)
    }
}

fn hook_refusal(r: &crate::channels::seam::Refused) -> &str {
    use crate::channels::seam::Refused;
    match r {
        Refused::Unauthorized(m) | Refused::Forbidden(m) | Refused::BadRequest(m) => m,
    }
}

/// Maps transaction aborts to their use-case meaning.
fn from_store(e: StoreError) -> ServiceError {
    match e {
        StoreError::Abort(Abort::DuplicateEmail) => ServiceError::DuplicateEmail,
        StoreError::Abort(Abort::AlreadySetUp) => ServiceError::AlreadySetUp,
        StoreError::Abort(Abort::NotFound) => ServiceError::NotFound,
        StoreError::Abort(Abort::CodeRefused) => ServiceError::BadCode,
        StoreError::Abort(Abort::ContactTaken) => {
            ServiceError::Conflict("another contact already has that email or phone")
        }
        StoreError::Abort(Abort::Rule(r)) => ServiceError::Rule(r),
        e => ServiceError::Store(e),
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// A page of the audit log and the cursor of the next one.
pub type AuditPage = (Vec<AuditEntry>, Option<(i64, u64)>);

/// Settings the services need from configuration.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSettings {
    pub session: SessionPolicy,
    pub max_concurrent_hashes: usize,
    /// Sign-in limits (per account and IP pair, per IP, and the account-wide slowdown).
    pub login: ThrottleLimits,
    /// A conversation is "missed" after this long without an agent reply.
    pub missed_after_secs: i64,
    /// Longest message an API or agent may send, in characters.
    pub max_message_chars: usize,
    /// Webhook attempts before a reply is marked failed.
    pub webhook_max_attempts: u32,
    /// Inbound attachments larger than this are listed with a note but not stored.
    pub max_attachment_bytes: usize,
    /// Largest file an agent or visitor may upload (`inbox.max_upload_bytes`).
    pub max_upload_bytes: u64,
    /// How long a sent file's signed download link stays valid (`inbox.file_link_ttl_hours`).
    pub file_link_ttl_secs: i64,
    /// The website widget's limits: per visitor and per IP a minute, new conversations
    /// per IP an hour.
    pub widget_limits: (usize, usize, usize),
    /// Website visitors' files: the largest one (under `max_upload_bytes` too) and how
    /// many one visitor may upload an hour (`[widget]`).
    pub widget_files: (u64, usize),
    /// Where outbound connections (webhooks, mail servers) may go.
    pub outbound: crate::channels::guard::AddressPolicy,
    /// Count sign-in and widget limits in the store, together with every other node
    /// (several nodes); otherwise in memory.
    pub shared_limits: bool,
}

/// Every use-case, sharing the store, the clock and the security helpers.
pub struct Services {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub hasher: Hasher,
    pub keys: Keys,
    pub throttle: Throttle,
    pub settings: ServiceSettings,
    pub live: Arc<LiveBus>,
    pub contacts_index: crate::search::ContactIndex,
    /// Signalled when new outbox work was committed, so the sender need not poll (on
    /// every node, in cluster mode: the node holding the `outbox` lease wakes at once).
    pub outbox_ready: live::OutboxReady,
    /// This node: its id, and whether background work runs under leases.
    pub node: Node,
    /// What the mail pollers last saw of each mailbox.
    pub mail_health: MailHealthBoard,
    /// Counters for `/metrics` (messages in, deliveries out, live connections, requests).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The website widget's abuse limits.
    pub widget_rates: widget::Rates,
    /// Coalesces typing indicators before they reach the live bus.
    typing: typing::TypingGate,
    /// The installation's `[ui]` language and time zone: what customers read when
    /// neither their contact nor the inbox names a language.
    pub ui: crate::i18n::Defaults,
    /// `server.public_url` without its trailing slash (empty when not set): the origin of
    /// links sent outside (signed file links).
    pub public_url: String,
    /// Cancelled when the server begins to stop: long-lived streams end at once.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The HTTP client for requests to messaging providers while receiving (profiles,
    /// files), under the address policy: built once, so its connections are reused.
    provider_client: std::sync::OnceLock<reqwest::Client>,
    directory: std::sync::RwLock<Arc<Directory>>,
    setup_done: AtomicBool,
}

impl Services {
    /// Builds the services over an open store.
    pub fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        keys: Keys,
        settings: ServiceSettings,
    ) -> Result<Services> {
        let setup_done = store.setup_done()?;
        let windows = || {
            if settings.shared_limits {
                Windows::shared(store.clone())
            } else {
                Windows::local()
            }
        };
        let live = Arc::new(LiveBus::default());
        Services {
            hasher: Hasher::new(settings.max_concurrent_hashes),
            throttle: Throttle::new(clock.clone(), settings.login, windows()),
            widget_rates: widget::Rates::new(
                clock.clone(),
                settings.widget_limits,
                settings.widget_files.1,
                windows,
            ),
            store,
            keys,
            settings,
            outbox_ready: live::OutboxReady::new(live.clone()),
            live,
            contacts_index: crate::search::ContactIndex::default(),
            node: Node::solo(),
            ui: crate::i18n::Defaults::default(),
            public_url: String::new(),
            shutdown: tokio_util::sync::CancellationToken::new(),
            provider_client: std::sync::OnceLock::new(),
            mail_health: MailHealthBoard::default(),
            metrics: Arc::default(),
            typing: typing::TypingGate::new(clock.clone()),
            clock,
            directory: std::sync::RwLock::new(Arc::new(Directory::default())),
            setup_done: AtomicBool::new(setup_done),
        }
        .with_directory()
    }

    /// The translator for what a customer reads (emails, the widget): the contact's
    /// language when known, else the inbox's, else the installation's; the
    /// installation's time zone.
    pub fn customer_l10n(
        &self,
        contact: Option<&crate::domain::contact::Contact>,
        inbox: Option<&crate::domain::Inbox>,
    ) -> crate::i18n::L10n {
        let lang = crate::i18n::customer_lang(
            contact.and_then(|c| c.language.as_deref()),
            inbox.and_then(|i| i.language.as_deref()),
            self.ui.language,
        );
        crate::i18n::L10n::new(lang, &self.ui.timezone).at(self.clock.now())
    }

    fn with_directory(self) -> Result<Services> {
        self.refresh_directory()?;
        Ok(self)
    }

    /// Whether the first admin exists (cached once true: it never becomes false again;
    /// until then read from the store, as another node may have done the setup).
    pub fn setup_done(&self) -> bool {
        if self.setup_done.load(Ordering::Acquire) {
            return true;
        }
        let done = self.store.setup_done().unwrap_or(false);
        if done {
            self.mark_setup_done();
        }
        done
    }

    fn mark_setup_done(&self) {
        self.setup_done.store(true, Ordering::Release);
    }

    /// Runs `f` for a caller on an async worker thread (an actix handler or extractor,
    /// a live stream, a widget socket, a background worker) that needs the store,
    /// directly or through a use-case.
    ///
    /// On a network engine (PostgreSQL) every store call is a round trip; made on an
    /// async worker it would stall every other connection that worker serves (live
    /// streams, sockets, other requests), so there `f` runs on tokio's blocking pool.
    /// On the embedded engine (sled) `f` runs inline: its reads are memory or page-cache
    /// speed and its durable commit is already async (`durable().await`), so a hop to
    /// another thread would cost more than the call itself. The sled figures in
    /// BENCHMARKS.md are measured on this inline path and stay as they were.
    pub async fn blocking<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Services) -> R + Send + 'static,
    ) -> R {
        if !self.store.is_remote() {
            return f(self);
        }
        let s = self.clone();
        joined(tokio::task::spawn_blocking(move || f(&s))).await
    }

    /// [`blocking`](Self::blocking) for an async use-case (one that awaits a durable
    /// commit, a password hash or a sign-in delay between synchronous store calls). On a
    /// network engine the whole future runs on the blocking pool, driven there by the
    /// caller's runtime (`Handle::block_on`), so none of its store calls holds up the
    /// async worker; on sled it is simply awaited here.
    pub async fn blocking_async<R, Fut>(
        self: &Arc<Self>,
        f: impl FnOnce(Arc<Services>) -> Fut + Send + 'static,
    ) -> R
    where
        Fut: std::future::Future<Output = R>,
        R: Send + 'static,
    {
        if !self.store.is_remote() {
            return f(self.clone()).await;
        }
        let s = self.clone();
        let rt = tokio::runtime::Handle::current();
        joined(tokio::task::spawn_blocking(move || rt.block_on(f(s)))).await
    }

    /// An audit entry with a fresh id, stamped now.
    fn audit(
        &self,
        actor: Option<&Agent>,
        action: &str,
        target: String,
        detail: String,
    ) -> Result<(u64, AuditEntry)> {
        let id = self.store.generate_id()?;
        Ok((
            id,
            AuditEntry {
                at: self.clock.now(),
                actor: actor.map(|a| a.id),
                actor_name: actor
                    .map(|a| a.name.clone())
                    .unwrap_or_else(|| "command line".into()),
                action: action.into(),
                target,
                detail,
            },
        ))
    }

    /// Admin-only use-cases call this first.
    fn require_admin(actor: &Agent) -> Result<()> {
        if actor.is_admin() && actor.active {
            Ok(())
        } else {
            Err(ServiceError::NotAllowed)
        }
    }

    /// A page of the audit log, newest first (admins only).
    pub fn audit_page(
        &self,
        actor: &Agent,
        before: Option<(i64, u64)>,
        limit: usize,
    ) -> Result<AuditPage> {
        Self::require_admin(actor)?;
        Ok(self.store.audit_page(before, limit)?)
    }
}
