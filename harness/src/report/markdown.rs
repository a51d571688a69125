//! Markdown: a matrix with versions in rows and key types in columns,
//! then the failures and the reasons for everything that did not run.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{diagnosis, failure_reason, rerun_command, PairingView, Report};
use crate::case::{KeyKind, Version};
use crate::run::Status;

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::from("# tls-harness matrix\n\n");
    // Writing to a String cannot fail, here and below.
    let _ = writeln!(
        out,
        "{} ({}, {} jobs)\n",
        report.openssl, report.transport, report.jobs
    );
    let _ = writeln!(
        out,
        "**{}** in {:.1} s\n",
        report.summary_line(),
        report.wall_ms / 1e3
    );

    // Columns: the key types first, then every other credential label
    // that occurs (psk, anon, the negatives, ...), in first-seen order.
    let mut columns: Vec<String> = KeyKind::ALL.iter().map(|k| k.name().to_string()).collect();
    for r in &report.results {
        if !columns.contains(&r.case.key) {
            columns.push(r.case.key.clone());
        }
    }
    let _ = writeln!(out, "Cells: passed/ran, then ✗ failed and – unsupported.\n");
    let _ = writeln!(out, "| version | {} |", columns.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(columns.len()));
    for v in Version::ALL {
        let rows: Vec<_> = report.of_version(v).collect();
        if rows.is_empty() {
            continue;
        }
        let cells: Vec<String> = columns
            .iter()
            .map(|col| {
                let of: Vec<_> = rows.iter().filter(|r| &r.case.key == col).collect();
                let count = |s: Status| of.iter().filter(|r| r.status == s).count();
                let (p, f, u) = (
                    count(Status::Pass),
                    count(Status::Fail),
                    count(Status::Unsupported),
                );
                let mut cell = String::new();
                if p + f > 0 {
                    cell.push_str(&format!("{p}/{}", p + f));
                }
                if f > 0 {
                    cell.push_str(&format!(" ✗{f}"));
                }
                if u > 0 {
                    cell.push_str(&format!(" –{u}"));
                }
                if cell.is_empty() {
                    cell.push(' ');
                }
                cell.trim().to_string()
            })
            .collect();
        let _ = writeln!(out, "| {} | {} |", v, cells.join(" | "));
    }

    if let Some(view) = PairingView::of(report) {
        let _ = writeln!(
            out,
            "\n## Interop\n\nClient implementation in rows, server in columns; cells: passed/ran, then ✗ failed and – unsupported.\n"
        );
        let names: Vec<&str> = view.servers.iter().map(|s| s.name()).collect();
        let _ = writeln!(out, "| client \\ server | {} |", names.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(view.servers.len()));
        for c in &view.clients {
            let cells: Vec<String> = view.servers.iter().map(|s| view.cell(*c, *s)).collect();
            let _ = writeln!(out, "| {} | {} |", c.name(), cells.join(" | "));
        }
        out.push('\n');
        for p in &report.peers {
            let _ = writeln!(out, "- {p}");
        }
        let failed: Vec<_> = report
            .results
            .iter()
            .filter(|r| r.status == Status::Fail && r.pairing != crate::run::Pairing::INPROC)
            .collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "\nInterop failures:\n");
            for r in failed {
                let _ = writeln!(out, "- `{}` ({}): {}", r.id, r.pairing, failure_reason(r));
            }
        }
    }

    let failures: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .collect();
    let _ = writeln!(out, "\n## Failures ({})\n", failures.len());
    if failures.is_empty() {
        out.push_str("None.\n");
    }
    for r in failures {
        let _ = writeln!(out, "- `{}`: {}", r.id, failure_reason(r));
        if let Some(d) = &r.diagnosis {
            let _ = writeln!(out, "  - diagnosis: {}", diagnosis::markdown(d));
        }
        match (&r.artifact, &r.artifact_note) {
            (Some(path), _) => {
                let _ = writeln!(out, "  - pcapng: `{}`", path.display());
            }
            (None, Some(note)) => {
                let _ = writeln!(out, "  - pcapng: none, {note}");
            }
            (None, None) => {}
        }
        let _ = writeln!(out, "  - rerun: `{}`", rerun_command(report, r));
    }

    for (status, title) in [
        (Status::Unsupported, "Unsupported"),
        (Status::Skipped, "Skipped"),
    ] {
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for r in report.results.iter().filter(|r| r.status == status) {
            // DSS and SRP reasons end with the suite in brackets; group by
            // the sentence before it.
            let reason = r.reason.as_deref().unwrap_or("");
            let key = reason.split(" [").next().unwrap_or(reason).to_string();
            *reasons.entry(key).or_default() += 1;
        }
        if reasons.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {title}\n");
        for (reason, n) in reasons {
            let _ = writeln!(out, "- {n} × {reason}");
        }
    }

    // Notes of the cases that ran: those left out or unsupported say
    // nothing of this run.
    let noted: BTreeMap<&str, usize> = report
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Pass | Status::Fail))
        .flat_map(|r| r.case.notes.iter())
        .fold(BTreeMap::new(), |mut m, n| {
            *m.entry(n.as_str()).or_default() += 1;
            m
        });
    if !noted.is_empty() {
        out.push_str("\n## Notes\n\n");
        for (note, n) in noted {
            let _ = writeln!(out, "- {n} × {note}");
        }
    }
    out
}
