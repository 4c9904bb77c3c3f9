//! Password hashing off the async workers, random tokens and signing.

use super::{Result, ServiceError};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A random token of `bytes` bytes, hex-encoded (16 bytes = 128 bits).
pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The SHA-256 of a token: what the store keeps instead of the token itself.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// argon2id (crate defaults, the OWASP minimum) on blocking threads, with a cap on
/// concurrent hashes so a burst of sign-ins cannot exhaust memory.
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// Verified against when the email is unknown, so both cases cost the same.
    dummy: tokio::sync::OnceCell<String>,
}

impl Hasher {
    /// A hasher allowing `max` hashes at once.
    pub fn new(max: usize) -> Self {
        Hasher {
            permits: Arc::new(Semaphore::new(max.max(1))),
            dummy: tokio::sync::OnceCell::new(),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let pw = password.to_owned();
        self.blocking(move || hash_sync(&pw)).await?
    }

    /// Checks a password against a PHC string; `None` checks against a dummy hash and
    /// always fails, taking the same time.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool> {
        let real = phc.is_some();
        let phc = match phc {
            Some(p) => p.to_owned(),
            None => self
                .dummy
                .get_or_try_init(|| self.hash("not a real password"))
                .await?
                .clone(),
        };
        let pw = password.to_owned();
        let ok = self.blocking(move || verify_sync(&pw, &phc)).await?;
        Ok(ok && real)
    }
}

/// Hashes synchronously (for the command line, which has no async workers to protect).
pub fn hash_sync(password: &str) -> Result<String> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt =
        SaltString::encode_b64(&bytes).map_err(|e| ServiceError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("hashing failed: {e}")))
}

fn verify_sync(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The installation's secret key, for signing.
#[derive(Clone)]
pub struct Keys {
    secret: Arc<Vec<u8>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

impl Keys {
    /// Keys derived from the configured or generated secret.
    pub fn new(secret: &[u8]) -> Self {
        Keys {
            secret: Arc::new(secret.to_vec()),
        }
    }

    fn sealing_key(&self) -> chacha20poly1305::Key {
        let mut h = Sha256::new();
        h.update(b"charla/secrets/v1\0");
        h.update(self.secret.as_slice());
        h.finalize()
    }

    /// Encrypts a stored secret (a mailbox password) with XChaCha20-Poly1305 under a key
    /// derived from the installation secret: `v1:` + base64(nonce ‖ ciphertext).
    pub fn seal(&self, plaintext: &str) -> Result<String> {
        use base64::Engine;
        use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
        let cipher = chacha20poly1305::XChaCha20Poly1305::new(&self.sealing_key());
        let nonce = chacha20poly1305::XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| ServiceError::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!(
            "v1:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        ))
    }

    /// `seal` with a nonce derived from the plaintext (HMAC under the sealing key), so
    /// the same secret seals to the same text: exports of unchanged data stay identical.
    /// It tells only whether two sealed values are equal. `open` reads it.
    pub fn seal_deterministic(&self, plaintext: &str) -> Result<String> {
        use base64::Engine;
        use chacha20poly1305::aead::{Aead, KeyInit};
        let key = self.sealing_key();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_slice())
            .map_err(|_| ServiceError::Internal("encryption failed".into()))?;
        mac.update(b"charla/secrets/v1/nonce\0");
        mac.update(plaintext.as_bytes());
        let nonce_bytes = mac.finalize().into_bytes();
        let nonce = chacha20poly1305::XNonce::from_slice(&nonce_bytes[..24]);
        let cipher = chacha20poly1305::XChaCha20Poly1305::new(&key);
        let ct = cipher
            .encrypt(nonce, plaintext.as_bytes())
            .map_err(|_| ServiceError::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!(
            "v1:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        ))
    }

    /// Decrypts a value made by `seal`; fails if the installation secret changed.
    pub fn open(&self, sealed: &str) -> Result<String> {
        use base64::Engine;
        use chacha20poly1305::aead::{Aead, KeyInit};
        let bad = || {
            ServiceError::Internal(
                "a stored secret cannot be decrypted: was security.secret_key changed?".into(),
            )
        };
        let raw = sealed.strip_prefix("v1:").ok_or_else(bad)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(raw)
            .map_err(|_| bad())?;
        if bytes.len() < 24 {
            return Err(bad());
        }
        let (nonce, ct) = bytes.split_at(24);
        let cipher = chacha20poly1305::XChaCha20Poly1305::new(&self.sealing_key());
        let pt = cipher
            .decrypt(chacha20poly1305::XNonce::from_slice(nonce), ct)
            .map_err(|_| bad())?;
        String::from_utf8(pt).map_err(|_| bad())
    }

    /// HMAC-SHA256 of `purpose` and `data`, hex-encoded.
    pub fn sign(&self, purpose: &str, data: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            return String::new();
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks a signature made by `sign`, in constant time.
    pub fn verify(&self, purpose: &str, data: &str, sig: &str) -> bool {
        let Ok(sig) = hex::decode(sig) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            return false;
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data.as_bytes());
        mac.verify_slice(&sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = Hasher::new(2);
        let phc = h.hash("correct horse").await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(h.verify("correct horse", Some(&phc)).await.unwrap());
        assert!(!h.verify("wrong horse", Some(&phc)).await.unwrap());
        assert!(
            !h.verify("not a real password", None).await.unwrap(),
            "dummy never matches"
        );
        assert!(!h.verify("x", Some("garbage")).await.unwrap());
    }

    #[test]
    fn deterministic_sealing_repeats_and_opens() {
        let k = Keys::new(b"0123456789abcdef0123456789abcdef");
        let a = k.seal_deterministic("charla_inbox_secret").unwrap();
        assert_eq!(a, k.seal_deterministic("charla_inbox_secret").unwrap());
        assert_ne!(a, k.seal_deterministic("charla_inbox_other").unwrap());
        assert!(!a.contains("secret"));
        assert_eq!(k.open(&a).unwrap(), "charla_inbox_secret");
        let other = Keys::new(b"another key, also 32 characters!");
        assert!(other.open(&a).is_err());
        assert_ne!(a, other.seal_deterministic("charla_inbox_secret").unwrap());
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, b) = (random_token(16), random_token(16));
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
    }

    #[test]
    fn sealed_secrets_round_trip_and_need_the_same_key() {
        let k = Keys::new(b"0123456789abcdef0123456789abcdef");
        let a = k.seal("imap päss").unwrap();
        let b = k.seal("imap päss").unwrap();
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("imap"));
        assert_eq!(k.open(&a).unwrap(), "imap päss");
        assert!(
            Keys::new(b"another key another key another!")
                .open(&a)
                .is_err()
        );
        let mut tampered = a.clone();
        tampered.pop();
        tampered.push(if a.ends_with('A') { 'B' } else { 'A' });
        assert!(k.open(&tampered).is_err());
        assert!(k.open("plain").is_err());
    }

    #[test]
    fn signatures_verify_only_for_same_purpose_and_data() {
        let k = Keys::new(b"0123456789abcdef0123456789abcdef");
        let s = k.sign("csrf", "nonce");
        assert!(k.verify("csrf", "nonce", &s));
        assert!(!k.verify("csrf", "other", &s));
        assert!(!k.verify("invite", "nonce", &s));
        assert!(!k.verify("csrf", "nonce", "zz"));
        assert!(!Keys::new(b"another key another key another!").verify("csrf", "nonce", &s));
    }
}
