//! Which URLs may receive webhooks: public `https` hosts only.
//!
//! The guard judges the URL the way the runtime's `fetch` will read it, never its text: the
//! host is taken from a WHATWG URL parse (the runtime's own `URL` at the edge; the `url` crate,
//! an implementation of the same standard, in native tests), so `https://0x7f.1/`,
//! `https://167772161/`, `https://１０.０.０.１/`, `https://10%2e0.0.1/` or `https:\\10.1` are
//! judged as the addresses they are. An address is public only outside every range of the IANA
//! special-purpose registries; a name is refused when it is local by convention. What a public
//! name resolves to the edge cannot see (see the README: Cloudflare's fetch refuses private
//! destinations; a self-hosted deployment relies on its egress rules).

use crate::resource::MAX_URL;
use std::net::{Ipv4Addr, Ipv6Addr};

/// What WHATWG URL parsing makes of a URL, as far as the guard needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Lower-case, without the colon: `https`.
    pub scheme: String,
    /// The serialized host: a domain in ASCII, dotted-decimal IPv4, or `[...]` IPv6.
    pub host: String,
    /// Whether the URL carries a user name or password.
    pub credentials: bool,
}

/// A WHATWG URL parser; `None` when the text is not a URL.
pub type Parser = fn(&str) -> Option<Parsed>;

/// Why `url` may not receive webhooks, if it may not. `allow_local` lets `http` loopback
/// addresses receive (local development and the test stack).
pub fn check(url: &str, parse: Parser, allow_local: bool) -> Result<(), String> {
    if url.len() > MAX_URL {
        return Err(format!("must be at most {MAX_URL} characters"));
    }
    let parsed = parse(url).ok_or("must be an absolute URL (https://...)")?;
    if parsed.credentials {
        return Err("must not carry credentials".into());
    }
    let host = Host::of(&parsed.host).ok_or("must name a host")?;
    let local = allow_local && host.is_loopback();
    match parsed.scheme.as_str() {
        "https" => {}
        "http" if local => {}
        _ => return Err("must use https".into()),
    }
    if !local && !host.is_public() {
        return Err("must not point at a private, loopback, link-local or reserved address".into());
    }
    Ok(())
}

enum Host {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
    Name(String),
}

impl Host {
    fn of(serialized: &str) -> Option<Host> {
        if serialized.is_empty() {
            return None;
        }
        if let Some(v6) = serialized.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return v6.parse().ok().map(Host::V6);
        }
        if let Ok(v4) = serialized.parse() {
            return Some(Host::V4(v4));
        }
        // DNS ignores one trailing dot: `localhost.` is `localhost`.
        let name = serialized.strip_suffix('.').unwrap_or(serialized).to_ascii_lowercase();
        (!name.is_empty()).then_some(Host::Name(name))
    }

    fn is_loopback(&self) -> bool {
        match self {
            Host::V4(ip) => ip.is_loopback(),
            Host::V6(ip) => ip.is_loopback(),
            Host::Name(n) => n == "localhost" || n.ends_with(".localhost"),
        }
    }

    fn is_public(&self) -> bool {
        match self {
            Host::V4(ip) => public_v4(*ip),
            Host::V6(ip) => public_v6(*ip),
            Host::Name(n) => public_name(n),
        }
    }
}

/// Outside every block of the IANA IPv4 Special-Purpose Address Registry, multicast and the
/// reserved 240/4 (broadcast included).
fn public_v4(ip: Ipv4Addr) -> bool {
    const SPECIAL: &[([u8; 4], u8)] = &[
        ([0, 0, 0, 0], 8),       // "this network"
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // shared address space (carrier-grade NAT)
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local (cloud metadata services)
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation
        ([192, 31, 196, 0], 24), // AS112
        ([192, 52, 193, 0], 24), // AMT
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([192, 175, 48, 0], 24), // AS112 direct delegation
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation
        ([203, 0, 113, 0], 24),  // documentation
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, and 255.255.255.255
    ];
    let bits = u32::from(ip);
    !SPECIAL.iter().any(|(net, len)| bits >> (32 - len) == u32::from(Ipv4Addr::from(*net)) >> (32 - len))
}

/// Global unicast (2000::/3) outside the IANA IPv6 Special-Purpose Address Registry's blocks
/// there. Everything else is refused: loopback, unspecified, IPv4-mapped and -compatible,
/// NAT64 (64:ff9b::/96 and /48, which reach IPv4 hosts), discard, unique local, link-local,
/// the deprecated site-local fec0::/10, and multicast all lie outside 2000::/3.
fn public_v6(ip: Ipv6Addr) -> bool {
    const SPECIAL: &[(u128, u8)] = &[
        (0x2001_0000 << 96, 23), // IETF protocol assignments, Teredo included
        (0x2001_0db8 << 96, 32), // documentation
        (0x2002 << 112, 16),     // 6to4 (embeds an IPv4 address)
        (0x3fff << 112, 20),     // documentation
    ];
    let bits = u128::from(ip);
    let global_unicast = bits >> 125 == 0b001;
    global_unicast && !SPECIAL.iter().any(|(net, len)| bits >> (128 - len) == net >> (128 - len))
}

