//! Encrypt-then-MAC (RFC 7366): whether a server that takes a CBC suite
//! agrees to MAC the ciphertext instead of the plaintext, which leaves no
//! padding to probe for the timing of Lucky Thirteen (CVE-2013-0169). A
//! probe offers only CBC suites, at each version below TLS 1.3 that
//! OpenSSL's client reached, best first, until one takes a CBC suite; its
//! ClientHello carries encrypt_then_mac, as OpenSSL's always does, and the
//! ServerHello answers it or not.

use serde::Serialize;

use super::conn::{Offer, Prober};
use super::own_hello;
use super::renegotiation::Seen;
use super::suites::legacy_lacking;
use super::Verdict;
use crate::case::{alert, Version};
use crate::hostile::fingerprint::Answer;
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
    // says nothing of CBC: such a version is asked once more with the
    // dropped CBC suites alone.
    for s in &own {
        probes.push(s.id.clone());
        let (mut suite, mut etm) = (s.suite, s.encrypt_then_mac);
        if !is_cbc(suite) {
            let id = format!("{PROBE}/{}/own", s.version.id());
            let cbc: Vec<u16> = legacy_lacking(p.library())
                .into_iter()
                .filter(|id| is_cbc(*id))
                .collect();
            let (answer, _) = own_hello::ask(p, &id, s.version, &cbc);
            probes.push(id);
            match (&answer, own_hello::chosen(&answer, s.version)) {
                (Answer::ServerHello { extensions, .. }, Some(chosen)) => {
                    (suite, etm) = (chosen, extensions.contains(&super::facts::ENCRYPT_THEN_MAC));
                }
                _ => {
                    refused.push(format!(
                        "{} (to a hello of the scan's own: {})",
                        s.version.display(),
                        own_hello::not_a_hello(&answer).1
                    ));
                    continue;
                }
            }
        }
        let name = CipherSuite::new(suite)
            .name
            .unwrap_or_else(|| format!("{suite:#06x}"));
        let (supported, how) = if etm {
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

/// Whether `suite` is a CBC suite, by its IANA name.
fn is_cbc(suite: u16) -> bool {
    CipherSuite::new(suite)
        .name
        .is_some_and(|n| n.contains("_CBC_"))
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
