//! An IMAP client for polling: connect (plain, STARTTLS or TLS) through the address
//! policy, log in, select a folder, list UIDs after a cursor and fetch bodies with
//! `BODY.PEEK[]` (never touching `\Seen`). Errors say which step failed, for "Test
//! connection" and the poller's health, in our words: a server's own text is quoted
//! only from a tagged NO or BAD answer, cleaned and short, never whatever else the peer
//! sent (a port that is not IMAP would otherwise have its bytes shown to people).

use super::guard::{AddressPolicy, ConnectError};
use super::net::{self, Conn};
use crate::domain::email::Security;
use async_imap::imap_proto::{Response, Status};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Longest server text quoted in an error.
const WORDS: usize = 120;

/// Which step of talking to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The address policy refused the server's address; nothing was connected to.
    #[error("{0}")]
    Address(String),
    #[error("cannot resolve {0}")]
    Dns(String),
    #[error("cannot connect to {0}")]
    Connect(String),
    #[error("TLS failed: {0}")]
    Tls(String),
    /// The server refused the login; its own words when it gave some.
    #[error("authentication failed: {}", .0.as_deref().unwrap_or("the server refused the user name or password"))]
    Auth(Option<String>),
    #[error("folder {folder:?} cannot be opened{}", words.as_deref().map(|w| format!(": {w}")).unwrap_or_default())]
    Folder {
        folder: String,
        words: Option<String>,
    },
    /// What we expected and did not get (fixed words; the peer's bytes are not quoted).
    #[error("the server did not answer as an IMAP server ({0})")]
    Protocol(&'static str),
    #[error("the server did not answer within {0} s")]
    Timeout(u64),
    /// A command on an open session failed: which, and the server's words or what
    /// happened to the connection.
    #[error("{command} failed{}", what.as_deref().map(|w| format!(": {w}")).unwrap_or_default())]
    Command {
        command: &'static str,
        what: Option<String>,
    },
}

impl ImapError {
    fn connecting(host: &str, port: u16, e: ConnectError) -> ImapError {
        match e {
            ConnectError::Refused(r @ super::guard::Refused::Private { .. }) => {
                ImapError::Address(r.to_string())
            }
            ConnectError::Refused(r) => ImapError::Dns(r.to_string()),
            ConnectError::Io(e) => ImapError::Connect(format!("{host}:{port}: {e}")),
        }
    }
}

/// The server's own words in a tagged NO or BAD answer, cleaned and short. async-imap
/// words those as `code: …, info: Some("…")`; any other error (I/O, a parse failure
/// that carries the raw bytes) has no words to quote.
fn refusal_words(e: &async_imap::error::Error) -> Option<String> {
    const INFO: &str = "info: Some(\"";
    let (async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text)) = e else {
        return None;
    };
    let i = text.find(INFO)? + INFO.len();
    let words = text[i..].strip_suffix("\")")?.replace("\\\"", "\"");
    Some(net::excerpt(&words, WORDS)).filter(|w| !w.is_empty())
}

/// A failed command on an open session. I/O errors are named by their kind only: a
/// parse failure travels as an I/O error quoting the raw bytes.
fn failed(command: &'static str, e: &async_imap::error::Error) -> ImapError {
    use async_imap::error::Error;
    let what = match e {
        Error::No(_) | Error::Bad(_) => refusal_words(e),
        Error::ConnectionLost => Some("the connection was lost".into()),
        Error::Io(io) if io.kind() != std::io::ErrorKind::Other => Some(io.kind().to_string()),
        _ => Some("the server's answer was not understood".into()),
    };
    ImapError::Command { command, what }
}

/// Where and as whom to connect.
pub struct Account<'a> {
    pub host: &'a str,
    pub port: u16,
    pub security: Security,
    pub username: &'a str,
    pub password: &'a str,
    pub folder: &'a str,
}

impl<'a> Account<'a> {
    /// An email inbox's IMAP side, with its password already opened.
    pub fn of(settings: &'a crate::domain::email::EmailSettings, password: &'a str) -> Self {
        Account {
            host: &settings.imap.host,
            port: settings.imap.port,
            security: settings.imap.security,
            username: &settings.imap.username,
            password,
            folder: &settings.folder,
        }
    }
}

/// A logged-in session with a folder selected.
pub struct Mailbox {
    session: async_imap::Session<Conn>,
    pub uidvalidity: u32,
    pub exists: u32,
    /// The server offers IDLE (RFC 2177): new mail is pushed instead of polled for.
    pub idle: bool,
    folder: String,
    timeout: Duration,
}

