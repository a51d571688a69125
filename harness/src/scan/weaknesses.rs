//! The named attacks a server's versions and suites leave it open to, as
//! testssl.sh lists them, read from what the scan found (no probe of its
//! own): SWEET32 from a 64-bit block cipher, POODLE from SSLv3 with CBC,
//! and so on. Each says which finding it rests on.

use serde::Serialize;

use super::ssl2::Sslv2Finding;
use super::suites::SuiteFinding;
use super::versions::VersionFinding;
use super::{Findings, Verdict};
use crate::case::Version;

/// One named attack.
#[derive(Debug, Clone, Serialize)]
pub struct Weakness {
    /// Its name, e.g. "SWEET32".
    pub name: &'static str,
    /// Its CVE, or the RFC that retired what it attacks.
    pub reference: &'static str,
    /// Yes: open to it; no; not testable: a finding it rests on is unknown.
    pub affected: Verdict,
    /// What makes it so, or why not.
    pub detail: String,
    /// The probes it rests on.
    pub probes: Vec<String>,
}

/// Every weakness, judged from `f`.
pub fn from_findings(f: &Findings) -> Vec<Weakness> {
    judge(&f.sslv2, &f.versions, &f.suites, f.dh.min_bits)
}

/// Every weakness, judged from the findings it rests on.
fn judge(
    sslv2: &Sslv2Finding,
    versions: &[VersionFinding],
    suites: &[SuiteFinding],
    dh_min_bits: Option<usize>,
) -> Vec<Weakness> {
    let version = |v: Version| versions.iter().find(|x| x.version == v);
    let taken = |v: Version| version(v).map_or(Verdict::NotTestable, |x| x.accepted);
    let suite_probes: Vec<String> = suites.iter().flat_map(|s| s.probes.clone()).collect();
    // The accepted suites whose IANA name matches, each with its versions.
    let using = |test: &dyn Fn(&str) -> bool| -> Vec<String> {
        let mut out: Vec<(String, Vec<&str>)> = Vec::new();
        for s in suites {
            for (name, iana) in s.accepted.iter().zip(&s.iana) {
                if !test(iana) {
                    continue;
                }
                match out.iter_mut().find(|(n, _)| n == name) {
                    Some((_, vs)) => vs.push(s.version.display()),
                    None => out.push((name.clone(), vec![s.version.display()])),
                }
            }
        }
        out.into_iter()
            .map(|(n, vs)| format!("{n} at {}", vs.join(", ")))
            .collect()
    };
    let by_suites = |name, reference, test: &dyn Fn(&str) -> bool, what: &str| {
        let found = using(test);
        let (affected, detail) = if found.is_empty() {
            (Verdict::No, format!("no {what} accepted"))
        } else {
            (Verdict::Yes, found.join("; "))
        };
        Weakness {
            name,
            reference,
            affected,
            detail,
            probes: suite_probes.clone(),
        }
    };
    let cbc_at = |v: Version| {
        suites
            .iter()
            .filter(|s| s.version == v)
            .flat_map(cbc_suites)
            .collect::<Vec<_>>()
    };
    // CBC suites at any of `vs`: yes where one is taken with one, not
    // testable where none is and one's answer is unknown.
    let cbc_by_version = |name, reference, vs: &[Version]| {
        let mut found = Vec::new();
        let mut unknown = Vec::new();
        let mut safe = Vec::new();
        let mut probes = Vec::new();
        for &v in vs {
            probes.extend(version(v).map(|x| x.probes.clone()).unwrap_or_default());
            let at_v = suites.iter().filter(|s| s.version == v);
            probes.extend(at_v.flat_map(|s| s.probes.clone()));
            match taken(v) {
                Verdict::Yes => {
                    let cbc = cbc_at(v);
                    if cbc.is_empty() {
                        safe.push(format!("{} taken, but no CBC suite", v.display()));
                    } else {
                        found.push(format!("CBC suites at {}: {}", v.display(), cbc.join(", ")));
                    }
                }
                Verdict::No => safe.push(format!("{} not taken", v.display())),
                _ => unknown.push(v.display()),
            }
        }
        let (affected, detail) = match (found.is_empty(), unknown.is_empty()) {
            (false, _) => (Verdict::Yes, found.join("; ")),
            (true, true) => (Verdict::No, safe.join("; ")),
            (true, false) => (
                Verdict::NotTestable,
                format!("whether it takes {} is unknown", unknown.join(", ")),
            ),
        };
        Weakness {
            name,
            reference,
            affected,
            detail,
            probes,
        }
    };
    let drown = Weakness {
        name: "DROWN",
        reference: "CVE-2016-0800",
        affected: sslv2.accepted,
        detail: match sslv2.accepted {
            Verdict::Yes => {
                "this server speaks SSLv2 (any server sharing its key is open too)".into()
            }
            _ => format!("SSLv2: {}", sslv2.detail),
        },
        probes: sslv2.probes.clone(),
    };
    let logjam = {
        let mut w = by_suites(
            "LOGJAM",
            "CVE-2015-4000",
            &|n| n.contains("_DH") && n.contains("EXPORT"),
            "export DHE suite",
        );
        match dh_min_bits {
            Some(bits) if bits <= 1024 => {
                w.affected = Verdict::Yes;
                w.detail = format!("a {bits}-bit DH prime; {}", w.detail);
            }
            Some(bits) => w.detail = format!("{}; smallest DH prime {bits} bits", w.detail),
            None => {}
        }
        w
    };
    vec![
        drown,
        cbc_by_version("POODLE", "CVE-2014-3566", &[Version::Ssl3]),
        by_suites(
            "SWEET32",
            "CVE-2016-2183",
            &|n| {
                ["_3DES_", "_DES_", "_DES40_", "_IDEA_", "_RC2_"]
                    .iter()
                    .any(|c| n.contains(c))
            },
            "64-bit block cipher",
        ),
        by_suites("RC4", "RFC 7465", &|n| n.contains("_RC4_"), "RC4 suite"),
        by_suites(
            "FREAK",
            "CVE-2015-0204",
            &|n| n.starts_with("TLS_RSA_EXPORT"),
            "export RSA suite",
        ),
        logjam,
        cbc_by_version("BEAST", "CVE-2011-3389", &[Version::Ssl3, Version::Tls1]),
    ]
}

/// The CBC suites of one version's finding.
fn cbc_suites(s: &SuiteFinding) -> Vec<String> {
    s.accepted
        .iter()
        .zip(&s.iana)
        .filter(|(_, iana)| iana.contains("_CBC_"))
        .map(|(n, _)| n.clone())
        .collect()
}

#[cfg(test)]
mod tests;
