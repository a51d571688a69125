//! Checking a scan's findings against a policy: one [`RuleResult`] per
//! rule the policy sets.

use std::cell::RefCell;

use super::{unverified, Policy, PolicyResult, RuleOutcome, RuleResult};
use crate::case::Version;
use crate::scan::chain::ChainFinding;
use crate::scan::legacy_suites;
use crate::scan::suites::SuiteFinding;
use crate::scan::{Findings, Verdict};

/// Which of a version's accepted suites a rule is about.
type SuitesOf = fn(&SuiteFinding) -> &Vec<String>;

impl Policy {
    /// Checks every rule that is set.
    pub fn check(&self, f: &Findings) -> PolicyResult {
        let rules = RefCell::new(Vec::new());
        let accepted: Vec<Version> = f
            .versions
            .iter()
            .filter(|v| v.accepted == Verdict::Yes)
            .map(|v| v.version)
            .collect();
        let version_probes: Vec<String> = f
            .versions
            .iter()
            .flat_map(|v| v.probes.clone())
            .chain(f.sslv2.probes.clone())
            .collect();
        // SSLv2 is below every version a policy can name.
        let sslv2 = (f.sslv2.accepted == Verdict::Yes).then_some("SSLv2");
        // A rule whose answer may be unknown: `None` is not verified,
        // neither a pass nor a failure seen.
        let answered = |rule: &str, passed: Option<bool>, detail: String, probes: &[String]| {
            rules.borrow_mut().push(RuleResult {
                rule: rule.to_owned(),
                outcome: match passed {
                    Some(true) => RuleOutcome::Pass,
                    Some(false) => RuleOutcome::Fail,
                    None => RuleOutcome::Unverified,
                },
                detail,
                probes: probes.to_vec(),
            });
        };
        // A rule the scan answered: the failure's detail, or `ok`.
        let rule = |rule: &str, failed: Option<String>, ok: String, probes: &[String]| {
            answered(rule, Some(failed.is_none()), failed.unwrap_or(ok), probes);
        };
        // A rule the scan could not fully test: worth a look, not a pass.
        let warn = |rule: &str, detail: String, probes: &[String]| {
            rules.borrow_mut().push(RuleResult {
                rule: rule.to_owned(),
                outcome: RuleOutcome::Warn,
                detail,
                probes: probes.to_vec(),
            });
        };
        let untestable = |names: &[String]| -> Vec<String> {
            names
                .iter()
                .filter(|n| !f.testable_suites.contains(n))
                .cloned()
                .collect()
        };
        let cannot_offer = |names: &[String]| {
            format!(
                "not testable: the scan cannot offer {}, so whether the server accepts \
                 {} is unknown",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            )
        };
        let names = |vs: &[Version], sslv2: Option<&str>| {
            sslv2
                .into_iter()
                .chain(vs.iter().map(|v| v.display()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(min) = self.min_version {
            let low: Vec<Version> = accepted.iter().copied().filter(|v| *v < min).collect();
            let failed = (!low.is_empty() || sslv2.is_some())
                .then(|| format!("accepts {}, below {}", names(&low, sslv2), min.display()));
            rule(
                "min_version",
                failed,
                format!("accepts {}", names(&accepted, sslv2)),
                &version_probes,
            );
        }
        if let Some(max) = self.max_version {
            let high: Vec<Version> = accepted.iter().copied().filter(|v| *v > max).collect();
            let failed = (!high.is_empty())
                .then(|| format!("accepts {}, above {}", names(&high, None), max.display()));
            rule(
                "max_version",
                failed,
                format!("accepts {}", names(&accepted, sslv2)),
                &version_probes,
            );
        }

        // Each suite once, however many versions accept it.
        let mut suites: Vec<(String, Option<String>)> = Vec::new();
        for (n, i) in f.suites.iter().flat_map(|s| s.accepted.iter().zip(&s.iana)) {
            if !suites.iter().any(|(seen, _)| seen == n) {
                suites.push((n.clone(), (!i.is_empty()).then(|| i.clone())));
            }
        }
        // What is enumerated at each accepted version rests on the version
        // probes too: a version left unanswered was never enumerated.
        let with_versions = |probes: Vec<&String>| -> Vec<String> {
            // Each once: a finding that does not apply already names them.
            let mut all: Vec<String> = Vec::new();
            for p in probes.into_iter().chain(&version_probes) {
                if !all.contains(p) {
                    all.push(p.clone());
                }
            }
            all
        };
        let suite_probes = with_versions(f.suites.iter().flat_map(|s| &s.probes).collect());
        // OpenSSL 1.1 renamed some suites it later dropped (EDH- to DHE-):
        // either name matches, whichever the finding uses.
        let is = |(o, i): &(String, Option<String>), want: &str| {
            legacy_suites::canonical(o) == legacy_suites::canonical(want)
                || i.as_deref() == Some(want)
        };
        if let Some(allowed) = &self.allowed_suites {
            let mut extra: Vec<String> = suites
                .iter()
                .filter(|s| !allowed.iter().any(|a| is(s, a)))
                .map(|s| s.0.clone())
                .collect();
            // SSLv2's cipher specs are no TLS suite a policy can allow.
            let mut probes = suite_probes.clone();
            if f.sslv2.accepted == Verdict::Yes && !f.sslv2.cipher_specs.is_empty() {
                extra.extend(f.sslv2.cipher_specs.iter().map(|c| format!("SSLv2 {c}")));
                probes.extend(f.sslv2.probes.iter().cloned());
            }
            let failed = (!extra.is_empty())
                .then(|| format!("accepts suites outside the policy: {}", extra.join(", ")));
            rule(
                "allowed_suites",
                failed,
                format!("{} suites, all allowed", suites.len()),
                &probes,
            );
        }
        if !self.forbid_suites.is_empty() {
            let bad: Vec<&str> = self
                .forbid_suites
                .iter()
                .filter(|want| suites.iter().any(|s| is(s, want)))
                .map(String::as_str)
                .collect();
            let failed =
                (!bad.is_empty()).then(|| format!("accepts forbidden suites: {}", bad.join(", ")));
            let untested = untestable(&self.forbid_suites);
            if failed.is_none() && !untested.is_empty() {
                warn(
                    "forbid_suites",
                    format!(
                        "no forbidden suite the scan offered was accepted; {}",
                        cannot_offer(&untested)
                    ),
                    &suite_probes,
                );
            } else {
                rule(
                    "forbid_suites",
                    failed,
                    "no forbidden suite accepted".into(),
                    &suite_probes,
                );
            }
        }
        // Suites forbidden for what they lack: (rule, on, the suites, why).
        let lacking: [(_, _, SuitesOf, _); 2] = [
            (
                "forbid_anonymous_suites",
                self.forbid_anonymous_suites,
                |s| &s.anonymous,
                ("authenticate no server", "anonymous"),
            ),
            (
                "forbid_cleartext_suites",
                self.forbid_cleartext_suites,
                |s| &s.cleartext,
                ("encrypt nothing", "cleartext"),
            ),
        ];
        for (name, _, of, (what, kind)) in lacking.into_iter().filter(|c| c.1 == Some(true)) {
            let bad = once(f.suites.iter().flat_map(of));
            let failed = (!bad.is_empty())
                .then(|| format!("accepts suites that {what}: {}", bad.join(", ")));
            rule(
                name,
                failed,
                format!("no {kind} suite accepted"),
                &suite_probes,
            );
        }
        if !self.require_suites.is_empty() {
            let untested = untestable(&self.require_suites);
            let missing: Vec<&str> = self
                .require_suites
                .iter()
                .filter(|want| !suites.iter().any(|s| is(s, want)) && !untested.contains(want))
                .map(String::as_str)
                .collect();
            let failed = (!missing.is_empty()).then(|| {
                let mut d = format!("does not accept: {}", missing.join(", "));
                if !untested.is_empty() {
                    d += &format!("; {}", cannot_offer(&untested));
                }
                d
            });
            if failed.is_none() && !untested.is_empty() {
                warn("require_suites", cannot_offer(&untested), &suite_probes);
            } else {
                rule(
                    "require_suites",
                    failed,
                    "every required suite accepted".into(),
                    &suite_probes,
                );
            }
        }

        // Groups accepted at any version: below TLS 1.3 also the FFDHE
        // groups taken from supported_groups (not a prime the server
        // picks itself: a parameter, which min_dh_bits judges).
        let mut groups: Vec<String> = Vec::new();
        let dh = &f.dh;
        let below = dh.negotiated_below_tls13.iter().flatten();
        for g in f.groups.iter().flat_map(|g| &g.accepted).chain(below) {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        let gp = &with_versions(
            f.groups
                .iter()
                .flat_map(|g| &g.probes)
                .chain(&dh.probes)
                .collect(),
        );
        let has = |want: &str| groups.iter().any(|g| g == &canonical_group(want));
        // A rule about FFDHE groups that passes (or fails only for want of
        // them) is a warning where the server's choice below TLS 1.3
        // could not be asked.
        let ffdhe_unknown = |names: &[&str]| -> bool {
            dh.negotiated_below_tls13.is_none()
                && names
                    .iter()
                    .any(|n| canonical_group(n).starts_with("ffdhe"))
        };
        let not_asked = |rule_name: &str, what: String| {
            warn(
                rule_name,
                format!(
                    "{what}; FFDHE groups below TLS 1.3 {}",
                    dh.negotiation_detail
                ),
                gp,
            );
        };
        let accepts = if groups.is_empty() {
            "accepts no ECDHE or FFDHE group".to_owned()
        } else {
            format!("accepts {}", groups.join(", "))
        };
        // A group rule, or a warning (`unknown`) where its answer rests on
        // FFDHE groups below TLS 1.3 that could not be asked.
        let group_rule = |name: &str, failed: Option<String>, unknown: Option<String>| match unknown
        {
            Some(what) => not_asked(name, what),
            None => rule(name, failed, accepts.clone(), gp),
        };
        if let Some(allowed) = &self.allowed_groups {
            let allowed: Vec<String> = allowed.iter().map(|g| canonical_group(g)).collect();
            let extra: Vec<&str> = groups
                .iter()
                .filter(|g| !allowed.contains(g))
                .map(String::as_str)
                .collect();
            let failed = (!extra.is_empty())
                .then(|| format!("accepts groups outside the policy: {}", extra.join(", ")));
            let others: Vec<&str> = super::super::groups::GROUPS
                .iter()
                .map(|g| g.iana)
                .filter(|g| !allowed.iter().any(|a| a == g))
                .collect();
            let unknown = (failed.is_none() && ffdhe_unknown(&others)).then(|| accepts.clone());
            group_rule("allowed_groups", failed, unknown);
        }
        if !self.forbid_groups.is_empty() {
            let forbidden: Vec<&str> = self.forbid_groups.iter().map(String::as_str).collect();
            let bad: Vec<&str> = forbidden.iter().copied().filter(|g| has(g)).collect();
            let failed =
                (!bad.is_empty()).then(|| format!("accepts forbidden groups: {}", bad.join(", ")));
            let unknown = (failed.is_none() && ffdhe_unknown(&forbidden)).then(|| accepts.clone());
            group_rule("forbid_groups", failed, unknown);
        }
        if !self.require_groups.is_empty() {
            let missing: Vec<&str> = self
                .require_groups
                .iter()
                .filter(|g| !has(g))
                .map(String::as_str)
                .collect();
            let failed =
                (!missing.is_empty()).then(|| format!("does not accept: {}", missing.join(", ")));
            let only_ffdhe = missing
                .iter()
                .all(|g| canonical_group(g).starts_with("ffdhe"));
            let unknown = failed
                .as_ref()
                .filter(|_| only_ffdhe && ffdhe_unknown(&missing))
                .map(|why| format!("{why} at TLS 1.3"));
            group_rule("require_groups", failed, unknown);
        }

        if let Some(min) = self.min_dh_bits {
            let small = once(
                f.dh.suites
                    .iter()
                    .filter(|(_, _, b)| *b < min)
                    .map(|(_, suite, _)| suite),
            );
            let failed =
                f.dh.min_bits
                    .filter(|b| *b < min)
                    .map(|b| format!("DH prime of {b} bits, below {min}: {}", small.join(", ")));
            let ok = f.dh.min_bits.map_or("no DHE suite accepted".into(), |b| {
                format!("smallest DH prime {b} bits")
            });
            rule(
                "min_dh_bits",
                failed,
                ok,
                &with_versions(f.dh.probes.iter().collect()),
            );
        }
        let chains: Vec<&ChainFinding> = all_chains(f);
        rules
            .borrow_mut()
            .extend(self.certificate_rules(&chains, &f.ocsp));
        if self.require_default_client == Some(true) {
            let dc = &f.default_client;
            // Not testable (no answer) fails here and is settled below
            // as not verified.
            let failed = (dc.connects != Verdict::Yes).then(|| dc.text());
            rule("require_default_client", failed, dc.text(), &dc.probes);
        }
        if self.require_fallback_scsv == Some(true) {
            let fb = &f.fallback_scsv;
            let failed = matches!(fb.supported, Verdict::No | Verdict::NotTestable)
                .then(|| fb.detail.clone());
            rule(
                "require_fallback_scsv",
                failed,
                fb.detail.clone(),
                &with_versions(fb.probes.iter().collect()),
            );
        }
        if self.require_secure_renegotiation == Some(true) {
            let r = &f.renegotiation;
            // Every version after SSLv2 refused: no ServerHello to read,
            // but a client gets the SSLv2 handshake, which has no RFC 5746.
            let sslv2_only =
                sslv2.is_some() && f.versions.iter().all(|v| v.accepted == Verdict::No);
            let failed = match r.secure {
                Verdict::NotTestable if sslv2_only => Some(
                    "the server speaks only SSLv2, which has no secure renegotiation (RFC 5746)"
                        .to_owned(),
                ),
                Verdict::No | Verdict::NotTestable => Some(r.detail.clone()),
                _ => None,
            };
            // Every ServerHello below TLS 1.3 is asked: an unanswered
            // version is one not seen.
            rule(
                "require_secure_renegotiation",
                failed,
                r.detail.clone(),
                &with_versions(r.probes.iter().collect()),
            );
        }
        if self.forbid_client_renegotiation == Some(true) {
            let r = &f.renegotiation;
            // Neither renegotiated nor refused: not verified.
            let passed = match r.client_initiated {
                Verdict::NotTestable => None,
                v => Some(v != Verdict::Yes),
            };
            let probes = with_versions(r.client_probes.iter().collect());
            answered(
                "forbid_client_renegotiation",
                passed,
                r.client_detail.clone(),
                &probes,
            );
        }
        if self.require_ocsp_stapling == Some(true) {
            // Every chain the server sends must come with a usable staple.
            let mut stapled = vec![("", &f.ocsp)];
            stapled.extend(
                f.other_chains
                    .iter()
                    .filter_map(|c| Some((c.key_type.as_str(), c.ocsp.as_ref()?))),
            );
            let worst = stapled
                .iter()
                .find(|(_, o)| o.usable() == Some(false))
                .or_else(|| stapled.iter().find(|(_, o)| o.usable().is_none()))
                // Never empty: it starts with the base chain's.
                .unwrap_or(&stapled[0]);
            let (key_type, o) = *worst;
            let detail = match (key_type, stapled.len()) {
                (_, 1) => o.detail.clone(),
                ("", _) => format!("{} chain: {}", f.chain.key_type, o.detail),
                (k, _) => format!("{k} chain: {}", o.detail),
            };
            let probes: Vec<String> = stapled.iter().flat_map(|(_, o)| o.probes.clone()).collect();
            answered("require_ocsp_stapling", worst.1.usable(), detail, &probes);
        }
        if self.require_encrypt_then_mac == Some(true) {
            let etm = &f.encrypt_then_mac;
            let passed = match etm.supported {
                Verdict::NotTestable => None,
                v => Some(v != Verdict::No),
            };
            let probes = with_versions(etm.probes.iter().collect());
            answered(
                "require_encrypt_then_mac",
                passed,
                etm.detail.clone(),
                &probes,
            );
        }
        // What a server must not do: failed where seen, not verified where
        // the probe's answer told nothing.
        let (e, c, h) = (&f.early_data, &f.compression, &f.heartbeat);
        let forbids = [
            (
                "forbid_early_data",
                self.forbid_early_data,
                e.offered,
                &e.detail,
                &e.probes,
            ),
            (
                "forbid_compression",
                self.forbid_compression,
                c.compressed,
                &c.detail,
                &c.probes,
            ),
            (
                "forbid_heartbleed",
                self.forbid_heartbleed,
                h.heartbleed,
                &h.heartbleed_detail,
                &h.probes,
            ),
        ];
        for (rule, asked, verdict, detail, probes) in forbids {
            if asked == Some(true) {
                let passed = (verdict != Verdict::NotTestable).then_some(verdict != Verdict::Yes);
                answered(
                    rule,
                    passed,
                    detail.clone(),
                    &with_versions(probes.iter().collect()),
                );
            }
        }
        // A fallback answered without inappropriate_fallback, or a
        // ServerHello seen without renegotiation_info, is a failure seen;
        // NotTestable is an absence.
        let mut seen: Vec<&str> = unverified::FAIL_ON_WHAT_WAS_SEEN.to_vec();
        if f.fallback_scsv.supported == Verdict::No {
            seen.push("require_fallback_scsv");
        }
        if f.renegotiation.secure == Verdict::No {
            seen.push("require_secure_renegotiation");
        }
        if f.encrypt_then_mac.supported == Verdict::No {
            seen.push("require_encrypt_then_mac");
        }
        for (rule, _, verdict, _, _) in forbids {
            if verdict == Verdict::Yes {
                seen.push(rule);
            }
        }
        let mut rules = rules.into_inner();
        for r in &mut rules {
            unverified::settle_unanswered(r, &f.unanswered, &seen);
            if f.chain.certificates.is_empty() {
                unverified::settle_without_certificate(r, &f.chain.chain_verify.1);
            }
        }
        PolicyResult {
            name: self.name.clone().unwrap_or_else(|| "policy".into()),
            rules,
        }
    }
}

/// Each name once, in first-seen order: a suite accepted at several
/// versions is one thing to reconfigure.
fn once<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for n in names {
        if !out.contains(&n.as_str()) {
            out.push(n);
        }
    }
    out
}

/// Group names as the scan reports them (IANA), from OpenSSL's aliases
/// (its curve names, which the chain rows print, among them).
pub(super) fn canonical_group(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "prime192v1" | "secp192r1" => "secp192r1".into(),
        "p-256" | "prime256v1" | "secp256r1" => "secp256r1".into(),
        "p-384" | "secp384r1" => "secp384r1".into(),
        "p-521" | "secp521r1" => "secp521r1".into(),
        "x25519" => "x25519".into(),
        "x448" => "x448".into(),
        n if n.starts_with("ffdhe") => n.to_owned(),
        _ => name.to_owned(),
    }
}

/// Every chain the scan received, the base probe's first.
fn all_chains(f: &Findings) -> Vec<&ChainFinding> {
    std::iter::once(&f.chain).chain(&f.other_chains).collect()
}

mod certificate;

#[cfg(test)]
mod tests;
