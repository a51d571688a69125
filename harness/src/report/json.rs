//! The JSON report: [`Report`] as serde writes it, with `schema_version`.

use std::path::Path;

use super::{Report, SCHEMA_VERSION};
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
/// wall time the longest shard's. Shards must come from the same OpenSSL
/// and may not disagree about a case.
pub fn merge(mut reports: Vec<Report>) -> Result<Report, HarnessError> {
    let Some(mut merged) = reports.pop() else {
        return Err(HarnessError::Merge("no reports given".into()));
    };
    for r in reports {
        if r.openssl != merged.openssl {
            return Err(HarnessError::Merge(format!(
                "shards ran against different OpenSSL builds ({} and {})",
                r.openssl, merged.openssl
            )));
        }
        merged.wall_ms = merged.wall_ms.max(r.wall_ms);
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
