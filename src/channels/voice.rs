//! Voice notes as the channels want them. Browsers record Opus inside WebM (Chromium's
//! and Firefox's MediaRecorder), while WhatsApp and Telegram take voice notes only as
//! Opus inside Ogg. The audio itself is already right, so it is remuxed, never
//! re-encoded: the Opus packets are lifted out of the WebM blocks and written into Ogg
//! pages (RFC 7845), their granule positions counted from each packet's TOC byte
//! (RFC 6716 §3.1). Pure: bytes in, bytes out.

use std::fmt;

/// Why a recording could not be remuxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceError {
    /// Not a WebM file, or cut short.
    NotWebm(&'static str),
    /// A WebM file without an Opus audio track.
    NoOpus,
    /// Blocks laced together (MediaRecorder never writes them).
    Laced,
}

impl fmt::Display for VoiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VoiceError::NotWebm(why) => write!(f, "not a WebM recording ({why})"),
            VoiceError::NoOpus => f.write_str("the recording has no Opus audio track"),
            VoiceError::Laced => f.write_str("laced WebM blocks are not supported"),
        }
    }
}

impl std::error::Error for VoiceError {}

/// The Ogg/Opus file holding the Opus audio of a WebM recording.
pub fn webm_opus_to_ogg(webm: &[u8]) -> Result<Vec<u8>, VoiceError> {
    let track = read_webm(webm)?;
    let head = match track.codec_private {
        Some(p) if p.starts_with(b"OpusHead") && p.len() >= 19 => p,
        _ => opus_head(track.channels.unwrap_or(1)),
    };
    let mut ogg = OggWriter::new(serial(webm));
    ogg.page(&[&head], 0, PageFlags::BEGIN);
    ogg.page(&[&opus_tags()], 0, PageFlags::NONE);
    let mut granule: u64 = 0;
    let mut pending: Vec<&[u8]> = Vec::new();
    let mut pending_segments = 0usize;
    let count = track.packets.len();
    for (i, packet) in track.packets.iter().enumerate() {
        let segments = packet.len() / 255 + 1;
        if !pending.is_empty() && pending_segments + segments > 255 {
            ogg.page(&pending, granule, PageFlags::NONE);
            pending.clear();
            pending_segments = 0;
        }
        granule += u64::from(samples(packet));
        pending.push(packet);
        pending_segments += segments;
        // About one page a second of audio keeps seeking cheap, as encoders do.
        let last = i + 1 == count;
        if last || pending_segments >= 50 {
            let flags = if last {
                PageFlags::END
            } else {
                PageFlags::NONE
            };
            ogg.page(&pending, granule, flags);
            pending.clear();
            pending_segments = 0;
        }
    }
    if count == 0 {
        ogg.page(&[], 0, PageFlags::END);
    }
    Ok(ogg.out)
}

/// What the remux needs of the WebM's Opus track.
struct OpusTrack<'a> {
    codec_private: Option<Vec<u8>>,
    channels: Option<u8>,
    packets: Vec<&'a [u8]>,
}

// Matroska element ids (with their length marker bits, as written).
const EBML: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const AUDIO: u32 = 0xE1;
const CHANNELS: u32 = 0x9F;
const CLUSTER: u32 = 0x1F43_B675;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;

/// Elements whose children are read in line: the stream is walked flat, so that the
/// unknown sizes MediaRecorder writes for the segment and its clusters (it streams,
/// and cannot go back to fill them in) need no special case.
const DESCEND: &[u32] = &[SEGMENT, TRACKS, TRACK_ENTRY, AUDIO, CLUSTER, BLOCK_GROUP];

/// A variable-length integer: its value (marker bit removed) and length; `None` value
/// for the reserved "unknown size".
fn vint(b: &[u8], keep_marker: bool) -> Result<(Option<u64>, usize), VoiceError> {
    let first = *b.first().ok_or(VoiceError::NotWebm("cut short"))?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 || b.len() < len {
        return Err(VoiceError::NotWebm("bad length"));
    }
    let mut v = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first) & (0xFF >> len)
    };
    let mut all_ones = v == (0xFF >> len);
    for &x in &b[1..len] {
        v = (v << 8) | u64::from(x);
        all_ones &= x == 0xFF;
    }
    Ok(((keep_marker || !all_ones).then_some(v), len))
}

fn read_webm(b: &[u8]) -> Result<OpusTrack<'_>, VoiceError> {
    if !b.starts_with(&EBML.to_be_bytes()) {
        return Err(VoiceError::NotWebm("no EBML header"));
    }
    let mut at = 0usize;
    let mut tracks: Vec<Entry> = Vec::new();
    let mut entry = Entry::default();
    let mut blocks: Vec<(u64, &[u8])> = Vec::new();
    while at < b.len() {
        let (id, id_len) = vint(&b[at..], true)?;
        let id = id.unwrap_or_default() as u32;
        let (size, size_len) = vint(&b[at + id_len..], false)?;
        let body = at + id_len + size_len;
        if id == TRACK_ENTRY {
            tracks.push(std::mem::take(&mut entry));
        }
        if DESCEND.contains(&id) {
            at = body;
            continue;
        }
        let size = size.ok_or(VoiceError::NotWebm("unknown size"))? as usize;
        let end = body
            .checked_add(size)
            .filter(|&e| e <= b.len())
            .ok_or(VoiceError::NotWebm("cut short"))?;
        let data = &b[body..end];
        match id {
            TRACK_NUMBER => entry.number = Some(uint(data)),
            CODEC_ID => entry.opus = data == b"A_OPUS",
            CODEC_PRIVATE => entry.codec_private = Some(data.to_vec()),
            CHANNELS => entry.channels = u8::try_from(uint(data)).ok(),
            SIMPLE_BLOCK | BLOCK => blocks.push(block(data)?),
            _ => {}
        }
        at = end;
    }
    tracks.push(entry);
    let track = tracks
        .into_iter()
        .find(|t| t.opus && t.number.is_some())
        .ok_or(VoiceError::NoOpus)?;
    let number = track.number.unwrap_or_default();
    let packets = blocks
        .into_iter()
        .filter(|(n, p)| *n == number && !p.is_empty())
        .map(|(_, p)| p)
        .collect();
    Ok(OpusTrack {
        codec_private: track.codec_private,
        channels: track.channels,
        packets,
    })
}

