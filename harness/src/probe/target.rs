//! The server a probe or scan is pointed at: its host and addresses, and
//! the name SNI sends and the certificate is checked against.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use idna::AsciiDenyList;

use crate::error::HarnessError;

/// HOST (brackets removed) and the addresses of `HOST:PORT`, looked up
/// within `timeout`; a name in another script is looked up as its A-label,
/// the form DNS holds.
pub(crate) fn resolve(
    target: &str,
    timeout: Duration,
) -> Result<(String, Vec<SocketAddr>), HarnessError> {
    let host = host_port(target)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let addrs = crate::resolve::addresses(&lookup_target(target)?, timeout).map_err(|e| {
        HarnessError::Unreachable {
            what: format!("resolving {target}"),
            source: e,
        }
    })?;
    Ok((host, addrs))
}

/// `HOST:PORT` as the resolver is asked for it: with a HOST in another
/// script as its A-label, as DNS holds names.
fn lookup_target(target: &str) -> Result<Cow<'_, str>, HarnessError> {
    let host = host_port(target)?;
    Ok(match wire_name(host) {
        Some(Cow::Owned(a_label)) => Cow::Owned(format!("{a_label}{}", &target[host.len()..])),
        _ => Cow::Borrowed(target),
    })
}

/// The HOST of `HOST:PORT`, or a usage error naming what is wrong with
/// it: a mistyped target is the command's mistake, not an unreachable
/// server.
pub fn host_port(target: &str) -> Result<&str, HarnessError> {
    let not_host_port = |why: &str| {
        HarnessError::Usage(format!(
            "{target:?} is not HOST:PORT{why} (e.g. example.com:443 or 127.0.0.1:4433)"
        ))
    };
    if target.contains("://") {
        return Err(not_host_port(": give the host and port, not a URL"));
    }
    let (host, port) = target.rsplit_once(':').ok_or_else(|| not_host_port(""))?;
    match port.parse::<u16>() {
        Ok(1..) => {}
        _ => return Err(not_host_port(": the port must be a number from 1 to 65535")),
    }
    if host.is_empty() {
        return Err(not_host_port(": the host is missing"));
    }
    // Unbracketed, "2001:db8::1:443" could be an address and a port or an
    // address alone, and "host:port:x" is a slip.
    if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
        return Err(not_host_port(
            ": a host with ':' must be an IPv6 address in brackets, as in [::1]:443",
        ));
    }
    Ok(host)
}

/// `name` as an IP address, bracketed (`[::1]`) or not, with or without
/// a link-local zone (`fe80::1%eth0`), in any form getaddrinfo reads as
/// one: the shorthand IPv4 forms (`127.1`, `0x7f000001`, `2130706433`)
/// connect to an address too, so they are no name to send or check.
pub(crate) fn as_ip(name: &str) -> Option<IpAddr> {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    let unzoned = bare.split_once('%').map_or(bare, |(address, _)| address);
    unzoned.parse().ok().or_else(|| {
        // Numeric, so the lookup that reads it asks no resolver.
        crate::ffi::numeric_host::is_numeric_host(unzoned)
            .then(|| (unzoned, 0).to_socket_addrs().ok()?.next())
            .flatten()
            .map(|a| a.ip())
    })
}

/// `name` as SNI sends it: none for an IP address, which RFC 6066
/// (section 3) does not allow there.
pub(crate) fn sni_name(name: Option<&str>) -> Option<&str> {
    name.filter(|n| as_ip(n).is_none())
}

/// Every ASCII character but a host name's letters, digits, `-` and `.`,
/// and `_`, which names in DNS hold (`_acme-challenge`) though host names
/// may not; control characters and the space are denied as well.
const NOT_IN_NAMES: AsciiDenyList = AsciiDenyList::new(true, "!\"#$%&'()*+,/:;<=>?@[\\]^`{|}~");

/// `name` as SNI carries it and the certificate is checked against: in
/// ASCII, as RFC 6066 (section 3) requires, so a name in another script
/// becomes its IDNA A-label (`bücher.example`: `xn--bcher-kva.example`);
/// an ASCII name is kept as given. `None` for a name no host can have (a
/// space, a character outside host names, a malformed A-label, or a label
/// empty or past 63 bytes, RFC 1035 section 2.3.4; one trailing dot is a
/// name's root, not an empty label).
pub(crate) fn wire_name(name: &str) -> Option<Cow<'_, str>> {
    let ascii = idna::domain_to_ascii_cow(name.as_bytes(), NOT_IN_NAMES).ok()?;
    let labels = ascii.strip_suffix('.').unwrap_or(&ascii);
    if labels.split('.').any(|l| l.is_empty() || l.len() > 63) {
        return None;
    }
    Some(if name.is_ascii() {
        Cow::Borrowed(name)
    } else {
        ascii
    })
}

