//! The named attacks a server's versions and suites leave it open to, as
//! testssl.sh judges them, read from what the scan found (no probe of its
//! own): SWEET32 from a 64-bit block cipher, POODLE from SSLv3 with CBC,
//! and so on. Each says which findings it rests on, and is not testable
//! where one of them is unknown.

use serde::Serialize;

use super::compression::CompressionFinding;
use super::heartbeat::HeartbeatFinding;
use super::renegotiation::RenegotiationFinding;
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
    /// Its CVE, or the RFC that retired (or warns against) what it attacks.
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
    let mut ws = judge(&f.sslv2, &f.versions, &f.suites);
    ws.push(insecure_renegotiation(&f.renegotiation));
    ws.push(crime(&f.compression));
    ws.push(heartbleed(&f.heartbeat));
    ws
}

/// CRIME (CVE-2012-4929): TLS compression, whose record lengths tell an
/// attacker who injects text how much of it matched a secret.
fn crime(c: &CompressionFinding) -> Weakness {
    let affected = match c.compressed {
        Verdict::NotApplicable => Verdict::No,
        v => v,
    };
    Weakness {
        name: "CRIME",
        reference: "CVE-2012-4929",
        affected,
        detail: c.detail.clone(),
        probes: c.probes.clone(),
    }
}

/// Heartbleed (CVE-2014-0160): a heartbeat answered with memory past the
/// request's payload.
fn heartbleed(h: &HeartbeatFinding) -> Weakness {
    let (affected, detail) = match h.heartbleed {
        Verdict::NotApplicable => (Verdict::No, h.heartbleed_detail.clone()),
        _ if h.detail == h.heartbleed_detail => (h.heartbleed, h.detail.clone()),
        v => (v, format!("{}; {}", h.detail, h.heartbleed_detail)),
    };
    Weakness {
        name: "Heartbleed",
        reference: "CVE-2014-0160",
        affected,
        detail,
        probes: h.probes.clone(),
    }
}

/// Insecure renegotiation (CVE-2009-3555): a renegotiation without RFC
/// 5746's binding to the handshake before it, into which an attacker in
/// the middle splices a prefix of its own. Open where a server lacks RFC
/// 5746 and renegotiates; testssl.sh flags the missing extension alone.
/// A server with RFC 5746 that renegotiates may still do so with clients
/// that lack it (OpenSSL's SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION),
/// which OpenSSL's client, always sending the extension, cannot try.
fn insecure_renegotiation(r: &RenegotiationFinding) -> Weakness {
    let (affected, detail) = match (r.secure, r.client_initiated) {
        (Verdict::Yes, Verdict::Yes) => (
            Verdict::NotTestable,
            "RFC 5746 in every ServerHello, and the server renegotiates when a client asks; \
             whether it also renegotiates with a client that lacks RFC 5746 (the insecure \
             renegotiation, open to such clients; OpenSSL's -legacy_renegotiation allows it) \
             is not testable: OpenSSL's client always sends the extension"
                .to_owned(),
        ),
        (Verdict::Yes, _) => (Verdict::No, "RFC 5746 in every ServerHello".to_owned()),
        (Verdict::NotApplicable, _) => (Verdict::No, r.detail.clone()),
        (Verdict::No, Verdict::Yes) => (
            Verdict::Yes,
            format!(
                "{}, and the server renegotiates when a client asks",
                r.detail
            ),
        ),
        (Verdict::No, Verdict::No) => (
            Verdict::NotTestable,
            format!(
                "{}; the server refused a client's renegotiation, but one it starts itself \
                 (to ask for a client certificate) would be the insecure one",
                r.detail
            ),
        ),
        (Verdict::No, _) => (
            Verdict::NotTestable,
            format!(
                "{}; whether it renegotiates is unknown: {}",
                r.detail, r.client_detail
            ),
        ),
        (_, _) => (Verdict::NotTestable, r.detail.clone()),
    };
    Weakness {
        name: "insecure renegotiation",
        reference: "CVE-2009-3555",
        affected,
        detail,
        probes: r.probes.iter().chain(&r.client_probes).cloned().collect(),
    }
}

/// An accepted suite: its name, IANA name and version.
struct Accepted<'a> {
    name: &'a str,
    iana: &'a str,
    version: Version,
}

/// What the weaknesses read: the accepted suites, and where those are
/// unknown.
struct Evidence<'a> {
    versions: &'a [VersionFinding],
    suites: &'a [SuiteFinding],
}

