//! A scan report as a table, JSON, JUnit XML or Markdown.
//!
//! Table and Markdown print one row per finding with the probe ids it
//! rests on, then each failed probe with its diagnosis; JSON holds
//! everything, each probe's trace and diagnosis included; JUnit has one
//! test case per policy rule, and one per finding family.

use std::fmt::Write;

use super::policy::RuleOutcome;
use super::{default_client, ScanReport, BASE_PROBE};
use crate::report::junit::escape;
use crate::report::{diagnosis, Format};

/// Renders `r` in format `f`.
pub fn render(r: &ScanReport, f: Format) -> String {
    match f {
        Format::Table => table(r),
        // Compact: the traces make it a machine format (indenting them
        // doubles the size); `jq .` prints it for reading.
        Format::Json => serde_json::to_string(r).unwrap_or_default() + "\n",
        Format::Junit => junit(r),
        Format::Markdown => markdown::markdown(r),
    }
}

pub use rows::{rows, Row};

/// Each probe whose handshake failed or ended in a fatal alert, by id:
/// its diagnosis, or why it could not be made when it has no trace.
/// Failures are how a scan maps a server's limits, so most are expected.
pub fn failures(r: &ScanReport) -> Vec<(&str, Failure<'_>)> {
    r.probes
        .iter()
        .filter_map(|(id, p)| {
            // A handshake that went through (a warning on the way) did not fail.
            if p.error.is_none() && p.trace.as_ref().is_some_and(|t| t.succeeded()) {
                return None;
            }
            let f = match (&p.diagnosis, &p.error) {
                (Some(d), _) => Failure::Diagnosed(d),
                (None, Some(e)) => Failure::Undiagnosed(e),
                (None, None) => return None,
            };
            Some((id.as_str(), f))
        })
        .collect()
}

/// How one failed probe is reported.
pub enum Failure<'a> {
    /// Its trace's diagnosis, or its connection's when no TLS began.
    Diagnosed(&'a openssl_handshake::Diagnosis),
    /// No diagnosis (a probe this end could not set up, or a hello the
    /// scan wrote itself that got no answer): the error.
    Undiagnosed(&'a str),
}

impl Failure<'_> {
    /// The failure of probe `id`. Only the two default handshakes' (base,
    /// and default_client's, with OpenSSL's client defaults) come with the
    /// diagnosis's fix: the other probes offer less on purpose, and their
    /// refusals are the findings, not something to fix in a client.
    fn line(&self, id: &str) -> String {
        match self {
            Failure::Diagnosed(d) if with_fix(id) => diagnosis::line(d),
            Failure::Diagnosed(d) => diagnosis::without_fix(d),
            Failure::Undiagnosed(e) => (*e).to_owned(),
        }
    }
}

/// Whether probe `id`'s failure is printed with its fix.
fn with_fix(id: &str) -> bool {
    id == BASE_PROBE || id == default_client::PROBE
}

fn table(r: &ScanReport) -> String {
    let mut s = header(r);
    for row in rows(r) {
        let _ = writeln!(
            s,
            "{:<16} {:<22} {}  [{}]",
            row.family,
            row.item,
            row.value,
            row.probes.join(" ")
        );
    }
    let failed = failures(r);
    if !failed.is_empty() {
        s += "\nfailed probes\n";
        for (id, f) in failed {
            let _ = writeln!(s, "  {id:<24} {}", f.line(id));
        }
    }
    if let Some(p) = &r.policy {
        let _ = writeln!(s, "\npolicy {}: {}", p.name, p.verdict());
        let w = p.rules.iter().map(|r| outcome(r.outcome).len()).max();
        for rule in &p.rules {
            let _ = writeln!(
                s,
                "  {:<w$} {:<30} {}",
                outcome(rule.outcome),
                rule.rule,
                rule.detail,
                w = w.unwrap_or(4)
            );
        }
    }
    s
}

