//! Whether a check applies: "n/a" where the versions the server accepts
//! rule it out, which rests on the version probes, and "not testable"
//! where those probes, or every probe, got no answer.

use super::{Findings, Verdict};
use crate::case::Version;

/// A check found not to apply because of the versions the server accepts
/// rests on the version probes. Where one of them went unanswered, the
/// check might apply after all: it is not testable, not n/a. (Where
/// nothing was `reached`, [`unasked`] says why instead.)
pub fn rest_na_on_versions(f: &mut Findings, reached: bool) {
    // Each check rests on the versions it applies to: TLS 1.3 PSK on TLS
    // 1.3's probe, the older resumptions and renegotiation on the rest.
    let rest = |tls13: Option<bool>| -> Resting {
        let mut r = Resting::default();
        let versions = f
            .versions
            .iter()
            .filter(|v| tls13.is_none_or(|t| (v.version == Version::Tls1_3) == t));
        for v in versions {
            r.probes.extend(v.probes.iter().cloned());
            if reached && v.probes.iter().any(|p| f.unanswered.contains_key(p)) {
                r.unanswered.push(v.version.display());
            }
        }
        r
    };
    let (all, tls13, older) = (rest(None), rest(Some(true)), rest(Some(false)));
    for r in &mut f.resumption {
        let on = if r.kind == "psk" { &tls13 } else { &older };
        on.apply(&mut r.resumed, &mut r.detail, &mut r.probes);
    }
    let e = &mut f.early_data;
    tls13.apply(&mut e.offered, &mut e.detail, &mut e.probes);
    let fb = &mut f.fallback_scsv;
    all.apply(&mut fb.supported, &mut fb.detail, &mut fb.probes);
    let r = &mut f.renegotiation;
    older.apply(&mut r.secure, &mut r.detail, &mut r.probes);
    let m = &mut f.master_secret;
    older.apply(&mut m.extended, &mut m.detail, &mut m.probes);
    let d = &mut f.downgrade;
    all.apply(&mut d.protected, &mut d.detail, &mut d.probes);
    let etm = &mut f.encrypt_then_mac;
    older.apply(&mut etm.supported, &mut etm.detail, &mut etm.probes);
    let c = &mut f.compression;
    older.apply(&mut c.compressed, &mut c.detail, &mut c.probes);
    let h = &mut f.heartbeat;
    older.apply(&mut h.supported, &mut h.detail, &mut h.probes);
}

/// The version probes a check rests on, and the versions of those that
/// got no answer.
#[derive(Default)]
struct Resting {
    probes: Vec<String>,
    unanswered: Vec<&'static str>,
}

impl Resting {
    fn apply(&self, verdict: &mut Verdict, detail: &mut String, probes: &mut Vec<String>) {
        if *verdict != Verdict::NotApplicable {
            return;
        }
        if probes.is_empty() {
            probes.extend_from_slice(&self.probes);
        }
        if !self.unanswered.is_empty() {
            *verdict = Verdict::NotTestable;
            *detail = format!(
                "whether the server accepts {} is unknown",
                self.unanswered.join(" or ")
            );
        }
    }
}

/// Where OpenSSL's handshakes reached nothing (only the scan's own hellos
/// got answers, or none did), the questions they ask went unasked, which
/// is not their not arising (n/a).
pub fn unasked(f: &mut Findings, why: &str) {
    let unask = |verdict: &mut Verdict, detail: &mut String| {
        if *verdict == Verdict::NotApplicable {
            *verdict = Verdict::NotTestable;
            *detail = why.to_owned();
        }
    };
    for r in &mut f.resumption {
        unask(&mut r.resumed, &mut r.detail);
    }
    unask(&mut f.early_data.offered, &mut f.early_data.detail);
    unask(&mut f.fallback_scsv.supported, &mut f.fallback_scsv.detail);
    unask(&mut f.renegotiation.secure, &mut f.renegotiation.detail);
    unask(&mut f.master_secret.extended, &mut f.master_secret.detail);
    unask(&mut f.downgrade.protected, &mut f.downgrade.detail);
    unask(
        &mut f.renegotiation.client_initiated,
        &mut f.renegotiation.client_detail,
    );
}
