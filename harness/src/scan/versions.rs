//! Which protocol versions the server accepts: one probe per version,
//! offering that version alone and every suite (SSLv3, which the linked
//! OpenSSL lacks, by a ClientHello of the scan's own: `ssl3.rs`); a version
//! refused with the linked OpenSSL's suites is asked once more with those
//! OpenSSL 3.0 dropped.

use serde::Serialize;

use super::conn::{Attempt, Offer, Prober};
use super::Verdict;
use super::{own_hello, renegotiation, suites};
use crate::case::Version;

/// Whether the server accepts one version.
#[derive(Debug, Clone, Serialize)]
pub struct VersionFinding {
    /// The version.
    pub version: Version,
    /// Yes, no, or not testable (the linked OpenSSL lacks it, or the
    /// server did not answer).
    pub accepted: Verdict,
    /// What the probe saw.
    pub detail: String,
    /// The probe this rests on.
    pub probes: Vec<String>,
    /// Whether a handshake of the linked OpenSSL's got a ServerHello at
    /// it: false where only a hello of the scan's own did, so that nothing
    /// OpenSSL's handshakes ask can be asked there.
    pub openssl_reached: bool,
    /// Where a hello of the scan's own got the ServerHello, what it
    /// carried that later findings read; not in the report.
    #[serde(skip)]
    pub own_hello: Option<renegotiation::Seen>,
}

/// The version probes' ServerHellos that chose a version below TLS 1.3,
/// one per version, with that version: what the findings about older
/// versions read. Each version's is its own probe's where that got one,
/// else the first probe answered at it (SSLv3, which the linked OpenSSL
/// has no probe of, is answered only to others).
pub fn older_hellos(attempts: &[Attempt]) -> Vec<(&Attempt, Version)> {
    let mut hellos: Vec<(&Attempt, Version)> = Vec::new();
    for a in attempts {
        let Some(v) = a.hello.version.filter(|v| *v < Version::Tls1_3) else {
            continue;
        };
        match hellos.iter_mut().find(|(_, seen)| *seen == v) {
            Some(kept) if a.id == probe_id(v) => kept.0 = a,
            Some(_) => {}
            None => hellos.push((a, v)),
        }
    }
    hellos
}

/// The versions below `below` the server accepted, but only from a hello
/// of the scan's own: what OpenSSL's ServerHellos tell is unknown there.
pub fn reached_only_by_own_hellos(versions: &[VersionFinding], below: Version) -> Vec<Version> {
    versions
        .iter()
        .filter(|f| f.version < below && f.accepted == Verdict::Yes && !f.openssl_reached)
        .map(|f| f.version)
        .collect()
}

/// Probes every version in parallel; returns the findings and the
/// probes' attempts (later findings read their ServerHellos).
pub fn scan(p: &Prober) -> (Vec<VersionFinding>, Vec<Attempt>) {
    let results: Vec<(VersionFinding, Option<Attempt>)> = std::thread::scope(|s| {
        let handles: Vec<_> = Version::ALL
            .iter()
            .map(|&v| s.spawn(move || probe(p, v)))
            .collect();
        handles
            .into_iter()
            .zip(Version::ALL)
            .map(|(h, v)| {
                h.join().unwrap_or_else(|_| {
                    (
                        VersionFinding {
                            version: v,
                            accepted: Verdict::NotTestable,
                            detail: "the probe panicked".into(),
                            probes: Vec::new(),
                            openssl_reached: false,
                            own_hello: None,
                        },
                        None,
                    )
                })
            })
            .collect()
    });
    let mut findings = Vec::new();
    let mut attempts = Vec::new();
    for (f, a) in results {
        findings.push(f);
        attempts.extend(a);
    }
    (findings, attempts)
}

/// The probe id of version `v`.
pub fn probe_id(v: Version) -> String {
    format!("version/{}", v.id())
}

