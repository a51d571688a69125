//! Which signature schemes a key can make: what a peer's list of schemes
//! (a ClientHello's, a CertificateRequest's) leaves a certificate.

use crate::decode::SignatureScheme;

use super::facts::{list, named};

/// The schemes by name (hex where unnamed), without GREASE, a dozen at
/// most.
pub(super) fn names(schemes: &[SignatureScheme]) -> String {
    list(&named(schemes.iter().map(|s| (s.id, &s.name))), 12)
}

/// The schemes of `offered` that a key of `key_type` (as
/// [`super::LocalCertificate::key_type`] names it) and `key_bits` can
/// make. In TLS 1.3 RSASSA-PKCS1-v1_5 is not among them, and an ECDSA
/// scheme names its curve, which an EC key's size tells (RFC 8446 section
/// 4.2.3).
pub(super) fn fitting(
    offered: &[SignatureScheme],
    key_type: &str,
    key_bits: Option<u32>,
    tls13: bool,
) -> Vec<String> {
    let curve_scheme = key_bits.and_then(tls13_ecdsa).map(|(_, s)| s);
    offered
        .iter()
        .filter_map(|s| s.name.clone())
        .filter(|n| match key_type {
            "RSA" => n.starts_with("rsa_pss_rsae_") || (!tls13 && n.starts_with("rsa_pkcs1_")),
            "RSA-PSS" => n.starts_with("rsa_pss_pss_"),
            "EC" if tls13 && key_bits.is_some() => curve_scheme == Some(n.as_str()),
            "EC" => n.starts_with("ecdsa_"),
            "Ed25519" => n == "ed25519",
            "Ed448" => n == "ed448",
            _ => true,
        })
        .collect()
}

/// The curve of a `bits`-bit EC key and the one TLS 1.3 scheme it signs
/// with (the NIST curves OpenSSL uses for these sizes).
pub(super) fn tls13_ecdsa(bits: u32) -> Option<(&'static str, &'static str)> {
    match bits {
        256 => Some(("P-256", "ecdsa_secp256r1_sha256")),
        384 => Some(("P-384", "ecdsa_secp384r1_sha384")),
        521 => Some(("P-521", "ecdsa_secp521r1_sha512")),
        _ => None,
    }
}

/// The common client key kinds for which `offered` (a CertificateRequest's
/// schemes) has no scheme: a client holding such a certificate sends none
/// (OpenSSL's client does so). Empty when every kind fits, or when the
/// request lists no schemes.
pub(super) fn kinds_left_out(offered: &[SignatureScheme], tls13: bool) -> Vec<&'static str> {
    if offered.is_empty() {
        return Vec::new();
    }
    [
        ("RSA", "RSA", None),
        ("ECDSA P-256", "EC", Some(256)),
        ("ECDSA P-384", "EC", Some(384)),
        ("Ed25519", "Ed25519", None),
    ]
    .into_iter()
    .filter(|(_, key, bits)| fitting(offered, key, *bits, tls13).is_empty())
    .map(|(kind, _, _)| kind)
    .collect()
}
