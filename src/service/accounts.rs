//! Setup, sign-in, sessions, agents, invites and personal API tokens.

use super::two_factor::LoginOutcome;
use super::{Result, ServiceError, Services, crypto, from_store, hash_token, random_token};
use crate::domain::account::SessionCheck;
use crate::domain::validate;
use crate::domain::{Agent, AgentId, ApiToken, Invite, Role, Session, TokenId};

/// A session just created: the cookie value and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

/// A request's valid session.
#[derive(Debug, Clone)]
pub struct SessionAuth {
    pub agent: Agent,
    pub session: Session,
    pub hash: [u8; 32],
    /// The workspace requires two-factor sign-in and this agent has not set it up:
    /// nothing but setting it up (or signing out) is allowed.
    pub needs_two_factor: bool,
}

/// Personal API tokens start with this, so they are recognisable in logs and scanners.
pub const API_TOKEN_PREFIX: &str = "charla_pat_";

impl Services {
    fn new_agent(
        &self,
        name: &str,
        email: &str,
        role: Role,
        password_hash: Option<String>,
    ) -> Result<Agent> {
        let now = self.clock.now();
        Ok(Agent {
            id: AgentId(self.store.generate_id()?),
            name: validate::name("name", name, 100)?,
            email: validate::email(email)?,
            role,
            password_hash,
            active: true,
            created_at: now,
            password_changed_at: now,
            language: None,
            timezone: None,
            notify: crate::domain::NotifyPrefs::default(),
            two_factor: None,
            undo_send_secs: crate::domain::account::DEFAULT_UNDO_SEND_SECS,
            signature: String::new(),
        })
    }

    pub(super) async fn start_session(&self, agent: &Agent) -> Result<NewSession> {
        let token = random_token(16);
        let csrf = random_token(16);
        let now = self.clock.now();
        let s = Session {
            agent_id: agent.id,
            created_at: now,
            last_seen_at: now,
            csrf: csrf.clone(),
        };
        self.store.insert_session(&hash_token(&token), &s)?;
        self.store.durable().await?;
        Ok(NewSession { token, csrf })
    }

    /// Creates the first admin from the setup page and signs them in. Once only.
    pub async fn setup(
        &self,
        name: &str,
        email: &str,
        password: &str,
    ) -> Result<(Agent, NewSession)> {
        if self.setup_done() {
            return Err(ServiceError::AlreadySetUp);
        }
        validate::password(password)?;
        let hash = self.hasher.hash(password).await?;
        let agent = self.new_agent(name, email, Role::Admin, Some(hash))?;
        let audit = self.audit(
            Some(&agent),
            "setup",
            format!("admin {}", agent.email),
            "first admin created".into(),
        )?;
        self.store
            .create_first_admin(&agent, &audit)
            .map_err(from_store)?;
        self.mark_setup_done();
        self.refresh_directory()?;
        let s = self.start_session(&agent).await?;
        Ok((agent, s))
    }

    /// Signs in with email and password. Unknown email and wrong password answer the
    /// same, after the same work; too many failures answer `Throttled`. The attempt is
    /// reserved before the password is checked (see [`super::throttle`]), so parallel
    /// guesses cannot outrun the limit. An agent with two-factor sign-in gets no
    /// session yet: the second step ([`Services::login_second_factor`]) gives it.
    pub async fn login(&self, email: &str, password: &str, ip: &str) -> Result<LoginOutcome> {
        let email = email.trim().to_lowercase();
        let attempt = self.throttle.begin(&email, ip).map_err(|r| match r {
            super::Refused::Wait(secs) => ServiceError::Throttled {
                retry_after_secs: secs,
            },
            super::Refused::Failed(m) => ServiceError::Internal(m),
        })?;
        if attempt.delay_secs > 0 {
            // Many failures on this account from everywhere: slow every attempt on it
            // down rather than refuse, so its owner can still get in.
            tokio::time::sleep(std::time::Duration::from_secs(attempt.delay_secs)).await;
        }
        let agent = self
            .store
            .agent_by_email(&email)?
            .filter(Agent::can_sign_in);
        let phc = agent.as_ref().and_then(|a| a.password_hash.as_deref());
        let ok = password.len() <= 4 * validate::PASSWORD_MAX
            && self.hasher.verify(password, phc).await?;
        match (ok, agent) {
            (true, Some(agent)) => {
                self.throttle.succeeded(attempt);
                if agent.two_factor.is_some() {
                    let token = self.pending_token(&agent);
                    return Ok(LoginOutcome::SecondFactor { agent, token });
                }
                let s = self.start_session(&agent).await?;
                Ok(LoginOutcome::Session(agent, s))
            }
            // The reservation stays: it is the recorded failure.
            _ => Err(ServiceError::BadCredentials),
        }
    }

