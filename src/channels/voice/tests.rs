use super::*;

/// 3.5 s recorded by Chromium's MediaRecorder (`audio/webm;codecs=opus`) from its fake
/// microphone: segment and clusters of unknown size, SimpleBlocks, an OpusHead.
const RECORDING: &[u8] = include_bytes!("../../../tests/fixtures/voice/chromium-opus.webm");

/// One Ogg page as read back: flags, granule, sequence and its packets' bytes.
struct Page {
    flags: u8,
    granule: u64,
    sequence: u32,
    serial: u32,
    lacing: Vec<u8>,
    body: Vec<u8>,
}

/// Reads pages back, checking every page's capture pattern and CRC.
fn pages(mut b: &[u8]) -> Vec<Page> {
    let mut out = Vec::new();
    while !b.is_empty() {
        assert_eq!(&b[..4], b"OggS");
        assert_eq!(b[4], 0, "stream structure version");
        let n = usize::from(b[26]);
        let lacing = b[27..27 + n].to_vec();
        let len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
        let total = 27 + n + len;
        let mut copy = b[..total].to_vec();
        let stored = u32::from_le_bytes(copy[22..26].try_into().unwrap());
        copy[22..26].copy_from_slice(&[0; 4]);
        assert_eq!(crc(&copy), stored, "page CRC");
        out.push(Page {
            flags: b[5],
            granule: u64::from_le_bytes(b[6..14].try_into().unwrap()),
            serial: u32::from_le_bytes(b[14..18].try_into().unwrap()),
            sequence: u32::from_le_bytes(b[18..22].try_into().unwrap()),
            lacing,
            body: b[27 + n..total].to_vec(),
        });
        b = &b[total..];
    }
    out
}

/// The packets of a page (none continues across pages in what we write).
fn packets(p: &Page) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let (mut at, mut cur) = (0usize, Vec::new());
    for &l in &p.lacing {
        cur.extend_from_slice(&p.body[at..at + usize::from(l)]);
        at += usize::from(l);
        if l < 255 {
            out.push(std::mem::take(&mut cur));
        }
    }
    assert!(cur.is_empty(), "a packet continues on the next page");
    out
}

#[test]
fn crc_is_oggs_polynomial_unreflected_from_zero() {
    // The CRC-32/MPEG-2 check value is for init 0xFFFFFFFF; Ogg starts from zero, so
    // check the defining property instead: a message followed by its CRC leaves 0.
    let msg = b"123456789";
    let mut with = msg.to_vec();
    with.extend_from_slice(&crc(msg).to_be_bytes());
    assert_eq!(crc(&with), 0);
    assert_eq!(crc(b""), 0);
    assert_ne!(crc(b"a"), crc(b"b"));
}

#[test]
fn a_chromium_recording_becomes_ogg_opus_with_the_same_packets() {
    let ogg = webm_opus_to_ogg(RECORDING).unwrap();
    let pages = pages(&ogg);
    assert!(pages.len() >= 3);
    // Headers: OpusHead alone on a beginning-of-stream page, then OpusTags.
    assert_eq!(pages[0].flags, 2);
    assert_eq!(packets(&pages[0]), vec![RECORDING_HEAD.to_vec()]);
    assert_eq!(pages[0].granule, 0);
    assert!(packets(&pages[1])[0].starts_with(b"OpusTags"));
    // Audio: every page numbered in order in one stream, the last one ending it.
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(p.sequence, i as u32);
        assert_eq!(p.serial, pages[0].serial);
        assert!(p.lacing.len() <= 255);
    }
    assert_eq!(pages.last().unwrap().flags, 4);
    let audio: Vec<Vec<u8>> = pages[2..].iter().flat_map(packets).collect();
    let track = read_webm(RECORDING).unwrap();
    assert_eq!(audio.len(), track.packets.len());
    assert!(audio.iter().zip(&track.packets).all(|(a, b)| a == b));
    // Granules grow and end at the recording's length: 3.5 s asked of the recorder.
    let granules: Vec<u64> = pages[2..].iter().map(|p| p.granule).collect();
    assert!(granules.windows(2).all(|w| w[0] < w[1]));
    let seconds = *granules.last().unwrap() as f64 / 48_000.0;
    assert!((3.0..4.0).contains(&seconds), "{seconds} s");
    // Remuxed, not re-encoded: the audio bytes are all there, and little else.
    let audio_bytes: usize = audio.iter().map(Vec::len).sum();
    assert!(ogg.len() < audio_bytes + audio_bytes / 10 + 200);
}

/// The OpusHead Chromium wrote into the WebM's CodecPrivate: mono, 48 kHz.
const RECORDING_HEAD: &[u8] = b"OpusHead\x01\x01\x00\x00\x80\xbb\x00\x00\x00\x00\x00";

#[test]
fn toc_bytes_give_each_packets_length() {
    // 20 ms CELT frame (config 31), one frame.
    assert_eq!(samples(&[31 << 3]), 960);
    // 2 frames of 10 ms SILK (config 1... 10 ms is config 0), code 1.
    assert_eq!(samples(&[0x01]), 960);
    // code 3: frame count in the next byte, 3 frames of 60 ms SILK (config 3).
    assert_eq!(samples(&[(3 << 3) | 3, 3]), 3 * 2880);
    // Hybrid 10 ms (config 12), one frame; CELT 2.5 ms (config 16).
    assert_eq!(samples(&[12 << 3]), 480);
    assert_eq!(samples(&[16 << 3]), 120);
    assert_eq!(samples(&[]), 0);
}

#[test]
fn large_packets_are_laced_across_segments() {
    let mut w = OggWriter::new(7);
    let big = vec![9u8; 600];
    w.page(&[&big, &[1, 2]], 960, PageFlags::END);
    let p = &pages(&w.out)[0];
    assert_eq!(p.lacing, vec![255, 255, 90, 2]);
    assert_eq!(packets(p), vec![big, vec![1, 2]]);
    // A packet of exactly 255 bytes ends with a zero lacing value.
    let mut w = OggWriter::new(7);
    w.page(&[&[3u8; 255]], 0, PageFlags::NONE);
    assert_eq!(pages(&w.out)[0].lacing, vec![255, 0]);
}

#[test]
fn what_is_not_a_webm_opus_recording_is_refused_with_the_reason() {
    assert_eq!(
        webm_opus_to_ogg(b"%PDF-1.7"),
        Err(VoiceError::NotWebm("no EBML header"))
    );
    assert_eq!(
        webm_opus_to_ogg(&[]),
        Err(VoiceError::NotWebm("no EBML header"))
    );
    // Cut in the middle of an element: refused, never a panic.
    for cut in [10, 40, 120, 170, RECORDING.len() - 3] {
        let r = webm_opus_to_ogg(&RECORDING[..cut]);
        assert!(
            matches!(
                r,
                Err(VoiceError::NotWebm(_)) | Err(VoiceError::NoOpus) | Ok(_)
            ),
            "{cut}: {r:?}"
        );
    }
    // A WebM whose only track is not Opus.
    let vorbis: Vec<u8> = RECORDING
        .windows(6)
        .position(|w| w == b"A_OPUS")
        .map(|at| {
            let mut v = RECORDING.to_vec();
            v[at..at + 6].copy_from_slice(b"A_VORB");
            v
        })
        .unwrap();
    assert_eq!(webm_opus_to_ogg(&vorbis), Err(VoiceError::NoOpus));
}

#[test]
fn every_prefix_of_a_recording_is_handled_without_panicking() {
    for cut in 0..RECORDING.len().min(4000) {
        let _ = webm_opus_to_ogg(&RECORDING[..cut]);
    }
}
