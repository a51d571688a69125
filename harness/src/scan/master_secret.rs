//! The extended master secret (RFC 7627): whether the server binds the
//! master secret to the whole handshake below TLS 1.3, which the triple
//! handshake attack (CVE-2014-1295) needs it not to. Read from the
//! version probes' ServerHellos: OpenSSL's client always offers it.

use serde::Serialize;

use super::conn::Attempt;
use super::Verdict;
use crate::case::Version;

/// The extended master secret finding.
#[derive(Debug, Clone, Serialize)]
pub struct MasterSecretFinding {
    /// Yes: every ServerHello below TLS 1.3 the version probes got
    /// carried extended_master_secret.
    pub extended: Verdict,
    /// What was seen.
    pub detail: String,
    /// The version probes it rests on.
    pub probes: Vec<String>,
}

/// Reads extended_master_secret from the version probes' ServerHellos.
pub fn from_versions(attempts: &[Attempt]) -> MasterSecretFinding {
    let old: Vec<(&Attempt, Version)> = attempts
        .iter()
        .filter_map(|a| {
            a.hello
                .version
                .filter(|v| *v < Version::Tls1_3)
                .map(|v| (a, v))
        })
        .collect();
    if old.is_empty() {
        return MasterSecretFinding {
            extended: Verdict::NotApplicable,
            detail: "no TLS 1.2-or-older ServerHello; TLS 1.3 binds its secrets to the \
                     handshake itself"
                .into(),
            probes: Vec::new(),
        };
    }
    let without: Vec<&str> = old
        .iter()
        .filter(|(a, _)| !a.hello.extended_master_secret)
        .map(|(_, v)| v.display())
        .collect();
    MasterSecretFinding {
        extended: if without.is_empty() {
            Verdict::Yes
        } else {
            Verdict::No
        },
        detail: if without.is_empty() {
            "extended_master_secret in every ServerHello below TLS 1.3".into()
        } else {
            format!(
                "no extended_master_secret in the ServerHello at {}",
                without.join(", ")
            )
        },
        probes: old.iter().map(|(a, _)| a.id.clone()).collect(),
    }
}
