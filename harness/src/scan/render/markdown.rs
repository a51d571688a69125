//! The scan report as Markdown, for CI job summaries (GitHub-flavoured:
//! tables). Much of its text is the server's (a STARTTLS reply, a
//! certificate's subject) or quotes it, so every piece of text is escaped
//! ([`text`]): a hostile server must not put a link, an image or HTML
//! into the summary, nor end a table cell.

use std::fmt::Write;

use super::{failures, header, outcome, rows, with_fix, Failure};
use crate::scan::ScanReport;

/// `t` as literal Markdown inline text: each ASCII punctuation character
/// backslash-escaped, which CommonMark (0.31, section 2.4) allows of every
/// one and then reads as the character itself, so nothing in `t` opens a
/// link, image, emphasis, code span, autolink or HTML tag, and a `|` does
/// not end a table cell (GFM, section 4.10); a line break becomes a space,
/// since a row is one line.
pub fn text(t: &str) -> String {
    let mut out = String::with_capacity(t.len() + t.len() / 4);
    for c in t.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The report in Markdown.
pub fn markdown(r: &ScanReport) -> String {
    let mut s = format!("## TLS scan of {}\n\n", text(&r.target));
    // The header's lines are paragraphs, each escaped on its own.
    for line in header(r).trim_start_matches("scan ").lines() {
        s += &text(line);
        s.push('\n');
    }
    s += "| finding | item | result | probes |\n|---|---|---|---|\n";
    for row in rows(r) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            text(row.family),
            text(&row.item),
            text(&row.value),
            text(&row.probes.join(" "))
        );
    }
    let failed = failures(r);
    if !failed.is_empty() {
        s += "\n### Failed probes\n\n| probe | diagnosis |\n|---|---|\n";
        for (id, f) in failed {
            let _ = writeln!(s, "| {} | {} |", text(id), failure(&f, id));
        }
    }
    if let Some(p) = &r.policy {
        let _ = writeln!(
            s,
            "\n### Policy {}\n\n| rule | outcome | detail |\n|---|---|---|",
            text(&p.name)
        );
        for rule in &p.rules {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                text(&rule.rule),
                outcome(rule.outcome),
                text(&rule.detail)
            );
        }
    }
    s
}

/// A failed probe's cell: the diagnosis's cause in code (a name of ours),
/// its summary and, for the default handshakes, its fix; or the error.
fn failure(f: &Failure<'_>, id: &str) -> String {
    match f {
        Failure::Diagnosed(d) => {
            let mut cell = format!("`{}`: {}", d.cause, text(&d.summary));
            if with_fix(id) {
                cell += &format!(". Fix: {}", text(&d.fix));
            }
            cell
        }
        Failure::Undiagnosed(e) => text(e),
    }
}

#[cfg(test)]
mod tests {
    use super::text;

    /// Each metacharacter comes out behind a backslash, as CommonMark's
    /// backslash escapes are written, the text between unchanged.
    #[test]
    fn every_metacharacter_is_escaped() {
        assert_eq!(
            text("| <b>x</b> [a](http://e) ![i](x) `x` *y* _z_"),
            r"\| \<b\>x\<\/b\> \[a\]\(http\:\/\/e\) \!\[i\]\(x\) \`x\` \*y\* \_z\_"
        );
        assert_eq!(text("a\r\nb ü"), "a  b ü");
    }
}
