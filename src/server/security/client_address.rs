//! Which address a request comes from, for sign-in throttling, the audit and the session list.
//! Behind reverse proxies the TCP peer is the nearest proxy; each proxy appends the address it
//! received the request from to `X-Forwarded-For`. Only entries added by proxies we trust can
//! be believed: the client writes whatever it likes at the left end. So the list is read from
//! the right, skipping our own proxies, and the first address that is not one of them is the
//! client.

use std::net::IpAddr;

/// An address or a network (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`) of a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    network: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for ProxyNet {
    type Err = String;

    fn from_str(s: &str) -> Result<ProxyNet, String> {
        let s = s.trim();
        let (address, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = address.parse().map_err(|_| format!("not an IP address: {s:?}"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => {
                p.parse::<u8>().ok().filter(|p| *p <= max).ok_or(format!("bad prefix length: {s:?}"))?
            }
        };
        Ok(ProxyNet { network, prefix })
    }
}

impl std::fmt::Display for ProxyNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl ProxyNet {
    /// 127.0.0.0/8 and ::1: a proxy on the same machine.
    pub const LOOPBACK: [ProxyNet; 2] = [
        ProxyNet { network: IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 0)), prefix: 8 },
        ProxyNet { network: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), prefix: 128 },
    ];

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net) as u128, self.prefix, 32)
                    == masked(u32::from(ip) as u128, self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), self.prefix, 128) == masked(u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, prefix: u8, width: u32) -> u128 {
    if prefix == 0 { 0 } else { bits >> (width - u32::from(prefix)) }
}

/// An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The client address of a request that reached us from `peer` with these `X-Forwarded-For`
/// header lines (all of them, in order: several lines are one list). Without trusted proxies,
/// or when the peer is not one, the header is ignored. An entry that is not an address (a
/// forged `unknown`, garbage) ends the walk at the last trusted hop: what lies beyond it cannot
/// be believed.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[ProxyNet]) -> IpAddr {
    let trusted_hop = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = canonical(peer);
    if !trusted_hop(peer) {
        return peer;
    }
    let hops = forwarded_for.iter().flat_map(|line| line.split(',')).map(str::trim).filter(|h| !h.is_empty());
    let mut nearest = peer;
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        let Some(ip) = parse_hop(hop) else { return nearest };
        if !trusted_hop(ip) {
            return ip;
        }
        nearest = ip;
    }
    nearest
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(socket.ip()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<ProxyNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(client_address(ip("198.51.100.7"), &["203.0.113.9"], &[]), ip("198.51.100.7"));
        // A peer that is not a trusted proxy cannot claim to forward for anyone.
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_address(ip("198.51.100.7"), &["203.0.113.9"], &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn the_rightmost_untrusted_entry_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1"]);
        // client → proxy 10.1.1.1 → proxy 10.2.2.2 (peer).
        assert_eq!(client_address(ip("10.2.2.2"), &["203.0.113.9, 10.1.1.1"], &trusted), ip("203.0.113.9"));
        // A forged first hop is left of the real client and never reached.
        assert_eq!(
            client_address(ip("10.2.2.2"), &["1.2.3.4, 203.0.113.9, 10.1.1.1"], &trusted),
            ip("203.0.113.9")
        );
        // Two header lines are one list: the forged line comes first.
        assert_eq!(client_address(ip("127.0.0.1"), &["1.2.3.4", "203.0.113.9"], &trusted), ip("203.0.113.9"));
        // Every hop trusted: the leftmost trusted hop is as far as we can see.
        assert_eq!(client_address(ip("127.0.0.1"), &["10.9.9.9"], &trusted), ip("10.9.9.9"));
        // No header at all: the proxy itself.
        assert_eq!(client_address(ip("127.0.0.1"), &[], &trusted), ip("127.0.0.1"));
    }

    #[test]
    fn garbage_and_ports_and_mapped_addresses() {
        let trusted = nets(&["127.0.0.0/8"]);
        assert_eq!(client_address(ip("127.0.0.1"), &["1.2.3.4, garbage"], &trusted), ip("127.0.0.1"));
        assert_eq!(client_address(ip("127.0.0.1"), &["203.0.113.9:4711"], &trusted), ip("203.0.113.9"));
        assert_eq!(client_address(ip("127.0.0.1"), &["[2001:db8::1]:443"], &trusted), ip("2001:db8::1"));
        assert_eq!(client_address(ip("::ffff:127.0.0.1"), &["203.0.113.9"], &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn networks_parse_and_match() {
        let net: ProxyNet = "192.0.2.0/24".parse().unwrap();
        assert!(net.contains(ip("192.0.2.200")) && !net.contains(ip("192.0.3.1")));
        let v6: ProxyNet = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!("0.0.0.0/0".parse::<ProxyNet>().unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", "::/129"] {
            assert!(bad.parse::<ProxyNet>().is_err(), "{bad}");
        }
    }
}
