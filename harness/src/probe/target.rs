//! The server a probe or scan is pointed at: its host and addresses, and
//! the name SNI sends and the certificate is checked against.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::error::HarnessError;

/// HOST (brackets removed) and the addresses of `HOST:PORT`, looked up
/// within `timeout`.
pub(crate) fn resolve(
    target: &str,
    timeout: Duration,
) -> Result<(String, Vec<SocketAddr>), HarnessError> {
    let (host, _) = target.rsplit_once(':').ok_or_else(|| {
        HarnessError::Usage(format!(
            "{target:?} is not HOST:PORT (e.g. example.com:443 or 127.0.0.1:4433)"
        ))
    })?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let addrs =
        crate::resolve::addresses(target, timeout).map_err(|e| HarnessError::Unreachable {
            what: format!("resolving {target}"),
            source: e,
        })?;
    Ok((host, addrs))
}

/// `name` as an IP address, bracketed (`[::1]`) or not.
pub(crate) fn as_ip(name: &str) -> Option<IpAddr> {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    bare.parse().ok()
}

/// `name` as SNI sends it: none for an IP address, which RFC 6066
/// (section 3) does not allow there.
pub(crate) fn sni_name(name: Option<&str>) -> Option<&str> {
    name.filter(|n| as_ip(n).is_none())
}

/// The SNI name: `given`, else HOST when it is a name, not an address.
pub(crate) fn default_servername(given: Option<String>, host: &str) -> Option<String> {
    given.or_else(|| host.parse::<IpAddr>().is_err().then(|| host.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_no_sni_name_bracketed_or_not() {
        assert_eq!(as_ip("[::1]"), "::1".parse().ok());
        assert_eq!(as_ip("127.0.0.1"), "127.0.0.1".parse().ok());
        assert_eq!(as_ip("localhost"), None);
        assert_eq!(sni_name(Some("[::1]")), None);
        assert_eq!(sni_name(Some("10.0.0.1")), None);
        assert_eq!(sni_name(Some("example.com")), Some("example.com"));
    }
}
