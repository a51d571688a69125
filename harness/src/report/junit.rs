//! JUnit XML: a test suite per protocol version, a test case per matrix
//! case. Failures carry both sides' state logs; unsupported and skipped
//! cases are `<skipped>` with their reason.

use std::fmt::Write;

use super::{artifact_text, diagnosis, Report};
use crate::case::Version;
use crate::run::{CaseResult, Status};

/// Renders the report as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let s = &report.summary;
    // Writing to a String cannot fail, here and below.
    let _ = writeln!(
        out,
        "<testsuites name=\"tls-harness\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        report.results.len(),
        s.failed,
        s.unsupported + s.skipped,
        report.wall_ms / 1e3
    );
    for v in Version::ALL {
        let rows: Vec<&CaseResult> = report.of_version(v).collect();
        if rows.is_empty() {
            continue;
        }
        let count = |st: Status| rows.iter().filter(|r| r.status == st).count();
        let time: f64 = rows.iter().map(|r| r.elapsed_ms).sum::<f64>() / 1e3;
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{time:.3}\">",
            v.id(),
            rows.len(),
            count(Status::Fail),
            count(Status::Unsupported) + count(Status::Skipped),
        );
        let _ = writeln!(
            out,
            "    <properties><property name=\"openssl\" value=\"{}\"/></properties>",
            escape(&report.openssl)
        );
        for r in rows {
            testcase(&mut out, r);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, r: &CaseResult) {
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
        Status::Skipped | Status::Unsupported => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}: {reason}\"/>\n    </testcase>",
                r.status.name()
            );
        }
        Status::Fail => {
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{reason}\" type=\"mismatch\">"
            );
            if let Some(d) = &r.diagnosis {
                out.push_str(&escape(&diagnosis::block(d, "")));
            }
            if let Some(a) = artifact_text(r) {
                let _ = writeln!(out, "{}", escape(&a));
            }
            if let Some(sides) = &r.sides {
                for o in sides.client.iter().chain(&sides.server) {
                    let _ = writeln!(out, "{} side:", o.role);
                    if let Some(t) = &o.trace {
                        out.push_str(&escape(&t.state_log()));
                    }
                    if let Some(e) = &o.error {
                        let _ = writeln!(out, "error: {}", escape(e));
                    }
                }
            }
            out.push_str("      </failure>\n");
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
    }
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
    use super::escape;

    #[test]
    fn escape_handles_markup_and_control_characters() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
