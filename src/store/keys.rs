//! Key encoding. Fixed-width big-endian integers first, variable UTF-8 last, parts
//! separated by 0xFF (a byte that never occurs in UTF-8), so byte order is the order we
//! want: numeric for numbers, newest-last for timestamps (iterate `.rev()` for newest
//! first).

/// The separator between variable-length parts.
pub const SEP: u8 = 0xFF;

/// A u64 as 8 big-endian bytes.
pub fn u64_be(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Reads a big-endian u64 from the first 8 bytes of `b`.
pub fn read_u64(b: &[u8]) -> Option<u64> {
    let a: [u8; 8] = b.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(a))
}

/// A signed time (ms) mapped to u64 so that byte order equals numeric order, negatives
/// included (flip the sign bit).
pub fn time_be(ms: i64) -> [u8; 8] {
    ((ms as u64) ^ (1u64 << 63)).to_be_bytes()
}

/// The inverse of `time_be`.
pub fn read_time(b: &[u8]) -> Option<i64> {
    read_u64(b).map(|u| (u ^ (1u64 << 63)) as i64)
}

/// Key of a record by numeric id.
pub fn id(id: u64) -> [u8; 8] {
    u64_be(id)
}

/// `a · b`: two fixed-width ids (for example agent · token).
pub fn id_pair(a: u64, b: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&a.to_be_bytes());
    k[8..].copy_from_slice(&b.to_be_bytes());
    k
}

/// `id · bytes`: an id followed by a fixed-width hash.
pub fn id_hash(id: u64, hash: &[u8; 32]) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..8].copy_from_slice(&id.to_be_bytes());
    k[8..].copy_from_slice(hash);
    k
}

/// Audit key: time then id, so entries sort by time and never collide.
pub fn time_id(ms: i64, id: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&time_be(ms));
    k[8..].copy_from_slice(&id.to_be_bytes());
    k
}

/// A chunk of a stored message part: conversation · message · part · chunk. A
/// conversation's parts are one prefix (deleted together), a part's chunks one range.
pub fn part_chunk(conv: u64, msg: u64, part: u32, chunk: u32) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..20].copy_from_slice(&part_prefix(conv, msg, part));
    k[20..].copy_from_slice(&chunk.to_be_bytes());
    k
}

/// Conversation · message · part: the prefix of one part's chunks.
pub fn part_prefix(conv: u64, msg: u64, part: u32) -> [u8; 20] {
    let mut k = [0u8; 20];
    k[..16].copy_from_slice(&id_pair(conv, msg));
    k[16..].copy_from_slice(&part.to_be_bytes());
    k
}

/// A chunk of an uploaded file: conversation · upload · chunk. A conversation's blobs
/// are one prefix, an upload's chunks one range (`id_pair(conv, upload)`).
pub fn blob_chunk(conv: u64, upload: u64, chunk: u32) -> [u8; 20] {
    let mut k = [0u8; 20];
    k[..16].copy_from_slice(&id_pair(conv, upload));
    k[16..].copy_from_slice(&chunk.to_be_bytes());
    k
}

/// An unclaimed upload in time order: time · conversation · upload.
pub fn upload_due(ms: i64, conv: u64, upload: u64) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..8].copy_from_slice(&time_be(ms));
    k[8..].copy_from_slice(&id_pair(conv, upload));
    k
}

/// Key of a lease: its name (the whole key, so no separator).
pub fn lease(name: &str) -> &[u8] {
    name.as_bytes()
}

/// `text · SEP`: a variable part that may be followed by more parts.
pub fn text(s: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(s.len() + 1);
    k.extend_from_slice(s.as_bytes());
    k.push(SEP);
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn u64_byte_order_is_numeric_order(a: u64, b: u64) {
            prop_assert_eq!(u64_be(a).cmp(&u64_be(b)), a.cmp(&b));
            prop_assert_eq!(read_u64(&u64_be(a)), Some(a));
        }

        #[test]
        fn time_byte_order_is_numeric_order(a: i64, b: i64) {
            prop_assert_eq!(time_be(a).cmp(&time_be(b)), a.cmp(&b));
            prop_assert_eq!(read_time(&time_be(a)), Some(a));
        }

        #[test]
        fn pair_order_is_lexicographic_numeric(a1: u64, b1: u64, a2: u64, b2: u64) {
            prop_assert_eq!(id_pair(a1, b1).cmp(&id_pair(a2, b2)), (a1, b1).cmp(&(a2, b2)));
        }

        #[test]
        fn time_id_orders_by_time_then_id(t1: i64, i1: u64, t2: i64, i2: u64) {
            prop_assert_eq!(time_id(t1, i1).cmp(&time_id(t2, i2)), (t1, i1).cmp(&(t2, i2)));
        }

        #[test]
        fn part_chunks_sort_by_conversation_message_part_chunk(
            a in any::<(u64, u64, u32, u32)>(), b in any::<(u64, u64, u32, u32)>()
        ) {
            prop_assert_eq!(
                part_chunk(a.0, a.1, a.2, a.3).cmp(&part_chunk(b.0, b.1, b.2, b.3)),
                a.cmp(&b)
            );
            prop_assert!(part_chunk(a.0, a.1, a.2, a.3).starts_with(&part_prefix(a.0, a.1, a.2)));
            prop_assert!(part_chunk(a.0, a.1, a.2, a.3).starts_with(&id(a.0)));
        }

        #[test]
        fn text_prefix_never_collides(a in "\\PC{0,8}", b in "\\PC{0,8}") {
            // "ab"+SEP must not be a prefix of "abc"+SEP unless equal: SEP never occurs in UTF-8.
            let (ka, kb) = (text(&a), text(&b));
            prop_assert_eq!(kb.starts_with(&ka), a == b);
        }
    }

    #[test]
    fn negative_times_sort_before_positive() {
        assert!(time_be(-1) < time_be(0));
        assert!(time_be(i64::MIN) < time_be(i64::MAX));
    }
}
