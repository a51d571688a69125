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
            "no answer to version/tls1 (time-out); as far as seen: seen"
        );
    }
    // Resting on answered probes only, nothing changes.
    let r = settled("min_version", RuleOutcome::Pass, &["version/tls1_2"]);
    assert_eq!(r.outcome, RuleOutcome::Pass);
}

#[test]
fn group_aliases_meet() {
    assert_eq!(canonical_group("P-256"), canonical_group("prime256v1"));
    assert_eq!(canonical_group("secp384r1"), canonical_group("P-384"));
}
