//! Files of sent messages on the channels that are not mail: a signed, expiring download
//! link per file (`/f/{conv}/{msg}/{index}?exp=…&sig=…`, an HMAC under the installation
//! secret over all four), which API webhooks and SMS carry and WhatsApp and Messenger
//! fetch; and the check, when the agent sends, that every file can go on the channel.

use super::crypto::Keys;
use super::{AttachmentFile, Result, ServiceError, Services};
use crate::channels::seam::{FileRefusal, MediaKind};
use crate::domain::Inbox;
use crate::domain::conversation::{ConversationId, MessageId};
use crate::domain::message::{AttachmentMeta, Direction, Message};
use std::sync::Arc;

/// What the links' signatures are made for (no other signature of the secret fits).
const PURPOSE: &str = "file-link";

/// A reply with files where no link to them can be made.
pub const FILES_NEED_PUBLIC_URL: &str = "files go on this channel as download links, and \
     server.public_url is not set: set it to the address customers reach Charla at";

/// Files with an approved template, which carries only its own header's file.
pub const FILES_NOT_WITH_TEMPLATE: &str = "an approved template goes without files: send \
     them in a reply once the customer writes back";

/// The signed data: which file of which message, and until when (Unix seconds).
fn signed_data(conv: u64, msg: u64, index: usize, exp: i64) -> String {
    format!("{conv}/{msg}/{index}/{exp}")
}

/// The path and query of the link to file `index` of message `msg`, valid until `exp`
/// (Unix seconds).
pub fn link_path(keys: &Keys, conv: u64, msg: u64, index: usize, exp: i64) -> String {
    let sig = keys.sign(PURPOSE, &signed_data(conv, msg, index, exp));
    format!("/f/{conv}/{msg}/{index}?exp={exp}&sig={sig}")
}

/// What a link's signature and expiry say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkCheck {
    Good,
    /// Not signed by us for this file and time (tampered, or another installation's).
    Wrong,
    /// Signed by us, but its time has passed.
    Expired,
}

/// Checks a link's signature (in constant time), then its expiry against `now_secs`.
pub fn check_link(
    keys: &Keys,
    (conv, msg, index): (u64, u64, usize),
    exp: i64,
    sig: &str,
    now_secs: i64,
) -> LinkCheck {
    if !keys.verify(PURPOSE, &signed_data(conv, msg, index, exp), sig) {
        LinkCheck::Wrong
    } else if exp <= now_secs {
        LinkCheck::Expired
    } else {
        LinkCheck::Good
    }
}

/// One line per file for a text-only channel: its name, then its link. A name with
/// characters outside the GSM 7-bit alphabet would turn the whole SMS into UCS-2 (70
/// characters a segment instead of 160), so when the text itself is plain GSM, such
/// characters in names become `_`.
pub fn link_lines(text: &str, files: &[(&str, &str)]) -> String {
    let plain = text.chars().all(gsm7);
    files
        .iter()
        .map(|(name, url)| {
            let name: String = if plain {
                name.chars()
                    .map(|c| if gsm7(c) { c } else { '_' })
                    .collect()
            } else {
                (*name).to_string()
            };
            format!("{name}: {url}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text and its file lines, as one SMS body.
pub fn with_links(text: &str, files: &[(&str, &str)]) -> String {
    let lines = link_lines(text, files);
    match (text.trim().is_empty(), lines.is_empty()) {
        (_, true) => text.to_string(),
        (true, false) => lines,
        (false, false) => format!("{}\n\n{lines}", text.trim_end()),
    }
}

/// The GSM 03.38 basic character set (what an SMS carries at 160 characters a segment;
/// the extension table's characters count double and are left out here).
fn gsm7(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || " \n\r@$_!\"#%&'()*+,-./:;<=>?¡£¥§¿ÄÅÆÇÉÑÖØÜßàäåæèéìñòöøùüΔΦΓΛΩΠΨΣΘΞ".contains(c)
}

/// A channel's name for refusals.
fn channel_name(inbox: &Inbox) -> &'static str {
    use crate::domain::messaging::Provider;
    match inbox.messaging.as_ref().map(|m| m.provider) {
        Some(Provider::WhatsAppCloud) => "WhatsApp",
        Some(Provider::Messenger) => "Messenger",
        Some(Provider::Telegram) => "Telegram",
        Some(Provider::Twilio) => "SMS",
        None => "API",
    }
}

/// A file a channel cannot carry, found when the agent sends: nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFileRefused {
    pub file: String,
    pub channel: &'static str,
    pub why: FileRefusal,
}

impl std::fmt::Display for ChannelFileRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.why {
            FileRefusal::Type => write!(
                f,
                "{} cannot be sent on {}: the channel does not carry this type of file; nothing was sent",
                self.file, self.channel
            ),
            FileRefusal::TooLarge(limit) => write!(
                f,
                "{} cannot be sent on {}: it is larger than the {} the channel carries; nothing was sent",
                self.file,
                self.channel,
                crate::domain::message::human_size(limit)
            ),
        }
    }
}

