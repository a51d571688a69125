//! Downgrade protection (RFC 8446 4.1.3): a server that accepts TLS 1.3
//! but negotiates an older version ends its ServerHello's random with a
//! sentinel, "DOWNGRD\x01" for TLS 1.2 and "DOWNGRD\x00" below, which a
//! TLS 1.3 client checks: an attacker who strips TLS 1.3 from its hello
//! is then caught. Read from the version probes' ServerHellos, which
//! offer one version each (so OpenSSL's client does not check the
//! sentinel itself, and the handshake goes on to show it).

use serde::Serialize;

use super::conn::Attempt;
use super::versions::{older_hellos, reached_only_by_own_hellos, VersionFinding};
use super::Verdict;
use crate::case::Version;

/// The downgrade protection finding.
#[derive(Debug, Clone, Serialize)]
pub struct DowngradeFinding {
    /// Yes: every ServerHello below TLS 1.3 ended its random with the
    /// sentinel for its version; not applicable where the server accepts
    /// no TLS 1.3 or nothing older.
    pub protected: Verdict,
    /// What was seen.
    pub detail: String,
    /// The version probes it rests on.
    pub probes: Vec<String>,
}

/// The sentinel's last byte RFC 8446 gives for a ServerHello at `v`.
fn expected(v: Version) -> u8 {
    u8::from(v == Version::Tls1_2)
}

fn sentinel_name(byte: u8) -> String {
    format!("DOWNGRD\\x{byte:02x}")
}

/// Reads the sentinels of the version probes' ServerHellos, given which
/// versions the server accepts.
pub fn from_versions(attempts: &[Attempt], versions: &[VersionFinding]) -> DowngradeFinding {
    let old = older_hellos(attempts);
    let probes = old.iter().map(|(a, _)| a.id.clone()).collect();
    let tls13 = versions
        .iter()
        .find(|f| f.version == Version::Tls1_3)
        .map_or(Verdict::NotTestable, |f| f.accepted);
    let finding = |protected, detail: String| DowngradeFinding {
        protected,
        detail,
        probes,
    };
    // The scan's own hellos keep no ServerHello random.
    let unread = reached_only_by_own_hellos(versions, Version::Tls1_3);
    let unread_text = || {
        let names: Vec<&str> = unread.iter().map(|v| v.display()).collect();
        format!(
            "{} answered only hellos of the scan's own, whose ServerHello randoms are not read",
            names.join(", ")
        )
    };
    if old.is_empty() {
        if !unread.is_empty() {
            return finding(Verdict::NotTestable, unread_text());
        }
        return finding(
            Verdict::NotApplicable,
            "no ServerHello below TLS 1.3: there is no older version to fall to".into(),
        );
    }
    let faults: Vec<String> = old
        .iter()
        .filter_map(|(a, v)| match a.hello.downgrade_sentinel {
            Some(b) if b == expected(*v) => None,
            Some(b) => Some(format!(
                "{} at {}, where RFC 8446 gives {}",
                sentinel_name(b),
                v.display(),
                sentinel_name(expected(*v))
            )),
            None => Some(format!("no sentinel at {}", v.display())),
        })
        .collect();
    match tls13 {
        Verdict::Yes if faults.is_empty() && !unread.is_empty() => finding(
            Verdict::NotTestable,
            format!(
                "the sentinel at {}, but {}",
                versions_of(&old),
                unread_text()
            ),
        ),
        Verdict::Yes if faults.is_empty() => finding(
            Verdict::Yes,
            format!(
                "the ServerHello random ends with the downgrade sentinel at {}",
                versions_of(&old)
            ),
        ),
        Verdict::Yes => finding(
            Verdict::No,
            format!(
                "{}: a TLS 1.3 client cannot tell an attacker's downgrade from the server's choice",
                faults.join(", ")
            ),
        ),
        // Without TLS 1.3, a TLS 1.2 ServerHello that claims a downgrade
        // makes every TLS 1.3 client abort.
        _ if old
            .iter()
            .any(|(a, v)| *v == Version::Tls1_2 && a.hello.downgrade_sentinel == Some(1)) =>
        {
            finding(
                Verdict::No,
                format!(
                    "{} at TLS 1.2 though TLS 1.3 was {}: a TLS 1.3 client takes it for a \
                     downgrade and aborts",
                    sentinel_name(1),
                    if tls13 == Verdict::No {
                        "refused"
                    } else {
                        "not confirmed"
                    }
                ),
            )
        }
        Verdict::No => finding(
            Verdict::NotApplicable,
            "the server refuses TLS 1.3, which the sentinel protects".into(),
        ),
        _ => finding(
            Verdict::NotTestable,
            "whether the server accepts TLS 1.3 is unknown".into(),
        ),
    }
}