fn probe(p: &Prober, v: Version) -> (VersionFinding, Option<Attempt>) {
    if let Some(why) = p.library().missing(v) {
        if v == Version::Ssl3 {
            return (super::ssl3::probe(p), None);
        }
        return (
            VersionFinding {
                version: v,
                accepted: Verdict::NotTestable,
                detail: why.to_owned(),
                probes: Vec::new(),
                openssl_reached: false,
                own_hello: None,
            },
            None,
        );
    }
    let id = probe_id(v);
    let a = p.run(
        &id,
        &Offer {
            min: Some(v),
            max: Some(v),
            ..Offer::default()
        },
        None,
    );
    let (accepted, detail) = match (a.hello.version, &a.hello.suite) {
        (Some(got), Some((_, suite))) if got == v => (
            Verdict::Yes,
            format!("ServerHello {} {suite}", got.display()),
        ),
        (Some(got), _) => (
            Verdict::No,
            format!("the server answered with {}", got.display()),
        ),
        // Text is no refusal either: the port does not speak TLS (a
        // plaintext service, or one before STARTTLS).
        (None, _) if plaintext(&a).is_some() => (
            Verdict::NotTestable,
            plaintext(&a).unwrap_or_default().to_owned(),
        ),
        // Silence is no refusal: whether it takes the version is unknown.
        (None, _) if a.unanswered.is_some() => (
            Verdict::NotTestable,
            format!(
                "no TLS answer, twice: {}",
                a.unanswered.as_deref().unwrap_or_default()
            ),
        ),
        // Refused as a version: the diagnosis says why in plain words (an
        // OpenSSL 3 server's internal_error at TLS 1.0 and 1.1, say, is
        // its security level, not a fault).
        (None, _) if refused_as_version(&a) => (
            Verdict::No,
            a.diagnosis
                .as_ref()
                .map(|d| d.summary.clone())
                .unwrap_or_default(),
        ),
        (None, _) => (
            Verdict::No,
            a.error
                .clone()
                .unwrap_or_else(|| "no ServerHello".to_owned()),
        ),
    };
    let mut f = VersionFinding {
        version: v,
        openssl_reached: accepted == Verdict::Yes,
        accepted,
        detail,
        probes: vec![id],
        own_hello: None,
    };
    // Not when the refusal was of the version itself.
    if f.accepted == Verdict::No
        && a.hello.version.is_none()
        && !refused_as_version(&a)
        && v < Version::Tls1_3
    {
        with_dropped_suites(p, &mut f);
    }
    (f, Some(a))
}

/// Whether the probe's handshake failed for want of a version in common.
fn refused_as_version(a: &Attempt) -> bool {
    a.diagnosis
        .as_ref()
        .is_some_and(|d| d.cause == openssl_handshake::Cause::NoSharedVersion)
}

/// Version intolerance: the base probe's hello, offering every version up
/// to TLS 1.3, got no ServerHello, yet a lower version offered alone
/// through the linked OpenSSL did. A server must answer a hello offering
/// more than it takes with the highest version it takes.
pub fn intolerance(base: &Attempt, versions: &[VersionFinding]) -> Option<String> {
    if base.hello.version.is_some() || base.unanswered.is_some() || plaintext(base).is_some() {
        return None;
    }
    let taken = versions
        .iter()
        .filter(|f| f.accepted == Verdict::Yes && f.openssl_reached)
        .map(|f| f.version)
        .max()?;
    let above = Version::ALL.iter().rev().find(|v| **v > taken)?;
    Some(format!(
        "the server takes {} offered alone, but refused the hello offering every version up to \
         {} ({BASE}): version intolerance, or intolerance of what only that hello carries (the \
         higher versions' suites and extensions, its size); a server must answer such a hello \
         with the highest version it takes (RFC 8446 appendix D, RFC 5246 appendix E.1)",
        taken.display(),
        above.display(),
        BASE = super::BASE_PROBE,
    ))
}

/// What answered `a`'s hello in text rather than TLS, as its diagnosis
/// says.
pub fn plaintext(a: &Attempt) -> Option<&str> {
    a.diagnosis
        .as_ref()
        .filter(|d| d.cause == openssl_handshake::Cause::TlsToPlaintextPort)
        .map(|d| d.summary.as_str())
}

/// A version refused with the linked OpenSSL's suites is asked once more
/// with those OpenSSL 3.0 dropped, in a hello of the scan's own: a server
/// may take nothing newer than 3DES.
fn with_dropped_suites(p: &Prober, f: &mut VersionFinding) {
    let dropped = suites::legacy_lacking(p.library());
    if dropped.is_empty() {
        return;
    }
    let v = f.version;
    let id = format!("{}/legacy", probe_id(v));
    let (answer, _) = own_hello::ask(p, &id, v, &dropped);
    if let Some(suite) = own_hello::chosen(&answer, v) {
        f.own_hello = renegotiation::Seen::from_answer(&id, &answer, v);
        f.accepted = Verdict::Yes;
        f.detail = format!(
            "ServerHello {} {} to a hello of the scan's own, offering the suites OpenSSL 3.0 \
             dropped (refused with the linked OpenSSL's: {})",
            v.display(),
            suites::name_of(p.library(), suite).name,
            f.detail
        );
    }
    f.probes.push(id);
}
