//! The admin pages' views: agents, teams, inboxes (their forms, connection tests and
//! health) and the audit log.

use super::*;

/// An agent with what the list shows about them.
pub struct AgentRow {
    pub agent: Agent,
    pub initials: String,
    pub pending_invite: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/agents.html")]
pub struct AgentsView {
    pub page: Page,
    pub agents: Vec<AgentRow>,
    /// (agent name, invite link) right after an invite was made: shown once.
    pub invite: Option<(String, String)>,
    /// The workspace requires two-factor sign-in.
    pub require_two_factor: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/agent_edit.html")]
pub struct AgentEditView {
    pub page: Page,
    pub agent: Agent,
    pub invite: Option<String>,
}

/// A team or inbox with its members' names resolved.
pub struct GroupRow<T> {
    pub item: T,
    pub member_names: Vec<String>,
}

/// An agent in a member picker.
pub struct Pick {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub checked: bool,
    /// "deactivated", "invited" or empty.
    pub note: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/teams.html")]
pub struct TeamsView {
    pub page: Page,
    pub teams: Vec<GroupRow<Team>>,
    pub picks: Vec<Pick>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/team_edit.html")]
pub struct TeamEditView {
    pub page: Page,
    pub team: Team,
    pub picks: Vec<Pick>,
}

/// What the new-inbox form shows (empty, or as submitted when it is shown again).
#[derive(Debug, Clone, Default)]
pub struct InboxFormValues {
    pub name: String,
    pub channel: String,
    pub webhook_url: String,
}

/// An email inbox's settings as the form shows them. Passwords are never shown: only
/// whether one is stored.
#[derive(Debug, Clone)]
pub struct EmailForm {
    pub imap_host: String,
    pub imap_port: String,
    pub imap_security: String,
    pub imap_username: String,
    pub imap_folder: String,
    pub imap_password_set: bool,
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_security: String,
    pub smtp_username: String,
    pub smtp_password_set: bool,
    pub from_name: String,
    pub from_address: String,
    pub poll_seconds: String,
    pub mark_seen: bool,
    pub reply_to_plus_address: bool,
    pub signature: String,
}

impl Default for EmailForm {
    /// The usual ports with TLS; the folder INBOX; polling every 30 s.
    fn default() -> Self {
        EmailForm {
            imap_host: String::new(),
            imap_port: "993".into(),
            imap_security: "tls".into(),
            imap_username: String::new(),
            imap_folder: "INBOX".into(),
            imap_password_set: false,
            smtp_host: String::new(),
            smtp_port: "587".into(),
            smtp_security: "starttls".into(),
            smtp_username: String::new(),
            smtp_password_set: false,
            from_name: String::new(),
            from_address: String::new(),
            poll_seconds: "30".into(),
            mark_seen: false,
            reply_to_plus_address: false,
            signature: String::new(),
        }
    }
}

impl EmailForm {
    /// The stored settings, for the edit page.
    pub fn from_settings(e: &EmailSettings) -> EmailForm {
        EmailForm {
            imap_host: e.imap.host.clone(),
            imap_port: e.imap.port.to_string(),
            imap_security: e.imap.security.as_str().into(),
            imap_username: e.imap.username.clone(),
            imap_folder: e.folder.clone(),
            imap_password_set: !e.imap.password_sealed.is_empty(),
            smtp_host: e.smtp.host.clone(),
            smtp_port: e.smtp.port.to_string(),
            smtp_security: e.smtp.security.as_str().into(),
            smtp_username: e.smtp.username.clone(),
            smtp_password_set: !e.smtp.password_sealed.is_empty(),
            from_name: e.from_name.clone(),
            from_address: e.from_address.clone(),
            poll_seconds: e.poll_seconds.to_string(),
            mark_seen: e.mark_seen,
            reply_to_plus_address: e.reply_to_plus_address,
            signature: e.signature.clone(),
        }
    }
}

/// "Test connection" as shown: the report, or why the settings could not be tried.
#[derive(Debug, Clone, Default)]
pub struct TestOutcome {
    pub report: Option<ConnectionReport>,
    /// A messaging inbox's probe.
    pub probe: Option<crate::service::MessagingProbe>,
    pub error: Option<String>,
}

/// The answer to an htmx "Test connection": just the result.
#[derive(Template, WebTemplate)]
#[template(path = "admin/_test_result.html")]
pub struct TestResultView {
    pub l: L10n,
    pub test: TestOutcome,
}

/// A refused form: the input to mark (its `name`, or empty) and the message naming it.
#[derive(Debug, Clone, Default)]
pub struct FormError {
    pub field: String,
    pub message: String,
}

/// The mail poller as the settings page shows it.
pub struct HealthView {
    pub last_success: Option<String>,
    pub last_error: Option<(String, String)>,
    /// The last error came before the last success.
    pub error_resolved: bool,
    pub fetched: u64,
    pub folder: String,
    /// (UIDVALIDITY, highest UID stored).
    pub cursor: Option<(u32, u32)>,
    pub poll_seconds: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/inboxes.html")]
pub struct InboxesView {
    pub page: Page,
    /// The website part of the new-inbox form.
    pub website: crate::web::handlers::inboxes::WebsiteForm,
    /// The messaging channels' parts of the new-inbox form (always `Some`).
    pub messaging: Option<crate::web::handlers::inboxes::MessagingForm>,
    /// Email inboxes that can answer a website inbox's offline visitors: (id, name).
    pub email_inboxes: Vec<(u64, String)>,
    pub inboxes: Vec<GroupRow<Inbox>>,
    pub picks: Vec<Pick>,
    pub kinds: Vec<ChannelKind>,
    pub form: InboxFormValues,
    pub email: EmailForm,
    pub error: Option<FormError>,
    /// The `name` of the input the error is about (empty when none).
    pub invalid: String,
    /// The form came back with passwords typed, which are never shown again.
    pub typed_passwords: bool,
    pub test: TestOutcome,
    pub test_action: String,
    pub language: crate::web::handlers::inboxes::LanguageField,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/inbox_edit.html")]
pub struct InboxEditView {
    pub page: Page,
    /// Website inboxes: their settings and the snippet to paste into the site.
    pub website: Option<crate::web::handlers::inboxes::WebsiteForm>,
    pub snippet: Option<String>,
    pub email_inboxes: Vec<(u64, String)>,
    pub inbox: Inbox,
    /// The name and webhook URL in the form (as stored, or as submitted).
    pub name: String,
    pub webhook_url: String,
    pub picks: Vec<Pick>,
    /// The API endpoint for incoming messages.
    pub endpoint: String,
    /// A token just created or rotated: shown once.
    pub new_token: Option<String>,
    /// Email inboxes: their settings and their poller.
    pub email: Option<EmailForm>,
    /// Messaging inboxes: their settings, and where their webhook URL goes.
    pub messaging: Option<crate::web::handlers::inboxes::MessagingForm>,
    pub connect: Option<crate::web::handlers::inboxes::ConnectView>,
    pub health: Option<HealthView>,
    pub error: Option<FormError>,
    pub invalid: String,
    pub typed_passwords: bool,
    pub test: TestOutcome,
    pub test_action: String,
    pub language: crate::web::handlers::inboxes::LanguageField,
}

impl InboxEditView {
    /// API inboxes have a token, an endpoint and a webhook.
    pub fn is_api(&self) -> bool {
        self.inbox.channel == ChannelKind::Api
    }

    /// Email and messaging inboxes have a "Test connection" button.
    pub fn testable(&self) -> bool {
        self.email.is_some() || self.messaging.is_some()
    }

    /// The body an API inbox's integration posts (code, not words).
    pub fn body_example(&self) -> &'static str {
        r#"{"source_id": "…", "contact": {"identifier": "…", "name": "…", "email": "…", "phone": "…"}, "content": "…"}"#
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditView {
    pub page: Page,
    pub entries: Vec<AuditEntry>,
    pub next: Option<String>,
}
