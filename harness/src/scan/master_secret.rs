//! The extended master secret (RFC 7627): whether the server binds the
//! master secret to the whole handshake below TLS 1.3, which the triple
//! handshake attack (CVE-2014-1295) needs it not to. Read from the
//! version probes' ServerHellos: OpenSSL's client always offers it, and
//! so do the scan's own hellos.

use serde::Serialize;

use super::conn::Attempt;
use super::renegotiation::{older_seen, Seen};
use super::versions::{reached_only_by_own_hellos, VersionFinding};
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

/// Reads extended_master_secret from the version probes' ServerHellos,
/// OpenSSL's and, where only those reached a version, the scan's own
/// (which offer it too). SSLv3's hellos carry no extensions: a server
/// that takes it has handshakes without.
pub fn from_versions(attempts: &[Attempt], versions: &[VersionFinding]) -> MasterSecretFinding {
    let old: Vec<Seen> = older_seen(attempts, versions)
        .into_iter()
        .filter(|s| s.version >= Version::Tls1)
        .collect();
    // A version taken whose ServerHello is not among them (none read).
    let unread: Vec<&str> = reached_only_by_own_hellos(versions, Version::Tls1_3)
        .into_iter()
        .filter(|v| *v >= Version::Tls1 && !old.iter().any(|s| s.version == *v))
        .map(|v| v.display())
        .collect();
    let mut probes: Vec<String> = Vec::new();
    let mut without: Vec<&str> = Vec::new();
    // SSLv3 has no extensions: a server that takes it runs handshakes
    // without the extended master secret (RFC 7627 defines none for it).
    if let Some(v3) = versions
        .iter()
        .find(|v| v.version == Version::Ssl3 && v.accepted == Verdict::Yes)
    {
        probes.extend(v3.probes.iter().cloned());
        without.push("SSLv3 (whose hellos carry no extensions)");
    }
    for s in &old {
        if !probes.contains(&s.id) {
            probes.push(s.id.clone());
        }
        if !s.extended_master_secret && !without.contains(&s.version.display()) {
            without.push(s.version.display());
        }
    }
    if without.is_empty() && !unread.is_empty() {
        return MasterSecretFinding {
            extended: Verdict::NotTestable,
            detail: format!("no ServerHello was read at {}", unread.join(", ")),
            probes,
        };
    }
    if old.is_empty() && without.is_empty() {
        return MasterSecretFinding {
            extended: Verdict::NotApplicable,
            detail: "no TLS 1.0-to-1.2 ServerHello (SSLv3's carry no extensions); TLS 1.3 binds \
                     its secrets to the handshake itself"
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

    fn taken(v: Version, openssl: bool, own: Option<Seen>) -> VersionFinding {
        VersionFinding {
            version: v,
            accepted: Verdict::Yes,
            detail: String::new(),
            probes: Vec::new(),
            openssl_reached: openssl,
            own_hello: own,
        }
    }

    fn seen(v: Version, ems: bool) -> Seen {
        Seen {
            id: format!("version/{}/legacy", v.id()),
            version: v,
            renegotiation_info: true,
            extended_master_secret: ems,
            encrypt_then_mac: false,
            suite: 0x000a,
        }
    }

    /// TLS 1.2 reached only by the scan's own hellos is read from their
    /// answer, not taken for "TLS 1.3 only".
    #[test]
    fn a_version_only_the_scans_own_hellos_reached_is_read_from_them() {
        for (ems, want) in [(true, Verdict::Yes), (false, Verdict::No)] {
            let versions = [
                taken(Version::Tls1_2, false, Some(seen(Version::Tls1_2, ems))),
                taken(Version::Tls1_3, true, None),
            ];
            let f = from_versions(&[], &versions);
            assert_eq!(f.extended, want, "{}", f.detail);
            assert_eq!(f.probes, ["version/tls1_2/legacy"]);
        }
        // Taken, but with no ServerHello to read: unknown.
        let versions = [taken(Version::Tls1_2, false, None)];
        let f = from_versions(&[], &versions);
        assert_eq!(f.extended, Verdict::NotTestable, "{}", f.detail);
        // SSLv3 taken: handshakes there have no extended master secret,
        // whatever the other versions answer.
        let versions = [
            taken(Version::Ssl3, false, Some(seen(Version::Ssl3, false))),
            taken(Version::Tls1_2, false, Some(seen(Version::Tls1_2, true))),
        ];
        let f = from_versions(&[], &versions);
        assert_eq!(f.extended, Verdict::No, "{}", f.detail);
        assert!(f.detail.contains("SSLv3"), "{}", f.detail);
    }
}
