//! Agents, sessions, personal API tokens and invites.

use super::TxErr;
use super::kv::TxTree;
use super::schema::{self, meta_keys};
use super::{Abort, Result, Store, dec, enc, keys};
use crate::domain::{Agent, AgentId, ApiToken, AuditEntry, Invite, Session, TokenId};
use serde::{Deserialize, Serialize};

/// A row of an agent's token list: the token and the hash it is stored under.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub hash: Vec<u8>,
    pub token: ApiToken,
}

fn abort<T>(a: Abort) -> std::result::Result<T, TxErr> {
    Err(TxErr::Abort(a))
}

/// Encodes inside a transaction closure.
fn tx_enc<T: Serialize>(v: &T) -> std::result::Result<Vec<u8>, TxErr> {
    enc(v).map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))
}

pub(super) fn put_audit(
    t: &TxTree<'_>,
    audit: Option<&(u64, AuditEntry)>,
) -> std::result::Result<(), TxErr> {
    if let Some((id, entry)) = audit {
        t.insert(keys::time_id(entry.at.0, *id), tx_enc(entry)?)?;
    }
    Ok(())
}

/// Moves the directory version (see `meta_keys::DIRECTORY_VERSION`): called inside every
/// transaction that changes agents, teams or inboxes.
pub(super) fn bump_directory_version(meta: &TxTree<'_>) -> std::result::Result<(), TxErr> {
    let v = meta
        .get(meta_keys::DIRECTORY_VERSION)?
        .and_then(|b| keys::read_u64(&b))
        .unwrap_or(0);
    meta.insert(meta_keys::DIRECTORY_VERSION, keys::id(v.wrapping_add(1)))?;
    Ok(())
}

/// Writes `agent` over its stored record, keeping the email index in step.
fn put_agent(
    agents: &TxTree<'_>,
    emails: &TxTree<'_>,
    agent: &Agent,
) -> std::result::Result<(), TxErr> {
    let Some(old) = agents.get(keys::id(agent.id.0))? else {
        return abort(Abort::NotFound);
    };
    let old: Agent =
        dec(schema::AGENTID_AGENT, &old).map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))?;
    if old.email != agent.email {
        if emails.get(agent.email.as_bytes())?.is_some() {
            return abort(Abort::DuplicateEmail);
        }
        emails.remove(old.email.as_bytes())?;
        emails.insert(agent.email.as_bytes(), keys::id(agent.id.0))?;
    }
    agents.insert(keys::id(agent.id.0), tx_enc(agent)?)?;
    Ok(())
}

/// Removes token rows (key, hash) read by `Store::token_rows`.
fn remove_tokens(
    tokens: &TxTree<'_>,
    token_rows: &TxTree<'_>,
    rows: &[(Vec<u8>, Vec<u8>)],
) -> std::result::Result<(), TxErr> {
    for (key, hash) in rows {
        token_rows.remove(key.as_slice())?;
        tokens.remove(hash.as_slice())?;
    }
    Ok(())
}

impl Store {
    /// One agent by id.
    pub fn agent(&self, id: AgentId) -> Result<Option<Agent>> {
        self.t
            .agentid_agent
            .get(keys::id(id.0))?
            .map(|v| dec(schema::AGENTID_AGENT, &v))
            .transpose()
    }

