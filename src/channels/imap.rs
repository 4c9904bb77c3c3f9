//! An IMAP client for polling: connect (plain, STARTTLS or TLS), log in, select a
//! folder, list UIDs after a cursor and fetch bodies with `BODY.PEEK[]` (never touching
//! `\Seen`). Errors say which step failed, for "Test connection" and the poller's health.

use crate::domain::email::Security;
use futures_util::StreamExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::TcpStream;

/// Which step of talking to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot resolve {0}")]
    Dns(String),
    #[error("cannot connect to {0}")]
    Connect(String),
    #[error("TLS failed: {0}")]
    Tls(String),
    #[error("authentication failed: {0}")]
    Auth(String),
    #[error("folder {0:?} cannot be opened: {1}")]
    Folder(String, String),
    #[error("IMAP error: {0}")]
    Protocol(String),
    #[error("the server did not answer within {0} s")]
    Timeout(u64),
}

/// A plain or TLS connection.
#[derive(Debug)]
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
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
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let cfg = tokio_rustls::rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| ImapError::Tls(e.to_string()))?;
    let s = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .map_err(|e| ImapError::Tls(e.to_string()))?;
    Ok(Conn::Tls(Box::new(s)))
}

/// Connects, logs in and selects the folder.
pub async fn open(a: &Account<'_>, timeout: Duration) -> Result<Mailbox, ImapError> {
    let addrs: Vec<_> = timed(timeout, tokio::net::lookup_host((a.host, a.port)))
        .await?
        .map_err(|e| ImapError::Dns(format!("{}: {e}", a.host)))?
        .collect();
    if addrs.is_empty() {
        return Err(ImapError::Dns(a.host.to_string()));
    }
    let tcp = timed(timeout, TcpStream::connect(&addrs[..]))
        .await?
        .map_err(|e| ImapError::Connect(format!("{}:{}: {e}", a.host, a.port)))?;
    let client = match a.security {
        Security::None => {
            let mut c = async_imap::Client::new(Conn::Plain(tcp));
            timed(timeout, c.read_response())
                .await?
                .map_err(|e| ImapError::Protocol(format!("greeting: {e}")))?;
            c
        }
        Security::Tls => {
            let mut c = async_imap::Client::new(timed(timeout, tls(a.host, tcp)).await??);
            timed(timeout, c.read_response())
                .await?
                .map_err(|e| ImapError::Protocol(format!("greeting: {e}")))?;
            c
        }
        Security::StartTls => {
            // Read the greeting and upgrade by hand, then give async-imap the TLS stream.
            let mut r = BufReader::new(tcp);
            let mut line = String::new();
            timed(timeout, r.read_line(&mut line))
                .await?
                .map_err(|e| ImapError::Protocol(e.to_string()))?;
            r.get_mut()
                .write_all(b"a0 STARTTLS\r\n")
                .await
                .map_err(|e| ImapError::Connect(e.to_string()))?;
            loop {
                line.clear();
                timed(timeout, r.read_line(&mut line))
                    .await?
                    .map_err(|e| ImapError::Protocol(e.to_string()))?;
                if line.is_empty() {
                    return Err(ImapError::Tls(
                        "the server closed the connection at STARTTLS".into(),
                    ));
                }
                if line.starts_with("a0 ") {
                    if !line.starts_with("a0 OK") {
                        return Err(ImapError::Tls(format!("STARTTLS refused: {}", line.trim())));
                    }
                    break;
                }
            }
            async_imap::Client::new(timed(timeout, tls(a.host, r.into_inner())).await??)
        }
    };
    let mut session = timed(timeout, client.login(a.username, a.password))
        .await?
        .map_err(|(e, _)| ImapError::Auth(e.to_string()))?;
    let mb = timed(timeout, session.select(a.folder))
        .await?
        .map_err(|e| ImapError::Folder(a.folder.to_string(), e.to_string()))?;
    let uidvalidity = mb
        .uid_validity
        .ok_or_else(|| ImapError::Protocol("the server sent no UIDVALIDITY".into()))?;
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
        .map_err(|e| ImapError::Protocol(e.to_string()))?;
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
            .map_err(|e| ImapError::Protocol(e.to_string()))?;
            while let Some(item) = timed(self.timeout, stream.next()).await? {
                let f = item.map_err(|e| ImapError::Protocol(e.to_string()))?;
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
        .map_err(|e| ImapError::Protocol(e.to_string()))?;
        while let Some(r) = s.next().await {
            r.map_err(|e| ImapError::Protocol(e.to_string()))?;
        }
        Ok(())
    }

    /// Selects the folder again, so a long-lived session notices a UIDVALIDITY change.
    pub async fn reselect(&mut self) -> Result<(), ImapError> {
        let mb = timed(self.timeout, self.session.select(&self.folder))
            .await?
            .map_err(|e| ImapError::Folder(self.folder.clone(), e.to_string()))?;
        self.uidvalidity = mb
            .uid_validity
            .ok_or_else(|| ImapError::Protocol("the server sent no UIDVALIDITY".into()))?;
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
            .map_err(|e| ImapError::Protocol(format!("IDLE: {e}")))?;
        let woken = {
            let (wait, _interrupt) = handle.wait_with_timeout(max);
            // Keep-alives ("* OK Still here") restart async-imap's own timer, so bound
            // the whole wait as well: the caller re-checks the folder at least every `max`.
            match tokio::time::timeout(max, wait).await {
                Ok(Ok(async_imap::extensions::idle::IdleResponse::NewData(_))) => Woken::Changed,
                Ok(Ok(_)) | Err(_) => Woken::Quiet,
                Ok(Err(e)) => return Err(ImapError::Protocol(format!("IDLE: {e}"))),
            }
        };
        let session = timed(timeout, handle.done())
            .await?
            .map_err(|e| ImapError::Protocol(format!("IDLE DONE: {e}")))?;
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