/// One track entry of the WebM, as far as it was read.
#[derive(Default)]
struct Entry {
    number: Option<u64>,
    opus: bool,
    codec_private: Option<Vec<u8>>,
    channels: Option<u8>,
}

fn uint(data: &[u8]) -> u64 {
    data.iter().fold(0, |v, &x| (v << 8) | u64::from(x))
}

/// A block's track number and frame (16-bit relative time and flags skipped).
fn block(data: &[u8]) -> Result<(u64, &[u8]), VoiceError> {
    let (track, len) = vint(data, false)?;
    let flags = *data
        .get(len + 2)
        .ok_or(VoiceError::NotWebm("short block"))?;
    if flags & 0x06 != 0 {
        return Err(VoiceError::Laced);
    }
    Ok((track.unwrap_or_default(), &data[len + 3..]))
}

/// Samples at 48 kHz in one Opus packet, from its TOC byte and frame count.
fn samples(packet: &[u8]) -> u32 {
    let Some(&toc) = packet.first() else {
        return 0;
    };
    let config = toc >> 3;
    let frame: u32 = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        12..=15 => [480, 960][usize::from(config % 2)],
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    };
    let frames: u32 = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => packet.get(1).map_or(0, |c| u32::from(c & 0x3F)),
    };
    frame * frames
}

/// An identification header for a track that carried none: 48 kHz, no pre-skip.
fn opus_head(channels: u8) -> Vec<u8> {
    let mut h = b"OpusHead".to_vec();
    h.push(1);
    h.push(channels.clamp(1, 2));
    h.extend_from_slice(&312u16.to_le_bytes());
    h.extend_from_slice(&48_000u32.to_le_bytes());
    h.extend_from_slice(&0i16.to_le_bytes());
    h.push(0);
    h
}

/// The comment header: who wrote the file, no comments.
fn opus_tags() -> Vec<u8> {
    let vendor = b"charla";
    let mut t = b"OpusTags".to_vec();
    t.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    t.extend_from_slice(vendor);
    t.extend_from_slice(&0u32.to_le_bytes());
    t
}

/// A stream serial number that is the same for the same recording.
fn serial(b: &[u8]) -> u32 {
    crc(&b[..b.len().min(4096)]) ^ b.len() as u32
}

#[derive(Clone, Copy)]
struct PageFlags(u8);

impl PageFlags {
    const NONE: PageFlags = PageFlags(0);
    const BEGIN: PageFlags = PageFlags(2);
    const END: PageFlags = PageFlags(4);
}

struct OggWriter {
    serial: u32,
    sequence: u32,
    out: Vec<u8>,
}

impl OggWriter {
    fn new(serial: u32) -> OggWriter {
        OggWriter {
            serial,
            sequence: 0,
            out: Vec::new(),
        }
    }

    /// One page holding whole `packets` (together under 255 lacing values).
    fn page(&mut self, packets: &[&[u8]], granule: u64, flags: PageFlags) {
        let start = self.out.len();
        self.out.extend_from_slice(b"OggS");
        self.out.push(0);
        self.out.push(flags.0);
        self.out.extend_from_slice(&granule.to_le_bytes());
        self.out.extend_from_slice(&self.serial.to_le_bytes());
        self.out.extend_from_slice(&self.sequence.to_le_bytes());
        self.out.extend_from_slice(&[0; 4]);
        let lacing: Vec<u8> = packets
            .iter()
            .flat_map(|p| {
                let full = p.len() / 255;
                std::iter::repeat_n(255u8, full).chain([(p.len() % 255) as u8])
            })
            .collect();
        self.out.push(lacing.len() as u8);
        self.out.extend_from_slice(&lacing);
        for p in packets {
            self.out.extend_from_slice(p);
        }
        let sum = crc(&self.out[start..]);
        self.out[start + 22..start + 26].copy_from_slice(&sum.to_le_bytes());
        self.sequence += 1;
    }
}

/// Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, starting from 0.
fn crc(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut r = (i as u32) << 24;
            let mut j = 0;
            while j < 8 {
                r = if r & 0x8000_0000 != 0 {
                    (r << 1) ^ 0x04C1_1DB7
                } else {
                    r << 1
                };
                j += 1;
            }
            t[i] = r;
            i += 1;
        }
        t
    };
    data.iter().fold(0u32, |c, &b| {
        (c << 8) ^ TABLE[((c >> 24) as u8 ^ b) as usize]
    })
}

#[cfg(test)]
mod tests;
