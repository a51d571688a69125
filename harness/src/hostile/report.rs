//! The suite's report: one result per case, as a table or JSON.

use std::fmt::Write as _;

use serde::Serialize;

use super::fingerprint::Identification;
use super::Expected;

/// One case: what was sent, what was expected and what happened.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Stable name, e.g. `oversized-record`.
    pub id: String,
    /// What the hostile client sends.
    pub sends: String,
    /// The expected outcome.
    pub expected: Expected,
    /// [`Expected::describe`].
    pub expected_text: String,
    /// Why that is the right outcome (RFC section, OpenSSL behaviour).
    pub why: String,
    /// What the server did, seen from the wire.
    pub actual: String,
    /// The good handshake after the case, or why it failed.
    pub server_alive: String,
    /// The server-side trace of the case's connection (in-process target).
    pub trace: Option<String>,
    /// Every way the case fell short; empty when it passed.
    pub problems: Vec<String>,
    /// Whether the case passed.
    pub passed: bool,
    /// The case cannot apply to this server, as renegotiation cannot to
    /// one without TLS 1.2: neither passed nor failed.
    pub not_applicable: bool,
    /// The case was not run, as the server had stopped serving after an
    /// earlier one: neither passed nor failed.
    pub not_run: bool,
    /// Wall time of the case, including the good handshake after it.
    pub elapsed_ms: u64,
}

/// The suite's result.
#[derive(Debug, Clone, Serialize)]
pub struct HostileReport {
    /// [`SCHEMA_VERSION`](super::SCHEMA_VERSION).
    pub schema_version: u32,
    /// The address the cases were sent to, and what it was.
    pub target: String,
    /// The linked OpenSSL.
    pub openssl: String,
    /// The target's implementation, as the fingerprint names it, with the
    /// answers it rests on.
    pub implementation: Identification,
    /// Every case, in the order run.
    pub cases: Vec<CaseResult>,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases that could not apply to this server.
    pub not_applicable: usize,
    /// Cases not run, as the server had stopped serving.
    pub not_run: usize,
    /// The case after which the server stopped serving (nothing listened,
    /// it turned every client away, or it took the good client's
    /// connection and never answered), so that the rest were not run.
    pub stopped_after: Option<String>,
    /// "N passed, N failed" (and ", N not applicable", ", N not run (the
    /// server stopped serving after CASE)" when some were; "stopped taking
    /// connections" when nothing listened, "stopped answering" when it
    /// went silent).
    pub summary: String,
}

impl HostileReport {
    /// Whether every case passed (or could not apply), and all were run.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.not_run == 0
    }

    /// The report as text in `format`. The table ends with the summary
    /// line; JSON carries it in `summary`.
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Table => self.table(),
            ReportFormat::Json => {
                // Serializing plain structs of strings and numbers cannot
                // fail; the fallback keeps the signature infallible anyway.
                serde_json::to_string_pretty(self)
                    .map(|s| s + "\n")
                    .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}\n"))
            }
        }
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "hostile peers against {} (sent by tls-harness with {})",
            self.target, self.openssl
        );
        self.implementation_lines(&mut out);
        for c in &self.cases {
            let verdict = match (c.passed, c.not_applicable, c.not_run) {
                (_, _, true) => "not run",
                (_, true, _) => "n/a",
                (true, _, _) => "pass",
                (false, _, _) => "FAIL",
            };
            // Padded to "[not run]", so that every id starts in one column.
            let _ = writeln!(
                out,
                "{:<9} {:<22} {}",
                format!("[{verdict}]"),
                c.id,
                c.sends
            );
            let _ = writeln!(out, "       expected: {}", c.expected_text);
            let _ = writeln!(out, "       actual:   {}", c.actual);
            let _ = writeln!(out, "       server:   {}", c.server_alive);
            if let Some(t) = &c.trace {
                let _ = writeln!(out, "       trace:    {t}");
            }
            for p in &c.problems {
                let _ = writeln!(out, "       problem:  {p}");
            }
        }
        let _ = writeln!(out, "{}", self.summary);
        out
    }

    fn implementation_lines(&self, out: &mut String) {
        let id = &self.implementation;
        let _ = writeln!(out, "implementation: {}", id.summary);
        if let Some(seen) = &id.seen_with {
            let _ = writeln!(out, "       table entry seen with {seen}");
        }
        let mut last_probe = "";
        for e in &id.basis {
            // Several entries can rest on one answer: it is shown once.
            if e.probe != last_probe {
                let _ = writeln!(out, "       {:<24} {}", e.probe, e.observed);
                last_probe = &e.probe;
            }
            let _ = writeln!(out, "       {:<24} -> {}", "", e.means);
        }
        if !id.known {
            for a in &id.answers {
                let _ = writeln!(out, "       {:<24} {}", a.probe.id(), a.observed);
            }
            for r in &id.ruled_out {
                let _ = writeln!(
                    out,
                    "       not {} ({} matched); where it differs:",
                    r.name, r.matched
                );
                if r.contradicted_by.is_empty() {
                    let _ = writeln!(out, "         nowhere");
                }
                for e in &r.contradicted_by {
                    let _ = writeln!(out, "         {:<24} {}", e.probe, e.means);
                }
            }
        }
    }
}

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One block per case, then "N passed, N failed".
    Table,
    /// The whole report as JSON.
    Json,
}

#[cfg(test)]
mod tests {
    use super::super::fingerprint::{conclude, Answer, Probe};
    use super::*;

    fn report(answers: &[(Probe, Answer)]) -> HostileReport {
        HostileReport {
            schema_version: super::super::SCHEMA_VERSION,
            target: "127.0.0.1:1".into(),
            openssl: "OpenSSL".into(),
            implementation: conclude(answers),
            cases: Vec::new(),
            passed: 0,
            failed: 0,
            not_applicable: 0,
            not_run: 0,
            stopped_after: None,
            summary: "0 passed, 0 failed".into(),
        }
    }

    #[test]
    fn an_unknown_target_shows_every_answer_and_why_each_implementation_is_out() {
        let answers: Vec<(Probe, Answer)> =
            Probe::ALL.iter().map(|p| (*p, Answer::Closed)).collect();
        let r = report(&answers);
        let table = r.render(ReportFormat::Table);
        println!("{table}");
        assert!(table.contains("\nimplementation: unknown ("), "{table}");
        for p in Probe::ALL {
            assert!(table.contains(p.id()), "{} listed:\n{table}", p.id());
        }
        assert!(
            table.contains("not OpenSSL (0 matched); where it differs:\n"),
            "{table}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&r.render(ReportFormat::Json)).expect("JSON");
        assert_eq!(json["implementation"]["name"], "unknown");
        assert_eq!(json["implementation"]["known"], false);
        assert_eq!(json["implementation"]["answers"][0]["probe"], "tls13-hello");
        assert_eq!(
            json["implementation"]["answers"][0]["answer"]["kind"],
            "closed"
        );
    }
}