/// The SNI name: `given`, else HOST when it is a name, not an address,
/// without the trailing dot of a name copied from DNS (`example.com.`),
/// which RFC 6066 (section 3) leaves out of HostName and certificates
/// never carry; either in its ASCII form ([`wire_name`]).
pub(crate) fn default_servername(given: Option<String>, host: &str) -> Option<String> {
    let ascii = |name: String| match wire_name(&name) {
        Some(Cow::Owned(a_label)) => a_label,
        _ => name,
    };
    given.map(ascii).or_else(|| {
        let name = host.strip_suffix('.').unwrap_or(host);
        (as_ip(name).is_none() && !name.is_empty()).then(|| ascii(name.to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_target_is_a_usage_error() {
        let limit = Duration::from_secs(5);
        for (target, why) in [
            ("localhost:notaport", "the port must be"),
            ("127.0.0.1:99999", "the port must be"),
            ("127.0.0.1:0", "the port must be"),
            (":443", "the host is missing"),
            ("https://example.com", "not a URL"),
            ("https://example.com:443", "not a URL"),
            ("127.0.0.1", "is not HOST:PORT (e.g."),
            ("127.0.0.1:48001:5", "must be an IPv6 address in brackets"),
            ("::1:443", "must be an IPv6 address in brackets"),
        ] {
            match resolve(target, limit) {
                Err(HarnessError::Usage(m)) => assert!(m.contains(why), "{target}: {m}"),
                other => panic!("{target}: {other:?}"),
            }
        }
        let (host, addrs) = resolve("[::1]:443", limit).expect("an address");
        assert_eq!((host.as_str(), addrs.len()), ("::1", 1));
    }

    #[test]
    fn an_address_is_no_sni_name_bracketed_or_not() {
        assert_eq!(as_ip("[::1]"), "::1".parse().ok());
        assert_eq!(as_ip("127.0.0.1"), "127.0.0.1".parse().ok());
        assert_eq!(as_ip("localhost"), None);
        assert_eq!(sni_name(Some("[::1]")), None);
        assert_eq!(sni_name(Some("10.0.0.1")), None);
        assert_eq!(sni_name(Some("example.com")), Some("example.com"));
    }

    /// inet_aton(3)'s shorthand forms, which getaddrinfo and so the
    /// connect take as 127.0.0.1 and 10.0.0.1 (s_client sends no SNI for
    /// them either).
    #[test]
    fn a_shorthand_address_is_an_address() {
        let loopback = "127.0.0.1".parse().ok();
        for form in ["127.1", "0x7f000001", "2130706433", "0177.0.0.1"] {
            assert_eq!(as_ip(form), loopback, "{form}");
            assert_eq!(sni_name(Some(form)), None, "{form}");
            assert_eq!(default_servername(None, form), None, "{form}");
        }
        assert_eq!(as_ip("10.1"), "10.0.0.1".parse().ok());
        assert_eq!(as_ip("1.2.3.4.5"), None);
    }

    /// The A-label of RFC 3492's Punycode, as Python's idna codec and
    /// libidn2 write it: `"bücher.example".encode("idna")`.
    #[test]
    fn a_name_in_another_script_goes_out_as_its_a_label() {
        let a_label = "xn--bcher-kva.example";
        assert_eq!(wire_name("bücher.example").as_deref(), Some(a_label));
        assert_eq!(
            default_servername(None, "bücher.example."),
            Some(a_label.to_owned())
        );
        assert_eq!(
            default_servername(Some("bücher.example".into()), "127.0.0.1"),
            Some(a_label.to_owned())
        );
        assert_eq!(
            lookup_target("bücher.example:443").ok().as_deref(),
            Some("xn--bcher-kva.example:443")
        );
        // ASCII names are sent as given, case and all.
        for name in [
            "Example.COM",
            "_acme-challenge.example",
            "localhost",
            a_label,
        ] {
            assert_eq!(wire_name(name).as_deref(), Some(name));
        }
        for bad in ["a b", "a/b", "a\tb", "<b>x", "a@b", "xn--zz"] {
            assert_eq!(wire_name(bad), None, "{bad}");
        }
        // RFC 1035 section 2.3.4: labels of 1 to 63 octets; a trailing dot
        // is the root, not an empty label.
        let longest = format!("{}.example", "a".repeat(63));
        assert_eq!(wire_name(&longest).as_deref(), Some(longest.as_str()));
        assert_eq!(wire_name("example.com.").as_deref(), Some("example.com."));
        let too_long = format!("{}.example", "a".repeat(64));
        for bad in ["a..b", ".", ".a", "a.b..", too_long.as_str()] {
            assert_eq!(wire_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_trailing_dot_is_left_out_of_the_default_name() {
        assert_eq!(
            default_servername(None, "example.com."),
            Some("example.com".to_owned())
        );
        assert_eq!(default_servername(None, "127.0.0.1"), None);
        assert_eq!(default_servername(None, "fe80::1%lo"), None);
        assert_eq!(
            default_servername(Some("given.".into()), "example.com."),
            Some("given.".to_owned())
        );
    }
}
