//! Downgrade protection (RFC 8446 4.1.3): a server that accepts TLS 1.3
//! but negotiates an older version must end its ServerHello's random with
//! a sentinel, "DOWNGRD\x01" for TLS 1.2 and "DOWNGRD\x00" below, which a
//! TLS 1.3 client checks: an attacker who strips TLS 1.3 from its hello
//! is then caught. A TLS 1.2 server should mark what it negotiates below
//! TLS 1.2 with "DOWNGRD\x00", and must not mark TLS 1.2, where TLS 1.3
//! clients abort on either value. Read from the version probes' ServerHellos, which
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
    /// Yes: every ServerHello below the server's best version ended its
    /// random with the sentinel for its version; not applicable where
    /// nothing falls below a version the sentinel protects.
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
    let accepted = |v: Version| {
        versions
            .iter()
            .find(|f| f.version == v)
            .map_or(Verdict::NotTestable, |f| f.accepted)
    };
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
    // A sentinel at TLS 1.2 says the server would rather have spoken TLS
    // 1.3; TLS 1.3 clients abort on either value there (RFC 8446 4.1.3).
    let claimed_at_tls12 = old
        .iter()
        .find(|(_, v)| *v == Version::Tls1_2)
        .and_then(|(a, _)| a.hello.downgrade_sentinel);
    let tls13 = accepted(Version::Tls1_3);
    if let (Verdict::No, Some(b)) = (tls13, claimed_at_tls12) {
        let why = format!(
            "{} at TLS 1.2, though the server refuses TLS 1.3: a TLS 1.3 client takes it for a \
             downgrade and aborts",
            sentinel_name(b)
        );
        return finding(Verdict::No, why);
    }
    // What the server must mark below TLS 1.3, or, as a TLS 1.2 server,
    // should mark below TLS 1.2.
    let (protected_below, must) = match tls13 {
        Verdict::Yes => (Version::Tls1_3, true),
        Verdict::No => (Version::Tls1_2, false),
        _ => {
            let why = "whether the server accepts TLS 1.3, and so which sentinels it owes, is \
                       unknown";
            return finding(Verdict::NotTestable, why.into());
        }
    };
    let owed: Vec<&(&Attempt, Version)> =
        old.iter().filter(|(_, v)| *v < protected_below).collect();
    let unread_owed = unread.iter().any(|v| *v < protected_below);
    if !must {
        let why = match accepted(Version::Tls1_2) {
            Verdict::Yes if owed.is_empty() && !unread_owed => {
                "the server refuses TLS 1.3 and takes nothing below TLS 1.2: there is no \
                 downgrade to mark"
            }
            Verdict::Yes => "",
            Verdict::No => {
                "the server refuses TLS 1.3 and TLS 1.2: no version it takes falls below one \
                 the sentinel protects"
            }
            _ => {
                let why = "the server refuses TLS 1.3, and whether it takes TLS 1.2, below \
                           which it should mark a downgrade, is unknown";
                return finding(Verdict::NotTestable, why.into());
            }
        };
        if !why.is_empty() {
            return finding(Verdict::NotApplicable, why.into());
        }
    }
    if owed.is_empty() {
        return if unread_owed {
            finding(Verdict::NotTestable, unread_text())
        } else {
            let why = "no ServerHello below TLS 1.3: there is no older version to fall to";
            finding(Verdict::NotApplicable, why.into())
        };
    }
    let faults: Vec<String> = owed
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
    let (whose, duty) = if must {
        ("TLS 1.3", "")
    } else {
        ("TLS 1.2", " (RFC 8446 asks it of a TLS 1.2 server, SHOULD)")
    };
    let owed_versions = versions_of(&owed);
    if !faults.is_empty() {
        return finding(
            Verdict::No,
            format!(
                "{}{duty}: a {whose} client cannot tell an attacker's downgrade from the \
                 server's choice",
                faults.join(", ")
            ),
        );
    }
    if unread_owed {
        return finding(
            Verdict::NotTestable,
            format!("the sentinel at {owed_versions}, but {}", unread_text()),
        );
    }
    finding(
        Verdict::Yes,
        format!("the ServerHello random ends with the downgrade sentinel at {owed_versions}{duty}"),
    )
}