/// A name that can be public: dotted, and not in a suffix kept for local networks.
fn public_name(name: &str) -> bool {
    const LOCAL: &[&str] = &["localhost", "local", "internal", "lan", "home.arpa", "localdomain", "intranet", "corp", "private"];
    let local = LOCAL.iter().any(|s| name == *s || name.strip_suffix(s).is_some_and(|rest| rest.ends_with('.')));
    name.contains('.') && !local
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::whatwg;

    fn refused(url: &str) -> bool {
        check(url, whatwg, false).is_err()
    }

    #[test]
    fn public_https_urls_are_accepted() {
        for ok in [
            "https://erp.example.com/webhooks/eryxon",
            "https://erp.example.com:8443/hook?x=1",
            "https://8.8.8.8/hook",
            "https://[2606:4700:4700::1111]/",
            "HTTPS://ERP.Example.COM/",
            "https://erp.example.com./hook",
            "https://bücher.example/",
        ] {
            assert!(check(ok, whatwg, false).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn every_spelling_of_a_private_address_is_refused() {
        for bad in [
            // the plain forms
            "http://erp.example.com/hook",
            "ftp://erp.example.com",
            "erp.example.com/hook",
            "https://user:pw@erp.example.com",
            "https://127.0.0.1/hook",
            "https://localhost/hook",
            "https://10.1.2.3/",
            "https://172.20.0.1/",
            "https://192.168.1.10/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://0.0.0.0/",
            "https://printer.local/",
            "https://intranet/",
            "https:///nohost",
            "https://100.64.0.1/",
            "https://198.18.0.1/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "https://192.0.0.8/",
            // short, integer, octal and hex IPv4
            "https://10.1/",
            "https://167772161/",
            "https://0x7f.1/",
            "https://0177.0.0.1/",
            "https://0x0a000001/",
            "https://127.1/",
            "https://2130706433/",
            "https://0/",
            // a trailing dot, percent-encoded and full-width digits, backslashes, upper case
            "https://127.0.0.1./",
            "https://localhost./",
            "https://10%2e0%2e0%2e1/",
            "https://%31%30.0.0.1/",
            "https://\u{ff11}\u{ff10}.\u{ff10}.\u{ff10}.\u{ff11}/",
            "https://10\u{3002}0\u{3002}0\u{3002}1/",
            "https:\\\\10.0.0.1\\hook",
            "https:/\\127.0.0.1/",
            "https:127.0.0.1/",
            "https://LOCALHOST/",
            "https://x.LocalHost/",
            " https://10.0.0.1/",
            "https://\t10.0.0.1/",
            "https://user@10.0.0.1/",
            // IPv6: mapped, compatible, NAT64, site-local, unique local, multicast, documentation, 6to4, Teredo
            "https://[::ffff:10.0.0.1]/",
            "https://[::ffff:7f00:1]/",
            "https://[::10.0.0.1]/",
            "https://[64:ff9b::a00:1]/",
            "https://[64:ff9b:1::a00:1]/",
            "https://[fec0::1]/",
            "https://[fc00::1]/",
            "https://[ff02::1]/",
            "https://[2001:db8::1]/",
            "https://[2002:a00:1::]/",
            "https://[2001::1]/",
            "https://[::]/",
            "https://[0:0:0:0:0:0:0:1]/",
            "https://[100::1]/",
            // local names
            "https://router.home.arpa/",
            "https://db.internal/",
            "https://box.lan./",
        ] {
            assert!(refused(bad), "{bad} should be refused");
        }
    }

    #[test]
    fn local_development_allows_http_loopback_only() {
        assert!(check("http://127.0.0.1:9999/hook", whatwg, true).is_ok());
        assert!(check("http://localhost:9999/hook", whatwg, true).is_ok());
        assert!(check("http://0x7f.1:9999/hook", whatwg, true).is_ok(), "still loopback, however spelled");
        assert!(check("http://10.0.0.1/hook", whatwg, true).is_err(), "only loopback, even locally");
        assert!(check("http://example.com/hook", whatwg, true).is_err(), "public hosts still need https");
    }

    #[test]
    fn overlong_and_unparsable_urls_are_refused() {
        assert!(refused(&format!("https://example.com/{}", "a".repeat(2048))));
        assert!(refused("https://exa mple.com/"));
        assert!(refused("not a url"));
    }
}
