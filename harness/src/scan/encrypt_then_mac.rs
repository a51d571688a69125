//! Encrypt-then-MAC (RFC 7366): whether a server that takes a CBC suite
//! agrees to MAC the ciphertext instead of the plaintext, which leaves no
//! padding to probe for the timing of Lucky Thirteen (CVE-2013-0169). One
//! probe offers only CBC suites, at the best version below TLS 1.3 that
//! OpenSSL's client reached; its ClientHello carries encrypt_then_mac, as
//! OpenSSL's always does, and the ServerHello answers it or not.

use serde::Serialize;

use super::conn::{Offer, Prober};
use super::Verdict;
use crate::case::{alert, Version};

/// The probe's id.
const PROBE: &str = "encrypt_then_mac";

/// Every TLS 1.2-and-older suite but the AEAD ones: the CBC suites (the
/// linked OpenSSL has no stream cipher left but NULL, which ALL leaves
/// out). Named by cipher, as OpenSSL 3.0's `!AEAD` removes nothing.
const CBC_SUITES: &str = "ALL:!AESGCM:!AESCCM:!CHACHA20:!ARIAGCM";

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

/// Offers only CBC suites at the best of `accepted` below TLS 1.3;
/// `own_only` are the versions only the scan's own hellos reached.
pub fn scan(p: &Prober, accepted: &[Version], own_only: &[Version]) -> EtmFinding {
    let older = |v: &Version| *v >= Version::Tls1 && *v < Version::Tls1_3;
    let Some(v) = accepted.iter().copied().filter(older).max() else {
        if let Some(v) = own_only.iter().filter(|v| older(v)).max() {
            return EtmFinding {
                supported: Verdict::NotTestable,
                detail: format!(
                    "{} answered only hellos of the scan's own, which do not offer \
                     encrypt_then_mac",
                    v.display()
                ),
                probes: Vec::new(),
            };
        }
        return EtmFinding {
            supported: Verdict::NotApplicable,
            detail: "no version below TLS 1.3 accepted, and TLS 1.3 has no CBC suite".into(),
            probes: Vec::new(),
        };
    };
    let a = p.run(
        PROBE,
        &Offer {
            min: Some(v),
            max: Some(v),
            cipher_list: Some(CBC_SUITES.into()),
            ..Offer::default()
        },
        None,
    );
    let suite = a.hello.suite.as_ref().map(|(_, name)| name.as_str());
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
        (None, _) => (
            Verdict::NotApplicable,
            format!(
                "no CBC suite accepted at {}{}",
                v.display(),
                a.hello
                    .alert
                    .map(|d| format!(" (alert {} ({d}))", alert::name(d)))
                    .unwrap_or_default()
            ),
        ),
    };
    EtmFinding {
        supported,
        detail,
        probes: vec![PROBE.into()],
    }
}
