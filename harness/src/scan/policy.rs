//! Policies: rules a scan result must meet, built in (Mozilla's
//! server-side TLS profiles) or read from a TOML file.
//!
//! Each rule that a policy sets becomes one [`RuleResult`], and so one
//! JUnit test case. A policy file looks like:
//!
//! ```toml
//! min_version = "tls1_2"
//! forbid_suites = ["AES128-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA"]
//! require_groups = ["x25519"]
//! max_days_to_expiry_warning = 30
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{mozilla, Findings, Verdict};
use crate::case::Version;

mod check;
mod names;
mod unverified;

/// The rules; every field is optional and an unset rule is not checked.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// A name for reports.
    pub name: Option<String>,
    /// No version below this may be accepted.
    pub min_version: Option<Version>,
    /// No version above this may be accepted.
    pub max_version: Option<Version>,
    /// Only these suites (OpenSSL or IANA names) may be accepted.
    pub allowed_suites: Option<Vec<String>>,
    /// None of these suites may be accepted.
    #[serde(default)]
    pub forbid_suites: Vec<String>,
    /// Each of these suites must be accepted.
    #[serde(default)]
    pub require_suites: Vec<String>,
    /// No suite without server authentication (`ADH-*`, `AECDH-*`) may
    /// be accepted.
    pub forbid_anonymous_suites: Option<bool>,
    /// No suite that encrypts nothing (`NULL-*`) may be accepted.
    pub forbid_cleartext_suites: Option<bool>,
    /// Only these groups may be accepted.
    pub allowed_groups: Option<Vec<String>>,
    /// None of these groups may be accepted.
    #[serde(default)]
    pub forbid_groups: Vec<String>,
    /// Each of these groups must be accepted.
    #[serde(default)]
    pub require_groups: Vec<String>,
    /// The leaf's key type: "rsa", "rsa-pss" (an RSA key its certificate
    /// restricts to RSASSA-PSS, rsassaPss, which only clients offering the
    /// rsa_pss_pss_* signature schemes can use), "ecdsa", "ed25519",
    /// "ed448", "dsa".
    pub certificate_types: Option<Vec<String>>,
    /// The curves an ECDSA leaf may use, by any name a group rule takes
    /// ("P-256", "secp256r1" and "prime256v1" are one).
    pub certificate_curves: Option<Vec<String>>,
    /// The signatures the leaf may be signed with, by OpenSSL's long
    /// names as the chain rows print them ("sha256WithRSAEncryption",
    /// "ecdsa-with-SHA256", "rsassaPss", "ED25519", ...).
    pub certificate_signatures: Option<Vec<String>>,
    /// The smallest RSA leaf key, RSA-PSS keys included.
    pub min_rsa_bits: Option<u32>,
    /// The smallest finite-field DH prime.
    pub min_dh_bits: Option<usize>,
    /// The longest validity a leaf may have, in days.
    pub max_certificate_lifespan_days: Option<u32>,
    /// Warn (without failing) when the leaf expires within this many days.
    pub max_days_to_expiry_warning: Option<u32>,
    /// Fail when the leaf expires within this many days.
    pub min_days_to_expiry: Option<u32>,
    /// The chain must verify, with the name.
    pub require_valid_certificate: Option<bool>,
    /// The server must refuse a fallback with the SCSV.
    pub require_fallback_scsv: Option<bool>,
    /// Every TLS 1.2-or-older ServerHello must carry renegotiation_info.
    pub require_secure_renegotiation: Option<bool>,
    /// The server must not renegotiate when a client asks (each
    /// renegotiation costs it a full key exchange).
    pub forbid_client_renegotiation: Option<bool>,
    /// The server must staple a successful OCSP response in which its
    /// leaf is good and current.
    pub require_ocsp_stapling: Option<bool>,
    /// A server that takes a CBC suite must agree to encrypt-then-MAC.
    pub require_encrypt_then_mac: Option<bool>,
    /// The server's tickets must not allow TLS 1.3 early data (0-RTT),
    /// which can be replayed.
    pub forbid_early_data: Option<bool>,
    /// The server must not compress records (CRIME).
    pub forbid_compression: Option<bool>,
    /// The server must not answer a HeartbeatRequest that claims more
    /// payload than it carries (Heartbleed).
    pub forbid_heartbleed: Option<bool>,
    /// A client with the linked OpenSSL's defaults (its security level,
    /// suites and groups) must connect.
    pub require_default_client: Option<bool>,
}