    /// One agent by normalised email.
    pub fn agent_by_email(&self, email: &str) -> Result<Option<Agent>> {
        match self.t.email_agentid.get(email.as_bytes())? {
            Some(id) => match keys::read_u64(&id) {
                Some(id) => self.agent(AgentId(id)),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// Agents in id order after `after`, at most `limit`.
    pub fn agents(&self, after: Option<AgentId>, limit: usize) -> Result<Vec<Agent>> {
        let start = after.map(|a| a.0.saturating_add(1)).unwrap_or(0);
        self.t
            .agentid_agent
            .range(keys::id(start)..)
            .take(limit)
            .map(|kv| {
                let (_, v) = kv?;
                dec(schema::AGENTID_AGENT, &v)
            })
            .collect()
    }

    /// The directory version: changes whenever agents, teams or inboxes do.
    pub fn directory_version(&self) -> Result<u64> {
        Ok(self
            .t
            .meta
            .get(meta_keys::DIRECTORY_VERSION)?
            .and_then(|b| keys::read_u64(&b))
            .unwrap_or(0))
    }

    /// Whether the first admin has been created.
    pub fn setup_done(&self) -> Result<bool> {
        Ok(self.t.meta.get(meta_keys::SETUP_DONE)?.is_some())
    }

    /// Creates the first admin, once: a second call aborts with `AlreadySetUp`.
    pub fn create_first_admin(&self, agent: &Agent, audit: &(u64, AuditEntry)) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx(
            [
                &t.meta,
                &t.agentid_agent,
                &t.email_agentid,
                &t.auditkey_entry,
            ],
            |[meta, agents, emails, aud]| {
                if meta.get(meta_keys::SETUP_DONE)?.is_some() {
                    return abort(Abort::AlreadySetUp);
                }
                if emails.get(agent.email.as_bytes())?.is_some() {
                    return abort(Abort::DuplicateEmail);
                }
                meta.insert(meta_keys::SETUP_DONE, keys::id(agent.id.0))?;
                agents.insert(keys::id(agent.id.0), tx_enc(agent)?)?;
                emails.insert(agent.email.as_bytes(), keys::id(agent.id.0))?;
                bump_directory_version(meta)?;
                put_audit(aud, Some(audit))
            },
        )?;
        Ok(())
    }

    /// Creates an agent (email must be unused), with an optional invite
    /// (hash, invite). Marks setup done when the agent is an admin.
    pub fn insert_agent(
        &self,
        agent: &Agent,
        invite: Option<(&[u8; 32], &Invite)>,
        audit: &(u64, AuditEntry),
    ) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx(
            [
                &t.meta,
                &t.agentid_agent,
                &t.email_agentid,
                &t.invitehash_invite,
                &t.agentid_invitehash,
                &t.auditkey_entry,
            ],
            |[meta, agents, emails, invites, agent_invite, aud]| {
                if emails.get(agent.email.as_bytes())?.is_some() {
                    return abort(Abort::DuplicateEmail);
                }
                agents.insert(keys::id(agent.id.0), tx_enc(agent)?)?;
                emails.insert(agent.email.as_bytes(), keys::id(agent.id.0))?;
                if agent.is_admin() && meta.get(meta_keys::SETUP_DONE)?.is_none() {
                    meta.insert(meta_keys::SETUP_DONE, keys::id(agent.id.0))?;
                }
                if let Some((hash, inv)) = invite {
                    invites.insert(&hash[..], tx_enc(inv)?)?;
                    agent_invite.insert(keys::id(agent.id.0), &hash[..])?;
                }
                bump_directory_version(meta)?;
                put_audit(aud, Some(audit))
            },
        )?;
        Ok(())
    }

    /// Replaces an agent's record (name, email, role, password, active), keeping the
    /// email index in step. Aborts with `DuplicateEmail` or `NotFound`.
    pub fn update_agent(&self, agent: &Agent, audit: Option<&(u64, AuditEntry)>) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx(
            [
                &t.agentid_agent,
                &t.email_agentid,
                &t.auditkey_entry,
                &t.meta,
            ],
            |[agents, emails, aud, meta]| {
                put_agent(agents, emails, agent)?;
                bump_directory_version(meta)?;
                put_audit(aud, audit)
            },
        )?;
        Ok(())
    }