fn versions_of(old: &[(&Attempt, Version)]) -> String {
    let names: Vec<&str> = old.iter().map(|(_, v)| v.display()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello_at(v: Version, sentinel: Option<u8>) -> Attempt {
        let mut a = Attempt::failed(&format!("version/{}", v.id()), String::new());
        a.hello.version = Some(v);
        a.hello.downgrade_sentinel = sentinel;
        a
    }

    fn version(v: Version, accepted: Verdict, openssl_reached: bool) -> VersionFinding {
        VersionFinding {
            version: v,
            accepted,
            detail: String::new(),
            probes: Vec::new(),
            openssl_reached,
            own_hello: None,
        }
    }

    fn accepting(tls13: Verdict) -> Vec<VersionFinding> {
        vec![
            version(Version::Tls1_1, Verdict::Yes, true),
            version(Version::Tls1_2, Verdict::Yes, true),
            version(Version::Tls1_3, tls13, true),
        ]
    }

    #[test]
    fn each_version_needs_its_own_sentinel() {
        let right = [
            hello_at(Version::Tls1_1, Some(0)),
            hello_at(Version::Tls1_2, Some(1)),
        ];
        let f = from_versions(&right, &accepting(Verdict::Yes));
        assert_eq!(f.protected, Verdict::Yes, "{}", f.detail);

        let swapped = [
            hello_at(Version::Tls1_1, Some(1)),
            hello_at(Version::Tls1_2, None),
        ];
        let f = from_versions(&swapped, &accepting(Verdict::Yes));
        assert_eq!(f.protected, Verdict::No);
        assert!(
            f.detail
                .contains("DOWNGRD\\x01 at TLS 1.1, where RFC 8446 gives DOWNGRD\\x00")
                && f.detail.contains("no sentinel at TLS 1.2"),
            "{}",
            f.detail
        );
    }

    #[test]
    fn a_server_without_tls13_claiming_a_downgrade_is_at_fault() {
        let plain = [hello_at(Version::Tls1_2, None)];
        let f = from_versions(&plain, &accepting(Verdict::No));
        assert_eq!(f.protected, Verdict::NotApplicable, "{}", f.detail);

        let claiming = [hello_at(Version::Tls1_2, Some(1))];
        let f = from_versions(&claiming, &accepting(Verdict::No));
        assert_eq!(f.protected, Verdict::No);
        assert!(f.detail.contains("aborts"), "{}", f.detail);
    }

    #[test]
    fn a_version_only_the_scans_own_hellos_reached_is_unread() {
        let mut versions = accepting(Verdict::Yes);
        versions[0].openssl_reached = false;
        let f = from_versions(&[hello_at(Version::Tls1_2, Some(1))], &versions);
        assert_eq!(f.protected, Verdict::NotTestable);
        assert!(f.detail.contains("TLS 1.1 answered only"), "{}", f.detail);
        let f = from_versions(&[], &versions[..1]);
        assert_eq!(f.protected, Verdict::NotTestable, "{}", f.detail);
    }
}
