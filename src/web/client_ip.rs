//! The client's address for throttling and limits: the connecting address, or, when that
//! is a trusted reverse proxy, the nearest untrusted address in `X-Forwarded-For`
//! (read from the right, so a client cannot choose what we see by sending the header).

use actix_web::HttpRequest;
use std::net::IpAddr;

/// The client address of `req` under `trusted` proxies, as text ("" when unknown).
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    resolve(peer, &forwarded.join(","), trusted).to_string()
}

/// Whether `req` comes straight from one of the `trusted` reverse proxies (whose
/// forwarding headers may then be believed).
pub fn from_trusted_proxy(req: &HttpRequest, trusted: &[IpAddr]) -> bool {
    req.peer_addr().is_some_and(|a| trusted.contains(&a.ip()))
}

/// The pure rule: walk `X-Forwarded-For` from the right while the hop is trusted.
fn resolve(peer: IpAddr, forwarded: &str, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // Garbage: stop at the last address we could read.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_claim() {
        assert_eq!(
            resolve(ip("203.0.113.9"), "1.2.3.4", &[]),
            ip("203.0.113.9")
        );
        assert_eq!(
            resolve(ip("203.0.113.9"), "1.2.3.4", &[ip("10.0.0.1")]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_is_seen_through_to_the_nearest_untrusted_hop() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client spoofs a first entry; the proxies append what they saw.
        assert_eq!(
            resolve(ip("10.0.0.1"), "6.6.6.6, 198.51.100.7, 10.0.0.2", &proxies),
            ip("198.51.100.7")
        );
        assert_eq!(
            resolve(ip("10.0.0.1"), "198.51.100.7", &proxies),
            ip("198.51.100.7")
        );
        // No header, or only garbage: the proxy itself.
        assert_eq!(resolve(ip("10.0.0.1"), "", &proxies), ip("10.0.0.1"));
        assert_eq!(resolve(ip("10.0.0.1"), "unknown", &proxies), ip("10.0.0.1"));
        assert_eq!(
            resolve(ip("::1"), "2001:db8::5", &[ip("::1")]),
            ip("2001:db8::5")
        );
    }
}