    /// Resolves a session cookie. Expired sessions, deactivated agents and sessions
    /// older than the last password change answer `None` (and expired ones are removed).
    pub fn session(&self, token: &str) -> Result<Option<SessionAuth>> {
        self.session_by_hash(hash_token(token), true)
    }

    /// A live stream's session, checked again: `None` once it has ended in any way
    /// [`Services::session`] knows. It is not touched: an open stream is not activity,
    /// so an idle session still expires under it.
    pub fn live_session(&self, hash: &[u8; 32]) -> Result<Option<SessionAuth>> {
        self.session_by_hash(*hash, false)
    }

    fn session_by_hash(&self, hash: [u8; 32], touch: bool) -> Result<Option<SessionAuth>> {
        let Some(mut session) = self.store.session(&hash)? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let check = session.check(now, self.settings.session);
        if check == SessionCheck::Expired {
            self.store.delete_session(&hash, session.agent_id)?;
            return Ok(None);
        }
        let Some(agent) = self.store.agent(session.agent_id)? else {
            return Ok(None);
        };
        if !agent.active || session.created_at < agent.password_changed_at {
            return Ok(None);
        }
        let needs_two_factor = agent.two_factor.is_none() && self.store.require_two_factor()?;
        if touch && check == SessionCheck::ValidTouch {
            session.last_seen_at = now;
            self.store.touch_session(&hash, &session)?;
        }
        Ok(Some(SessionAuth {
            agent,
            session,
            hash,
            needs_two_factor,
        }))
    }

    /// Tells live streams that some of `agent`'s sessions ended.
    fn sessions_ended(&self, agent: AgentId) {
        self.live
            .publish(super::Live::Access { agent: Some(agent) });
    }

    /// Ends a session (sign out); its live streams end too.
    pub fn logout(&self, auth: &SessionAuth) -> Result<()> {
        self.store.delete_session(&auth.hash, auth.agent.id)?;
        self.sessions_ended(auth.agent.id);
        Ok(())
    }

