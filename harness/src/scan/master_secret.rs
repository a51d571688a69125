//! The extended master secret (RFC 7627): whether the server binds the
//! master secret to the whole handshake below TLS 1.3, which the triple
//! handshake attack (CVE-2014-1295) needs it not to. Read from the
//! version probes' ServerHellos: OpenSSL's client always offers it.

use serde::Serialize;

use super::conn::Attempt;
use super::versions::{older_hellos, reached_only_by_own_hellos, VersionFinding};
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
/// A TLS version reached only by a hello of the scan's own, which offers
/// no extended_master_secret, leaves the finding not testable.
pub fn from_versions(attempts: &[Attempt], versions: &[VersionFinding]) -> MasterSecretFinding {
    let old = older_hellos(attempts);
    // SSLv3's hellos carry no extensions, so it has no answer to read.
    let unread: Vec<&str> = reached_only_by_own_hellos(versions, Version::Tls1_3)
        .into_iter()
        .filter(|v| *v >= Version::Tls1)
        .map(|v| v.display())
        .collect();
    let probes = old.iter().map(|(a, _)| a.id.clone()).collect();
    let without: Vec<&str> = old
        .iter()
        .filter(|(a, _)| !a.hello.extended_master_secret)
        .map(|(_, v)| v.display())
        .collect();
    if without.is_empty() && !unread.is_empty() {
        return MasterSecretFinding {
            extended: Verdict::NotTestable,
            detail: format!(
                "{} answered only hellos of the scan's own, which do not offer \
                 extended_master_secret",
                unread.join(", ")
            ),
            probes,
        };
    }
    if old.is_empty() {
        return MasterSecretFinding {
            extended: Verdict::NotApplicable,
            detail: "no TLS 1.2-or-older ServerHello; TLS 1.3 binds its secrets to the \
                     handshake itself"
                .into(),
            probes: Vec::new(),
        };
    }
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
        probes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::Verdict;

    /// TLS 1.2 reached only by the scan's own hellos, which offer no
    /// extended_master_secret, leaves the answer unknown, not "TLS 1.3
    /// only".
    #[test]
    fn a_version_only_the_scans_own_hellos_reached_is_not_testable() {
        let versions = [Version::Tls1_2, Version::Tls1_3].map(|v| VersionFinding {
            version: v,
            accepted: Verdict::Yes,
            detail: String::new(),
            probes: Vec::new(),
            openssl_reached: v == Version::Tls1_3,
            own_hello: None,
        });
        let f = from_versions(&[], &versions);
        assert_eq!(f.extended, Verdict::NotTestable, "{}", f.detail);
        assert!(f.detail.contains("TLS 1.2 answered only"), "{}", f.detail);
    }
}
