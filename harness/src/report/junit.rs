//! JUnit XML: a test suite per protocol version, a test case per matrix
//! case run or unsupported. Failures carry both sides' state logs and an
//! external peer's own output; a failed case whose peer never got as far
//! as a connection is an `<error>` instead; unsupported cases are
//! `<skipped>` with their reason. Cases the filters or `--external-scope` left out are not
//! listed, only counted (each suite's `left_out` property; the JSON report
//! keeps them): thousands of them would bury the few unsupported ones a CI
//! page shows as skipped.

use std::fmt::Write;

use super::{artifact_text, diagnosis, rerun_command, Report};
use crate::case::Version;
use crate::peer::ExternalView;
use crate::run::{CaseResult, Status};

/// Renders the report as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let s = &report.summary;
    let errors = report.results.iter().filter(|r| set_up_failed(r)).count();
    // A stopped run is an error of its own, so a CI page cannot show it
    // as a short, green run.
    let stopped = usize::from(report.stopped.is_some());
    // Writing to a String cannot fail, here and below.
    let _ = writeln!(
        out,
        "<testsuites name=\"tls-harness\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        s.passed + s.failed + s.unsupported + stopped,
        s.failed - errors,
        errors + stopped,
        s.unsupported,
        report.wall_ms / 1e3
    );
    if let Some(st) = &report.stopped {
        let _ = writeln!(
            out,
            "  <testsuite name=\"run\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0.000\">\n    <testcase classname=\"tls-harness.run\" name=\"every case ran\" time=\"0.000\">\n      <error message=\"{}\" type=\"stopped\"/>\n    </testcase>\n  </testsuite>",
            escape(&st.to_string())
        );
    }
    for v in Version::ALL {
        let all: Vec<&CaseResult> = report.of_version(v).collect();
        if all.is_empty() {
            continue;
        }
        // A version all left out still gets its (empty) suite and count.
        let left_out = all.iter().filter(|r| r.status == Status::Skipped).count();
        let rows: Vec<&CaseResult> = all
            .into_iter()
            .filter(|r| r.status != Status::Skipped)
            .collect();
        let count = |st: Status| rows.iter().filter(|r| r.status == st).count();
        let errors = rows.iter().filter(|r| set_up_failed(r)).count();
        // A fold from 0.0: an empty f64 sum is -0.0, which prints "-0.000".
        let time = rows.iter().fold(0.0, |t, r| t + r.elapsed_ms) / 1e3;
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" skipped=\"{}\" time=\"{time:.3}\">",
            v.id(),
            rows.len(),
            count(Status::Fail) - errors,
            count(Status::Unsupported),
        );
        let _ = write!(
            out,
            "    <properties><property name=\"openssl\" value=\"{}\"/><property name=\"left_out\" value=\"{left_out}\"/>",
            escape(&report.openssl)
        );
        // Each peer with its version, so a CI page says what was paired.
        for p in &report.peers {
            let _ = write!(out, "<property name=\"peer\" value=\"{}\"/>", escape(p));
        }
        out.push_str("</properties>\n");
        for r in rows {
            testcase(&mut out, report, r);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A failed case whose peer never got as far as a connection: it tested
/// nothing, so it is a JUnit error (the harness or the machine), not a
/// failure (an interop result).
fn set_up_failed(r: &CaseResult) -> bool {
    r.status == Status::Fail && r.sides.as_ref().is_some_and(|s| s.setup_failed())
}

fn testcase(out: &mut String, report: &Report, r: &CaseResult) {
    let _ = write!(
        out,
        "    <testcase classname=\"tls-harness.{}\" name=\"{}\" time=\"{:.3}\"",
        r.case.version.id(),
        escape(&r.id),
        r.elapsed_ms / 1e3
    );
    let mismatch = r.reason.as_deref().unwrap_or("");
    // A failure's message leads with why the handshake failed, then what
    // the judge expected.
    let reason = escape(&match (&r.diagnosis, r.status) {
        (Some(d), Status::Fail) => format!("{} | {mismatch}", diagnosis::line(d)),
        _ => mismatch.to_owned(),
    });
    match r.status {
        Status::Pass => out.push_str("/>\n"),
        Status::Unsupported => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}: {reason}\"/>\n    </testcase>",
                r.status.name()
            );
        }
        Status::Fail => {
            let (element, kind) = if set_up_failed(r) {
                ("error", "setup")
            } else {
                ("failure", "mismatch")
            };
            let _ = writeln!(
                out,
                ">\n      <{element} message=\"{reason}\" type=\"{kind}\">"
            );
            if let Some(d) = &r.diagnosis {
                out.push_str(&escape(&diagnosis::block(d, "")));
            }
            if let Some(a) = artifact_text(r) {
                let _ = writeln!(out, "{}", escape(&a));
            }
            let _ = writeln!(out, "rerun: {}", escape(&rerun_command(report, r)));
            if let Some(sides) = &r.sides {
                for o in sides.client.iter().chain(&sides.server) {
                    let _ = writeln!(out, "{} side:", o.role);
                    if let Some(t) = &o.trace {
                        out.push_str(&escape(&t.state_log()));
                    }
                    if let Some(e) = &o.error {
                        let _ = writeln!(out, "error: {}", escape(e));
                    }
                    if let Some(x) = &o.external {
                        out.push_str(&escape(&external_text(x)));
                    }
                }
            }
            let _ = writeln!(out, "      </{element}>");
            // The attachment convention of Jenkins' JUnit plugin, which
            // then offers the file for download.
            if let Some(path) = &r.artifact {
                let _ = writeln!(
                    out,
                    "      <system-out>[[ATTACHMENT|{}]]</system-out>",
                    escape(&path.display().to_string())
                );
            }
            out.push_str("    </testcase>\n");
        }
        Status::Skipped => {}
    }
}

