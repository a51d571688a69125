//! Encrypt-then-MAC (RFC 7366): whether a server that takes a CBC suite
//! agrees to MAC the ciphertext instead of the plaintext, which leaves no
//! padding to probe for the timing of Lucky Thirteen (CVE-2013-0169). A
//! probe offers only CBC suites, at each version below TLS 1.3 that
//! OpenSSL's client reached, best first, until one takes a CBC suite; its
//! ClientHello carries encrypt_then_mac, as OpenSSL's always does, and the
//! ServerHello answers it or not.

use serde::Serialize;

use super::conn::{Offer, Prober};
use super::renegotiation::Seen;
use super::Verdict;
use crate::case::{alert, Version};
use openssl_handshake::decode::CipherSuite;

/// The probes' ids: this, then the version.
const PROBE: &str = "encrypt_then_mac";

/// Every TLS 1.2-and-older suite but the AEAD ones: the CBC suites (the
/// linked OpenSSL has no stream cipher left but NULL, which ALL leaves
/// out). Named by cipher, as OpenSSL 3.0's `!AEAD` removes nothing; RC4
/// and NULL out too, for a build that still has them.
const CBC_SUITES: &str = "ALL:!AESGCM:!AESCCM:!CHACHA20:!ARIAGCM:!RC4:!eNULL";

/// The encrypt-then-MAC finding.
#[derive(Debug, Clone, Serialize)]
pub struct EtmFinding {
    /// Yes: the ServerHello for a CBC suite carried encrypt_then_mac.
    pub supported: Verdict,
    /// What the probe saw.
    pub detail: String,
    /// The probe.
    pub probes: Vec<String>,
}

impl EtmFinding {
    /// The finding when its task could not run.
    pub fn failed() -> Self {
        EtmFinding {
            supported: Verdict::NotTestable,
            detail: "the encrypt-then-MAC probe panicked".into(),
            probes: Vec::new(),
        }
    }
}

/// Offers only CBC suites at each of `accepted` from TLS 1.2 down, until
/// one takes a CBC suite: a server may keep CBC for older clients alone.
/// Then `own`, the ServerHellos of the versions only the scan's own
/// hellos reached (which offer encrypt_then_mac too), best first: one for
/// a CBC suite answers.
pub fn scan(p: &Prober, accepted: &[Version], own: &[Seen]) -> EtmFinding {
    let older = |v: &Version| *v >= Version::Tls1 && *v < Version::Tls1_3;
    let mut versions: Vec<Version> = accepted.iter().copied().filter(older).collect();
    versions.sort_unstable_by(|a, b| b.cmp(a));
    let mut own: Vec<&Seen> = own.iter().filter(|s| older(&s.version)).collect();
    own.sort_unstable_by_key(|s| std::cmp::Reverse(s.version));
    let mut probes = Vec::new();
    let mut refused = Vec::new();
    for v in versions {
        let id = format!("{PROBE}/{}", v.id());
        let a = p.run(
            &id,
            &Offer {
                min: Some(v),
                max: Some(v),
                cipher_list: Some(CBC_SUITES.into()),
                ..Offer::default()
            },
            None,
        );
        probes.push(id);
        let suite = a.hello.suite.as_ref().map(|(_, name)| name.as_str());
        // The linked OpenSSL offers it unless its configuration says not
        // (`Options = -EncryptThenMac` in openssl.cnf): then the server's
        // silence answers nothing.
        if suite.is_some() && !offered(&a) {
            return EtmFinding {
                supported: Verdict::NotTestable,
                detail: format!(
                    "this client's ClientHello at {} did not offer encrypt_then_mac (the linked \
                     OpenSSL's configuration leaves it out: see Options in openssl.cnf), so the \
                     ServerHello could not answer it",
                    v.display()
                ),
                probes,
            };
        }
        let (supported, detail) = match (suite, a.hello.encrypt_then_mac) {
            (Some(s), true) => (
                Verdict::Yes,
                format!("{} {s}: encrypt_then_mac in the ServerHello", v.display()),
            ),
            (Some(s), false) => (
                Verdict::No,
                format!(
                    "{} {s}: no encrypt_then_mac in the ServerHello, so CBC records are MACed \
                     before encryption (MAC-then-encrypt)",
                    v.display()
                ),
            ),
            (None, _) if a.unanswered.is_some() => (
                Verdict::NotTestable,
                a.unanswered.clone().unwrap_or_default(),
            ),
            (None, _) => {
                refused.push(format!(
                    "{}{}",
                    v.display(),
                    a.hello
                        .alert
                        .map(|d| format!(" (alert {} ({d}))", alert::name(d)))
                        .unwrap_or_default()
                ));
                continue;
            }
        };
        return EtmFinding {
            supported,
            detail,
            probes,
        };
    }
    // A stream suite chosen from the own hello's offer (RC4 before 3DES)
    // says nothing of whether a CBC suite would have been taken.
    let mut unasked = Vec::new();
    for s in &own {
        probes.push(s.id.clone());
        let suite = CipherSuite::new(s.suite);
        let name = suite
            .name
            .clone()
            .unwrap_or_else(|| format!("{:#06x}", s.suite));
        if !name.contains("_CBC_") {
            unasked.push(format!("{} {name}", s.version.display()));
            continue;
        }
        let (supported, how) = if s.encrypt_then_mac {
            (
                Verdict::Yes,
                "encrypt_then_mac in the ServerHello".to_owned(),
            )
        } else {
            (
                Verdict::No,
                "no encrypt_then_mac in the ServerHello, so CBC records are MACed before \
                 encryption (MAC-then-encrypt)"
                    .to_owned(),
            )
        };
        return EtmFinding {
            supported,
            detail: format!(
                "{} {name}, to a hello of the scan's own: {how}",
                s.version.display()
            ),
            probes,
        };
    }
    if !unasked.is_empty() {
        return EtmFinding {
            supported: Verdict::NotTestable,
            detail: format!(
                "the scan's own hellos got no CBC suite ({}, chosen among its offer), so \
                 whether the server takes one is unknown",
                unasked.join(", ")
            ),
            probes,
        };
    }
    EtmFinding {
        supported: Verdict::NotApplicable,
        detail: if refused.is_empty() {
            "no version from TLS 1.0 to TLS 1.2 accepted (TLS 1.3 has no CBC suite)".into()
        } else {
            format!("no CBC suite accepted at {}", refused.join(", "))
        },
        probes,
    }
}

/// Whether the probe's own ClientHello offered encrypt_then_mac.
fn offered(a: &super::conn::Attempt) -> bool {
    a.hello.trace.as_ref().is_some_and(|t| {
        t.messages().any(|m| {
            m.direction == openssl_handshake::Direction::Write
                && matches!(
                    &m.body,
                    Some(openssl_handshake::decode::Body::ClientHello(h))
                        if h.extensions.contains(&super::facts::ENCRYPT_THEN_MAC)
                )
        })
    })
}
