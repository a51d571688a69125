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

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::mozilla;
use super::{Findings, Verdict};
use crate::case::Version;

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
    /// Only these groups may be accepted.
    pub allowed_groups: Option<Vec<String>>,
    /// None of these groups may be accepted.
    #[serde(default)]
    pub forbid_groups: Vec<String>,
    /// Each of these groups must be accepted.
    #[serde(default)]
    pub require_groups: Vec<String>,
    /// The leaf's key type: "rsa", "ecdsa", "ed25519", "ed448".
    pub certificate_types: Option<Vec<String>>,
    /// The curves an ECDSA leaf may use ("prime256v1", "secp384r1", ...).
    pub certificate_curves: Option<Vec<String>>,
    /// The signatures the leaf may be signed with, as OpenSSL names them
    /// ("sha256WithRSAEncryption", "ecdsa-with-SHA256", ...).
    pub certificate_signatures: Option<Vec<String>>,
    /// The smallest RSA leaf key.
    pub min_rsa_bits: Option<u32>,
    /// The smallest finite-field DH prime.
    pub min_dh_bits: Option<usize>,
    /// The longest validity a leaf may have, in days.
    pub max_certificate_lifespan_days: Option<i32>,
    /// Warn (without failing) when the leaf expires within this many days.
    pub max_days_to_expiry_warning: Option<i32>,
    /// Fail when the leaf expires within this many days.
    pub min_days_to_expiry: Option<i32>,
    /// The chain must verify, with the name.
    pub require_valid_certificate: Option<bool>,
    /// The server must refuse a fallback with the SCSV.
    pub require_fallback_scsv: Option<bool>,
    /// Every TLS 1.2-or-older ServerHello must carry renegotiation_info.
    pub require_secure_renegotiation: Option<bool>,
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
}

/// Pass, fail, or a warning that does not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOutcome {
    /// Met.
    Pass,
    /// Broken: the scan exits non-zero.
    Fail,
    /// Worth a look; does not fail.
    Warn,
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
}

