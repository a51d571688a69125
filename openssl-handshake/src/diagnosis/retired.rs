//! What the RFCs have retired from a ClientHello's offer: suites and
//! groups no current TLS stack should enable. A client offering only
//! these is the one to change, whatever a server could be talked into.

/// The groups RFC 8422 (section 5.1.1) deprecates: the curves RFC 4492
/// numbered 1 to 22 (all but secp256r1, secp384r1 and secp521r1 of its
/// 25), and its two explicit-curve code points.
pub(super) fn deprecated_group(id: u16) -> bool {
    (1..=22).contains(&id) || id == 0xff01 || id == 0xff02
}

/// Why no current TLS stack enables any of `offered`, when each is
/// retired ([`obsolete`]) or a code point no registry assigns (scanners
/// add the old Netscape FIPS and draft GOST ones), and at least one is
/// retired: each reason once.
pub(super) fn all_retired(offered: &[u16]) -> Option<Vec<&'static str>> {
    let mut why = Vec::new();
    for &id in offered {
        match obsolete(id) {
            Some(reason) => why.push(reason),
            None if tls_parser::TlsCipherSuite::from_id(id).is_none() => why.push("unassigned"),
            None => return None,
        }
    }
    why.sort_unstable();
    why.dedup();
    (why.iter().any(|w| *w != "unassigned")).then_some(why)
}

/// Why no current TLS stack enables suite `id`, if it is one of those:
/// export-grade, anonymous, without encryption, or with RC4, RC2, single
/// DES, IDEA (both taken out of TLS 1.2 by RFC 5469) or 3DES (64-bit
/// blocks, CVE-2016-2183 "Sweet32"; OpenSSL 3 offers it in no default
/// list, nor do Mozilla's recommendations).
pub(super) fn obsolete(id: u16) -> Option<&'static str> {
    use tls_parser::{TlsCipherAu, TlsCipherEnc, TlsCipherSuite};
    let s = TlsCipherSuite::from_id(id)?;
    if s.name.contains("EXPORT") {
        return Some("export-grade");
    }
    match (s.au, s.enc) {
        (_, TlsCipherEnc::Null) => Some("no encryption"),
        (TlsCipherAu::Null, _) => Some("anonymous"),
        (_, TlsCipherEnc::Rc4) => Some("RC4"),
        (_, TlsCipherEnc::Rc2) => Some("RC2"),
        (_, TlsCipherEnc::Des) => Some("single DES"),
        (_, TlsCipherEnc::Idea) => Some("IDEA"),
        (_, TlsCipherEnc::TripleDes) => Some("3DES (Sweet32)"),
        _ => None,
    }
}
