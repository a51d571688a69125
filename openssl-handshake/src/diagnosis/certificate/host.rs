//! Which host names a certificate covers, as OpenSSL's `X509_check_host`
//! decides it (RFC 6125).

use std::net::IpAddr;

use super::LocalCertificate;
use crate::decode::Certificate;

/// Whether `cert` covers `host`: an address one of its IP
/// subjectAltNames, a host name as [`covers_host`] says.
pub(super) fn covers(cert: &LocalCertificate, host: &str) -> bool {
    let (ips, dns): (Vec<&str>, Vec<&str>) = cert
        .names
        .iter()
        .map(String::as_str)
        .partition(|n| n.parse::<IpAddr>().is_ok());
    match host.parse::<IpAddr>() {
        Ok(ip) => ips.iter().any(|n| n.parse::<IpAddr>() == Ok(ip)),
        Err(_) => covers_host(&dns, cert.common_name.as_slice(), host),
    }
}

/// Whether the leaf of a Certificate message covers host name `host`, as
/// [`covers_host`] says.
pub(in crate::diagnosis) fn leaf_covers(chain: &Certificate, host: &str) -> bool {
    let cns: Vec<&str> = chain.leaf_common_names.iter().map(String::as_str).collect();
    covers_host(&leaf_alt_names(chain, "DNS:"), &cns, host)
}

/// The leaf's subjectAltNames of one kind ("DNS:", "IP:"), without it.
pub(super) fn leaf_alt_names<'a>(chain: &'a Certificate, kind: &str) -> Vec<&'a str> {
    chain
        .leaf_subject_alt_names
        .iter()
        .filter_map(|n| n.strip_prefix(kind))
        .collect()
}

/// Whether a certificate with DNS subjectAltNames `dns` and CNs `cns`
/// covers host name `host` as OpenSSL checks it (RFC 6125): one of those
/// names, or without any (IP ones do not count) one of its CNs, with a
/// leading wildcard label.
fn covers_host<S: AsRef<str>>(dns: &[&str], cns: &[S], host: &str) -> bool {
    let names: Vec<&str> = if dns.is_empty() {
        cns.iter().map(AsRef::as_ref).collect()
    } else {
        dns.to_vec()
    };
    names_cover(&names, host)
}

/// Whether one of `names` is `host`, or a wildcard for it.
pub(super) fn names_cover(names: &[&str], host: &str) -> bool {
    names
        .iter()
        .any(|n| n.eq_ignore_ascii_case(host) || wildcard_covers(n, host))
}

/// Whether wildcard `pattern` covers `host` as `X509_check_host` matches
/// one: a single `*`, first or last in the leftmost label (`*.example.com`,
/// `f*.example.com`), followed by at least two labels, and a partial one
/// not over an IDNA (`xn--`) label.
fn wildcard_covers(pattern: &str, host: &str) -> bool {
    let (Some((first, rest)), Some((label, host_rest))) =
        (pattern.split_once('.'), host.split_once('.'))
    else {
        return false;
    };
    let Some((pre, post)) = first.split_once('*') else {
        return false;
    };
    let partial = !pre.is_empty() || !post.is_empty();
    let idna = label
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("xn--"));
    let shaped = !post.contains('*')
        && (pre.is_empty() || post.is_empty())
        && !rest.contains('*')
        && rest.contains('.');
    shaped
        && rest.eq_ignore_ascii_case(host_rest)
        && !(partial && idna)
        && !label.is_empty()
        && label.len() >= pre.len() + post.len()
        && label
            .get(..pre.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(pre))
        && label
            .get(label.len() - post.len()..)
            .is_some_and(|s| s.eq_ignore_ascii_case(post))
}