/// A file of a sent message as it goes out: its place among the message's files, what
/// it is, the kind it goes as, and its signed link (when one can be made).
#[derive(Debug, Clone)]
pub struct SentFile {
    pub index: usize,
    pub meta: AttachmentMeta,
    pub url: Option<String>,
}

/// Why a link serves nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefused {
    /// 403: not our signature.
    Wrong,
    /// 410: expired.
    Expired,
    /// 404: the file is gone (or never was).
    NotFound,
}

impl Services {
    /// The origin links are made on: `server.public_url`, else (messaging inboxes) the
    /// address the admin saved the inbox from, which the provider already reaches.
    pub fn file_link_base(&self, inbox: &Inbox) -> Option<String> {
        if !self.public_url.is_empty() {
            return Some(self.public_url.clone());
        }
        inbox
            .messaging
            .as_ref()
            .map(|m| m.webhook_base.trim_end_matches('/').to_string())
            .filter(|b| b.starts_with("http"))
    }

    /// The files of `msg` with their links, valid for `inbox.file_link_ttl_hours` from now.
    pub fn sent_files(&self, inbox: &Inbox, msg: &Message) -> Vec<SentFile> {
        let base = self.file_link_base(inbox);
        let exp = self.clock.now().0 / 1000 + self.settings.file_link_ttl_secs;
        msg.attachments
            .iter()
            .enumerate()
            .filter(|(_, a)| a.stored && !a.inline)
            .map(|(index, a)| SentFile {
                index,
                meta: a.clone(),
                url: base.as_ref().map(|b| {
                    let path = link_path(&self.keys, msg.conversation_id.0, msg.id.0, index, exp);
                    format!("{b}{path}")
                }),
            })
            .collect()
    }

    /// The file a signed link names, when its signature and time are good: only files of
    /// messages that went to the customer.
    pub async fn linked_file(
        &self,
        (conv, msg, index): (u64, u64, usize),
        exp: i64,
        sig: &str,
    ) -> std::result::Result<AttachmentFile, LinkRefused> {
        let now = self.clock.now().0 / 1000;
        match check_link(&self.keys, (conv, msg, index), exp, sig, now) {
            LinkCheck::Wrong => return Err(LinkRefused::Wrong),
            LinkCheck::Expired => return Err(LinkRefused::Expired),
            LinkCheck::Good => {}
        }
        let (c, m) = (ConversationId(conv), MessageId(msg));
        let message = self
            .store
            .message(c, m)
            .ok()
            .flatten()
            .filter(|x| x.direction == Direction::Outbound)
            .ok_or(LinkRefused::NotFound)?;
        self.file_of(c, &message, index)
            .await
            .map_err(|_| LinkRefused::NotFound)
    }

