//! Rules that can be neither met nor broken: what they rest on got no
//! answer, or never came.

use std::collections::BTreeMap;

use super::{RuleOutcome, RuleResult};

/// Rules that judge the leaf certificate.
const CERTIFICATE_RULES: [&str; 8] = [
    "certificate_types",
    "certificate_curves",
    "certificate_signatures",
    "min_rsa_bits",
    "max_certificate_lifespan_days",
    "min_days_to_expiry",
    "max_days_to_expiry_warning",
    "require_valid_certificate",
];

/// Rules that fail on something the server was seen to accept or send:
/// a probe left unanswered elsewhere cannot undo that. The others fail
/// on an absence (a suite not accepted, no certificate, no SCSV answer),
/// which an unanswered probe may be the cause of; two of them fail on
/// what was seen with some findings (see `check`).
pub(super) const FAIL_ON_WHAT_WAS_SEEN: [&str; 12] = [
    "min_version",
    "max_version",
    "allowed_suites",
    "forbid_suites",
    "forbid_anonymous_suites",
    "forbid_cleartext_suites",
    "allowed_groups",
    "forbid_groups",
    "certificate_curves",
    "min_rsa_bits",
    "min_dh_bits",
    "max_certificate_lifespan_days",
];

/// A rule resting on a probe that got no answer is not verified, unless
/// it failed on what was seen (`seen` names those rules).
pub(super) fn settle_unanswered(
    r: &mut RuleResult,
    unanswered: &BTreeMap<String, String>,
    seen: &[&str],
) {
    let silent: Vec<&str> = r
        .probes
        .iter()
        .filter(|p| unanswered.contains_key(*p))
        .map(String::as_str)
        .collect();
    let Some(first) = silent.first() else {
        return;
    };
    if r.outcome == RuleOutcome::Fail && seen.contains(&r.rule.as_str()) {
        return;
    }
    r.outcome = RuleOutcome::Unverified;
    r.detail = format!(
        "no TLS answer to {} ({}); as far as seen: {}",
        silent.join(", "),
        unanswered.get(*first).map_or("", String::as_str),
        r.detail
    );
}

/// A rule that judges the leaf certificate when none was received:
/// nothing to judge, neither a pass ("the leaf key is not RSA") nor a
/// failure of the certificate itself. `why` is the chain finding's
/// account ("no certificate received: ...").
pub(super) fn settle_without_certificate(r: &mut RuleResult, why: &str) {
    if CERTIFICATE_RULES.contains(&r.rule.as_str()) {
        r.outcome = RuleOutcome::Unverified;
        r.detail = why.to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rule: &str, outcome: RuleOutcome, probes: &[&str]) -> RuleResult {
        RuleResult {
            rule: rule.into(),
            outcome,
            detail: "seen".into(),
            probes: probes.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn an_unanswered_probe_unverifies_all_but_a_failure_seen() {
        let unanswered = BTreeMap::from([("version/tls1".to_owned(), "time-out".to_owned())]);
        let seen = ["allowed_suites", "require_fallback_scsv"];
        let settled = |rule: &str, outcome, probes: &[&str]| {
            let mut r = result(rule, outcome, probes);
            settle_unanswered(&mut r, &unanswered, &seen);
            r
        };
        // A suite seen accepted stands, whatever else went unanswered.
        let r = settled(
            "allowed_suites",
            RuleOutcome::Fail,
            &["suites/tls1_2/1", "version/tls1"],
        );
        assert_eq!((r.outcome, r.detail.as_str()), (RuleOutcome::Fail, "seen"));
        let r = settled(
            "require_fallback_scsv",
            RuleOutcome::Fail,
            &["version/tls1"],
        );
        assert_eq!(r.outcome, RuleOutcome::Fail);
        // An absence, a pass or a warning resting on silence is unverified.
        for (rule, outcome) in [
            ("require_suites", RuleOutcome::Fail),
            ("min_version", RuleOutcome::Pass),
            ("forbid_suites", RuleOutcome::Warn),
        ] {
            let r = settled(rule, outcome, &["version/tls1_2", "version/tls1"]);
            assert_eq!(r.outcome, RuleOutcome::Unverified, "{rule}");
            assert_eq!(
                r.detail,
                "no TLS answer to version/tls1 (time-out); as far as seen: seen"
            );
        }
        // Resting on answered probes only, nothing changes.
        let r = settled("min_version", RuleOutcome::Pass, &["version/tls1_2"]);
        assert_eq!(r.outcome, RuleOutcome::Pass);
    }

    #[test]
    fn certificate_rules_without_a_certificate_are_unverified() {
        for (rule, outcome) in [
            ("min_rsa_bits", RuleOutcome::Pass),
            ("certificate_types", RuleOutcome::Fail),
            ("require_valid_certificate", RuleOutcome::Fail),
        ] {
            let mut r = result(rule, outcome, &["base"]);
            settle_without_certificate(&mut r, "no certificate received: no handshake");
            assert_eq!(r.outcome, RuleOutcome::Unverified, "{rule}");
            assert_eq!(r.detail, "no certificate received: no handshake");
        }
        // Other rules are not the certificate's.
        let mut r = result("min_version", RuleOutcome::Pass, &["base"]);
        settle_without_certificate(&mut r, "no certificate received: no handshake");
        assert_eq!(r.outcome, RuleOutcome::Pass);
    }
}