/// Why [`Mailbox::idle`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// The server reported a change (new mail, expunge, flags).
    Changed,
    /// Nothing happened within the wait.
    Quiet,
}

async fn timed<T>(t: Duration, f: impl std::future::Future<Output = T>) -> Result<T, ImapError> {
    tokio::time::timeout(t, f)
        .await
        .map_err(|_| ImapError::Timeout(t.as_secs()))
}

async fn tls(host: &str, tcp: TcpStream) -> Result<Conn, ImapError> {
    net::tls(host, tcp).await.map_err(ImapError::Tls)
}

/// Reads the server's greeting; only `* OK` (or `* PREAUTH`) lets the login go on, so a
/// password is never sent to something that did not greet us as IMAP.
async fn greeting(c: &mut async_imap::Client<Conn>, timeout: Duration) -> Result<(), ImapError> {
    let r = timed(timeout, c.read_response())
        .await?
        .map_err(|_| ImapError::Protocol("no IMAP greeting"))?
        .ok_or(ImapError::Protocol(
            "the connection closed before a greeting",
        ))?;
    match r.parsed() {
        Response::Data {
            status: Status::Ok | Status::PreAuth,
            ..
        } => Ok(()),
        _ => Err(ImapError::Protocol("no IMAP greeting")),
    }
}

/// Connects through the address policy, logs in and selects the folder.
pub async fn open(
    a: &Account<'_>,
    policy: AddressPolicy,
    timeout: Duration,
) -> Result<Mailbox, ImapError> {
    let tcp = timed(timeout, policy.connect(a.host, a.port))
        .await?
        .map_err(|e| ImapError::connecting(a.host, a.port, e))?;
    open_on(tcp, a, timeout).await
}

/// Logs in and selects the folder on a connection the address policy made.
pub async fn open_on(
    tcp: TcpStream,
    a: &Account<'_>,
    timeout: Duration,
) -> Result<Mailbox, ImapError> {
    let client = match a.security {
        Security::None => {
            let mut c = async_imap::Client::new(Conn::Plain(tcp));
            greeting(&mut c, timeout).await?;
            c
        }
        Security::Tls => {
            let mut c = async_imap::Client::new(timed(timeout, tls(a.host, tcp)).await??);
            greeting(&mut c, timeout).await?;
            c
        }
        Security::StartTls => {
            // Read the greeting and upgrade by hand, then give async-imap the TLS stream.
            let mut r = BufReader::new(tcp);
            let mut line = String::new();
            timed(timeout, r.read_line(&mut line))
                .await?
                .map_err(|_| ImapError::Protocol("no IMAP greeting"))?;
            if !line.starts_with("* OK") {
                return Err(ImapError::Protocol("no IMAP greeting"));
            }
            r.get_mut()
                .write_all(b"a0 STARTTLS\r\n")
                .await
                .map_err(|e| ImapError::Connect(e.to_string()))?;
            loop {
                line.clear();
                timed(timeout, r.read_line(&mut line))
                    .await?
                    .map_err(|_| ImapError::Protocol("no answer to STARTTLS"))?;
                if line.is_empty() {
                    return Err(ImapError::Tls(
                        "the server closed the connection at STARTTLS".into(),
                    ));
                }
                if line.starts_with("a0 ") {
                    if !line.starts_with("a0 OK") {
                        return Err(ImapError::Tls(
                            "the server refused STARTTLS: choose TLS or none, or another port"
                                .into(),
                        ));
                    }
                    break;
                }
            }
            async_imap::Client::new(timed(timeout, tls(a.host, r.into_inner())).await??)
        }
    };
    let mut session = timed(timeout, client.login(a.username, a.password))
        .await?
        .map_err(|(e, _)| match e {
            async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
                ImapError::Auth(refusal_words(&e))
            }
            _ => ImapError::Protocol("no answer to LOGIN"),
        })?;
    let mb = timed(timeout, session.select(a.folder))
        .await?
        .map_err(|e| match e {
            async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
                ImapError::Folder {
                    folder: a.folder.to_string(),
                    words: refusal_words(&e),
                }
            }
            _ => ImapError::Protocol("no answer to SELECT"),
        })?;
    let uidvalidity = mb
        .uid_validity
        .ok_or(ImapError::Protocol("no UIDVALIDITY for the folder"))?;
    let idle = timed(timeout, session.capabilities())
        .await?
        .map(|c| c.has_str("IDLE"))
        .unwrap_or(false);
    Ok(Mailbox {
        session,
        uidvalidity,
        exists: mb.exists,
        idle,
        folder: a.folder.to_string(),
        timeout,
    })
}