    /// Whether every file of a reply can go on `inbox`'s messaging channel, checked
    /// before anything is stored: the channel's types and sizes for native media, a
    /// public address for links. For a channel that carries links in the text, the
    /// answer is the characters they add under it (in their longest form), for the
    /// channel's length limit; otherwise 0.
    pub(super) fn check_channel_files(
        &self,
        inbox: &Inbox,
        files: &[AttachmentMeta],
    ) -> Result<usize> {
        if files.is_empty() {
            return Ok(0);
        }
        let provider = match inbox.messaging {
            Some(_) => Some(self.provider(inbox)?),
            None => None,
        };
        // Every file goes by its link, unless the channel uploads it.
        let base = match provider.as_ref().is_some_and(|p| p.uploads_files()) {
            true => String::new(),
            false => self
                .file_link_base(inbox)
                .ok_or(ServiceError::Conflict(FILES_NEED_PUBLIC_URL))?,
        };
        if provider.as_ref().is_none_or(|p| p.files_as_links()) {
            // The longest a link can be: 20-digit ids, a 64-digit signature.
            let url = format!(
                "{base}/f/{n}/{n}/{i}?exp={e}&sig={s}",
                n = u64::MAX,
                i = files.len(),
                e = i64::MAX,
                s = "0".repeat(64)
            );
            let pairs: Vec<(&str, &str)> = files
                .iter()
                .map(|f| (f.filename.as_str(), url.as_str()))
                .collect();
            // What the lines and their separator add under a text.
            return Ok(with_links("x", &pairs).chars().count() - 1);
        }
        for f in files.iter().filter(|_| provider.is_some()) {
            let Some(provider) = provider.as_ref() else {
                break;
            };
            provider
                .media_kind(&f.mime, f.size, f.voice)
                .map_err(|why| {
                    ServiceError::ChannelFile(ChannelFileRefused {
                        file: f.filename.clone(),
                        channel: channel_name(inbox),
                        why,
                    })
                })?;
        }
        Ok(0)
    }

    /// The kind a sent file goes as on `inbox`'s channel (checked at send time; a
    /// file that no longer fits fails here with the same words).
    pub(super) fn sent_file_kind(
        &self,
        inbox: &Inbox,
        provider: &dyn crate::channels::provider::Provider,
        f: &AttachmentMeta,
    ) -> std::result::Result<MediaKind, String> {
        provider
            .media_kind(&f.mime, f.size, f.voice)
            .map_err(|why| {
                ChannelFileRefused {
                    file: f.filename.clone(),
                    channel: channel_name(inbox),
                    why,
                }
                .to_string()
            })
    }
}

/// One piece of a multipart upload's body.
enum Piece {
    Bytes(Vec<u8>),
    Blob(ConversationId, u64),
}