impl Evidence<'_> {
    fn accepted(&self) -> impl Iterator<Item = Accepted<'_>> {
        self.suites.iter().flat_map(|s| {
            s.accepted.iter().zip(&s.iana).map(|(name, iana)| Accepted {
                name,
                iana,
                version: s.version,
            })
        })
    }

    fn taken(&self, v: Version) -> Verdict {
        let found = self.versions.iter().find(|x| x.version == v);
        found.map_or(Verdict::NotTestable, |x| x.accepted)
    }

    /// Versions below TLS 1.3 whose suites are unknown: not answered, or
    /// taken with none found.
    fn unknown(&self, among: &[Version]) -> Vec<&'static str> {
        among
            .iter()
            .filter(|&&v| match self.taken(v) {
                Verdict::Yes => !self
                    .suites
                    .iter()
                    .any(|s| s.version == v && !s.accepted.is_empty()),
                Verdict::No => false,
                _ => true,
            })
            .map(|v| v.display())
            .collect()
    }

    fn probes_at(&self, vs: &[Version]) -> Vec<String> {
        let versions = self.versions.iter().filter(|x| vs.contains(&x.version));
        let suites = self.suites.iter().filter(|s| vs.contains(&s.version));
        versions
            .flat_map(|x| x.probes.clone())
            .chain(suites.flat_map(|s| s.probes.clone()))
            .collect()
    }
}

const BELOW_TLS13: [Version; 4] = [
    Version::Ssl3,
    Version::Tls1,
    Version::Tls1_1,
    Version::Tls1_2,
];

/// Every weakness, judged from the findings it rests on.
fn judge(
    sslv2: &Sslv2Finding,
    versions: &[VersionFinding],
    suites: &[SuiteFinding],
) -> Vec<Weakness> {
    let e = Evidence { versions, suites };
    let weakness = |name, reference, affected, detail| Weakness {
        name,
        reference,
        affected,
        detail,
        probes: Vec::new(),
    };
    // Suites matching `test` at any version, and SSLv2 specs matching
    // `spec`: yes where one is accepted.
    let by_suites =
        |name, reference, test: &dyn Fn(&str) -> bool, spec: &dyn Fn(&str) -> bool, what: &str| {
            let mut found: Vec<(String, Vec<&str>)> = Vec::new();
            for a in e.accepted().filter(|a| test(a.iana)) {
                match found.iter_mut().find(|(n, _)| n == a.name) {
                    Some((_, vs)) => vs.push(a.version.display()),
                    None => found.push((a.name.to_owned(), vec![a.version.display()])),
                }
            }
            let mut lines: Vec<String> = found
                .into_iter()
                .map(|(n, vs)| format!("{n} at {}", vs.join(", ")))
                .collect();
            let specs: Vec<&str> = sslv2
                .cipher_specs
                .iter()
                .map(String::as_str)
                .filter(|s| spec(s))
                .collect();
            if !specs.is_empty() {
                lines.push(format!("{} at SSLv2", specs.join(", ")));
            }
            let mut unknown = e.unknown(&BELOW_TLS13);
            if sslv2.accepted == Verdict::NotTestable {
                unknown.insert(0, "SSLv2");
            }
            let (affected, detail) = match (lines.is_empty(), unknown.is_empty()) {
                (false, _) => (Verdict::Yes, lines.join("; ")),
                (true, true) => (Verdict::No, format!("no {what} accepted")),
                (true, false) => (
                    Verdict::NotTestable,
                    format!(
                        "no {what} found, but the suites at {} are unknown",
                        unknown.join(", ")
                    ),
                ),
            };
            let mut w = weakness(name, reference, affected, detail);
            w.probes = sslv2
                .probes
                .iter()
                .cloned()
                .chain(e.probes_at(&BELOW_TLS13))
                .collect();
            w
        };
    // CBC suites at any of `vs`.
    let cbc_at = |name, reference, vs: &[Version]| {
        let mut found = Vec::new();
        let mut safe = Vec::new();
        for &v in vs {
            let cbc: Vec<&str> = e
                .accepted()
                .filter(|a| a.version == v && a.iana.contains("_CBC_"))
                .map(|a| a.name)
                .collect();
            match e.taken(v) {
                Verdict::Yes if !cbc.is_empty() => {
                    found.push(format!("CBC suites at {}: {}", v.display(), cbc.join(", ")))
                }
                Verdict::Yes => safe.push(format!("{} taken, but no CBC suite", v.display())),
                Verdict::No => safe.push(format!("{} not taken", v.display())),
                _ => {}
            }
        }
        let unknown = e.unknown(vs);
        let (affected, detail) = match (found.is_empty(), unknown.is_empty()) {
            (false, _) => (Verdict::Yes, found.join("; ")),
            (true, true) => (Verdict::No, safe.join("; ")),
            (true, false) => (
                Verdict::NotTestable,
                format!("the suites at {} are unknown", unknown.join(", ")),
            ),
        };
        let mut w = weakness(name, reference, affected, detail);
        w.probes = e.probes_at(vs);
        w
    };
    let mut drown = weakness(
        "DROWN",
        "CVE-2016-0800",
        sslv2.accepted,
        match sslv2.accepted {
            Verdict::Yes => {
                "this server speaks SSLv2 (any server sharing its key is open too)".into()
            }
            _ => format!("SSLv2: {}", sslv2.detail),
        },
    );
    drown.probes = sslv2.probes.clone();
    let sixty_four_bit = |s: &str| ["DES", "IDEA", "RC2"].iter().any(|c| s.contains(c));
    vec![
        drown,
        cbc_at("POODLE", "CVE-2014-3566", &[Version::Ssl3]),
        by_suites(
            "SWEET32",
            "CVE-2016-2183",
            &|n| {
                ["_3DES_", "_DES_", "_DES40_", "_IDEA_", "_RC2_"]
                    .iter()
                    .any(|c| n.contains(c))
            },
            &sixty_four_bit,
            "64-bit block cipher",
        ),
        by_suites(
            "RC4",
            "RFC 7465",
            &|n| n.contains("_RC4_"),
            &|s| s.contains("RC4"),
            "RC4 suite",
        ),
        by_suites(
            "FREAK",
            "CVE-2015-0204",
            &|n| n.starts_with("TLS_RSA_EXPORT"),
            &|_| false,
            "export RSA suite",
        ),
        logjam(
            &e,
            by_suites(
                "LOGJAM",
                "CVE-2015-4000",
                &|n| n.starts_with("TLS_DHE_") && n.contains("_EXPORT_"),
                &|_| false,
                "export DHE suite",
            ),
        ),
        cbc_at("BEAST", "CVE-2011-3389", &[Version::Ssl3, Version::Tls1]),
        // No attack of its own: with nothing authenticated, whoever sits in
        // the middle reads everything (RFC 5246 appendix F.1.1.1).
        by_suites(
            "anonymous key exchange",
            "RFC 5246 F.1.1.1",
            &|n| n.contains("_anon_"),
            &|_| false,
            "anonymous suite",
        ),
    ]
}

