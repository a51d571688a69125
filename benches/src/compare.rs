//! Two runs side by side: two builds (system against vendored OpenSSL),
//! two machines, or a change against the run before it.
#![forbid(unsafe_code)]

use std::fmt::Write as _;

use crate::report::{number, BenchReport, Row, UNOPTIMIZED};

impl BenchReport {
    /// Rows present in both reports: each run's untraced figure and
    /// `other / base`, then each run's traced/untraced ratio with its 95 %
    /// interval. `differs` marks a row whose two intervals do not overlap:
    /// a change in what tracing costs that neither run's noise explains.
    /// Then each target either run measured, as each found it.
    pub fn compare(base: &BenchReport, other: &BenchReport) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# base:  {}", base.openssl_version);
        let _ = writeln!(out, "# other: {}", other.openssl_version);
        if !(base.optimized && other.optimized) {
            out.push_str(UNOPTIMIZED);
        }
        let _ = writeln!(
            out,
            "{:<58} {:>12} {:>12} {:>12} {:>10}  {:<21} tr/untr other",
            "row", "unit", "base", "other", "other/base", "tr/untr base"
        );
        for b in &base.rows {
            let Some(o) = other.rows.iter().find(|o| o.id == b.id) else {
                continue;
            };
            let line = format!(
                "{:<58} {:>12} {:>12} {:>12} {:>10.3}  {:<21} {:<21}{}",
                b.id,
                b.unit,
                number(b.untraced),
                number(o.untraced),
                o.untraced / b.untraced,
                ratio(b),
                ratio(o),
                if intervals_apart(b, o) {
                    " differs"
                } else {
                    ""
                },
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let _ = writeln!(out, "\ntargets (base, then other):");
        for b in &base.targets {
            let Some(o) = other.targets.iter().find(|o| o.name == b.name) else {
                continue;
            };
            if b.measured.is_none() && o.measured.is_none() {
                continue;
            }
            let _ = writeln!(out, "  {:<52} {}", b.name, b.condition());
            for (run, t, report) in [("base", b, base), ("other", o, other)] {
                let verdict = t.verdict_in(report);
                let _ = writeln!(out, "    {run:<6} {} {verdict}", t.figure());
            }
        }
        out
    }
}

/// A row's traced/untraced ratio and, when it has one, its interval.
fn ratio(r: &Row) -> String {
    match r.traced_ratio_interval {
        Some([low, high]) => format!("{:.3} ({low:.3}–{high:.3})", r.traced_ratio),
        None => format!("{:.3}", r.traced_ratio),
    }
}

/// Whether both rows have an interval and the two do not overlap.
fn intervals_apart(a: &Row, b: &Row) -> bool {
    match (a.traced_ratio_interval, b.traced_ratio_interval) {
        (Some([a_low, a_high]), Some([b_low, b_high])) => a_high < b_low || b_high < a_low,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::Config;
    use crate::report::Kind;
    use crate::runner::Method;

    /// A run whose session-id resumption ratios are `low..low+0.02` and
    /// ticket ratios `0.96..0.98`, 21 rounds each.
    fn run(low: f64) -> BenchReport {
        let row = |id: &str, low: f64| {
            let pairs: Vec<(f64, f64)> = (0..21)
                .map(|i| (100.0, 100.0 * (low + f64::from(i) * 0.001)))
                .collect();
            Row::from_pairs(
                id.to_owned(),
                Kind::Resumption,
                Config::Default,
                "h/s",
                &pairs,
            )
        };
        let rows = vec![
            row("resumption/default/tls12-session-id", low),
            row("resumption/default/tls12-ticket", 0.96),
        ];
        let mut report = BenchReport::new(false, Method::defaults(false), rows, Duration::ZERO);
        // Judged as a release build's figures would be.
        report.optimized = true;
        report
    }

    /// Only the row whose intervals lie apart is marked, and each target
    /// shows both runs' verdicts.
    #[test]
    fn a_row_is_marked_only_when_its_intervals_do_not_overlap() {
        let text = BenchReport::compare(&run(0.95), &run(0.98));
        let line = |id: &str| {
            text.lines()
                .find(|l| l.starts_with(id))
                .unwrap_or_else(|| panic!("no row {id} in\n{text}"))
        };
        // 6th smallest and largest of 21 (see stats.rs): 0.955–0.965
        // against 0.985–0.995.
        let session_id = line("resumption/default/tls12-session-id");
        assert!(session_id.contains("0.960 (0.955–0.965)"), "{session_id}");
        assert!(session_id.contains("0.990 (0.985–0.995)"), "{session_id}");
        assert!(session_id.ends_with(" differs"), "{session_id}");
        assert!(!line("resumption/default/tls12-ticket").contains("differs"));
        let targets = text
            .split("targets (base, then other):")
            .nth(1)
            .expect("targets");
        assert!(
            targets.contains("base   0.9600 (95 % CI 0.9550–0.9650) MISSED\n"),
            "{targets}"
        );
        assert!(
            targets.contains("other  0.9900 (95 % CI 0.9850–0.9950) met\n"),
            "{targets}"
        );
    }
}
