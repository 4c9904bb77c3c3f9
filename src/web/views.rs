//! One view struct per template, each carrying the shared `Page` context.

use super::assets;
use crate::domain::email::{ConnectionReport, EmailSettings};
use crate::domain::{Agent, ApiToken, AuditEntry, ChannelKind, Inbox, Team, Timestamp};
use crate::i18n::{L10n, ToArg};
use askama::Template;
use askama_web::WebTemplate;
use std::borrow::Borrow;

mod admin;
mod saved;
pub use admin::*;
pub use saved::{SavedView, TemplatesView};

/// What templates call for text: `{{ t("key") }}`, `{{ t1("key", "name", value) }}`,
/// `{{ t2(…) }}`, and times in the reader's zone: `{{ datetime(ts) }}`, `{{ iso(ts) }}`.
/// Every view implements it (see [`localized!`]).
pub trait Localized {
    fn l10n(&self) -> &L10n;

    fn t(&self, key: &str) -> String {
        self.l10n().t(key)
    }
    fn t1(&self, key: &str, name: &str, value: impl ToArg) -> String {
        self.l10n().t1(key, name, value)
    }
    fn t2(&self, key: &str, n1: &str, v1: impl ToArg, n2: &str, v2: impl ToArg) -> String {
        self.l10n().t2(key, n1, v1, n2, v2)
    }
    /// In full, with the zone: "29 Nov 2026, 11:27 CET".
    fn datetime(&self, at: impl Borrow<Timestamp>) -> String {
        self.l10n().datetime(*at.borrow())
    }
    /// RFC 3339 for `<time datetime>`.
    fn iso(&self, at: impl Borrow<Timestamp>) -> String {
        crate::web_time(*at.borrow())
    }
    /// A channel's name: "Email", "Chat web".
    fn channel(&self, kind: impl Code<ChannelKind>) -> String {
        super::labels::channel(self.l10n(), kind.code())
    }
    /// The step a connection test failed at: "DNS lookup".
    fn probe_step(&self, step: impl Code<crate::domain::email::ProbeStep>) -> String {
        super::labels::probe_step(self.l10n(), step.code())
    }
}

/// A code a template passes by value or by (nested) reference.
pub trait Code<T> {
    fn code(&self) -> T;
}
impl Code<ChannelKind> for ChannelKind {
    fn code(&self) -> ChannelKind {
        *self
    }
}
impl Code<crate::domain::email::ProbeStep> for crate::domain::email::ProbeStep {
    fn code(&self) -> crate::domain::email::ProbeStep {
        *self
    }
}
impl<T, U: Code<T> + ?Sized> Code<T> for &U {
    fn code(&self) -> T {
        (**self).code()
    }
}

/// `impl Localized` for views that carry a `Page` (`localized!(page: A, B)`) or their
/// own `l: L10n` (`localized!(own: C)`).
macro_rules! localized {
    (page: $($view:ty),* $(,)?) => {$(
        impl $crate::web::views::Localized for $view {
            fn l10n(&self) -> &$crate::i18n::L10n {
                &self.page.l
            }
        }
    )*};
    (own: $($view:ty),* $(,)?) => {$(
        impl $crate::web::views::Localized for $view {
            fn l10n(&self) -> &$crate::i18n::L10n {
                &self.l
            }
        }
    )*};
}
pub(crate) use localized;

/// What every page needs: title, who is signed in, the CSRF token, notices, and the
/// reader's language and time zone.
pub struct Page {
    pub title: String,
    pub agent: Option<Agent>,
    pub csrf: String,
    /// The navigation entry to highlight.
    pub section: &'static str,
    pub flash: Option<String>,
    pub l: L10n,
}

impl Page {
    /// A page for a signed-in agent.
    pub fn signed(
        l: &L10n,
        agent: &Agent,
        csrf: &str,
        title: impl Into<String>,
        section: &'static str,
    ) -> Page {
        Page {
            title: title.into(),
            agent: Some(agent.clone()),
            csrf: csrf.to_string(),
            section,
            flash: None,
            l: l.clone(),
        }
    }

