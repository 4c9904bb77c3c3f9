//! The email channel's pure side: raw RFC 5322 bytes in, a [`ParsedEmail`] out, with the
//! HTML made safe to show, the quoted history trimmable, and the threading ids signed so
//! that a forged In-Reply-To cannot join a conversation. No I/O here: the poller and the
//! SMTP sender (elsewhere) feed and use these functions.

mod charset;
mod classify;
mod html_text;
mod parse;
mod quote;
mod sanitize;
mod threading;

#[cfg(test)]
mod tests;

pub(crate) use parse::safe_filename;
pub use parse::{content_key, legacy_content_key, parse};
pub use quote::trim_quoted;
pub use sanitize::{sanitize_html, show_images};
pub use threading::{plus_address, signed_message_id, token_from_plus_address, verify_message_id};

/// Caps applied while parsing, so one huge mail cannot fill the store (from configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Attachments larger than this (decoded bytes) are listed with a note but not kept.
    pub max_attachment_bytes: usize,
}

impl Default for Limits {
    /// 25 MB, the ceiling of the large mail providers (the default of
    /// `inbox.max_attachment_bytes`).
    fn default() -> Self {
        Limits {
            max_attachment_bytes: 25_000_000,
        }
    }
}

/// One inbound mail, reduced to what ingest, threading and the timeline need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedEmail {
    /// Message-ID without angle brackets; `None` when missing or empty (see [`content_key`]).
    pub message_id: Option<String>,
    /// In-Reply-To ids (no angle brackets), for joining the conversation we replied from.
    pub in_reply_to: Vec<String>,
    /// References ids (no angle brackets), oldest first, the fallback for threading.
    pub references: Vec<String>,
    /// From's first address (lowercased, with its display name), as written: it may be
    /// unusable (no `@`); [`reply_address`](Self::reply_address) is what to answer.
    pub from: Option<(String, Option<String>)>,
    /// Where the sender wants answers, when it differs from From.
    pub reply_to: Option<(String, Option<String>)>,
    /// The address that picks or creates the contact and gets our replies: From's when
    /// usable, else Reply-To's, Sender's or Return-Path's. `None`: the mail came with no
    /// address to answer (`"Facebook" <>`, a bare name): it must not be threaded by
    /// sender, and replies to it are refused.
    pub reply_address: Option<String>,
    /// The sender's display name: From's, even when From has no address, else the name
    /// beside the address used.
    pub from_name: Option<String>,
    /// To addresses, lowercased, to tell which inbox (or plus-address) the mail was for.
    pub to: Vec<String>,
    /// Cc addresses, lowercased: an inbox may only be copied.
    pub cc: Vec<String>,
    /// Subject with encoded words decoded; empty when missing.
    pub subject: String,
    /// Date header in unix milliseconds; `None` when missing or invalid.
    pub date: Option<i64>,
    /// The plain-text body (or text derived from the HTML when there is no text part).
    pub text: String,
    /// The HTML body, already sanitized by [`sanitize_html`] (remote images blocked).
    pub html: Option<String>,
    /// Attachments and inline images, with data unless over the size limit.
    pub attachments: Vec<Attachment>,
    /// An auto-responder wrote this (out of office, vacation): never reopen nor answer it.
    pub auto_reply: bool,
    /// A delivery status notification (bounce) about a mail we sent.
    pub bounce: bool,
    /// mail-parser found no header at all: `text` then holds the raw bytes, lossily.
    pub unparseable: bool,
    /// Human-readable remarks for the agent (attachment not stored, part not decodable).
    pub notes: Vec<String>,
}

impl ParsedEmail {
    /// Either flag means "written by a machine": no reopen, no auto-answer, no loop.
    pub fn is_automatic(&self) -> bool {
        self.auto_reply || self.bounce
    }
}

/// One attachment or inline image of a mail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// A safe file name (no directories, no control characters), never empty.
    pub filename: String,
    /// Lowercased `type/subtype`.
    pub mime: String,
    /// Decoded size in bytes, known even when the data was not kept.
    pub size: usize,
    /// The decoded bytes; `None` when over [`Limits::max_attachment_bytes`].
    pub data: Option<Vec<u8>>,
    /// Shown in the body (inline disposition or referenced by Content-ID), not in the list.
    pub inline: bool,
    /// Content-ID without angle brackets, what `cid:` URLs in the HTML point at.
    pub content_id: Option<String>,
    /// SHA-256 of the decoded bytes (also of those not kept), for the dedupe key.
    pub sha256: [u8; 32],
}
