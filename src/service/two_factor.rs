//! Two-factor sign-in: setting it up, the second step of signing in, recovery codes,
//! turning it off, an admin's reset, and the workspace's requirement.
//!
//! The secret is sealed with the installation key (as mailbox passwords are) and never
//! shown after set-up. Before it is confirmed it lives only in the set-up form, sealed
//! and bound to the agent, so an abandoned set-up leaves nothing behind. A code's step
//! is recorded in the same transaction that checks it, so a code works once.

use super::{NewSession, Result, ServiceError, Services, from_store};
use crate::domain::totp;
use crate::domain::{Agent, AgentId, Timestamp, TwoFactor};
use crate::store::Abort;
use rand::Rng;

/// The pending second step of a sign-in lasts this long.
pub const PENDING_TTL_SECS: i64 = 300;
/// Refused: turning two-factor sign-in off while the workspace requires it.
pub const TWO_FACTOR_REQUIRED: &str = "the workspace requires two-factor sign-in";
/// Refused: requiring two-factor sign-in before setting it up oneself.
pub const TWO_FACTOR_SELF_FIRST: &str = "set up two-factor sign-in for yourself first";
/// Refused: a set-up form that is not this agent's (or was sealed under another key).
pub const TWO_FACTOR_STALE_SETUP: &str = "this set-up form is not yours; start again";
/// Names the installation in authenticator apps.
const ISSUER: &str = "Charla";

/// A set-up in progress: what the page shows, and the sealed secret its form carries.
#[derive(Debug, Clone)]
pub struct Enrollment {
    /// The secret in base32, in groups of four.
    pub secret: String,
    /// The `otpauth://` URI, drawn as a QR code.
    pub uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
    /// The secret sealed with the agent's id, for the confirming form.
    pub sealed: String,
}

/// What a sign-in with the right password leads to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in.
    Session(Agent, NewSession),
    /// The password was right; a second factor is due. The token is the signed,
    /// short-lived proof of the first step (see [`Services::pending_agent`]).
    SecondFactor { agent: Agent, token: String },
}

/// How a second factor was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorUsed {
    Code,
    Recovery { left: usize },
}

impl Services {
    /// A new secret for `agent` to scan (nothing is stored until it is confirmed).
    pub fn two_factor_start(&self, agent: &Agent) -> Result<Enrollment> {
        let mut bytes = [0u8; totp::SECRET_BYTES];
        rand::rng().fill(&mut bytes[..]);
        let b32 = totp::encode_secret(&bytes);
        let sealed = self.keys.seal(&format!("{}:{b32}", agent.id))?;
        self.enrollment(agent, &b32, sealed)
    }

    /// The set-up of a sealed secret again (after a wrong code), if it is `agent`'s.
    pub fn two_factor_resume(&self, agent: &Agent, sealed: &str) -> Result<Enrollment> {
        let b32 = self.unseal_enrollment(agent, sealed)?;
        self.enrollment(agent, &b32, sealed.to_string())
    }

    fn unseal_enrollment(&self, agent: &Agent, sealed: &str) -> Result<String> {
        let refused = || ServiceError::Forbidden(TWO_FACTOR_STALE_SETUP);
        let plain = self.keys.open(sealed).map_err(|_| refused())?;
        let (id, b32) = plain.split_once(':').ok_or_else(refused)?;
        if id != agent.id.to_string() {
            return Err(refused());
        }
        Ok(b32.to_string())
    }

