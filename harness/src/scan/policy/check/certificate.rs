//! The certificate rules, checked against every chain the server sent: a
//! server with an RSA and an ECDSA certificate gives each client one of
//! them, so a rule holds only when it holds for each.

use super::super::{Policy, RuleOutcome, RuleResult};
use super::canonical_group;
use crate::scan::chain::{key_type, ChainFinding};
use crate::scan::ocsp::OcspFinding;

/// What one chain says for one rule: why it fails, or what it found.
type Finding = Result<String, String>;

impl Policy {
    /// One result per certificate rule the policy sets, over `chains`
    /// (the base probe's first).
    /// `base_ocsp` is the staple of the first chain (the others carry
    /// their own).
    pub(super) fn certificate_rules(
        &self,
        chains: &[&ChainFinding],
        base_ocsp: &OcspFinding,
    ) -> Vec<RuleResult> {
        let mut out = Vec::new();
        let mut rule = |name: &str, check: &dyn Fn(&ChainFinding) -> Finding| {
            out.push(over_chains(name, chains, check));
        };
        if let Some(types) = &self.certificate_types {
            rule("certificate_types", &|ch| {
                let Some(k) = leaf_type(ch) else {
                    return Err("no certificate was received".into());
                };
                if types.iter().any(|t| t.eq_ignore_ascii_case(k)) {
                    Ok(format!("the leaf key is {k}"))
                } else {
                    Err(format!(
                        "the leaf key is {k}; the policy allows {}",
                        types.join(", ")
                    ))
                }
            });
        }
        if let Some(curves) = &self.certificate_curves {
            rule("certificate_curves", &|ch| {
                let curve = ch
                    .certificates
                    .first()
                    .and_then(|c| c.key.split_whitespace().nth(2));
                // By any of a group's names: P-256, secp256r1, prime256v1.
                let allowed = |c: &str| {
                    curves
                        .iter()
                        .any(|x| canonical_group(x) == canonical_group(c))
                };
                match curve {
                    Some(c) if !allowed(c) => Err(format!(
                        "the leaf's curve is {c}; the policy allows {}",
                        curves.join(", ")
                    )),
                    _ => Ok(format!(
                        "leaf curve: {}",
                        curve.unwrap_or("none (not ECDSA)")
                    )),
                }
            });
        }
        if let Some(allowed) = &self.certificate_signatures {
            rule("certificate_signatures", &|ch| match ch
                .certificates
                .first()
                .map(|c| &c.signature_algorithm)
            {
                Some(s) if allowed.contains(s) => Ok(format!("the leaf is signed with {s}")),
                Some(s) => Err(format!(
                    "the leaf is signed with {s}; the policy allows {}",
                    allowed.join(", ")
                )),
                None => Err("no certificate was received".into()),
            });
        }
        if let Some(min) = self.min_rsa_bits {
            // An RSA-PSS key (rsassaPss) is an RSA modulus like any other.
            rule("min_rsa_bits", &|ch| match leaf_type(ch) {
                Some(k @ ("rsa" | "rsa-pss")) => {
                    let bits = ch.certificates.first().map_or(0, |c| c.key_bits);
                    let key = if k == "rsa" { "RSA" } else { "RSA-PSS" };
                    if bits < min {
                        Err(format!("{key} key of {bits} bits, below {min}"))
                    } else {
                        Ok(format!("{key} key of {bits} bits"))
                    }
                }
                _ => Ok("the leaf key is not RSA".into()),
            });
        }
        if let Some(max) = self.max_certificate_lifespan_days {
            rule("max_certificate_lifespan_days", &|ch| match ch
                .certificates
                .first()
                .and_then(|c| c.lifespan_days)
            {
                Some(d) if i64::from(d) > i64::from(max) => {
                    Err(format!("the leaf is valid for {d} days, more than {max}"))
                }
                d => Ok(format!(
                    "the leaf is valid for {} days",
                    d.map_or("?".into(), |d| d.to_string())
                )),
            });
        }
        if let Some(min) = self.min_days_to_expiry {
            rule("min_days_to_expiry", &|ch| match ch.leaf_days_to_expiry {
                Some(d) if i64::from(d) < i64::from(min) => {
                    Err(format!("{}, fewer than {min} days left", expiry(d)))
                }
                Some(d) => Ok(expiry(d)),
                None => Err("no certificate was received".into()),
            });
        }
        if self.require_valid_certificate == Some(true) {
            // As clients verify it, not at the scan's level 0, and as
            // those that read a staple take its word on revocation.
            let revoked = |ch: &ChainFinding| {
                let staple = match chains.first() {
                    Some(base) if std::ptr::eq(*base, ch) => Some(base_ocsp),
                    _ => ch.ocsp.as_ref(),
                };
                staple.and_then(OcspFinding::revoked).map(str::to_owned)
            };
            rule("require_valid_certificate", &|ch| match &ch.client_verify {
                Some((0, _)) => match revoked(ch) {
                    Some(said) => Err(format!(
                        "the chain verifies, but the stapled OCSP response says {said}"
                    )),
                    None => Ok(format!(
                        "the chain verifies for the name at security level {}",
                        ch.client_security_level
                    )),
                },
                Some((code, text)) => Err(format!("verify error {code}: {text}")),
                None => Err(format!("no verify result: {}", ch.chain_verify.1)),
            });
        }
        if let Some(warn) = self.max_days_to_expiry_warning {
            // A warning, not a failure: the result is turned below.
            rule(
                "max_days_to_expiry_warning",
                &|ch| match ch.leaf_days_to_expiry {
                    Some(d) if i64::from(d) < i64::from(warn) => {
                        Err(format!("{}, within {warn} days", expiry(d)))
                    }
                    Some(d) => Ok(expiry(d)),
                    None => Ok("no certificate was received".into()),
                },
            );
            if let Some(r) = out.last_mut() {
                if r.outcome == RuleOutcome::Fail {
                    r.outcome = RuleOutcome::Warn;
                }
            }
        }
        out
    }
}

/// Checks one rule against each chain: it fails when any chain fails.
/// With several chains each finding names its chain's key type.
fn over_chains(
    name: &str,
    chains: &[&ChainFinding],
    check: &dyn Fn(&ChainFinding) -> Finding,
) -> RuleResult {
    let results: Vec<(&ChainFinding, Finding)> = chains.iter().map(|ch| (*ch, check(ch))).collect();
    let failed = results.iter().any(|(_, r)| r.is_err());
    let detail = results
        .iter()
        .filter(|(_, r)| r.is_err() == failed)
        .map(|(ch, r)| {
            let text = match r {
                Ok(t) | Err(t) => t,
            };
            if chains.len() > 1 {
                format!("{} certificate: {text}", ch.key_type)
            } else {
                text.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    RuleResult {
        rule: name.to_owned(),
        outcome: if failed {
            RuleOutcome::Fail
        } else {
            RuleOutcome::Pass
        },
        detail,
        probes: chains.iter().flat_map(|ch| ch.probes.clone()).collect(),
    }
}

/// The leaf's key type, `None` without a certificate.
fn leaf_type(ch: &ChainFinding) -> Option<&'static str> {
    ch.certificates.first().map(|c| key_type(&c.key_algorithm))
}

/// When the leaf expires, `days` from now (negative once it has).
fn expiry(days: i32) -> String {
    let n = days.unsigned_abs();
    let unit = if n == 1 { "day" } else { "days" };
    if days < 0 {
        format!("the leaf expired {n} {unit} ago")
    } else {
        format!("the leaf expires in {n} {unit}")
    }
}
