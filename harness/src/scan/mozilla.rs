//! Mozilla's server-side TLS profiles as built-in policies.
//!
//! Source: Mozilla Server Side TLS guidelines, version 5.7
//! (<https://wiki.mozilla.org/Security/Server_Side_TLS>, machine-readable
//! at <https://ssl-config.mozilla.org/guidelines/5.7.json>): the
//! protocol versions, cipher suites (OpenSSL names), groups, certificate
//! types, curves and signatures, RSA and DH sizes and the maximum
//! certificate lifespan of each profile; and a certificate that verifies.
//! Not its `ocsp_staple` (optional in Mozilla's own configurations) nor
//! `server_preferred_order`.

use super::policy::Policy;
use crate::case::Version;

const TLS13_SUITES: [&str; 3] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

const INTERMEDIATE_TLS12: [&str; 9] = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256",
    "DHE-RSA-AES256-GCM-SHA384",
    "DHE-RSA-CHACHA20-POLY1305",
];

const OLD_EXTRA: [&str; 17] = [
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "DHE-RSA-AES128-SHA256",
    "DHE-RSA-AES256-SHA256",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
    "AES128-SHA256",
    "AES256-SHA256",
    "AES128-SHA",
    "AES256-SHA",
    "DES-CBC3-SHA",
];

const GROUPS: [&str; 3] = ["x25519", "prime256v1", "secp384r1"];

const ECDSA_SIGNATURES: [&str; 3] = [
    "ecdsa-with-SHA256",
    "ecdsa-with-SHA384",
    "ecdsa-with-SHA512",
];

/// The names `--policy` takes for the built-in profiles.
pub const NAMES: [&str; 3] = ["mozilla-modern", "mozilla-intermediate", "mozilla-old"];

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| (*s).to_owned()).collect()
}

/// The profile called `name`, if it is one.
pub fn builtin(name: &str) -> Option<Policy> {
    let base = Policy {
        name: Some(name.to_owned()),
        allowed_groups: Some(strings(&GROUPS)),
        require_secure_renegotiation: Some(true),
        // Not a field of the guidelines, which configure a server with a
        // trusted certificate; a gate that passes an expired or untrusted
        // one would mislead (sslyze's checker fails it too).
        require_valid_certificate: Some(true),
        ..Policy::default()
    };
    let p = match name {
        "mozilla-modern" => Policy {
            min_version: Some(Version::Tls1_3),
            allowed_suites: Some(strings(&TLS13_SUITES)),
            certificate_types: Some(strings(&["ecdsa"])),
            certificate_curves: Some(strings(&["prime256v1", "secp384r1"])),
            certificate_signatures: Some(strings(&ECDSA_SIGNATURES)),
            max_certificate_lifespan_days: Some(90),
            ..base
        },
        "mozilla-intermediate" => Policy {
            min_version: Some(Version::Tls1_2),
            allowed_suites: Some(strings(
                &[&TLS13_SUITES[..], &INTERMEDIATE_TLS12[..]].concat(),
            )),
            certificate_types: Some(strings(&["ecdsa", "rsa"])),
            certificate_curves: Some(strings(&["prime256v1", "secp384r1"])),
            certificate_signatures: Some(strings(
                &[&["sha256WithRSAEncryption"][..], &ECDSA_SIGNATURES[..]].concat(),
            )),
            min_rsa_bits: Some(2048),
            min_dh_bits: Some(2048),
            max_certificate_lifespan_days: Some(366),
            ..base
        },
        "mozilla-old" => Policy {
            min_version: Some(Version::Tls1),
            allowed_suites: Some(strings(
                &[&TLS13_SUITES[..], &INTERMEDIATE_TLS12[..], &OLD_EXTRA[..]].concat(),
            )),
            certificate_types: Some(strings(&["rsa"])),
            certificate_signatures: Some(strings(&["sha256WithRSAEncryption"])),
            min_rsa_bits: Some(2048),
            min_dh_bits: Some(1024),
            max_certificate_lifespan_days: Some(366),
            ..base
        },
        _ => return None,
    };
    Some(p)
}
