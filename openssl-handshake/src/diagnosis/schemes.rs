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
/// [`super::LocalCertificate::key_type`] names it) can make; in TLS 1.3
/// RSASSA-PKCS1-v1_5 is not among them (RFC 8446 section 4.2.3).
pub(super) fn fitting(offered: &[SignatureScheme], key_type: &str, tls13: bool) -> Vec<String> {
    offered
        .iter()
        .filter_map(|s| s.name.clone())
        .filter(|n| match key_type {
            "RSA" => n.starts_with("rsa_pss_rsae_") || (!tls13 && n.starts_with("rsa_pkcs1_")),
            "RSA-PSS" => n.starts_with("rsa_pss_pss_"),
            "EC" => n.starts_with("ecdsa_"),
            "Ed25519" => n == "ed25519",
            "Ed448" => n == "ed448",
            _ => true,
        })
        .collect()
}
