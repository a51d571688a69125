//! Secure renegotiation (RFC 5746): whether the ServerHello of a TLS 1.2
//! or older handshake carries renegotiation_info. TLS 1.3 has no
//! renegotiation. Read from the version probes; no extra connection.

use serde::Serialize;

use super::conn::Attempt;
use super::Verdict;

/// Whether the server supports RFC 5746.
#[derive(Debug, Clone, Serialize)]
pub struct RenegotiationFinding {
    /// Yes: every TLS 1.2-or-older ServerHello carried renegotiation_info.
    pub secure: Verdict,
    /// What the probes saw.
    pub detail: String,
    /// The probes.
    pub probes: Vec<String>,
}

/// Reads renegotiation_info from the version probes' ServerHellos.
pub fn from_versions(attempts: &[Attempt]) -> RenegotiationFinding {
    let old: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| {
            a.hello
                .version
                .is_some_and(|v| v < crate::case::Version::Tls1_3)
        })
        .collect();
    if old.is_empty() {
        return RenegotiationFinding {
            secure: Verdict::NotApplicable,
            detail: "no TLS 1.2-or-older ServerHello, and TLS 1.3 has no renegotiation".into(),
            probes: Vec::new(),
        };
    }
    let without: Vec<&str> = old
        .iter()
        .filter(|a| !a.hello.renegotiation_info)
        .map(|a| a.id.as_str())
        .collect();
    RenegotiationFinding {
        secure: if without.is_empty() {
            Verdict::Yes
        } else {
            Verdict::No
        },
        detail: if without.is_empty() {
            "renegotiation_info in every ServerHello".into()
        } else {
            format!("no renegotiation_info in {}", without.join(", "))
        },
        probes: old.iter().map(|a| a.id.clone()).collect(),
    }
}