fn versions_of(old: &[&(&Attempt, Version)]) -> String {
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
        // TLS 1.3 clients abort on either value at TLS 1.2.
        for b in [0, 1] {
            let claiming = [hello_at(Version::Tls1_2, Some(b))];
            let f = from_versions(&claiming, &accepting(Verdict::No));
            assert_eq!(f.protected, Verdict::No);
            assert!(f.detail.contains("aborts"), "{}", f.detail);
        }
        // Nothing below TLS 1.2 answered: no sentinel is owed.
        let plain = [hello_at(Version::Tls1_2, None)];
        let f = from_versions(&plain, &accepting(Verdict::No));
        assert_eq!(f.protected, Verdict::NotApplicable, "{}", f.detail);
    }

    /// A TLS 1.2 server should mark TLS 1.1 and below, as OpenSSL's does
    /// (`s_server -no_tls1_3`) and GnuTLS's does not.
    #[test]
    fn a_tls12_server_marks_what_falls_below_it() {
        let marked = [
            hello_at(Version::Tls1_1, Some(0)),
            hello_at(Version::Tls1_2, None),
        ];
        let f = from_versions(&marked, &accepting(Verdict::No));
        assert_eq!(f.protected, Verdict::Yes, "{}", f.detail);
        assert!(
            f.detail.contains("at TLS 1.1 (RFC 8446 asks"),
            "{}",
            f.detail
        );
        let unmarked = [
            hello_at(Version::Tls1_1, None),
            hello_at(Version::Tls1_2, None),
        ];
        let f = from_versions(&unmarked, &accepting(Verdict::No));
        assert_eq!(f.protected, Verdict::No, "{}", f.detail);
        assert!(f.detail.contains("a TLS 1.2 client"), "{}", f.detail);
    }

    /// A sentinel at TLS 1.2 says more of TLS 1.3 than a probe that went
    /// unanswered: the server is not blamed for what is unknown.
    #[test]
    fn an_unknown_tls13_blames_nothing() {
        let f = from_versions(
            &[hello_at(Version::Tls1_2, Some(1))],
            &accepting(Verdict::NotTestable),
        );
        assert_eq!(f.protected, Verdict::NotTestable, "{}", f.detail);
    }

    /// SSLv3, which the linked OpenSSL has no probe of, counts from the
    /// probe that got it.
    #[test]
    fn a_version_without_a_probe_of_its_own_counts_from_another() {
        let mut ssl3 = hello_at(Version::Ssl3, Some(0));
        ssl3.id = "version/tls1".into();
        let old = older_hellos(std::slice::from_ref(&ssl3));
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].1, Version::Ssl3);
    }

    /// A server of TLS 1.2 whose TLS 1.2 answer is unknown owes what is
    /// unknown too.
    #[test]
    fn an_unknown_tls12_leaves_a_tls12_servers_duty_unknown() {
        let mut versions = accepting(Verdict::No);
        versions[1].accepted = Verdict::NotTestable;
        let f = from_versions(&[hello_at(Version::Tls1_1, None)], &versions);
        assert_eq!(f.protected, Verdict::NotTestable, "{}", f.detail);
    }

    /// A probe the server answered at a lower version counts once, under
    /// that version's own probe.
    #[test]
    fn a_hello_answered_below_its_probe_counts_once() {
        let mut lower = hello_at(Version::Tls1_1, None);
        lower.id = "version/tls1_2".into();
        let f = from_versions(
            &[hello_at(Version::Tls1_1, None), lower],
            &accepting(Verdict::Yes),
        );
        assert_eq!(f.protected, Verdict::No);
        assert_eq!(f.detail.matches("TLS 1.1").count(), 1, "{}", f.detail);
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