    fn enrollment(&self, agent: &Agent, b32: &str, sealed: String) -> Result<Enrollment> {
        let uri = totp::otpauth_uri(ISSUER, &agent.email, b32);
        let qr = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| ServiceError::Internal(format!("QR code: {e}")))?;
        let qr_svg = qr
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build();
        Ok(Enrollment {
            secret: totp::grouped(b32),
            uri,
            qr_svg,
            sealed,
        })
    }

    /// Turns two-factor sign-in on once `code` from the scanned secret is right;
    /// returns the recovery codes, shown this once.
    pub async fn two_factor_enable(
        &self,
        actor: &Agent,
        sealed: &str,
        code: &str,
    ) -> Result<Vec<String>> {
        let b32 = self.unseal_enrollment(actor, sealed)?;
        let secret = totp::decode_secret(&b32)
            .ok_or_else(|| ServiceError::Internal("bad set-up secret".into()))?;
        let step =
            totp::matching_step(&secret, code, self.clock.now(), 0).ok_or(ServiceError::BadCode)?;
        let (codes, hashes) = self.recovery_codes();
        let two_factor = TwoFactor {
            secret: self.keys.seal(&b32)?,
            enabled_at: self.clock.now(),
            last_step: step,
            recovery: hashes,
        };
        let audit = self.audit(
            Some(actor),
            "agent.two_factor.enable",
            format!("agent {}", actor.email),
            "two-factor sign-in turned on".into(),
        )?;
        self.store
            .change_two_factor(actor.id, Some(&audit), |a| {
                if a.two_factor.is_some() {
                    return Err(Abort::CodeRefused);
                }
                a.two_factor = Some(two_factor.clone());
                Ok(())
            })
            .map_err(from_store)?;
        self.store.durable().await?;
        Ok(codes)
    }

    /// New recovery codes for `actor` (the old ones stop working), after a current
    /// code from the authenticator.
    pub async fn two_factor_new_recovery(&self, actor: &Agent, code: &str) -> Result<Vec<String>> {
        let (codes, hashes) = self.recovery_codes();
        let audit = self.audit(
            Some(actor),
            "agent.two_factor.recovery_codes",
            format!("agent {}", actor.email),
            "new recovery codes; the old ones no longer work".into(),
        )?;
        let secret = self.secret_of(actor)?;
        let now = self.clock.now();
        self.store
            .change_two_factor(actor.id, Some(&audit), |a| {
                let tf = a.two_factor.as_mut().ok_or(Abort::CodeRefused)?;
                tf.last_step = totp::matching_step(&secret, code, now, tf.last_step)
                    .ok_or(Abort::CodeRefused)?;
                tf.recovery = hashes.clone();
                Ok(())
            })
            .map_err(from_store)?;
        self.store.durable().await?;
        Ok(codes)
    }

    /// Turns two-factor sign-in off: needs the password and a code (or a recovery
    /// code). Refused while the workspace requires it.
    pub async fn two_factor_disable(
        &self,
        actor: &Agent,
        password: &str,
        code: &str,
    ) -> Result<()> {
        if self.store.require_two_factor()? {
            return Err(ServiceError::Forbidden(TWO_FACTOR_REQUIRED));
        }
        let fresh = self.store.agent(actor.id)?.ok_or(ServiceError::NotFound)?;
        if !self
            .hasher
            .verify(password, fresh.password_hash.as_deref())
            .await?
        {
            return Err(ServiceError::WrongCurrentPassword);
        }
        let audit = self.audit(
            Some(actor),
            "agent.two_factor.disable",
            format!("agent {}", actor.email),
            "two-factor sign-in turned off".into(),
        )?;
        let secret = self.secret_of(&fresh)?;
        let (now, recovery) = (self.clock.now(), self.recovery_hash(code));
        self.store
            .change_two_factor(actor.id, Some(&audit), |a| {
                let tf = a.two_factor.as_ref().ok_or(Abort::CodeRefused)?;
                let by_code = totp::matching_step(&secret, code, now, tf.last_step).is_some();
                let by_recovery = recovery.as_ref().is_some_and(|h| tf.recovery.contains(h));
                if !(by_code || by_recovery) {
                    return Err(Abort::CodeRefused);
                }
                a.two_factor = None;
                Ok(())
            })
            .map_err(from_store)?;
        self.store.durable().await?;
        Ok(())
    }

    /// An admin turns off another agent's two-factor sign-in (a lost phone and lost
    /// codes); the agent sets it up again, at once if the workspace requires it.
    pub async fn two_factor_reset(&self, actor: &Agent, id: AgentId) -> Result<Agent> {
        Self::require_admin(actor)?;
        let target = self.store.agent(id)?.ok_or(ServiceError::NotFound)?;
        let audit = self.audit(
            Some(actor),
            "agent.two_factor.reset",
            format!("agent {}", target.email),
            "two-factor sign-in reset by an admin".into(),
        )?;
        let agent = self
            .store
            .change_two_factor(id, Some(&audit), |a| {
                a.two_factor = None;
                Ok(())
            })
            .map_err(from_store)?;
        self.store.durable().await?;
        Ok(agent)
    }

    /// `charla admin reset-two-factor`: turns off the two-factor sign-in of the agent
    /// with `email` (the way back in for an admin who lost phone and recovery codes).
    pub fn cli_reset_two_factor(&self, email: &str) -> Result<Agent> {
        let email = crate::domain::validate::email(email)?;
        let agent = self
            .store
            .agent_by_email(&email)?
            .ok_or(ServiceError::NotFound)?;
        let audit = self.audit(
            None,
            "agent.two_factor.reset",
            format!("agent {}", agent.email),
            "two-factor sign-in reset from the command line".into(),
        )?;
        let agent = self
            .store
            .change_two_factor(agent.id, Some(&audit), |a| {
                a.two_factor = None;
                Ok(())
            })
            .map_err(from_store)?;
        self.store.flush_blocking()?;
        Ok(agent)
    }

    /// Whether every agent must use two-factor sign-in.
    pub fn two_factor_required(&self) -> Result<bool> {
        Ok(self.store.require_two_factor()?)
    }

    /// Requires (or stops requiring) two-factor sign-in of every agent. An admin turns
    /// it on only with their own set up, so they are not the first one locked out.
    pub async fn set_two_factor_required(&self, actor: &Agent, on: bool) -> Result<()> {
        Self::require_admin(actor)?;
        if on && actor.two_factor.is_none() {
            return Err(ServiceError::Forbidden(TWO_FACTOR_SELF_FIRST));
        }
        let audit = self.audit(
            Some(actor),
            "workspace.two_factor",
            "workspace".into(),
            if on {
                "two-factor sign-in required of every agent".into()
            } else {
                "two-factor sign-in no longer required".into()
            },
        )?;
        self.store.set_require_two_factor(on, &audit)?;
        self.store.durable().await?;
        Ok(())
    }

    /// The signed proof that `agent` gave the right password, valid for
    /// [`PENDING_TTL_SECS`]: `id.expiry.password-changed.signature`. A password change
    /// voids it.
    pub fn pending_token(&self, agent: &Agent) -> String {
        let data = format!(
            "{}.{}.{}",
            agent.id,
            self.clock.now().plus_secs(PENDING_TTL_SECS).0,
            agent.password_changed_at.0
        );
        let sig = self.keys.sign("two-factor-pending", &data);
        format!("{data}.{sig}")
    }

    /// The agent a pending token names, if it is genuine, unexpired and still fits
    /// the agent (active, the same password, two-factor on).
    pub fn pending_agent(&self, token: &str) -> Result<Option<Agent>> {
        let Some((data, sig)) = token.rsplit_once('.') else {
            return Ok(None);
        };
        if !self.keys.verify("two-factor-pending", data, sig) {
            return Ok(None);
        }
        let mut parts = data.split('.').map(str::parse::<i64>);
        let (Some(Ok(id)), Some(Ok(expires)), Some(Ok(changed)), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        if self.clock.now() >= Timestamp(expires) {
            return Ok(None);
        }
        let Some(agent) = self.store.agent(AgentId(id as u64))? else {
            return Ok(None);
        };
        let fits = agent.can_sign_in()
            && agent.password_changed_at == Timestamp(changed)
            && agent.two_factor.is_some();
        Ok(fits.then_some(agent))
    }

    /// The second step of signing in: a code from the authenticator or an unused
    /// recovery code, throttled as passwords are (per agent and client address).
    pub async fn login_second_factor(
        &self,
        agent: &Agent,
        code: &str,
        ip: &str,
    ) -> Result<(NewSession, FactorUsed)> {
        let attempt = self
            .throttle
            .begin(&format!("two-factor:{}", agent.email), ip)
            .map_err(|r| match r {
                super::Refused::Wait(secs) => ServiceError::Throttled {
                    retry_after_secs: secs,
                },
                super::Refused::Failed(m) => ServiceError::Internal(m),
            })?;
        if attempt.delay_secs > 0 {
            tokio::time::sleep(std::time::Duration::from_secs(attempt.delay_secs)).await;
        }
        let secret = self.secret_of(agent)?;
        let (now, recovery) = (self.clock.now(), self.recovery_hash(code));
        let used = std::cell::Cell::new(FactorUsed::Code);
        let written = self
            .store
            .change_two_factor(agent.id, None, |a| {
                let tf = a.two_factor.as_mut().ok_or(Abort::CodeRefused)?;
                if let Some(step) = totp::matching_step(&secret, code, now, tf.last_step) {
                    tf.last_step = step;
                    used.set(FactorUsed::Code);
                    return Ok(());
                }
                let n = recovery
                    .as_ref()
                    .and_then(|h| tf.recovery.iter().position(|r| r == h))
                    .ok_or(Abort::CodeRefused)?;
                tf.recovery.remove(n);
                used.set(FactorUsed::Recovery {
                    left: tf.recovery.len(),
                });
                Ok(())
            })
            .map_err(from_store);
        // A wrong code keeps its reservation: it is the recorded failure.
        let written = written?;
        self.throttle.succeeded(attempt);
        let used = used.get();
        if let FactorUsed::Recovery { left } = used {
            let audit = self.audit(
                Some(&written),
                "agent.two_factor.recovery_used",
                format!("agent {}", written.email),
                format!("signed in with a recovery code; {left} left"),
            )?;
            self.store.append_audit(&audit)?;
        }
        let session = self.start_session(&written).await?;
        Ok((session, used))
    }

    /// The base32 secret of an agent with two-factor sign-in on.
    fn secret_of(&self, agent: &Agent) -> Result<Vec<u8>> {
        let tf = agent.two_factor.as_ref().ok_or(ServiceError::BadCode)?;
        let b32 = self.keys.open(&tf.secret)?;
        totp::decode_secret(&b32).ok_or_else(|| {
            ServiceError::Internal("a stored two-factor secret is unreadable".into())
        })
    }

    /// Ten fresh recovery codes (as shown) and their keyed hashes (as stored).
    fn recovery_codes(&self) -> (Vec<String>, Vec<String>) {
        let mut rng = rand::rng();
        (0..totp::RECOVERY_CODES)
            .map(|_| {
                let raw: String = (0..totp::RECOVERY_LEN)
                    .map(|_| {
                        let i = rng.random_range(0..totp::RECOVERY_ALPHABET.len());
                        char::from(totp::RECOVERY_ALPHABET[i])
                    })
                    .collect();
                let hash = self.keys.sign("recovery-code", &raw);
                (totp::show_recovery(&raw), hash)
            })
            .unzip()
    }

    /// The stored form of a typed recovery code, if it can be one.
    fn recovery_hash(&self, typed: &str) -> Option<String> {
        totp::normalize_recovery(typed).map(|c| self.keys.sign("recovery-code", &c))
    }
}
