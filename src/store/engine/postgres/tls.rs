//! TLS to PostgreSQL with rustls (ring), honouring libpq's `sslmode` and `sslrootcert`.
//!
//! tokio-postgres knows only `disable`, `prefer` and `require` and no `sslrootcert`, so
//! `split_url` takes both out of a `postgres://` URL before tokio-postgres parses it, and
//! the engine sets tokio-postgres's mode from ours (`verify-ca` and `verify-full` are
//! `require` to it: the checks are the connector's). As in libpq:
//!
//! - `disable`: no TLS. `prefer` (the default): TLS when the server offers it, else
//!   plain; the certificate is not checked. `require`: TLS or no connection, the
//!   certificate not checked (encryption against eavesdroppers, not against a machine in
//!   the middle) unless `sslrootcert` is given, which makes it `verify-ca`.
//! - `verify-ca`: the certificate must chain to a trusted root. `verify-full`: and name
//!   the host of the URL (a DNS name or an IP address in its subject alternative names).
//! - `sslrootcert=/path/ca.pem`: the roots are the certificates in that PEM file only
//!   (a private CA); without it, or with `sslrootcert=system`, the public web roots
//!   (webpki-roots, as for IMAP and SMTP).
//!
//! The handshake offers ALPN `postgresql` (required by `sslnegotiation=direct`), and the
//! stream gives SCRAM its `tls-server-end-point` channel binding.

use super::EngineError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::config::SslMode as DriverMode;
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