impl Mailbox {
    /// UIDs above `last`, ascending (one `UID SEARCH`: cheap when nothing is new).
    pub async fn uids_after(&mut self, last: u32) -> Result<Vec<u32>, ImapError> {
        let set = timed(
            self.timeout,
            self.session
                .uid_search(format!("UID {}:*", last.saturating_add(1))),
        )
        .await?
        .map_err(|e| failed("UID SEARCH", &e))?;
        // `n:*` always matches the highest UID, even when it is not above `last`.
        let mut v: Vec<u32> = set.into_iter().filter(|u| *u > last).collect();
        v.sort_unstable();
        Ok(v)
    }

    /// The raw messages for these UIDs (without setting `\Seen`), in UID order.
    pub async fn fetch(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        if uids.is_empty() {
            return Ok(vec![]);
        }
        let set = uids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut out = Vec::with_capacity(uids.len());
        {
            let mut stream = timed(
                self.timeout,
                self.session.uid_fetch(&set, "(UID BODY.PEEK[])"),
            )
            .await?
            .map_err(|e| failed("UID FETCH", &e))?;
            while let Some(item) = timed(self.timeout, stream.next()).await? {
                let f = item.map_err(|e| failed("UID FETCH", &e))?;
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    out.push((uid, body.to_vec()));
                }
            }
        }
        out.sort_by_key(|(u, _)| *u);
        Ok(out)
    }

    /// Sets `\Seen` on these UIDs (only when the inbox asks for it).
    pub async fn mark_seen(&mut self, uids: &[u32]) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut s = timed(
            self.timeout,
            self.session.uid_store(&set, "+FLAGS.SILENT (\\Seen)"),
        )
        .await?
        .map_err(|e| failed("UID STORE", &e))?;
        while let Some(r) = s.next().await {
            r.map_err(|e| failed("UID STORE", &e))?;
        }
        Ok(())
    }

    /// Selects the folder again, so a long-lived session notices a UIDVALIDITY change.
    pub async fn reselect(&mut self) -> Result<(), ImapError> {
        let mb = timed(self.timeout, self.session.select(&self.folder))
            .await?
            .map_err(|e| match e {
                async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
                    ImapError::Folder {
                        folder: self.folder.clone(),
                        words: refusal_words(&e),
                    }
                }
                _ => failed("SELECT", &e),
            })?;
        self.uidvalidity = mb
            .uid_validity
            .ok_or(ImapError::Protocol("no UIDVALIDITY for the folder"))?;
        self.exists = mb.exists;
        Ok(())
    }

    /// Waits in IDLE until the server reports a change or `max` passes, then ends the
    /// IDLE so the session can be used again. Only when [`Mailbox::idle`] is true.
    pub async fn idle(self, max: Duration) -> Result<(Mailbox, Woken), ImapError> {
        let Mailbox {
            session,
            uidvalidity,
            exists,
            idle,
            folder,
            timeout,
        } = self;
        let mut handle = session.idle();
        timed(timeout, handle.init())
            .await?
            .map_err(|e| failed("IDLE", &e))?;
        let woken = {
            let (wait, _interrupt) = handle.wait_with_timeout(max);
            // Keep-alives ("* OK Still here") restart async-imap's own timer, so bound
            // the whole wait as well: the caller re-checks the folder at least every `max`.
            match tokio::time::timeout(max, wait).await {
                Ok(Ok(async_imap::extensions::idle::IdleResponse::NewData(_))) => Woken::Changed,
                Ok(Ok(_)) | Err(_) => Woken::Quiet,
                Ok(Err(e)) => return Err(failed("IDLE", &e)),
            }
        };
        let session = timed(timeout, handle.done())
            .await?
            .map_err(|e| failed("IDLE DONE", &e))?;
        // IDLE's EXISTS/EXPUNGE notices were queued for us; nobody reads them.
        while session.unsolicited_responses.try_recv().is_ok() {}
        Ok((
            Mailbox {
                session,
                uidvalidity,
                exists,
                idle,
                folder,
                timeout,
            },
            woken,
        ))
    }

    /// Logs out politely.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.session.logout()).await;
    }
}