    /// Changes an agent's two-factor state atomically: `change` sees the stored agent
    /// inside the transaction (it may run more than once, so it only computes) and
    /// aborts (`CodeRefused`) or edits it. The directory is not bumped: names, emails
    /// and roles stay as they were. Returns the agent as written.
    pub fn change_two_factor(
        &self,
        id: AgentId,
        audit: Option<&(u64, AuditEntry)>,
        change: impl Fn(&mut Agent) -> std::result::Result<(), Abort>,
    ) -> Result<Agent> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx([&t.agentid_agent, &t.auditkey_entry], |[agents, aud]| {
            let Some(raw) = agents.get(keys::id(id.0))? else {
                return abort(Abort::NotFound);
            };
            let mut agent: Agent = dec(schema::AGENTID_AGENT, &raw)
                .map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))?;
            change(&mut agent).map_err(TxErr::Abort)?;
            agents.insert(keys::id(id.0), tx_enc(&agent)?)?;
            put_audit(aud, audit)?;
            Ok(agent)
        })
    }

    /// Whether every agent must sign in with a second factor.
    pub fn require_two_factor(&self) -> Result<bool> {
        Ok(self.t.meta.get(meta_keys::REQUIRE_TWO_FACTOR)?.is_some())
    }

    /// Sets [`Store::require_two_factor`], with its audit entry.
    pub fn set_require_two_factor(&self, on: bool, audit: &(u64, AuditEntry)) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx([&t.meta, &t.auditkey_entry], |[meta, aud]| {
            if on {
                meta.insert(meta_keys::REQUIRE_TWO_FACTOR, &[1u8][..])?;
            } else {
                meta.remove(meta_keys::REQUIRE_TWO_FACTOR)?;
            }
            put_audit(aud, Some(audit))
        })?;
        Ok(())
    }

    /// [`Store::update_agent`] for a new password: in the same transaction every
    /// personal API token of the agent is revoked. Returns how many were.
    pub fn update_agent_password(
        &self,
        agent: &Agent,
        audit: Option<&(u64, AuditEntry)>,
    ) -> Result<usize> {
        let _g = self.write_gate();
        let t = &self.t;
        let rows = self.token_rows(agent.id)?;
        self.tx(
            [
                &t.agentid_agent,
                &t.email_agentid,
                &t.auditkey_entry,
                &t.tokenhash_apitoken,
                &t.agenttoken_tokenrow,
                &t.meta,
            ],
            |[agents, emails, aud, tokens, token_rows, meta]| {
                put_agent(agents, emails, agent)?;
                remove_tokens(tokens, token_rows, &rows)?;
                bump_directory_version(meta)?;
                put_audit(aud, audit)
            },
        )?;
        Ok(rows.len())
    }

    /// The keys of an agent's token rows and the hashes they point at (read before a
    /// transaction, which cannot scan).
    fn token_rows(&self, agent: AgentId) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.t
            .agenttoken_tokenrow
            .scan_prefix(keys::id(agent.0))
            .map(|kv| {
                let (k, v) = kv?;
                let row: TokenRow = dec(schema::AGENTTOKEN_TOKENROW, &v)?;
                Ok((k.to_vec(), row.hash))
            })
            .collect()
    }

    /// Stores a new session under the hash of its token.
    pub fn insert_session(&self, hash: &[u8; 32], s: &Session) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx(
            [&t.sessionhash_session, &t.agentsession_unit],
            |[sessions, by_agent]| {
                sessions.insert(&hash[..], tx_enc(s)?)?;
                by_agent.insert(&keys::id_hash(s.agent_id.0, hash)[..], &[][..])?;
                Ok(())
            },
        )?;
        Ok(())
    }

    /// The session stored under `hash`.
    pub fn session(&self, hash: &[u8; 32]) -> Result<Option<Session>> {
        self.t
            .sessionhash_session
            .get(hash)?
            .map(|v| dec(schema::SESSIONHASH_SESSION, &v))
            .transpose()
    }

    /// Rewrites a session (its `last_seen_at`), if it still exists.
    pub fn touch_session(&self, hash: &[u8; 32], s: &Session) -> Result<()> {
        let _g = self.write_gate();
        let new = enc(s)?;
        // Only a present key is updated, in a transaction: a concurrent delete wins.
        self.tx([&self.t.sessionhash_session], |[t]| {
            if t.get(hash)?.is_some() {
                t.insert(hash, &new)?;
            }
            Ok(())
        })
    }

    /// Ends one session.
    pub fn delete_session(&self, hash: &[u8; 32], agent: AgentId) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx(
            [&t.sessionhash_session, &t.agentsession_unit],
            |[sessions, by_agent]| {
                sessions.remove(&hash[..])?;
                by_agent.remove(&keys::id_hash(agent.0, hash)[..])?;
                Ok(())
            },
        )?;
        Ok(())
    }

    /// Ends every session of `agent` except `keep`; returns how many ended.
    pub fn delete_agent_sessions(&self, agent: AgentId, keep: Option<&[u8; 32]>) -> Result<usize> {
        let prefix = keys::id(agent.0);
        let mut n = 0;
        for kv in self.t.agentsession_unit.scan_prefix(prefix) {
            let (k, _) = kv?;
            let Ok(hash) = <[u8; 32]>::try_from(&k[8..]) else {
                continue;
            };
            if keep == Some(&hash) {
                continue;
            }
            self.delete_session(&hash, agent)?;
            n += 1;
        }
        Ok(n)
    }

    /// Removes sessions for which `expired` says so; returns how many (maintenance task).
    pub fn purge_sessions(&self, expired: impl Fn(&Session) -> bool) -> Result<usize> {
        let mut n = 0;
        for kv in self.t.sessionhash_session.iter() {
            let (k, v) = kv?;
            let s: Session = dec(schema::SESSIONHASH_SESSION, &v)?;
            if let (true, Ok(hash)) = (expired(&s), <[u8; 32]>::try_from(&k[..])) {
                self.delete_session(&hash, s.agent_id)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Stores a personal API token under the hash of its secret.
    pub fn insert_token(
        &self,
        hash: &[u8; 32],
        token: &ApiToken,
        audit: &(u64, AuditEntry),
    ) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        let row = TokenRow {
            hash: hash.to_vec(),
            token: token.clone(),
        };
        self.tx(
            [
                &t.tokenhash_apitoken,
                &t.agenttoken_tokenrow,
                &t.auditkey_entry,
            ],
            |[tokens, rows, aud]| {
                tokens.insert(&hash[..], tx_enc(token)?)?;
                rows.insert(
                    &keys::id_pair(token.agent_id.0, token.id.0)[..],
                    tx_enc(&row)?,
                )?;
                put_audit(aud, Some(audit))
            },
        )?;
        Ok(())
    }

    /// The token stored under `hash`.
    pub fn token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<ApiToken>> {
        self.t
            .tokenhash_apitoken
            .get(hash)?
            .map(|v| dec(schema::TOKENHASH_APITOKEN, &v))
            .transpose()
    }

    /// An agent's tokens, oldest first (one range scan).
    pub fn tokens_of(&self, agent: AgentId) -> Result<Vec<ApiToken>> {
        self.t
            .agenttoken_tokenrow
            .scan_prefix(keys::id(agent.0))
            .map(|kv| {
                let (_, v) = kv?;
                Ok(dec::<TokenRow>(schema::AGENTTOKEN_TOKENROW, &v)?.token)
            })
            .collect()
    }

    /// Revokes one of an agent's tokens; `NotFound` if it is not theirs.
    pub fn delete_token(
        &self,
        agent: AgentId,
        id: TokenId,
        audit: &(u64, AuditEntry),
    ) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        let key = keys::id_pair(agent.0, id.0);
        self.tx(
            [
                &t.tokenhash_apitoken,
                &t.agenttoken_tokenrow,
                &t.auditkey_entry,
            ],
            |[tokens, rows, aud]| {
                let Some(row) = rows.take(&key[..])? else {
                    return abort(Abort::NotFound);
                };
                let row: TokenRow = dec(schema::AGENTTOKEN_TOKENROW, &row)
                    .map_err(|e| TxErr::Abort(Abort::Codec(e.to_string())))?;
                tokens.remove(row.hash)?;
                put_audit(aud, Some(audit))
            },
        )?;
        Ok(())
    }

    /// The invite stored under `hash`.
    pub fn invite(&self, hash: &[u8; 32]) -> Result<Option<Invite>> {
        self.t
            .invitehash_invite
            .get(hash)?
            .map(|v| dec(schema::INVITEHASH_INVITE, &v))
            .transpose()
    }

    /// Replaces an agent's invite with a new one (the old link stops working).
    pub fn replace_invite(
        &self,
        hash: &[u8; 32],
        invite: &Invite,
        audit: &(u64, AuditEntry),
    ) -> Result<()> {
        let _g = self.write_gate();
        let t = &self.t;
        self.tx(
            [
                &t.invitehash_invite,
                &t.agentid_invitehash,
                &t.auditkey_entry,
            ],
            |[invites, by_agent, aud]| {
                if let Some(old) = by_agent.get(keys::id(invite.agent_id.0))? {
                    invites.remove(old)?;
                }
                invites.insert(&hash[..], tx_enc(invite)?)?;
                by_agent.insert(keys::id(invite.agent_id.0), &hash[..])?;
                put_audit(aud, Some(audit))
            },
        )?;
        Ok(())
    }

    /// Uses an invite once: removes it and stores the agent with its new password,
    /// revoking any personal API tokens they had (a re-sent invite is a password reset).
    /// Aborts with `NotFound` if the invite was already used or replaced. Returns how
    /// many tokens were revoked.
    pub fn accept_invite(&self, hash: &[u8; 32], agent: &Agent) -> Result<usize> {
        let _g = self.write_gate();
        let t = &self.t;
        let rows = self.token_rows(agent.id)?;
        self.tx(
            [
                &t.invitehash_invite,
                &t.agentid_invitehash,
                &t.agentid_agent,
                &t.tokenhash_apitoken,
                &t.agenttoken_tokenrow,
                &t.meta,
            ],
            |[invites, by_agent, agents, tokens, token_rows, meta]| {
                if invites.take(&hash[..])?.is_none() {
                    return abort(Abort::NotFound);
                }
                by_agent.remove(keys::id(agent.id.0))?;
                agents.insert(keys::id(agent.id.0), tx_enc(agent)?)?;
                bump_directory_version(meta)?;
                remove_tokens(tokens, token_rows, &rows)
            },
        )?;
        Ok(rows.len())
    }
}