/// libpq's `sslmode` values (`allow` is not supported: it prefers clear text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Result<SslMode, EngineError> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            "allow" => {
                return Err(EngineError::Failed(
                    "invalid PostgreSQL URL: sslmode=allow is not supported \
                     (use prefer, require, verify-ca or verify-full)"
                        .into(),
                ));
            }
            _ => {
                return Err(EngineError::Failed(
                    "invalid PostgreSQL URL: invalid value for option `sslmode` (expected \
                     disable, prefer, require, verify-ca or verify-full)"
                        .into(),
                ));
            }
        })
    }

    fn from_driver(m: DriverMode) -> SslMode {
        match m {
            DriverMode::Disable => SslMode::Disable,
            DriverMode::Require => SslMode::Require,
            _ => SslMode::Prefer,
        }
    }

    /// What tokio-postgres is told: it only asks for TLS, the checks are ours.
    pub(super) fn driver(self) -> DriverMode {
        match self {
            SslMode::Disable => DriverMode::Disable,
            SslMode::Prefer => DriverMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverMode::Require,
        }
    }

    fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// The TLS options of a URL, taken out of it by `split_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TlsOptions {
    /// `None`: the URL has no `sslmode` (or is a `key=value` string); then tokio-postgres's
    /// parsed mode applies.
    pub(super) mode: Option<SslMode>,
    /// `sslrootcert`, unless it is absent or `system`.
    pub(super) root_cert: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` URL's query, so that
/// tokio-postgres (which refuses both `verify-*` and `sslrootcert`) parses the rest.
/// Other strings (`key=value` form) are passed through as they are. Errors never quote
/// the URL: it may hold a password.
pub(super) fn split_url(url: &str) -> Result<(String, TlsOptions), EngineError> {
    let mut opts = TlsOptions {
        mode: None,
        root_cert: None,
    };
    let Some(rest) = ["postgres://", "postgresql://"]
        .iter()
        .find_map(|p| url.strip_prefix(p))
    else {
        return Ok((url.to_string(), opts));
    };
    // As tokio-postgres reads it: the credentials end at the first '@', the query starts
    // at the first '?' after them.
    let after_creds = rest.find('@').map_or(0, |i| i + 1);
    let Some(q) = rest[after_creds..].find('?') else {
        return Ok((url.to_string(), opts));
    };
    let query_at = url.len() - rest.len() + after_creds + q;
    let mut kept = Vec::new();
    for pair in url[query_at + 1..].split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match decode(key)?.as_str() {
            "sslmode" => opts.mode = Some(SslMode::parse(&decode(value)?)?),
            "sslrootcert" => {
                let path = decode(value)?;
                opts.root_cert = (path != "system").then(|| PathBuf::from(path));
            }
            _ => kept.push(pair),
        }
    }
    let mut out = url[..query_at].to_string();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    Ok((out, opts))
}

/// Percent-decoding of a URL component, as tokio-postgres does it (a `%` not followed
/// by two hex digits stays as it is).
fn decode(s: &str) -> Result<String, EngineError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) if b[i] == b'%' => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| EngineError::Failed("invalid PostgreSQL URL: a parameter is not UTF-8".into()))
}

/// The connector handed to the pool: one rustls configuration for every connection.
#[derive(Clone)]
pub(super) struct MakeRustls {
    config: Arc<rustls::ClientConfig>,
    mode: SslMode,
    /// What the certificate was checked against, for messages.
    roots: Arc<str>,
}

impl MakeRustls {
    /// The connector for `opts`, with `parsed` the mode tokio-postgres read (for strings
    /// that are not URLs). Returns it with the mode to give tokio-postgres.
    pub(super) fn new(
        opts: &TlsOptions,
        parsed: DriverMode,
    ) -> Result<(MakeRustls, SslMode), EngineError> {
        let mut mode = opts.mode.unwrap_or(SslMode::from_driver(parsed));
        // libpq: "if a root CA file exists, sslmode=require behaves like verify-ca".
        if mode == SslMode::Require && opts.root_cert.is_some() {
            mode = SslMode::VerifyCa;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (roots, described) = match &opts.root_cert {
            Some(path) => (read_roots(path)?, format!("the CA in {}", path.display())),
            None => {
                let mut roots = RootCertStore::empty();
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                (
                    roots,
                    "the public web roots (a private CA needs sslrootcert)".into(),
                )
            }
        };
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| EngineError::Failed(format!("PostgreSQL TLS roots: {e}")))?;
        let verifier = Arc::new(Verifier {
            webpki,
            provider: provider.clone(),
            check: match mode {
                SslMode::VerifyFull => Check::Full,
                SslMode::VerifyCa => Check::Chain,
                _ => Check::Nothing,
            },
        });
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| EngineError::Failed(format!("PostgreSQL TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        let make = MakeRustls {
            config: Arc::new(config),
            mode,
            roots: described.into(),
        };
        Ok((make, mode))
    }
}

/// The certificates of a PEM file, as roots.
fn read_roots(path: &std::path::Path) -> Result<RootCertStore, EngineError> {
    let fail = |why: String| {
        EngineError::Failed(format!("PostgreSQL sslrootcert {}: {why}", path.display()))
    };
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| fail(e.to_string()))?;
    for cert in certs {
        let cert = cert.map_err(|e| fail(e.to_string()))?;
        roots.add(cert).map_err(|e| fail(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(fail("no certificate in the file".into()));
    }
    Ok(roots)
}

#[derive(Debug, Clone, Copy)]
enum Check {
    /// `prefer`, `require`: encryption only.
    Nothing,
    /// `verify-ca`: a chain to a root, any name.
    Chain,
    /// `verify-full`: a chain to a root, for the host's name.
    Full,
}

/// The certificate check of `Check`; handshake signatures are always verified (the peer
/// must hold the key of the certificate it sent, whatever that certificate is worth).
#[derive(Debug)]
struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
    check: Check,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let checked =
            self.webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        match (self.check, checked) {
            (Check::Nothing, _) => Ok(ServerCertVerified::assertion()),
            // The name is checked only once the chain is good: a name error means the
            // chain was accepted.
            (
                Check::Chain,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )),
            ) => Ok(ServerCertVerified::assertion()),
            (_, checked) => checked,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl<S> MakeTlsConnect<S> for MakeRustls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnect, io::Error> {
        let name = ServerName::try_from(domain.trim_matches(['[', ']']).to_string())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        Ok(RustlsConnect {
            make: self.clone(),
            name,
            host: domain.to_string(),
        })
    }
}

/// One connection's handshake.
pub(super) struct RustlsConnect {
    make: MakeRustls,
    name: ServerName<'static>,
    host: String,
}

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let RustlsConnect { make, name, host } = self;
            tokio_rustls::TlsConnector::from(make.config.clone())
                .connect(name, stream)
                .await
                .map(|s| RustlsStream(Box::new(s)))
                .map_err(|e| explain(e, &make, &host))
        })
    }
}

/// A handshake error in words: which check failed, for which host, against what.
fn explain(e: io::Error, make: &MakeRustls, host: &str) -> io::Error {
    let why = match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(c)) => {
            let what = match c {
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    format!("the certificate is not for the host name {host:?}")
                }
                CertificateError::UnknownIssuer => "the certificate's issuer is not trusted".into(),
                other => format!("the certificate is not valid ({other:?})"),
            };
            format!(
                "{what}; sslmode={} checks it against {}",
                make.mode.name(),
                make.roots
            )
        }
        Some(other) => format!("TLS handshake with {host} failed: {other}"),
        None => format!("TLS handshake with {host} failed: {e}"),
    };
    io::Error::new(e.kind(), why)
}

/// The TLS stream, with the channel binding SCRAM-SHA-256-PLUS needs.
pub(super) struct RustlsStream<S>(Box<tokio_rustls::client::TlsStream<S>>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(self.0.as_mut()).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.0.as_mut()).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.0.as_mut()).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.0.as_mut()).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        let cert = self
            .0
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first());
        match cert.and_then(|c| server_end_point(c)) {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}

/// RFC 5929 `tls-server-end-point`: the certificate hashed with its signature's hash
/// (SHA-256 for MD5 and SHA-1). `None` for signatures without one hash (Ed25519,
/// RSA-PSS), as libpq.
fn server_end_point(cert: &[u8]) -> Option<Vec<u8>> {
    use ring::digest::{SHA256, SHA384, SHA512, digest};
    // 1.2.840.113549.1.1.{4,5,11,12,13}: RSA with MD5, SHA-1, SHA-256, SHA-384, SHA-512.
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    // 1.2.840.10045.4.1 (ECDSA with SHA-1), 1.2.840.10045.4.3.{2,3,4}.
    const ECDSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03];
    let oid = signature_oid(cert)?;
    let alg = match oid {
        [p @ .., n] if p == RSA => match n {
            4 | 5 | 11 => &SHA256,
            12 => &SHA384,
            13 => &SHA512,
            _ => return None,
        },
        o if o == ECDSA_SHA1 => &SHA256,
        [p @ .., n] if p == ECDSA => match n {
            2 => &SHA256,
            3 => &SHA384,
            4 => &SHA512,
            _ => return None,
        },
        _ => return None,
    };
    Some(digest(alg, cert).as_ref().to_vec())
}

/// The OID of a DER certificate's outer `signatureAlgorithm`:
/// `SEQUENCE { tbsCertificate, SEQUENCE { OID, params }, BIT STRING }`.
fn signature_oid(cert: &[u8]) -> Option<&[u8]> {
    let (tag, body, _) = der(cert)?;
    if tag != 0x30 {
        return None;
    }
    let (_, _, rest) = der(body)?; // tbsCertificate
    let (tag, alg, _) = der(rest)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, oid, _) = der(alg)?;
    (tag == 0x06).then_some(oid)
}

/// One DER element: its tag, its contents and what follows it.
fn der(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, head) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        (len, 2 + n)
    };
    let body = b.get(head..head.checked_add(len)?)?;
    Some((tag, body, &b[head + len..]))
}
