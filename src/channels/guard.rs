//! The outbound address policy. Every connection Charla opens to an address that an
//! admin typed (webhooks, IMAP and SMTP servers, and whatever comes later) is decided
//! here, on the address actually connected to: URLs are parsed by the same WHATWG
//! parser reqwest uses (so `0x7f000001`, `127.1`, `127。0。0。1` or `①②⑦.0.0.1` are the
//! 127.0.0.1 they will reach), names are resolved and every resulting address is
//! checked, and the TCP connection is made to exactly the addresses that passed.
//! Private, loopback, link-local and other non-public addresses are refused unless the
//! configuration allows them (an integration on the same host or LAN).

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tokio::net::TcpStream;

/// What a refusal tells people to change.
const HOW_TO_ALLOW: &str =
    "set outbound.allow_private = true (or inbox.webhook_allow_private) to allow it";

fn public_v4(a: Ipv4Addr) -> bool {
    let o = a.octets();
    !(a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_documentation()
        || a.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10, carrier-grade NAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24, IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15, benchmarking
        || o[0] >= 240)
}

/// The IPv4 address carried inside an IPv6 one that the network turns back into IPv4
/// (mapped, the deprecated "compatible" form, NAT64, 6to4).
fn embedded_v4(a: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = a.segments();
    let o = a.octets();
    if let Some(v4) = a.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0; 6] && !a.is_loopback() && !a.is_unspecified() {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15])); // ::a.b.c.d
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15])); // NAT64
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5])); // 6to4
    }
    None
}

fn public_v6(a: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(a) {
        return public_v4(v4);
    }
    let s = a.segments();
    !(a.is_loopback()
        || a.is_unspecified()
        || a.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside sites)
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: reaches whatever the relay decides
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])) // discard-only
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => public_v4(a),
        IpAddr::V6(a) => public_v6(a),
    }
}

/// Why the policy refused an outbound address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not an http(s) URL with a host.
    Url(String),
    /// The name does not resolve, or resolves to nothing.
    Dns { host: String, reason: String },
    /// Every address of `host` is one the policy forbids (`addr` is the first).
    Private { host: String, addr: IpAddr },
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Url(why) => f.write_str(why),
            Refused::Dns { host, reason } => write!(f, "cannot resolve {host}: {reason}"),
            Refused::Private { host, addr }
                if host.trim_matches(['[', ']']) == addr.to_string() =>
            {
                write!(f, "{addr} is a private or local address; {HOW_TO_ALLOW}")
            }
            Refused::Private { host, addr } => write!(
                f,
                "{host} resolves only to private or local addresses ({addr}); {HOW_TO_ALLOW}"
            ),
        }
    }
}

impl std::error::Error for Refused {}

/// Why a guarded TCP connection was not made.
#[derive(Debug)]
pub enum ConnectError {
    /// The policy (or DNS) refused before any connection was attempted.
    Refused(Refused),
    /// Connecting to an allowed address failed.
    Io(std::io::Error),
}

/// The one decision on where outbound connections may go. Built once from the
/// configuration (`outbound.allow_private`, or its older name
/// `inbox.webhook_allow_private`) and handed to every client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    allow_private: bool,
}

impl AddressPolicy {
    /// A policy that refuses non-public addresses unless `allow_private`.
    pub const fn new(allow_private: bool) -> Self {
        AddressPolicy { allow_private }
    }

    /// Whether private and local addresses are allowed.
    pub fn allows_private(self) -> bool {
        self.allow_private
    }

    /// Whether a connection to `ip` is allowed.
    pub fn allows(self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }

    /// The addresses of `found` that are allowed; a refusal naming `host` when none is.
    fn keep_allowed(self, host: &str, found: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
        let Some(first) = found.first().map(SocketAddr::ip) else {
            return Err(Refused::Dns {
                host: host.to_string(),
                reason: "the name has no address".into(),
            });
        };
        let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| self.allows(a.ip())).collect();
        if allowed.is_empty() {
            return Err(Refused::Private {
                host: host.to_string(),
                addr: first,
            });
        }
        Ok(allowed)
    }

    /// Parses an admin-given URL exactly as reqwest will (WHATWG: numeric, octal, hex,
    /// short and full-width spellings of IPv4 become dotted quads, `\` ends the host)
    /// and refuses it when its host is a literal address the policy forbids. A host
    /// name is decided when it is resolved (see [`AddressPolicy::check_http`] and the
    /// client's resolver). Send the returned `Url`, not the text, so nothing parses it
    /// differently afterwards.
    pub fn check_url(self, raw: &str) -> Result<Url, Refused> {
        let url = Url::parse(raw.trim())
            .map_err(|e| Refused::Url(format!("the URL {raw:?} is not valid: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused::Url(format!(
                "the URL {raw:?} is not http:// or https://"
            )));
        }
        let Some(host) = url.host_str() else {
            return Err(Refused::Url(format!("the URL {raw:?} has no host")));
        };
        // After WHATWG parsing a host is a dotted quad, a bracketed IPv6 literal or a
        // name; only the first two are connected to without resolving.
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>()
            && !self.allows(ip)
        {
            return Err(Refused::Private {
                host: host.to_string(),
                addr: ip,
            });
        }
        Ok(url)
    }

    /// [`AddressPolicy::check_url`], and for a host name one resolution now, so that a
    /// name that only leads to forbidden addresses gets a clear refusal instead of a
    /// connection error. The client's resolver checks again when it connects.
    pub async fn check_http(self, raw: &str) -> Result<Url, Refused> {
        let url = self.check_url(raw)?;
        if let Some(host) = url.host_str()
            && host.trim_matches(['[', ']']).parse::<IpAddr>().is_err()
        {
            self.resolve(host, url.port_or_known_default().unwrap_or(80))
                .await?;
        }
        Ok(url)
    }

    /// Resolves `host` (a name or a literal address, in any spelling the system
    /// resolver accepts) and keeps the allowed addresses.
    pub async fn resolve(self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
        let bare = host.trim_matches(['[', ']']);
        let found: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| Refused::Dns {
                host: host.to_string(),
                reason: e.to_string(),
            })?
            .collect();
        self.keep_allowed(host, found)
    }

    /// Opens a TCP connection to `host:port` on an allowed address: the connection goes
    /// to exactly the addresses that were checked, never through a second lookup. The
    /// host name stays the caller's for TLS (SNI and the certificate check).
    pub async fn connect(self, host: &str, port: u16) -> Result<TcpStream, ConnectError> {
        let addrs = self
            .resolve(host, port)
            .await
            .map_err(ConnectError::Refused)?;
        TcpStream::connect(&addrs[..])
            .await
            .map_err(ConnectError::Io)
    }

    /// The HTTP client for admin-given URLs: names resolve through this policy when the
    /// connection is made (so a name that changes its answer after a check cannot slip
    /// through), redirects are never followed, and no proxy is used (a proxy would
    /// connect on our behalf where the policy cannot see). Literal addresses never
    /// reach a resolver: check them with [`AddressPolicy::check_url`] first.
    pub fn http_client(self) -> Result<reqwest::Client, String> {
        reqwest::Client::builder()
            .user_agent(concat!("charla/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(PolicyResolver(self))
            .build()
            .map_err(|e| format!("cannot build the outbound HTTP client: {e}"))
    }
}

/// reqwest's resolver under the policy.
struct PolicyResolver(AddressPolicy);

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (policy, host) = (self.0, name.as_str().to_string());
        Box::pin(async move {
            let addrs = policy.resolve(&host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENY: AddressPolicy = AddressPolicy::new(false);
    const ALLOW: AddressPolicy = AddressPolicy::new(true);

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "192.0.0.8",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
            "64:ff9b::101:101",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    /// Every spelling of 127.0.0.1 that reached a local listener through the old
    /// string check, as the WHATWG parser (and so reqwest) reads it.
    const LOOPBACK_SPELLINGS: &[&str] = &[
        "http://127.0.0.1:9000/hook",
        "http://0:9000/",
        "http://2130706433:9000/",
        "http://0x7f000001:9000/",
        "http://0177.0.0.1:9000/",
        "http://0x7f.0.0.1:9000/",
        "http://127.1:9000/",
        "http://127.0.1:9000/",
        "http://127.0.0.1.:9000/",
        "http://%31%32%37.0.0.1:9000/",
        "http://127%2E0%2E0%2E1:9000/",
        "http://127\u{3002}0\u{3002}0\u{3002}1:9000/",
        "http://\u{2460}\u{2461}\u{2466}.0.0.1:9000/",
        "http://\u{ff11}\u{ff12}\u{ff17}.0.0.1:9000/",
        "http://127.0.0.1:9000\\@1.1.1.1/",
        "http://user:pw@127.0.0.1:9000/",
        "HTTP://127.0.0.1:9000/",
        "http://[::1]:9000/",
        "http://[::ffff:127.0.0.1]:9000/",
        "http://[::ffff:7f00:1]:9000/",
        "http://[0:0:0:0:0:0:0:1]:9000/",
    ];

    #[test]
    fn every_spelling_of_a_private_address_is_refused() {
        for raw in LOOPBACK_SPELLINGS {
            let e = DENY.check_url(raw).unwrap_err();
            assert!(
                matches!(e, Refused::Private { addr, .. } if addr.is_loopback() || addr.is_unspecified() || addr == "::ffff:127.0.0.1".parse::<IpAddr>().unwrap()),
                "{raw}: {e:?}"
            );
            assert!(e.to_string().contains("inbox.webhook_allow_private"), "{e}");
            assert!(
                ALLOW.check_url(raw).is_ok(),
                "{raw} allowed when configured"
            );
        }
        for raw in [
            "http://10.0.0.5/hook",
            "http://user:pw@10.0.0.5/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://0xa9fea9fe/latest/meta-data",
            "http://[fe80::1]/",
        ] {
            assert!(
                matches!(DENY.check_url(raw), Err(Refused::Private { .. })),
                "{raw}"
            );
        }
    }

    #[test]
    fn the_checked_url_is_the_one_that_is_sent() {
        // `\` ends the authority for http: the host is 1.1.1.1 only after an `@`.
        let u = DENY.check_url("http://1.1.1.1:9000\\@127.0.0.1/").unwrap();
        assert_eq!(u.host_str(), Some("1.1.1.1"));
        let u = DENY.check_url("https://hooks.example.com/x?a=1").unwrap();
        assert_eq!(u.host_str(), Some("hooks.example.com"));
        assert!(DENY.check_url("https://1.1.1.1/x").is_ok());
        // Names are decided when resolved, not by their spelling.
        assert!(DENY.check_url("http://localhost/x").is_ok());
        for bad in [
            "ftp://1.1.1.1/x",
            "http://",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert!(matches!(DENY.check_url(bad), Err(Refused::Url(_))), "{bad}");
        }
    }

    #[tokio::test]
    async fn names_are_decided_on_the_addresses_they_resolve_to() {
        let e = DENY.check_http("http://localhost:9/x").await.unwrap_err();
        assert!(matches!(e, Refused::Private { .. }), "{e:?}");
        assert!(e.to_string().starts_with("localhost resolves only"), "{e}");
        assert!(ALLOW.check_http("http://localhost:9/x").await.is_ok());
        // The system resolver's own numeric spellings are checked after resolving too.
        for host in ["127.0.0.1", "2130706433", "0x7f.1", "localhost", "[::1]"] {
            assert!(
                matches!(DENY.resolve(host, 993).await, Err(Refused::Private { .. })),
                "{host}"
            );
            assert!(ALLOW.resolve(host, 993).await.is_ok(), "{host}");
        }
        assert!(matches!(
            DENY.resolve("nonexistent.invalid", 993).await,
            Err(Refused::Dns { .. })
        ));
    }

    #[tokio::test]
    async fn no_connection_is_made_to_a_refused_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let e = DENY.connect("127.0.0.1", port).await.unwrap_err();
        assert!(matches!(e, ConnectError::Refused(Refused::Private { .. })));
        let accepted =
            tokio::time::timeout(std::time::Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "the listener saw a connection");
        let s = ALLOW.connect("127.0.0.1", port).await.unwrap();
        assert_eq!(s.peer_addr().unwrap().port(), port);
    }
}