fn header(r: &ScanReport) -> String {
    let mut s = format!(
        "scan {}{}{} (SNI {}) with {}: {} connections, {:.0} ms, at most {} at once\n\n",
        r.target,
        r.address
            .as_ref()
            .filter(|a| **a != r.target)
            .map(|a| format!(" at {a}"))
            .unwrap_or_default(),
        r.starttls
            .map(|p| format!(" via STARTTLS ({p})"))
            .unwrap_or_default(),
        r.servername.as_deref().unwrap_or("none"),
        r.openssl,
        r.connections,
        r.wall_ms,
        r.jobs
    );
    for dead in &r.addresses_passed_over {
        let then = match &r.address {
            Some(a) => format!("scanned {a} instead"),
            None => "no address took one".to_owned(),
        };
        let _ = writeln!(
            s,
            "ADDRESS PASSED OVER: {dead} (took no connection; {then})\n"
        );
    }
    if let Some(reason) = &r.cannot_scan {
        let _ = writeln!(s, "CANNOT SCAN: {reason}\n");
    }
    let silent = &r.findings.unanswered;
    if r.cannot_scan.is_none() && !silent.is_empty() {
        let ids: Vec<&str> = silent.keys().map(String::as_str).collect();
        let _ = writeln!(
            s,
            "INCOMPLETE: {} of the probes got no TLS answer, even on a retry ({}): the rows \
             marked incomplete rest on them, and an unanswered version was not enumerated; \
             rerun, or give the server longer (--timeout, --handshake-timeout) or fewer \
             connections at once (--jobs)\n",
            ids.len(),
            ids.join(" ")
        );
    }
    s
}

fn outcome(o: RuleOutcome) -> &'static str {
    match o {
        RuleOutcome::Pass => "pass",
        RuleOutcome::Fail => "FAIL",
        RuleOutcome::Warn => "warn",
        RuleOutcome::Unverified => "not verified",
    }
}

fn junit(r: &ScanReport) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let rules = r.policy.as_ref().map_or(&[][..], |p| &p.rules[..]);
    let failures = r.policy.as_ref().map_or(0, |p| p.failed().len());
    // A rule not verified is an error, not a pass: the check did not run.
    let errors = r.policy.as_ref().map_or(0, |p| p.unverified().len());
    let findings = rows(r);
    let unreached = usize::from(r.cannot_scan.is_some());
    let _ = writeln!(
        s,
        "<testsuites name=\"tls-harness scan {}\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" time=\"{:.3}\">",
        escape(&r.target),
        rules.len() + findings.len() + unreached,
        failures + unreached,
        r.wall_ms / 1e3
    );
    if let Some(reason) = &r.cannot_scan {
        let _ = writeln!(
            s,
            "  <testsuite name=\"scan\" tests=\"1\" failures=\"1\">\n    <testcase classname=\"scan\" name=\"the target answers TLS\">\n      <failure message=\"{}\" type=\"cannot_scan\"/>\n    </testcase>\n  </testsuite>",
            escape(reason)
        );
    }
    if let Some(p) = &r.policy {
        let _ = writeln!(
            s,
            "  <testsuite name=\"policy {}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">",
            escape(&p.name),
            rules.len()
        );
        // A class name's dots are package separators to CI viewers: a
        // policy file is known there by its stem ("policy.strict" for
        // ci/strict.toml), as its suite's name keeps the whole path.
        let class = std::path::Path::new(&p.name)
            .file_stem()
            .map_or(p.name.clone(), |s| s.to_string_lossy().replace('.', "_"));
        for rule in rules {
            let _ = write!(
                s,
                "    <testcase classname=\"policy.{}\" name=\"{}\"",
                escape(&class),
                escape(&rule.rule)
            );
            let evidence = format!("{}\nprobes: {}", rule.detail, rule.probes.join(" "));
            match rule.outcome {
                RuleOutcome::Fail => {
                    let _ = writeln!(
                        s,
                        ">\n      <failure message=\"{}\" type=\"policy\">{}</failure>\n    </testcase>",
                        escape(&rule.detail),
                        escape(&evidence)
                    );
                }
                RuleOutcome::Unverified => {
                    let _ = writeln!(
                        s,
                        ">\n      <error message=\"{}\" type=\"not_verified\">{}</error>\n    </testcase>",
                        escape(&rule.detail),
                        escape(&evidence)
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        ">\n      <system-out>{}: {}</system-out>\n    </testcase>",
                        outcome(rule.outcome),
                        escape(&evidence)
                    );
                }
            }
        }
        s += "  </testsuite>\n";
    }
    let _ = writeln!(
        s,
        "  <testsuite name=\"findings\" tests=\"{}\" failures=\"0\">",
        findings.len()
    );
    for row in findings {
        let _ = writeln!(
            s,
            "    <testcase classname=\"findings.{}\" name=\"{}\">\n      <system-out>{}\nprobes: {}</system-out>\n    </testcase>",
            row.family,
            escape(&row.item),
            escape(&row.value),
            row.probes.join(" ")
        );
    }
    s += "  </testsuite>\n</testsuites>\n";
    s
}

mod markdown;
mod rows;