/// What an external peer ran and printed, so that a CI page shows the
/// peer's own account (a refused option, a crash) next to the verdict:
/// its command line, how it ended, and the end of its output.
fn external_text(x: &ExternalView) -> String {
    /// Enough of a tool's output to hold its error, not a whole trace.
    const TAIL: usize = 20;
    let mut text = format!("command: {}\nexit: {}\n", x.command, x.exit);
    for (name, output) in [("stdout", &x.stdout), ("stderr", &x.stderr)] {
        let lines: Vec<&str> = output.lines().collect();
        if lines.is_empty() {
            continue;
        }
        let shown = &lines[lines.len().saturating_sub(TAIL)..];
        let cut = lines.len() - shown.len();
        let _ = writeln!(
            text,
            "{name}{}:",
            if cut > 0 {
                format!(" (last {} of {} lines)", shown.len(), lines.len())
            } else {
                String::new()
            }
        );
        for l in shown {
            let _ = writeln!(text, "  {l}");
        }
    }
    text
}

/// Escapes text for XML attributes and content, dropping characters XML
/// 1.0 can't carry.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, external_text, ExternalView};

    #[test]
    fn escape_handles_markup_and_control_characters() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }

    /// A peer's command, exit and the end of its output, which hold why it
    /// refused to run (here, the priority string gnutls-serv rejected).
    #[test]
    fn an_external_peer_shows_its_command_and_the_end_of_its_output() {
        let stdout: Vec<String> = (1..=25).map(|i| format!("line {i}")).collect();
        let x = ExternalView {
            command: "gnutls-serv -p 1234 --priority NORMAL:-VERS-TLS1.3".into(),
            exit: "exit status 1".into(),
            stdout: stdout.join("\n"),
            stderr: "Syntax error at: -VERS-TLS1.3\n".into(),
            ..ExternalView::default()
        };
        let text = external_text(&x);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "command: gnutls-serv -p 1234 --priority NORMAL:-VERS-TLS1.3",
                "exit: exit status 1",
                "stdout (last 20 of 25 lines):",
                "  line 6",
            ]
        );
        assert_eq!(
            lines[lines.len() - 3..],
            ["  line 25", "stderr:", "  Syntax error at: -VERS-TLS1.3"]
        );
    }
}