impl Policy {
    /// A built-in policy by name, or a TOML file.
    pub fn load(spec: &str) -> Result<Policy, PolicyError> {
        if let Some(p) = mozilla::builtin(spec) {
            return Ok(p);
        }
        let path = Path::new(spec);
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
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

    /// Checks every rule that is set.
    pub fn check(&self, f: &Findings) -> PolicyResult {
        let mut rules = Vec::new();
        let accepted: Vec<Version> = f
            .versions
            .iter()
            .filter(|v| v.accepted == Verdict::Yes)
            .map(|v| v.version)
            .collect();
        let version_probes: Vec<String> =
            f.versions.iter().flat_map(|v| v.probes.clone()).collect();
        let mut rule = |rule: &str, failed: Option<String>, ok: String, probes: &[String]| {
            rules.push(RuleResult {
                rule: rule.to_owned(),
                outcome: if failed.is_some() {
                    RuleOutcome::Fail
                } else {
                    RuleOutcome::Pass
                },
                detail: failed.unwrap_or(ok),
                probes: probes.to_vec(),
            });
        };
        let names = |vs: &[Version]| {
            vs.iter()
                .map(|v| v.display())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(min) = self.min_version {
            let low: Vec<Version> = accepted.iter().copied().filter(|v| *v < min).collect();
            let failed = (!low.is_empty())
                .then(|| format!("accepts {}, below {}", names(&low), min.display()));
            rule(
                "min_version",
                failed,
                format!("accepts {}", names(&accepted)),
                &version_probes,
            );
        }
        if let Some(max) = self.max_version {
            let high: Vec<Version> = accepted.iter().copied().filter(|v| *v > max).collect();
            let failed = (!high.is_empty())
                .then(|| format!("accepts {}, above {}", names(&high), max.display()));
            rule(
                "max_version",
                failed,
                format!("accepts {}", names(&accepted)),
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
        let suite_probes: Vec<String> = f.suites.iter().flat_map(|s| s.probes.clone()).collect();
        let is =
            |(o, i): &(String, Option<String>), want: &str| o == want || i.as_deref() == Some(want);
        if let Some(allowed) = &self.allowed_suites {
            let extra: Vec<&str> = suites
                .iter()
                .filter(|s| !allowed.iter().any(|a| is(s, a)))
                .map(|s| s.0.as_str())
                .collect();
            let failed = (!extra.is_empty())
                .then(|| format!("accepts suites outside the policy: {}", extra.join(", ")));
            rule(
                "allowed_suites",
                failed,
                format!("{} suites, all allowed", suites.len()),
                &suite_probes,
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
            rule(
                "forbid_suites",
                failed,
                "no forbidden suite accepted".into(),
                &suite_probes,
            );
        }
        if self.forbid_anonymous_suites == Some(true) {
            let anonymous = once(f.suites.iter().flat_map(|s| &s.anonymous));
            let failed = (!anonymous.is_empty()).then(|| {
                format!(
                    "accepts suites that authenticate no server: {}",
                    anonymous.join(", ")
                )
            });
            rule(
                "forbid_anonymous_suites",
                failed,
                "no anonymous suite accepted".into(),
                &suite_probes,
            );
        }
        if !self.require_suites.is_empty() {
            let missing: Vec<&str> = self
                .require_suites
                .iter()
                .filter(|want| !suites.iter().any(|s| is(s, want)))
                .map(String::as_str)
                .collect();
            let failed =
                (!missing.is_empty()).then(|| format!("does not accept: {}", missing.join(", ")));
            rule(
                "require_suites",
                failed,
                "every required suite accepted".into(),
                &suite_probes,
            );
        }

        // Groups accepted at any version.
        let mut groups: Vec<String> = Vec::new();
        for g in f.groups.iter().flat_map(|g| &g.accepted) {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        let gp: &Vec<String> = &f.groups.iter().flat_map(|g| g.probes.clone()).collect();
        let has = |want: &str| groups.iter().any(|g| g == &canonical_group(want));
        if let Some(allowed) = &self.allowed_groups {
            let allowed: Vec<String> = allowed.iter().map(|g| canonical_group(g)).collect();
            let extra: Vec<&str> = groups
                .iter()
                .filter(|g| !allowed.contains(g))
                .map(String::as_str)
                .collect();
            let failed = (!extra.is_empty())
                .then(|| format!("accepts groups outside the policy: {}", extra.join(", ")));
            rule(
                "allowed_groups",
                failed,
                format!("accepts {}", groups.join(", ")),
                gp,
            );
        }
        if !self.forbid_groups.is_empty() {
            let bad: Vec<&str> = self
                .forbid_groups
                .iter()
                .filter(|g| has(g))
                .map(String::as_str)
                .collect();
            let failed =
                (!bad.is_empty()).then(|| format!("accepts forbidden groups: {}", bad.join(", ")));
            rule(
                "forbid_groups",
                failed,
                format!("accepts {}", groups.join(", ")),
                gp,
            );
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
            rule(
                "require_groups",
                failed,
                format!("accepts {}", groups.join(", ")),
                gp,
            );
        }

        let leaf = f.chain.certificates.first();
        let cp = &f.chain.probes;
        if let Some(types) = &self.certificate_types {
            let kind = leaf.map(|c| key_kind(&c.key_algorithm));
            let failed = match kind {
                Some(k) if types.iter().any(|t| t.eq_ignore_ascii_case(k)) => None,
                Some(k) => Some(format!(
                    "the leaf key is {k}; the policy allows {}",
                    types.join(", ")
                )),
                None => Some("no certificate was received".into()),
            };
            rule(
                "certificate_types",
                failed,
                format!("the leaf key is {}", kind.unwrap_or("?")),
                cp,
            );
        }
        if let Some(curves) = &self.certificate_curves {
            let curve = leaf.and_then(|c| c.key.split_whitespace().nth(2).map(str::to_owned));
            let failed = match &curve {
                Some(c) if !curves.contains(c) => Some(format!(
                    "the leaf's curve is {c}; the policy allows {}",
                    curves.join(", ")
                )),
                _ => None,
            };
            rule(
                "certificate_curves",
                failed,
                format!(
                    "leaf curve: {}",
                    curve.as_deref().unwrap_or("none (not ECDSA)")
                ),
                cp,
            );
        }
        if let Some(allowed) = &self.certificate_signatures {
            let signature = leaf.map(|c| c.signature_algorithm.as_str());
            let failed = match signature {
                Some(s) if allowed.iter().any(|a| a == s) => None,
                Some(s) => Some(format!(
                    "the leaf is signed with {s}; the policy allows {}",
                    allowed.join(", ")
                )),
                None => Some("no certificate was received".into()),
            };
            rule(
                "certificate_signatures",
                failed,
                format!("the leaf is signed with {}", signature.unwrap_or("?")),
                cp,
            );
        }
        if let Some(min) = self.min_rsa_bits {
            let rsa = leaf.filter(|c| key_kind(&c.key_algorithm) == "rsa");
            let failed = rsa
                .filter(|c| c.key_bits < min)
                .map(|c| format!("RSA key of {} bits, below {min}", c.key_bits));
            rule(
                "min_rsa_bits",
                failed,
                rsa.map_or("the leaf key is not RSA".into(), |c| {
                    format!("RSA key of {} bits", c.key_bits)
                }),
                cp,
            );
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
            rule("min_dh_bits", failed, ok, &f.dh.probes);
        }
        if let Some(max) = self.max_certificate_lifespan_days {
            let life = leaf.and_then(|c| c.lifespan_days);
            let failed = life
                .filter(|d| *d > max)
                .map(|d| format!("the leaf is valid for {d} days, more than {max}"));
            rule(
                "max_certificate_lifespan_days",
                failed,
                format!(
                    "the leaf is valid for {} days",
                    life.map_or("?".into(), |d| d.to_string())
                ),
                cp,
            );
        }
        if let Some(min) = self.min_days_to_expiry {
            let days = f.chain.leaf_days_to_expiry;
            let failed = match days {
                Some(d) if d < min => {
                    Some(format!("the leaf expires in {d} days, fewer than {min}"))
                }
                None => Some("no certificate was received".into()),
                _ => None,
            };
            rule(
                "min_days_to_expiry",
                failed,
                format!("the leaf expires in {} days", days.unwrap_or_default()),
                cp,
            );
        }
        if self.require_valid_certificate == Some(true) {
            let failed = match &f.chain.handshake_verify {
                Some((0, _)) => None,
                Some((code, text)) => Some(format!("verify error {code}: {text}")),
                None => Some(format!("no verify result: {}", f.chain.chain_verify.1)),
            };
            rule(
                "require_valid_certificate",
                failed,
                "the chain verifies for the name".into(),
                cp,
            );
        }
        if self.require_fallback_scsv == Some(true) {
            let fb = &f.fallback_scsv;
            let failed = matches!(fb.supported, Verdict::No | Verdict::NotTestable)
                .then(|| fb.detail.clone());
            rule(
                "require_fallback_scsv",
                failed,
                fb.detail.clone(),
                &fb.probes,
            );
        }
        if self.require_secure_renegotiation == Some(true) {
            let r = &f.renegotiation;
            let failed =
                matches!(r.secure, Verdict::No | Verdict::NotTestable).then(|| r.detail.clone());
            rule(
                "require_secure_renegotiation",
                failed,
                r.detail.clone(),
                &r.probes,
            );
        }
        if let Some(warn) = self.max_days_to_expiry_warning {
            let days = f.chain.leaf_days_to_expiry;
            let soon = days.is_some_and(|d| d < warn);
            rules.push(RuleResult {
                rule: "max_days_to_expiry_warning".into(),
                outcome: if soon {
                    RuleOutcome::Warn
                } else {
                    RuleOutcome::Pass
                },
                detail: match days {
                    Some(d) if soon => format!("the leaf expires in {d} days, within {warn}"),
                    Some(d) => format!("the leaf expires in {d} days"),
                    None => "no certificate was received".into(),
                },
                probes: cp.clone(),
            });
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

/// Group names as the scan reports them (IANA), from OpenSSL's aliases.
fn canonical_group(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "p-256" | "prime256v1" | "secp256r1" => "secp256r1".into(),
        "p-384" | "secp384r1" => "secp384r1".into(),
        "p-521" | "secp521r1" => "secp521r1".into(),
        "x25519" => "x25519".into(),
        "x448" => "x448".into(),
        _ => name.to_owned(),
    }
}

/// "rsa", "ecdsa", "ed25519", ... from a key algorithm's long name.
fn key_kind(algorithm: &str) -> &'static str {
    match algorithm {
        "rsaEncryption" | "RSA" => "rsa",
        "rsassaPss" | "RSASSA-PSS" => "rsa-pss",
        "id-ecPublicKey" => "ecdsa",
        "ED25519" => "ed25519",
        "ED448" => "ed448",
        "dsaEncryption" => "dsa",
        _ => "other",
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
    fn builtins_load_by_name() {
        for name in mozilla::NAMES {
            let p = Policy::load(name).expect("builtin");
            assert_eq!(p.name.as_deref(), Some(name));
            assert!(p.min_version.is_some() && p.allowed_suites.is_some());
        }
    }

    #[test]
    fn group_aliases_meet() {
        assert_eq!(canonical_group("P-256"), canonical_group("prime256v1"));
        assert_eq!(canonical_group("secp384r1"), canonical_group("P-384"));
    }
}