/// Why a policy could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error("policy {path}: cannot read it (give a file path or one of mozilla-modern, mozilla-intermediate, mozilla-old)")]
    Read {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid policy.
    #[error("policy {path}: not a valid policy")]
    Parse {
        /// The path.
        path: String,
        /// What the TOML parser said.
        #[source]
        source: toml::de::Error,
    },
    /// A suite, group, key type, curve or signature name that TLS or the
    /// scan does not know: a misspelt name would match nothing, and a rule
    /// forbidding it pass (one allowing it fail every server).
    #[error("policy {path}: {key} names {name:?}, which is no {kind}; {hint}")]
    UnknownName {
        /// The policy.
        path: String,
        /// The rule.
        key: &'static str,
        /// The name.
        name: String,
        /// "TLS cipher suite", "TLS group", ...
        kind: &'static str,
        /// The names to give instead.
        hint: &'static str,
    },
}

/// Pass, fail, a warning that does not fail, or not verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOutcome {
    /// Met.
    Pass,
    /// Broken: the scan exits non-zero.
    Fail,
    /// Worth a look; does not fail.
    Warn,
    /// A probe it rests on got no answer, even on a retry, or what it
    /// judges (the certificate) never came: neither met nor broken. Unless
    /// a rule fails, the scan exits 2.
    Unverified,
}

/// One rule checked.
#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    /// The rule's key, e.g. "min_version".
    pub rule: String,
    /// The outcome.
    pub outcome: RuleOutcome,
    /// What was found.
    pub detail: String,
    /// The probes the finding rests on.
    pub probes: Vec<String>,
}

/// A policy checked against a scan.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyResult {
    /// The policy's name.
    pub name: String,
    /// Every rule the policy sets.
    pub rules: Vec<RuleResult>,
}

impl PolicyResult {
    /// Whether no rule failed.
    pub fn ok(&self) -> bool {
        self.rules.iter().all(|r| r.outcome != RuleOutcome::Fail)
    }

    /// The rules that failed.
    pub fn failed(&self) -> Vec<&str> {
        self.named(RuleOutcome::Fail)
    }

    /// The rules not verified for want of an answer.
    pub fn unverified(&self) -> Vec<&str> {
        self.named(RuleOutcome::Unverified)
    }

    /// The probes the unverified rules rest on that went unanswered
    /// (`unanswered` as the findings hold them), each once, in order.
    pub fn unanswered_probes<'a>(&'a self, unanswered: &BTreeMap<String, String>) -> Vec<&'a str> {
        let probes: BTreeSet<&str> = self
            .rules
            .iter()
            .filter(|r| r.outcome == RuleOutcome::Unverified)
            .flat_map(|r| &r.probes)
            .filter(|id| unanswered.contains_key(*id))
            .map(String::as_str)
            .collect();
        probes.into_iter().collect()
    }

    fn named(&self, outcome: RuleOutcome) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|r| r.outcome == outcome)
            .map(|r| r.rule.as_str())
            .collect()
    }

    /// "pass", "FAIL", or "NOT VERIFIED" when no rule failed but some
    /// could not be checked.
    pub fn verdict(&self) -> &'static str {
        if !self.ok() {
            "FAIL"
        } else if !self.unverified().is_empty() {
            "NOT VERIFIED"
        } else {
            "pass"
        }
    }
}

/// Where only the scan's own hellos reached the server, the rules they
/// judge as OpenSSL's handshakes would: every version was asked, and every
/// ServerHello below TLS 1.3 read for renegotiation_info. The default
/// client's handshake is made whatever the server answers, so its
/// refusal stands too.
const STAND_ON_OWN_HELLOS: [&str; 4] = [
    "min_version",
    "max_version",
    "require_secure_renegotiation",
    "require_default_client",
];

/// ... and those they can only fail: a suite or DH prime they saw
/// accepted breaks the rule, but OpenSSL's refused hellos may hide suites
/// of its own that a pass would have to rule out.
const FAIL_ON_OWN_HELLOS: [&str; 5] = [
    "allowed_suites",
    "forbid_suites",
    "forbid_anonymous_suites",
    "forbid_cleartext_suites",
    "min_dh_bits",
];

/// ... and those the scan's own hellos ask in every scan, not only where
/// OpenSSL's handshakes failed (heartbeat and compression, which the
/// linked OpenSSL cannot offer; encrypt_then_mac, which they offer as
/// OpenSSL's hellos do). Each stands where its probe saw the fact, yes or
/// no; "no CBC suite taken" does not, as OpenSSL's refused hellos may hide
/// CBC suites of its own.
const ASKED_BY_OWN_HELLOS: [&str; 3] = [
    "forbid_heartbleed",
    "forbid_compression",
    "require_encrypt_then_mac",
];

impl PolicyResult {
    /// The policy as far as it can be judged where only the scan's own
    /// hellos reached the server: every rule but those they judge (the
    /// lists above, the last read from `f`) rests on OpenSSL's handshakes
    /// and is not verified.
    pub fn reached_by_own_hellos_only(self, f: &Findings) -> Self {
        let verdicts = [
            f.heartbeat.heartbleed,
            f.compression.compressed,
            f.encrypt_then_mac.supported,
        ];
        let seen: Vec<&str> = ASKED_BY_OWN_HELLOS
            .into_iter()
            .zip(verdicts)
            .filter(|(_, v)| matches!(v, Verdict::Yes | Verdict::No))
            .map(|(rule, _)| rule)
            .collect();
        self.judged_on_own_hellos(&seen)
    }

