//! `scan --format markdown` is for CI job summaries, which a Markdown
//! renderer shows: text the server controls (here a STARTTLS reply, which
//! the report quotes in its reason, its rows and its failed probes) comes
//! out escaped, so it adds no link, image, HTML, emphasis or code, and
//! ends no table cell.

mod common;
mod scan_support;

use common::{harness, run};

/// Markup a hostile server might put in its reply to STARTTLS.
const REPLY: &[u8] = b"454 4.7.0 | <b>x</b> [a](http://e) ![i](x) `x` *y* _z_\r\n";

/// The reply as CommonMark (0.31, section 2.4) writes it literally: each
/// ASCII punctuation character behind a backslash.
const ESCAPED: &str =
    r"454 4\.7\.0 \| \<b\>x\<\/b\> \[a\]\(http\:\/\/e\) \!\[i\]\(x\) \`x\` \*y\* \_z\_";

/// The `|` in `line` that are not escaped: the cell borders.
fn borders(line: &str) -> usize {
    let mut escaped = false;
    let mut n = 0;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
    }
    n
}

#[test]
fn server_text_cannot_add_markup_to_the_markdown() {
    let addr = scan_support::scripted(&[
        b"220 mail ESMTP\r\n",
        b"250-mail\r\n250 STARTTLS\r\n",
        REPLY,
    ]);
    let o = run(harness(&[
        "scan",
        &addr,
        "--starttls",
        "smtp",
        "--timeout",
        "2",
        "--format",
        "markdown",
    ]));
    // Not one connection switched to TLS: the scan fails, and still
    // writes its report.
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    let md = o.stdout;
    for markup in [
        "<b>", "</b>", "[a]", "](", "![", "`x`", "*y*", "_z_", "http://",
    ] {
        assert!(!md.contains(markup), "{markup:?} in {md}");
    }
    let reason = md
        .lines()
        .find(|l| l.starts_with("CANNOT SCAN"))
        .unwrap_or_else(|| panic!("no reason: {md}"));
    assert!(reason.contains(ESCAPED), "{reason}");
    let (rows, failed) = md.split_once("### Failed probes").expect("failed probes");
    for (table, columns) in [(rows, 4), (failed, 2)] {
        let lines: Vec<&str> = table.lines().filter(|l| l.starts_with('|')).collect();
        assert!(lines.len() > 2, "{table}");
        for line in lines {
            assert_eq!(borders(line), columns + 1, "{line}");
        }
    }
    assert!(failed.contains(ESCAPED), "{failed}");
}
