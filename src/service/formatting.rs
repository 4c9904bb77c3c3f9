//! The agent's formatting on its way out: a mail reply's body with its signatures, as
//! the text and HTML parts of one multipart/alternative message. Messages keep the
//! Markdown as typed; each channel gets its own rendering when it is delivered.

use super::Services;
use crate::channels::smtp;
use crate::domain::markdown::render::{html, plain};
use crate::domain::{AgentId, Inbox};

/// A mail reply's Markdown: the message, then the author's personal signature, then the
/// inbox's. A letter reads that way: who wrote it right under the text, the team's
/// footer (company, address, hours) last, as in any company's mail; empty signatures
/// are left out.
pub fn with_signatures(content: &str, signatures: &[&str]) -> String {
    let mut out = content.trim_end().to_string();
    for s in signatures
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        out.push_str("\n\n");
        out.push_str(s);
    }
    out
}

/// The text and HTML parts of a mail carrying `markdown`, followed (a website chat
/// answered by mail) by the chat so far as plain text under `heading`.
pub fn mail_parts(markdown: &str, so_far: Option<(&str, &str)>) -> (String, String) {
    let (mut text, mut body) = (plain(markdown), html(markdown));
    if let Some((heading, transcript)) = so_far {
        text = format!("{text}\n\n--\n{heading}\n\n{transcript}");
        body = format!(
            "{body}<hr>{}",
            smtp::html_of(&format!("{heading}\n\n{transcript}"))
        );
    }
    (text, format!("<div>{body}</div>"))
}

/// The longest signature (characters).
pub const MAX_SIGNATURE: usize = 2000;

/// A signature as typed, trimmed; refused when longer than [`MAX_SIGNATURE`].
pub fn signature(
    field: &'static str,
    s: &str,
) -> std::result::Result<String, crate::domain::validate::Invalid> {
    let s = s.trim();
    if s.chars().count() > MAX_SIGNATURE {
        return Err(crate::domain::validate::Invalid {
            field,
            reason: format!("must be at most {MAX_SIGNATURE} characters"),
        });
    }
    Ok(s.replace("\r\n", "\n"))
}

impl Services {
    /// The signatures `agent`'s mail reply in a conversation of `inbox` would carry, as
    /// one Markdown text for the composer's preview: an email inbox's own, a website
    /// chat's reply inbox's (shown when the reply goes by email); `None` when the
    /// conversation is not answered by mail or there is no signature.
    pub fn composer_signature(
        &self,
        agent: &crate::domain::Agent,
        inbox: crate::domain::InboxId,
    ) -> Option<String> {
        let dir = self.directory();
        let inbox = dir.inbox(inbox)?;
        let mail = match (&inbox.website, inbox.email.is_some()) {
            (_, true) => inbox,
            (Some(w), false) => dir.inbox(w.reply_email_inbox?)?,
            (None, false) => return None,
        };
        let sigs = self.signatures(mail, Some(agent.id));
        let sigs: Vec<&str> = sigs.iter().map(String::as_str).collect();
        Some(with_signatures("", &sigs).trim().to_string()).filter(|s| !s.is_empty())
    }

    /// Sets the signed-in agent's personal mail signature (Markdown; empty: none).
    pub async fn update_signature(
        &self,
        actor: &crate::domain::Agent,
        signature_md: &str,
    ) -> super::Result<crate::domain::Agent> {
        let mut agent = self
            .store
            .agent(actor.id)?
            .ok_or(super::ServiceError::NotFound)?;
        agent.signature = signature("signature", signature_md)?;
        self.store
            .update_agent(&agent, None)
            .map_err(super::from_store)?;
        self.store.durable().await?;
        self.refresh_directory()?;
        Ok(agent)
    }

    /// The signatures a mail reply by `author` through `mail_inbox` carries, in order
    /// (see [`with_signatures`]).
    pub fn signatures(&self, mail_inbox: &Inbox, author: Option<AgentId>) -> Vec<String> {
        let dir = self.directory();
        let personal = author
            .and_then(|a| dir.agents.iter().find(|x| x.id == a))
            .map(|a| a.signature.clone())
            .unwrap_or_default();
        let team = mail_inbox
            .email
            .as_ref()
            .map(|e| e.signature.clone())
            .unwrap_or_default();
        vec![personal, team]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_text_in_order_and_empty_ones_are_left_out() {
        assert_eq!(
            with_signatures("Hi\n\n", &["Ana", "", "  **Acme** support  "]),
            "Hi\n\nAna\n\n**Acme** support"
        );
        assert_eq!(with_signatures("Hi", &[]), "Hi");
    }

    #[test]
    fn a_mail_gets_text_and_html_parts() {
        let (text, h) = mail_parts("**Hi** [site](https://e.com)", None);
        assert_eq!(text, "Hi site (https://e.com)");
        assert!(h.starts_with("<div><p><strong>Hi</strong> <a href=\"https://e.com\""));
        let (text, h) = mail_parts("ok", Some(("So far:", "Ana: <hi>")));
        assert_eq!(text, "ok\n\n--\nSo far:\n\nAna: <hi>");
        assert!(h.contains("<hr>") && h.contains("Ana: &lt;hi&gt;"), "{h}");
    }
}