/// An upload's chunks, a page (about 1 MB) at a time, read on the blocking pool as the
/// request (or download) takes them.
pub(crate) fn blob_pages(
    store: Arc<crate::store::Store>,
    conv: ConversationId,
    upload: u64,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static {
    use crate::store::PAGE_CHUNKS;
    futures_util::stream::unfold(Some(0u32), move |next| {
        let store = store.clone();
        async move {
            let from = next?;
            let page = tokio::task::spawn_blocking(move || {
                store.blob_chunks(conv, upload, from, PAGE_CHUNKS)
            })
            .await;
            match page {
                Ok(Ok(p)) => {
                    let more = (p.len() == PAGE_CHUNKS).then(|| from + PAGE_CHUNKS as u32);
                    Some((Ok(p.concat()), more))
                }
                Ok(Err(e)) => Some((Err(std::io::Error::other(e.to_string())), None)),
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
            }
        }
    })
}

impl Services {
    /// The body of a multipart request whose files the provider only named: its text
    /// parts, each file's head, its bytes streamed from the store page by page (one
    /// page in memory at a time, whatever the file's size), and the closing boundary;
    /// with its length, so it goes with a `Content-Length`.
    pub fn upload_body(
        &self,
        req: &crate::channels::http::HttpRequest,
    ) -> std::result::Result<(reqwest::Body, u64), String> {
        use futures_util::StreamExt;
        let mut pieces = vec![Piece::Bytes(req.body.clone())];
        let mut len = req.body.len() as u64;
        for f in &req.files {
            let mut ids = f.locator.split('/').map(str::parse::<u64>);
            let (Some(Ok(c)), Some(Ok(m)), Some(Ok(i))) = (ids.next(), ids.next(), ids.next())
            else {
                return Err(format!("{} names no stored file", f.locator));
            };
            let (conv, msg) = (ConversationId(c), MessageId(m));
            let message = self
                .store
                .message(conv, msg)
                .map_err(|e| e.to_string())?
                .ok_or("the message no longer exists")?;
            let (size, upload) = message
                .attachments
                .get(i as usize)
                .and_then(|a| Some((a.size, a.blob?)))
                .ok_or("the file is no longer stored")?;
            let head = f.head();
            len += head.len() as u64 + size + 2;
            pieces.push(Piece::Bytes(head));
            pieces.push(Piece::Blob(conv, upload));
            pieces.push(Piece::Bytes(b"\r\n".to_vec()));
        }
        let tail = crate::channels::http::MULTIPART_TAIL;
        len += tail.len() as u64;
        pieces.push(Piece::Bytes(tail.to_vec()));
        let store = self.store.clone();
        let stream = futures_util::stream::iter(pieces).flat_map(move |p| match p {
            Piece::Bytes(b) => futures_util::stream::once(async move { Ok(b) }).boxed(),
            Piece::Blob(conv, upload) => blob_pages(store.clone(), conv, upload).boxed(),
        });
        Ok((reqwest::Body::wrap_stream(stream), len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new(b"0123456789abcdef0123456789abcdef")
    }

    fn parts(path: &str) -> (String, i64, String) {
        let (p, q) = path.split_once('?').unwrap();
        let q: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap();
        (p.to_string(), q[0].1.parse().unwrap(), q[1].1.clone())
    }

    #[test]
    fn a_link_names_its_file_and_is_good_until_it_expires() {
        let k = keys();
        let path = link_path(&k, 7, 42, 1, 1_000);
        let (p, exp, sig) = parts(&path);
        assert_eq!(p, "/f/7/42/1");
        assert_eq!(exp, 1_000);
        assert_eq!(sig.len(), 64);
        assert_eq!(check_link(&k, (7, 42, 1), exp, &sig, 999), LinkCheck::Good);
        assert_eq!(
            check_link(&k, (7, 42, 1), exp, &sig, 1_000),
            LinkCheck::Expired
        );
    }

    #[test]
    fn a_changed_file_time_or_key_breaks_the_signature() {
        let k = keys();
        let (_, exp, sig) = parts(&link_path(&k, 7, 42, 1, 1_000));
        for (target, e) in [
            ((8, 42, 1), exp),
            ((7, 43, 1), exp),
            ((7, 42, 0), exp),
            ((7, 42, 1), exp + 1),
        ] {
            assert_eq!(check_link(&k, target, e, &sig, 0), LinkCheck::Wrong);
        }
        // An expired link with a wrong signature is wrong, not merely expired.
        assert_eq!(
            check_link(&k, (7, 42, 1), exp + 1, &sig, 5_000),
            LinkCheck::Wrong
        );
        let other = Keys::new(b"another secret, another installation");
        assert_eq!(
            check_link(&other, (7, 42, 1), exp, &sig, 0),
            LinkCheck::Wrong
        );
        assert_eq!(check_link(&k, (7, 42, 1), exp, "zz", 0), LinkCheck::Wrong);
        assert_eq!(check_link(&k, (7, 42, 1), exp, "", 0), LinkCheck::Wrong);
    }

    #[test]
    fn sms_lines_name_each_file_and_keep_plain_text_in_gsm() {
        let files = [
            ("Factura ñ.pdf", "https://x/f/1"),
            ("foto 😀.png", "https://x/f/2"),
        ];
        assert_eq!(
            with_links("Here you are", &files),
            "Here you are\n\nFactura ñ.pdf: https://x/f/1\nfoto _.png: https://x/f/2"
        );
        // Text that is UCS-2 already: names stay as they are.
        assert_eq!(
            with_links("Aquí 😀", &files[1..]),
            "Aquí 😀\n\nfoto 😀.png: https://x/f/2"
        );
        assert_eq!(with_links("", &files[..1]), "Factura ñ.pdf: https://x/f/1");
        assert_eq!(with_links("Only text", &[]), "Only text");
    }
}
