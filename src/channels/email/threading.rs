//! Threading by ids we can prove are ours: outgoing Message-IDs carry the conversation
//! token and an HMAC over it, so an In-Reply-To naming a made-up or guessed token is
//! ignored; and the optional Reply-To plus-address `local+<token>@domain`.

use super::parse::clean_id;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The first label of every id we sign, so ours are told apart at a glance.
const PREFIX: &str = "charla.";
/// Signature length kept in the id: 128 bits, hex-encoded.
const SIG_BYTES: usize = 16;
/// Longest token or nonce accepted, far above Charla's 32-hex-digit tokens.
const MAX_PART: usize = 128;

fn mac(secret: &[u8], token: &str, nonce: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(token.as_bytes());
    mac.update(b"|");
    mac.update(nonce.as_bytes());
    Some(mac)
}

/// Tokens and nonces must stay one dot-free, `|`-free label for the id to parse back.
fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_PART
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An outgoing Message-ID that only we can mint, so replies to it prove their conversation.
pub fn signed_message_id(
    secret: &[u8],
    conversation_token: &str,
    nonce: &str,
    domain: &str,
) -> String {
    // `<charla.{token}.{nonce}.{sig}@{domain}>`. Token and nonce must be `[A-Za-z0-9_-]`
    // (Charla's are hex): any other id is still produced but never verifies.
    let sig = mac(secret, conversation_token, nonce)
        .map(|m| m.finalize().into_bytes())
        .and_then(|full| full.get(..SIG_BYTES).map(hex::encode))
        .unwrap_or_default();
    format!("<{PREFIX}{conversation_token}.{nonce}.{sig}@{domain}>")
}

/// The conversation token of an id we signed; `None` for forged or foreign ids.
pub fn verify_message_id(secret: &[u8], id: &str) -> Option<String> {
    // With or without angle brackets; the domain is not signed (relays may rewrite it).
    // An empty secret verifies nothing: anyone could compute its signatures.
    if secret.is_empty() {
        return None;
    }
    let id = clean_id(id)?;
    let (local, _domain) = id.rsplit_once('@')?;
    let mut parts = local.strip_prefix(PREFIX)?.split('.');
    let (token, nonce, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !is_label(token) || !is_label(nonce) {
        return None;
    }
    // Exactly 16 bytes: a shorter signature would be easier to guess.
    if sig.len() != SIG_BYTES * 2 {
        return None;
    }
    let sig = hex::decode(sig).ok()?;
    mac(secret, token, nonce)?
        .verify_truncated_left(&sig)
        .ok()?;
    Some(token.to_string())
}

/// The Reply-To address (`local+token@domain`) that routes an answer to its conversation.
pub fn plus_address(local: &str, token: &str, domain: &str) -> String {
    format!("{local}+{token}@{domain}")
}

/// The conversation token an answer was addressed to, when it came via our plus-address.
pub fn token_from_plus_address(addr: &str, local: &str, domain: &str) -> Option<String> {
    // `local` and `domain` match without regard to case; the token is returned as is.
    let addr = clean_id(addr)?;
    let (local_part, addr_domain) = addr.rsplit_once('@')?;
    if local.is_empty() || !addr_domain.eq_ignore_ascii_case(domain.trim()) {
        return None;
    }
    let head = local_part.get(..local.len())?;
    let token = local_part.get(local.len()..)?.strip_prefix('+')?;
    (head.eq_ignore_ascii_case(local) && is_label(token)).then(|| token.to_string())
}
