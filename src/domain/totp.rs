//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA-1, 6 digits, 30 s
//! steps, a code accepted one step either side of now; and the one-time recovery codes
//! that stand in for a lost authenticator.

use super::clock::Timestamp;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation for SHA-1).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes handed out at a time.
pub const RECOVERY_CODES: usize = 10;
/// Letters of a recovery code: no 0/o, 1/l/i to misread.
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Letters per recovery code (shown as two groups of five).
pub const RECOVERY_LEN: usize = 10;

/// The step `at` falls in (Unix time / 30 s).
pub fn step_at(at: Timestamp) -> u64 {
    u64::try_from(at.0.div_euclid(1000).div_euclid(STEP_SECS)).unwrap_or(0)
}

/// RFC 4226's HOTP value of `counter`, truncated to [`DIGITS`] digits.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    bin % 10u32.pow(DIGITS as u32)
}

/// The code of `step`, zero-padded.
pub fn code(secret: &[u8], step: u64) -> String {
    format!("{:0width$}", hotp(secret, step), width = DIGITS)
}

/// The step whose code `typed` is, among now's and its neighbours, and only if later
/// than `last_used` (a code is never accepted twice). Spaces are ignored. (Codes are
/// compared as numbers: one machine comparison, whatever digits differ.)
pub fn matching_step(secret: &[u8], typed: &str, now: Timestamp, last_used: u64) -> Option<u64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = typed.parse().ok()?;
    let now = step_at(now);
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .filter(|s| *s > last_used)
        .find(|s| hotp(secret, *s) == typed)
}

/// A secret as authenticator apps take it: base32 (RFC 4648), no padding.
pub fn encode_secret(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// A secret back from base32, ignoring spaces and case.
pub fn decode_secret(b32: &str) -> Option<Vec<u8>> {
    let clean: String = b32
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    data_encoding::BASE32_NOPAD.decode(clean.as_bytes()).ok()
}

/// The base32 secret in groups of four, for typing it in by hand.
pub fn grouped(b32: &str) -> String {
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, b32: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        escape(issuer),
        escape(account),
        escape(issuer)
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A recovery code as shown: `abcde-fghjk`.
pub fn show_recovery(code: &str) -> String {
    let (a, b) = code.split_at(code.len() / 2);
    format!("{a}-{b}")
}

/// A typed recovery code as stored: lower case, without spaces and dashes; `None` when
/// it cannot be one.
pub fn normalize_recovery(typed: &str) -> Option<String> {
    let s: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (s.len() == RECOVERY_LEN && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn hotp_matches_rfc_4226_appendix_d() {
        let want = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, w) in want.into_iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64), w, "counter {counter}");
        }
    }

    #[test]
    fn totp_matches_rfc_6238_sha1_vectors_last_six_digits() {
        // RFC 6238 appendix B (8 digits there; a 6-digit code is the same value mod 10^6).
        for (secs, eight) in [
            (59i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = step_at(Timestamp(secs * 1000));
            assert_eq!(code(RFC_SECRET, step), &eight[2..], "t={secs}");
        }
    }

    #[test]
    fn one_step_either_side_and_never_twice() {
        let now = Timestamp(1_780_000_000_000);
        let s = step_at(now);
        for d in [s - 1, s, s + 1] {
            assert_eq!(
                matching_step(RFC_SECRET, &code(RFC_SECRET, d), now, 0),
                Some(d)
            );
        }
        assert_eq!(
            matching_step(RFC_SECRET, &code(RFC_SECRET, s - 2), now, 0),
            None
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code(RFC_SECRET, s + 2), now, 0),
            None
        );
        // Used already: the same step, or an earlier one, is refused.
        assert_eq!(
            matching_step(RFC_SECRET, &code(RFC_SECRET, s), now, s),
            None
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code(RFC_SECRET, s - 1), now, s),
            None
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code(RFC_SECRET, s + 1), now, s),
            Some(s + 1)
        );
        let spaced = format!(
            "{} {}",
            &code(RFC_SECRET, s)[..3],
            &code(RFC_SECRET, s)[3..]
        );
        assert_eq!(matching_step(RFC_SECRET, &spaced, now, 0), Some(s));
        for bad in ["", "12345", "1234567", "abcdef", "12345x"] {
            assert_eq!(matching_step(RFC_SECRET, bad, now, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn secrets_round_trip_through_base32() {
        let b32 = encode_secret(RFC_SECRET);
        assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            decode_secret(&grouped(&b32).to_lowercase()).unwrap(),
            RFC_SECRET
        );
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert!(decode_secret("not base32!").is_none());
    }

    #[test]
    fn otpauth_uri_escapes_its_label() {
        assert_eq!(
            otpauth_uri("Charla", "ana+x@example.com", "ABC"),
            "otpauth://totp/Charla:ana%2Bx%40example.com?secret=ABC&issuer=Charla&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_are_read_forgivingly() {
        assert_eq!(show_recovery("abcdefghjk"), "abcde-fghjk");
        assert_eq!(
            normalize_recovery(" ABCDE-fghjk ").as_deref(),
            Some("abcdefghjk")
        );
        for bad in ["abcde-fghj", "abcde-fghjkm", "abcde-fghj1", "abcdefghjo"] {
            assert_eq!(normalize_recovery(bad), None, "{bad:?}");
        }
    }
}
