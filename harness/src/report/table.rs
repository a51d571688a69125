//! The terminal table: one block per version, a row per case with what it
//! negotiated and how long it took, and the summary line last.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{
    artifact_text, diagnosis, failure_reason, outcome_text, rerun_command, PairingView, Report,
};
use crate::case::Version;
use crate::run::Status;

/// Renders the table.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail, here and below.
    let _ = writeln!(
        out,
        "tls-harness {} with {} ({}, {} jobs{})",
        report.tool_version,
        report.openssl,
        report.transport,
        report.jobs,
        report
            .shard
            .map(|[k, n]| format!(", shard {k}/{n}"))
            .unwrap_or_default()
    );
    let width = report
        .results
        .iter()
        .filter(|r| r.status != Status::Skipped)
        .map(|r| r.id.len())
        .max()
        .unwrap_or(20);
    for v in Version::ALL {
        let rows: Vec<_> = report.of_version(v).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{v}");
        let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
        for r in rows {
            if r.status == Status::Skipped {
                *skipped
                    .entry(r.reason.as_deref().unwrap_or("skipped"))
                    .or_default() += 1;
                continue;
            }
            // A pass shows its handshake's time; a failure the case's,
            // which a wait that ended it dominates ("3 ms" beside a
            // time-out would hide where the run's time went).
            let timing = match (&r.observed, r.status) {
                (Some(o), Status::Pass) => match o.handshake_ms {
                    Some(h) => format!("{h:7.2} ms"),
                    None => format!("{:7.2} ms", r.elapsed_ms),
                },
                (Some(_), Status::Fail) => format!("{:7.2} ms", r.elapsed_ms),
                _ => String::new(),
            };
            let detail = match r.status {
                Status::Pass => outcome_text(r),
                _ => r.reason.clone().unwrap_or_default(),
            };
            let _ = writeln!(
                out,
                "  {:<11} {:<width$}  {:>10}  {}",
                r.status.name().to_uppercase(),
                r.id,
                timing,
                detail
            );
            if let (Status::Fail, Some(d)) = (r.status, &r.diagnosis) {
                let _ = writeln!(
                    out,
                    "  {:<11} {:<width$}  {:>10}  diagnosis: {}",
                    "",
                    "",
                    "",
                    diagnosis::line(d)
                );
            }
            if let Some(a) = artifact_text(r) {
                let _ = writeln!(out, "  {:<11} {:<width$}  {:>10}  {a}", "", "", "");
            }
            if r.status == Status::Fail {
                let rerun = rerun_command(report, r);
                let _ = writeln!(
                    out,
                    "  {:<11} {:<width$}  {:>10}  rerun: {rerun}",
                    "", "", ""
                );
            }
            for note in &r.case.notes {
                let _ = writeln!(out, "  {:<11} {:<width$}  {:>10}  note: {note}", "", "", "");
            }
        }
        for (reason, n) in skipped {
            let _ = writeln!(out, "  {:<11} {n} case(s) {reason}", "SKIPPED");
        }
    }
    if let Some(view) = PairingView::of(report) {
        let _ = writeln!(
            out,
            "\nInterop (client rows, server columns; passed/ran, ✗ failed, – unsupported)"
        );
        let _ = write!(out, "  {:<14}", "client \\ server");
        for s in &view.servers {
            let _ = write!(out, " {:<18}", s.name());
        }
        let _ = writeln!(out);
        for c in &view.clients {
            let _ = write!(out, "  {:<14}", c.name());
            for s in &view.servers {
                let _ = write!(out, " {:<18}", view.cell(*c, *s));
            }
            let _ = writeln!(out);
        }
        for r in report.results.iter().filter(|r| r.status == Status::Fail) {
            let _ = writeln!(
                out,
                "  FAIL {} ({}): {}",
                r.id,
                r.pairing,
                failure_reason(r)
            );
            if let Some(d) = &r.diagnosis {
                let _ = writeln!(out, "       diagnosis: {}", diagnosis::line(d));
            }
            if let Some(a) = artifact_text(r) {
                let _ = writeln!(out, "       {a}");
            }
        }
        for p in &report.peers {
            let _ = writeln!(out, "  peer: {p}");
        }
    }
    let _ = writeln!(out, "\n{} in {:.1} s", report.summary, report.wall_ms / 1e3);
    if let Some(st) = &report.stopped {
        let _ = writeln!(out, "{st}");
    }
    out
}
