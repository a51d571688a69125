//! How a [`Diagnosis`] is printed: one line for a table row, a block for
//! a summary, Markdown for reports. probe, serve and scan print a
//! failure's diagnosis with the same helpers.

use std::fmt::Write;

use openssl_handshake::Diagnosis;

/// One line: `cause: summary; fix: ...`.
pub fn line(d: &Diagnosis) -> String {
    format!("{}; fix: {}", without_fix(d), d.fix)
}

/// One line without the fix, for a failure that was the point (a scan's
/// probe that maps where a server stops): `cause: summary`.
pub fn without_fix(d: &Diagnosis) -> String {
    format!("{}: {}", d.cause, d.summary)
}

/// A block for summaries, each line starting with `indent`: the cause and
/// who must act, the summary, the fix, then the evidence.
pub fn block(d: &Diagnosis, indent: &str) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail, here and below.
    let _ = writeln!(out, "{indent}diagnosis: {} (fault: {})", d.cause, d.fault);
    let _ = writeln!(out, "{indent}  {}", d.summary);
    let _ = writeln!(out, "{indent}  fix: {}", d.fix);
    for e in &d.evidence {
        let _ = writeln!(out, "{indent}  - {}: {}", e.source, e.value);
    }
    out
}

/// A Markdown list item's body: the cause in code, the summary, the fix.
pub fn markdown(d: &Diagnosis) -> String {
    format!("{}. Fix: {}", markdown_without_fix(d), d.fix)
}

/// [`markdown`] without the fix, as [`without_fix`] is to [`line()`].
pub fn markdown_without_fix(d: &Diagnosis) -> String {
    format!("`{}`: {}", d.cause, d.summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Diagnosis {
        serde_json::from_str(
            r#"{"cause":"no_shared_version","summary":"the client offered only TLS 1.1; this server accepts TLS 1.2 and up",
                "evidence":[{"source":"local.min_version","value":"TLS 1.2"}],"fault":"client",
                "fix":"Upgrade the client."}"#,
        )
        .expect("a diagnosis parses")
    }

    #[test]
    fn every_form_leads_with_the_cause_and_carries_the_fix() {
        let d = sample();
        assert!(line(&d).starts_with("no_shared_version: the client offered"));
        assert!(line(&d).ends_with("fix: Upgrade the client."));
        let b = block(&d, "  ");
        assert!(b.starts_with("  diagnosis: no_shared_version (fault: client)\n"));
        assert!(b.contains("  - local.min_version: TLS 1.2\n"));
        assert!(markdown(&d).starts_with("`no_shared_version`: "));
    }
}