    /// The same, `seen` naming the rules of [`ASKED_BY_OWN_HELLOS`] whose
    /// probe saw the fact.
    fn judged_on_own_hellos(mut self, seen: &[&str]) -> Self {
        for r in &mut self.rules {
            let rule = r.rule.as_str();
            let asked = ASKED_BY_OWN_HELLOS.contains(&rule);
            // A probe of their own that got no answer says why itself.
            let unanswered = asked && r.outcome == RuleOutcome::Unverified;
            let partial = FAIL_ON_OWN_HELLOS.contains(&rule) || asked;
            if STAND_ON_OWN_HELLOS.contains(&rule)
                || seen.contains(&rule)
                || unanswered
                || (partial && r.outcome == RuleOutcome::Fail)
            {
                continue;
            }
            r.outcome = RuleOutcome::Unverified;
            let why = "it rests on handshakes of the linked OpenSSL's, which reached no version \
                       of the server's";
            r.detail = if partial {
                format!("{why}; as far as the scan's own hellos saw: {}", r.detail)
            } else {
                why.to_owned()
            };
        }
        self
    }
}

impl Policy {
    /// A built-in policy by name, or a TOML file.
    pub fn load(spec: &str) -> Result<Policy, PolicyError> {
        if let Some(p) = mozilla::builtin(spec) {
            return Ok(p);
        }
        let path = Path::new(spec);
        // A policy is a page of TOML; more is a wrong file.
        let read = crate::settings::read_bounded(path, 1 << 20).and_then(|b| {
            String::from_utf8(b)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        });
        let text = read.map_err(|source| PolicyError::Read {
            path: spec.to_owned(),
            source,
        })?;
        let mut p: Policy = toml::from_str(&text).map_err(|source| PolicyError::Parse {
            path: spec.to_owned(),
            source,
        })?;
        p.name.get_or_insert_with(|| spec.to_owned());
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let p: Policy = toml::from_str(
            "min_version = \"tls1_2\"\nforbid_suites = [\"AES128-SHA\"]\n\
             require_groups = [\"x25519\"]\nmax_days_to_expiry_warning = 30\n",
        )
        .expect("policy");
        assert_eq!(p.min_version, Some(Version::Tls1_2));
        assert_eq!(p.forbid_suites, ["AES128-SHA"]);
        assert_eq!(p.require_groups, ["x25519"]);
        assert_eq!(p.max_days_to_expiry_warning, Some(30));
    }

    #[test]
    fn a_misspelt_rule_is_an_error_not_ignored() {
        let e = toml::from_str::<Policy>("min_versoin = \"tls1_2\"\n").expect_err("unknown key");
        assert!(e.to_string().contains("min_versoin"), "{e}");
        let e = Policy::load("/nonexistent/policy.toml").expect_err("missing file");
        assert!(e.to_string().contains("mozilla-modern"), "{e}");
    }

    #[test]
    fn what_the_own_hellos_saw_themselves_stands() {
        let result = |rule: &str, outcome| RuleResult {
            rule: rule.into(),
            outcome,
            detail: "seen".into(),
            probes: Vec::new(),
        };
        let policy = PolicyResult {
            name: "p".into(),
            rules: vec![
                result("forbid_heartbleed", RuleOutcome::Fail),
                result("forbid_compression", RuleOutcome::Pass),
                result("require_encrypt_then_mac", RuleOutcome::Pass),
                result("require_valid_certificate", RuleOutcome::Pass),
            ],
        };
        // Heartbleed and compression were asked and answered; no CBC suite
        // was taken, which OpenSSL's refused hellos may belie.
        let judged = policy.judged_on_own_hellos(&["forbid_heartbleed", "forbid_compression"]);
        let outcomes: Vec<RuleOutcome> = judged.rules.iter().map(|r| r.outcome).collect();
        use RuleOutcome::{Fail, Pass, Unverified};
        assert_eq!(outcomes, [Fail, Pass, Unverified, Unverified]);
        assert_eq!(judged.rules[0].detail, "seen");
        let etm = &judged.rules[2].detail;
        assert!(
            etm.ends_with("as far as the scan's own hellos saw: seen"),
            "{etm}"
        );
    }

    #[test]
    fn builtins_load_by_name() {
        for name in mozilla::NAMES {
            let p = Policy::load(name).expect("builtin");
            assert_eq!(p.name.as_deref(), Some(name));
            assert!(p.min_version.is_some() && p.allowed_suites.is_some());
        }
    }
}
