//! Signature schemes the server signs with, per version: offer every
//! scheme, remove the one the server used, repeat. The scheme is read
//! from the TLS 1.3 CertificateVerify or the TLS 1.2 ServerKeyExchange,
//! so TLS 1.2 probes offer only (EC)DHE suites.

use serde::Serialize;

use super::conn::{Offer, Prober};
use crate::case::Version;

/// A scheme: wire id and the name `SSL_CTX_set1_sigalgs_list` takes.
pub(super) const SCHEMES: &[(u16, &str)] = &[
    (0x0403, "ecdsa_secp256r1_sha256"),
    (0x0503, "ecdsa_secp384r1_sha384"),
    (0x0603, "ecdsa_secp521r1_sha512"),
    (0x0807, "ed25519"),
    (0x0808, "ed448"),
    (0x0804, "rsa_pss_rsae_sha256"),
    (0x0805, "rsa_pss_rsae_sha384"),
    (0x0806, "rsa_pss_rsae_sha512"),
    (0x0809, "rsa_pss_pss_sha256"),
    (0x080a, "rsa_pss_pss_sha384"),
    (0x080b, "rsa_pss_pss_sha512"),
    (0x0401, "rsa_pkcs1_sha256"),
    (0x0501, "rsa_pkcs1_sha384"),
    (0x0601, "rsa_pkcs1_sha512"),
    (0x0303, "ECDSA+SHA224"),
    (0x0301, "RSA+SHA224"),
    (0x0203, "ECDSA+SHA1"),
    (0x0201, "rsa_pkcs1_sha1"),
    (0x0402, "DSA+SHA256"),
    (0x0202, "DSA+SHA1"),
];

/// The schemes of one version.
#[derive(Debug, Clone, Serialize)]
pub struct SigalgFinding {
    /// The version.
    pub version: Version,
    /// RFC 8446 names, in the order the server chose them.
    pub accepted: Vec<String>,
    /// What ended the enumeration.
    pub detail: String,
    /// The probes, in order.
    pub probes: Vec<String>,
    /// The enumeration ended on a probe that got no answer (or lost its
    /// connection before TLS, to a STARTTLS refusal): what it would have
    /// found is unknown, so `accepted` is not the whole list, nor an
    /// empty one a "none" (`findings.unanswered` lists the probe).
    pub cut_short: bool,
}

/// The RFC 8446 name of scheme `id`.
pub fn scheme_name(id: u16) -> String {
    openssl_handshake::decode::SignatureScheme::new(id)
        .name
        .unwrap_or_else(|| format!("0x{id:04x}"))
}

/// Enumerates the schemes at TLS 1.3 and TLS 1.2, when accepted.
pub fn scan(p: &Prober, accepted: &[Version]) -> Vec<SigalgFinding> {
    let versions: Vec<Version> = [Version::Tls1_3, Version::Tls1_2]
        .into_iter()
        .filter(|v| accepted.contains(v))
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = versions
            .iter()
            .map(|&v| s.spawn(move || enumerate(p, v)))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

fn enumerate(p: &Prober, v: Version) -> SigalgFinding {
    let mut left: Vec<(u16, &str)> = SCHEMES
        .iter()
        .copied()
        // TLS 1.3 has no DSA, SHA-224 or SHA-1 schemes (RFC 8446, 4.2.3).
        .filter(|(id, _)| v != Version::Tls1_3 || (id >> 8) >= 4)
        .collect();
    let mut f = SigalgFinding {
        version: v,
        accepted: Vec::new(),
        detail: String::new(),
        probes: Vec::new(),
        cut_short: false,
    };
    while !left.is_empty() {
        let id = format!("sigalgs/{}/{}", v.id(), f.probes.len() + 1);
        let list: Vec<&str> = left.iter().map(|(_, n)| *n).collect();
        let offer = Offer {
            min: Some(v),
            max: Some(v),
            cipher_list: (v != Version::Tls1_3).then(|| "ECDHE:DHE:!aNULL".to_owned()),
            sigalgs: Some(list.join(":")),
            ..Offer::default()
        };
        let a = p.run(&id, &offer, None);
        f.probes.push(id);
        match a.hello.signature {
            Some(sig) => match left.iter().position(|(x, _)| *x == sig) {
                Some(i) => {
                    left.remove(i);
                    f.accepted.push(scheme_name(sig));
                }
                None => {
                    f.detail = format!(
                        "the server signed with {}, which was not offered",
                        scheme_name(sig)
                    );
                    break;
                }
            },
            None => {
                f.cut_short = a.unanswered.is_some();
                f.detail = a.error.unwrap_or_else(|| "the server did not sign".into());
                // A server of RSA key exchange alone signs nothing at TLS
                // 1.2: no scheme to find is no scheme refused.
                if f.accepted.is_empty() && v != Version::Tls1_3 && a.unanswered.is_none() {
                    f.detail = format!(
                        "no (EC)DHE suite was taken with every scheme offered, and only those \
                         sign: {}",
                        f.detail
                    );
                }
                break;
            }
        }
    }
    f
}