    /// A page shown before sign-in, with its signed CSRF token.
    pub fn anonymous(l: &L10n, csrf: &str, title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            agent: None,
            csrf: csrf.to_string(),
            section: "",
            flash: None,
            l: l.clone(),
        }
    }

    /// Adds the notice for a `?flash=` code (codes only: no user text is echoed).
    pub fn with_flash(mut self, code: Option<&str>) -> Page {
        self.flash = code.and_then(flash_key).map(|k| self.l.t(k));
        self
    }

    /// The hashed URL of an embedded asset.
    pub fn asset(&self, path: &str) -> String {
        assets::url(path)
    }

    pub fn is_admin(&self) -> bool {
        self.agent.as_ref().is_some_and(Agent::is_admin)
    }

    /// The signed-in agent's initials, for the avatar.
    pub fn initials(&self) -> String {
        self.agent
            .as_ref()
            .map(|a| initials(&a.name))
            .unwrap_or_default()
    }

    /// The signed-in agent's role, in words.
    pub fn role(&self) -> String {
        match &self.agent {
            Some(a) if a.is_admin() => self.l.t("role-admin"),
            Some(_) => self.l.t("role-agent"),
            None => String::new(),
        }
    }
}

/// Up to two initials of a name.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The catalog key of a `?flash=` notice.
fn flash_key(code: &str) -> Option<&'static str> {
    Some(match code {
        "welcome" => "flash-welcome",
        "signed_out" => "flash-signed-out",
        "agent_saved" => "flash-agent-saved",
        "agent_deactivated" => "flash-agent-deactivated",
        "agent_reactivated" => "flash-agent-reactivated",
        "team_saved" => "flash-team-saved",
        "team_deleted" => "flash-team-deleted",
        "saved_saved" => "saved-flash-saved",
        "saved_deleted" => "saved-flash-deleted",
        "template_saved" => "template-flash-saved",
        "template_deleted" => "template-flash-deleted",
        "inbox_saved" => "flash-inbox-saved",
        "inbox_deleted" => "flash-inbox-deleted",
        "inbox_created" => "flash-inbox-created",
        "website_created" => "flash-website-created",
        "conversation_deleted" => "flash-conversation-deleted",
        "profile_saved" => "flash-profile-saved",
        "preferences_saved" => "flash-preferences-saved",
        "sending_saved" => "undo-saved",
        "notifications_saved" => "flash-notifications-saved",
        "password_changed" => "flash-password-changed",
        "password_changed_tokens_revoked" => "flash-password-changed-tokens-revoked",
        "token_revoked" => "flash-token-revoked",
        "password_set" => "flash-password-set",
        "two_factor_on" => "flash-two-factor-on",
        "two_factor_off" => "flash-two-factor-off",
        "two_factor_reset" => "flash-two-factor-reset",
        "two_factor_required" => "flash-two-factor-required",
        "two_factor_not_required" => "flash-two-factor-not-required",
        _ => return None,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorView {
    pub page: Page,
    pub status: u16,
    pub heading: String,
    pub message: String,
}

impl ErrorView {
    pub fn new(l: &L10n, status: u16, heading: String, message: String) -> Self {
        ErrorView {
            page: Page::anonymous(l, "", heading.clone()),
            status,
            heading,
            message,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/setup.html")]
pub struct SetupView {
    pub page: Page,
    pub error: Option<String>,
    pub name: String,
    pub email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginView {
    pub page: Page,
    pub error: Option<String>,
    pub email: String,
    pub next: String,
}

/// The second step of signing in: a code from the authenticator or a recovery code.
#[derive(Template, WebTemplate)]
#[template(path = "auth/two_factor.html")]
pub struct TwoFactorLoginView {
    pub page: Page,
    pub error: Option<String>,
    pub next: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/invite.html")]
pub struct InviteView {
    pub page: Page,
    pub error: Option<String>,
    pub name: String,
    pub email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "profile.html")]
pub struct ProfileView {
    pub page: Page,
    pub tokens: Vec<ApiToken>,
    /// Recovery codes left when two-factor sign-in is on.
    pub two_factor: Option<usize>,
    pub new_token: Option<(String, String)>,
    pub error: Option<String>,
    pub prefs: PreferencesForm,
    /// How many saved responses of their own the agent keeps.
    pub saved_count: usize,
}

/// Profile → Two-factor sign-in: set it up, or manage it once on.
#[derive(Template, WebTemplate)]
#[template(path = "profile_two_factor.html")]
pub struct TwoFactorView {
    pub page: Page,
    /// When it was turned on and how many recovery codes are left (on).
    pub enabled: Option<(Timestamp, usize)>,
    /// The secret to scan (off: setting it up).
    pub setup: Option<TwoFactorSetup>,
    /// Recovery codes just made: shown this once.
    pub codes: Vec<String>,
    /// The workspace requires two-factor sign-in.
    pub required: bool,
    pub error: Option<String>,
}

/// What the set-up shows: the QR code, the secret to type instead, the sealed form value.
pub struct TwoFactorSetup {
    /// `data:image/svg+xml;base64,…`
    pub qr: String,
    pub secret: String,
    pub sealed: String,
}

impl TwoFactorSetup {
    pub fn new(e: crate::service::Enrollment) -> Self {
        use base64::Engine;
        TwoFactorSetup {
            qr: format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(e.qr_svg)
            ),
            secret: e.secret,
            sealed: e.sealed,
        }
    }
}

/// The language and time zone form, as stored or as typed (when refused).
#[derive(Debug, Clone, Default)]
pub struct PreferencesForm {
    /// `en`, `es`, or empty (the browser's).
    pub language: String,
    /// An IANA name, or empty (the installation's).
    pub timezone: String,
    /// The installation's zone, named on the "default" choice.
    pub default_timezone: String,
    /// (code, the language's own name) for each language.
    pub languages: Vec<(&'static str, String)>,
    /// Every zone, for the picker's suggestions.
    pub zones: Vec<String>,
    /// Why the form was refused, and the field (`language`, `timezone`) to mark.
    pub error: Option<String>,
    pub invalid: &'static str,
}

impl PreferencesForm {
    pub fn new(language: &str, timezone: &str, default_timezone: &str) -> Self {
        PreferencesForm {
            language: language.to_string(),
            timezone: timezone.to_string(),
            default_timezone: default_timezone.to_string(),
            languages: crate::i18n::Lang::ALL
                .iter()
                .map(|l| (l.code(), l.native_name()))
                .collect(),
            zones: crate::i18n::timezone_names(),
            error: None,
            invalid: "",
        }
    }
}

localized!(page: ErrorView, SetupView, LoginView, InviteView, ProfileView, AgentsView,
    TwoFactorLoginView, TwoFactorView, AgentEditView, TeamsView, TeamEditView, InboxesView, InboxEditView, AuditView);
localized!(own: TestResultView);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("ana maría lópez"), "AM");
        assert_eq!(initials("Ünal"), "Ü");
        assert_eq!(initials("  "), "");
    }

    #[test]
    fn unknown_flash_codes_show_nothing() {
        let l = L10n::english();
        assert!(
            Page::anonymous(&l, "", "t")
                .with_flash(Some("<script>"))
                .flash
                .is_none()
        );
        assert_eq!(
            Page::anonymous(&l, "", "t")
                .with_flash(Some("team_saved"))
                .flash
                .as_deref(),
            Some("Team saved.")
        );
        let es = L10n::new(crate::i18n::Lang::Es, "UTC");
        assert_eq!(
            Page::anonymous(&es, "", "t")
                .with_flash(Some("team_saved"))
                .flash
                .as_deref(),
            Some("Equipo guardado.")
        );
    }
}