/// LOGJAM beyond export suites: a well-known prime of 1024 bits or fewer,
/// which one precomputation breaks for every server using it. A prime of
/// the server's own that small is noted (`min_dh_bits` judges it), as
/// testssl.sh notes it.
fn logjam(e: &Evidence, mut w: Weakness) -> Weakness {
    let mut common: Vec<String> = Vec::new();
    let mut own = None;
    let mut anonymous_only = true;
    for s in e.suites {
        for (suite, bits) in s.dh_bits.iter().filter(|(_, b)| *b <= 1024) {
            match s.dh_groups.iter().find(|(n, _)| n == suite) {
                Some((_, group)) => {
                    // A suite accepted at several versions is one finding.
                    let found = format!("{suite} with {group} ({bits} bits)");
                    if !common.contains(&found) {
                        common.push(found);
                    }
                    anonymous_only &= suite.starts_with("ADH-");
                }
                None => own = Some(own.map_or(*bits, |o: usize| o.min(*bits))),
            }
        }
    }
    if !common.is_empty() && anonymous_only {
        // An anonymous suite authenticates nothing, so an attacker needs no
        // LOGJAM to sit in the middle of it: the anonymous key exchange
        // weakness is what opens it (testssl.sh counts only authenticated
        // DHE).
        w.detail = format!(
            "{}; a well-known DH prime only in anonymous suites, where LOGJAM is moot: they \
             authenticate nothing (anonymous key exchange): {}",
            w.detail,
            common.join(", ")
        );
    } else if !common.is_empty() {
        let known = format!("a well-known DH prime: {}", common.join(", "));
        w.detail = match w.affected {
            Verdict::Yes => format!("{}; {known}", w.detail),
            _ => known,
        };
        w.affected = Verdict::Yes;
    } else if let Some(bits) = own {
        w.detail = format!(
            "{}; but a {bits}-bit DH prime of the server's own",
            w.detail
        );
    }
    w
}

#[cfg(test)]
mod tests;
