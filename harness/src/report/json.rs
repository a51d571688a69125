//! The JSON report: [`Report`] as serde writes it, with `schema_version`.

use std::path::Path;

use super::{Report, Selection, SCHEMA_VERSION};
use crate::error::HarnessError;

/// Renders the report as pretty JSON.
pub fn render(report: &Report) -> String {
    // Every field is a plain value, a string-keyed struct or a sequence,
    // which serde_json always serializes.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Parses a JSON report, refusing other schema versions.
pub fn parse(text: &str, path: &Path) -> Result<Report, HarnessError> {
    let report: Report = serde_json::from_str(text).map_err(|source| HarnessError::Report {
        path: path.to_path_buf(),
        source,
    })?;
    if report.schema_version != SCHEMA_VERSION {
        return Err(HarnessError::Merge(format!(
            "{} has schema_version {}, this tls-harness reads {}; use the tls-harness that wrote it",
            path.display(),
            report.schema_version,
            SCHEMA_VERSION
        )));
    }
    Ok(report)
}

/// Joins shard reports into one: results in matrix order, counts summed,
/// wall time the longest shard's. The reports must be shards 1 to N of
/// one N, each once, from the same OpenSSL, peers, transport and
/// selection (filters, scope, time-out), and may
/// not disagree about a case: a merge that lacks a shard would read as a
/// whole run with fewer cases.
pub fn merge(mut reports: Vec<Report>) -> Result<Report, HarnessError> {
    check_shards(&reports)?;
    let Some(mut merged) = reports.pop() else {
        return Err(HarnessError::Merge("no reports given".into()));
    };
    for r in reports {
        let differs = |what: &str, a: String, b: String| {
            HarnessError::Merge(format!("shards ran with different {what} ({a} and {b})"))
        };
        if r.openssl != merged.openssl {
            return Err(differs("OpenSSL builds", r.openssl, merged.openssl));
        }
        if r.peers != merged.peers {
            return Err(differs(
                "peers",
                r.peers.join(", "),
                merged.peers.join(", "),
            ));
        }
        if r.transport != merged.transport {
            return Err(differs("transports", r.transport, merged.transport));
        }
        if r.selection != merged.selection {
            let said = |s: Option<Selection>| s.map_or("none recorded".into(), |s| s.to_string());
            return Err(differs(
                "selections",
                said(r.selection),
                said(merged.selection),
            ));
        }
        merged.wall_ms = merged.wall_ms.max(r.wall_ms);
        merged.stopped = match (merged.stopped.take(), r.stopped) {
            (Some(mut a), Some(b)) => {
                a.cases_left += b.cases_left;
                Some(a)
            }
            (a, b) => a.or(b),
        };
        merged.results.extend(r.results);
    }
    merged
        .results
        .sort_by(|a, b| a.index.cmp(&b.index).then_with(|| a.id.cmp(&b.id)));
    merged.results.dedup_by(|a, b| a.id == b.id && a == b);
    if let Some(w) = merged.results.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(HarnessError::Merge(format!(
            "case {} appears in two shards with different results",
            w[0].id
        )));
    }
    merged.shard = None;
    merged.recount();
    Ok(merged)
}

/// Every report is a shard of the same count, and each shard is there once.
fn check_shards(reports: &[Report]) -> Result<(), HarnessError> {
    let mut shards = Vec::new();
    for r in reports {
        let Some([k, n]) = r.shard else {
            return Err(HarnessError::Merge(
                "a report of a whole run (no --shard) has nothing to be merged with".into(),
            ));
        };
        shards.push((k, n));
    }
    let Some(&(_, n)) = shards.first() else {
        return Ok(());
    };
    if let Some(&(k, other)) = shards.iter().find(|s| s.1 != n) {
        return Err(HarnessError::Merge(format!(
            "shard {k}/{other} and shards of {n} split the matrix differently"
        )));
    }
    for k in 1..=n {
        match shards.iter().filter(|s| s.0 == k).count() {
            0 => {
                return Err(HarnessError::Merge(format!(
                    "shard {k}/{n} is missing: pass every shard of the run"
                )))
            }
            1 => {}
            _ => {
                return Err(HarnessError::Merge(format!(
                    "shard {k}/{n} was given more than once"
                )))
            }
        }
    }
    Ok(())
}