    /// Resolves a personal API token to its active agent.
    pub fn api_agent(&self, token: &str) -> Result<Option<Agent>> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(t) = self.store.token_by_hash(&hash_token(token))? else {
            return Ok(None);
        };
        Ok(self.store.agent(t.agent_id)?.filter(|a| a.active))
    }

    /// Changes the signed-in agent's password; every session ends and a new one starts
    /// for this browser. Their personal API tokens are revoked too: a password change
    /// usually means the account may be in someone else's hands, and a token made by
    /// that someone must not outlive it. Returns the new session and how many tokens
    /// were revoked.
    pub async fn change_password(
        &self,
        auth: &SessionAuth,
        current: &str,
        new: &str,
    ) -> Result<(NewSession, usize)> {
        validate::password(new)?;
        if !self
            .hasher
            .verify(current, auth.agent.password_hash.as_deref())
            .await?
        {
            return Err(ServiceError::WrongCurrentPassword);
        }
        let mut agent = self
            .store
            .agent(auth.agent.id)?
            .ok_or(ServiceError::NotFound)?;
        agent.password_hash = Some(self.hasher.hash(new).await?);
        agent.password_changed_at = self.clock.now();
        let audit = self.audit(
            Some(&agent),
            "agent.password",
            format!("agent {}", agent.email),
            "changed own password; personal API tokens revoked".into(),
        )?;
        let revoked = self
            .store
            .update_agent_password(&agent, Some(&audit))
            .map_err(from_store)?;
        self.store.delete_agent_sessions(agent.id, None)?;
        self.sessions_ended(agent.id);
        let session = self.start_session(&agent).await?;
        Ok((session, revoked))
    }

    /// Updates the signed-in agent's own name.
    pub async fn update_profile(&self, actor: &Agent, name: &str) -> Result<Agent> {
        let mut agent = self.store.agent(actor.id)?.ok_or(ServiceError::NotFound)?;
        agent.name = validate::name("name", name, 100)?;
        self.store.update_agent(&agent, None).map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(agent)
    }

    /// Sets the signed-in agent's interface language (`en`, `es`; empty: the browser's)
    /// and time zone (an IANA name; empty: the installation's).
    pub async fn update_preferences(
        &self,
        actor: &Agent,
        language: &str,
        timezone: &str,
    ) -> Result<Agent> {
        let (language, timezone) = (language.trim(), timezone.trim());
        let language = match language {
            "" => None,
            l => Some(
                crate::i18n::Lang::parse(l)
                    .filter(|p| p.code() == l)
                    .ok_or_else(|| validate::Invalid {
                        field: "language",
                        reason: format!("must be en, es, or empty for the browser's, not {l:?}"),
                    })?
                    .code()
                    .to_string(),
            ),
        };
        let timezone = match timezone {
            "" => None,
            z => Some(
                crate::i18n::canonical_timezone(z).ok_or_else(|| validate::Invalid {
                    field: "timezone",
                    reason: format!(
                        "{z:?} is not a time zone of the IANA database (such as Europe/Madrid)"
                    ),
                })?,
            ),
        };
        let mut agent = self.store.agent(actor.id)?.ok_or(ServiceError::NotFound)?;
        agent.language = language;
        agent.timezone = timezone;
        self.store.update_agent(&agent, None).map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(agent)
    }

    /// The agent's own notification choices (see `super::notify`).
    pub async fn update_notifications(
        &self,
        actor: &Agent,
        prefs: crate::domain::NotifyPrefs,
    ) -> Result<Agent> {
        let mut agent = self.store.agent(actor.id)?.ok_or(ServiceError::NotFound)?;
        agent.notify = prefs;
        self.store.update_agent(&agent, None).map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(agent)
    }

    /// One agent (admins see all; agents only themselves).
    pub fn agent(&self, actor: &Agent, id: AgentId) -> Result<Agent> {
        if !actor.is_admin() && actor.id != id {
            return Err(ServiceError::NotFound);
        }
        self.store.agent(id)?.ok_or(ServiceError::NotFound)
    }

    /// All agents, for admin pages and member pickers (bounded).
    pub fn agents(&self, actor: &Agent) -> Result<Vec<Agent>> {
        Self::require_admin(actor)?;
        Ok(self.store.agents(None, 1000)?)
    }

    /// Creates an agent with a password, or without one and with an invite link
    /// (returns the invite token, to be shown once).
    pub async fn create_agent(
        &self,
        actor: &Agent,
        name: &str,
        email: &str,
        role: Role,
        password: Option<&str>,
    ) -> Result<(Agent, Option<String>)> {
        Self::require_admin(actor)?;
        let hash = match password.filter(|p| !p.is_empty()) {
            Some(p) => {
                validate::password(p)?;
                Some(self.hasher.hash(p).await?)
            }
            None => None,
        };
        let agent = self.new_agent(name, email, role, hash)?;
        let invite_token = agent.password_hash.is_none().then(|| random_token(16));
        let invite = Invite {
            agent_id: agent.id,
            expires_at: self.clock.now().plus_secs(Invite::TTL_SECS),
        };
        let hashed = invite_token.as_deref().map(hash_token);
        let audit = self.audit(
            Some(actor),
            "agent.create",
            format!("agent {}", agent.email),
            format!(
                "role {}{}",
                role.as_str(),
                if invite_token.is_some() {
                    ", invited"
                } else {
                    ""
                }
            ),
        )?;
        self.store
            .insert_agent(&agent, hashed.as_ref().map(|h| (h, &invite)), &audit)
            .map_err(from_store)?;
        self.store.durable().await?;
        if agent.is_admin() {
            self.mark_setup_done();
        }
        self.refresh_directory()?;
        Ok((agent, invite_token))
    }

    /// Edits an agent's name, email and role (admins only). An admin cannot demote
    /// themselves, so a workspace always keeps an admin.
    pub async fn update_agent(
        &self,
        actor: &Agent,
        id: AgentId,
        name: &str,
        email: &str,
        role: Role,
    ) -> Result<Agent> {
        Self::require_admin(actor)?;
        let mut agent = self.store.agent(id)?.ok_or(ServiceError::NotFound)?;
        if actor.id == id && role != Role::Admin {
            return Err(ServiceError::Conflict(
                "you cannot remove your own admin role",
            ));
        }
        let before = format!("{} <{}> {}", agent.name, agent.email, agent.role.as_str());
        agent.name = validate::name("name", name, 100)?;
        agent.email = validate::email(email)?;
        agent.role = role;
        let after = format!("{} <{}> {}", agent.name, agent.email, agent.role.as_str());
        let audit = self.audit(
            Some(actor),
            "agent.update",
            format!("agent {}", agent.email),
            format!("{before} → {after}"),
        )?;
        self.store
            .update_agent(&agent, Some(&audit))
            .map_err(from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(agent)
    }

    /// Deactivates (sessions end at once) or reactivates an agent (admins only).
    pub async fn set_agent_active(
        &self,
        actor: &Agent,
        id: AgentId,
        active: bool,
    ) -> Result<Agent> {
        Self::require_admin(actor)?;
        if actor.id == id && !active {
            return Err(ServiceError::Conflict("you cannot deactivate yourself"));
        }
        let mut agent = self.store.agent(id)?.ok_or(ServiceError::NotFound)?;
        agent.active = active;
        let action = if active {
            "agent.reactivate"
        } else {
            "agent.deactivate"
        };
        let audit = self.audit(
            Some(actor),
            action,
            format!("agent {}", agent.email),
            String::new(),
        )?;
        self.store
            .update_agent(&agent, Some(&audit))
            .map_err(from_store)?;
        if !active {
            self.store.delete_agent_sessions(id, None)?;
            self.sessions_ended(id);
        }
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(agent)
    }

    /// Issues a new invite link for an agent (the previous one stops working).
    pub async fn reissue_invite(&self, actor: &Agent, id: AgentId) -> Result<String> {
        Self::require_admin(actor)?;
        let agent = self.store.agent(id)?.ok_or(ServiceError::NotFound)?;
        if !agent.active {
            return Err(ServiceError::Conflict(
                "reactivate the agent before sending an invite",
            ));
        }
        let token = random_token(16);
        let invite = Invite {
            agent_id: agent.id,
            expires_at: self.clock.now().plus_secs(Invite::TTL_SECS),
        };
        let audit = self.audit(
            Some(actor),
            "agent.invite",
            format!("agent {}", agent.email),
            "new invite link".into(),
        )?;
        self.store
            .replace_invite(&hash_token(&token), &invite, &audit)?;
        self.store.durable().await?;
        Ok(token)
    }

    /// The agent an invite link is for, if the link is still usable.
    pub fn invite(&self, token: &str) -> Result<Agent> {
        let invite = self
            .store
            .invite(&hash_token(token))?
            .ok_or(ServiceError::InviteInvalid)?;
        if !invite.usable(self.clock.now()) {
            return Err(ServiceError::InviteInvalid);
        }
        self.store
            .agent(invite.agent_id)?
            .filter(|a| a.active)
            .ok_or(ServiceError::InviteInvalid)
    }

    /// Uses an invite link: sets the password (once) and signs the agent in. An invite
    /// re-sent to an agent who had a password is an admin's password reset, so their
    /// personal API tokens are revoked as on a password change.
    pub async fn accept_invite(&self, token: &str, password: &str) -> Result<(Agent, NewSession)> {
        let mut agent = self.invite(token)?;
        validate::password(password)?;
        agent.password_hash = Some(self.hasher.hash(password).await?);
        agent.password_changed_at = self.clock.now();
        self.store
            .accept_invite(&hash_token(token), &agent)
            .map_err(|e| match from_store(e) {
                ServiceError::NotFound => ServiceError::InviteInvalid,
                e => e,
            })?;
        self.refresh_directory()?;
        let s = self.start_session(&agent).await?;
        Ok((agent, s))
    }

    /// Creates a personal API token for `actor`; the secret is returned once.
    pub async fn create_token(&self, actor: &Agent, label: &str) -> Result<(ApiToken, String)> {
        let label = validate::name("label", label, 100)?;
        let secret = format!("{API_TOKEN_PREFIX}{}", random_token(20));
        let token = ApiToken {
            id: TokenId(self.store.generate_id()?),
            agent_id: actor.id,
            label,
            created_at: self.clock.now(),
        };
        let audit = self.audit(
            Some(actor),
            "token.create",
            format!("agent {}", actor.email),
            format!("token “{}”", token.label),
        )?;
        self.store
            .insert_token(&hash_token(&secret), &token, &audit)?;
        self.store.durable().await?;
        Ok((token, secret))
    }

    /// The actor's own API tokens.
    pub fn tokens(&self, actor: &Agent) -> Result<Vec<ApiToken>> {
        Ok(self.store.tokens_of(actor.id)?)
    }

    /// Revokes one of the actor's own tokens.
    pub async fn revoke_token(&self, actor: &Agent, id: TokenId) -> Result<()> {
        let audit = self.audit(
            Some(actor),
            "token.revoke",
            format!("agent {}", actor.email),
            format!("token #{id}"),
        )?;
        self.store
            .delete_token(actor.id, id, &audit)
            .map_err(from_store)?;
        self.store.durable().await?;
        Ok(())
    }

    // ---- command line (no signed-in actor; audited as "command line") ----

    /// `charla admin create`: creates an admin (the first one completes setup).
    pub fn cli_create_admin(&self, email: &str, name: &str, password: &str) -> Result<Agent> {
        validate::password(password)?;
        let agent = self.new_agent(name, email, Role::Admin, Some(crypto::hash_sync(password)?))?;
        let audit = self.audit(
            None,
            "agent.create",
            format!("agent {}", agent.email),
            "role admin".into(),
        )?;
        self.store
            .insert_agent(&agent, None, &audit)
            .map_err(from_store)?;
        self.store.flush_blocking()?;
        self.refresh_directory()?;
        Ok(agent)
    }

    /// `charla admin reset-password`: sets a new password, ends all sessions and
    /// revokes the agent's personal API tokens; returns the agent and how many tokens.
    pub fn cli_reset_password(&self, email: &str, password: &str) -> Result<(Agent, usize)> {
        validate::password(password)?;
        let email = validate::email(email)?;
        let mut agent = self
            .store
            .agent_by_email(&email)?
            .ok_or(ServiceError::NotFound)?;
        agent.password_hash = Some(crypto::hash_sync(password)?);
        agent.password_changed_at = self.clock.now();
        let audit = self.audit(
            None,
            "agent.password",
            format!("agent {}", agent.email),
            "reset from the command line; personal API tokens revoked".into(),
        )?;
        let revoked = self
            .store
            .update_agent_password(&agent, Some(&audit))
            .map_err(from_store)?;
        self.store.delete_agent_sessions(agent.id, None)?;
        self.store.flush_blocking()?;
        Ok((agent, revoked))
    }

    /// `charla admin token`: a new personal API token for the agent with `email`.
    pub fn cli_create_token(&self, email: &str, label: &str) -> Result<String> {
        let email = validate::email(email)?;
        let agent = self
            .store
            .agent_by_email(&email)?
            .ok_or(ServiceError::NotFound)?;
        let label = validate::name("label", label, 100)?;
        let secret = format!("{API_TOKEN_PREFIX}{}", random_token(20));
        let token = ApiToken {
            id: TokenId(self.store.generate_id()?),
            agent_id: agent.id,
            label,
            created_at: self.clock.now(),
        };
        let audit = self.audit(
            None,
            "token.create",
            format!("agent {}", agent.email),
            format!("token “{}”", token.label),
        )?;
        self.store
            .insert_token(&hash_token(&secret), &token, &audit)?;
        self.store.flush_blocking()?;
        Ok(secret)
    }

    /// Removes expired sessions, and the shared rate-limit windows nobody has hit for a
    /// day (maintenance worker); returns how many sessions.
    pub fn purge_expired_sessions(&self) -> Result<usize> {
        let now = self.clock.now();
        let policy = self.settings.session;
        if self.settings.shared_limits {
            // Every limit's window is at most an hour: a day of silence is long gone.
            self.store.purge_windows(now.plus_secs(-86_400))?;
        }
        Ok(self
            .store
            .purge_sessions(|s| s.check(now, policy) == SessionCheck::Expired)?)
    }
}
