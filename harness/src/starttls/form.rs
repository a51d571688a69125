//! What each protocol's replies look like from their first bytes, so that
//! a server speaking something else (a banner of another protocol, a TLS
//! record from a port that is TLS from the start) is named at once, with
//! what it sent, and not waited on for a line end or a closing tag that
//! will never come.

use std::io::{self, Read, Write};
use std::time::Instant;

use super::{Exchange, StartTlsError};

/// The start of a protocol's reply.
#[derive(Debug, Clone, Copy)]
pub(super) struct Form {
    /// The reply's name in an error: "an SMTP reply".
    pub name: &'static str,
    /// Whether the bytes so far (the first [`DECIDES`] of a line) can
    /// begin one.
    pub begins: fn(&[u8]) -> bool,
    /// Whether every line of a reply begins so, or only its first.
    pub every_line: bool,
}

/// How many first bytes [`Form::begins`] is asked about: enough for an
/// SMTP reply code and its separator.
pub(super) const DECIDES: usize = 4;
/// The most bytes kept of what came instead of a reply.
pub(super) const SHOWN: usize = super::SHOWN;

/// `CODE-text` or `CODE text` (RFC 5321, section 4.2), every line.
pub(super) const SMTP: Form = Form {
    name: "an SMTP reply",
    begins: reply_code,
    every_line: true,
};
/// As SMTP's, but its continuation lines are free text (RFC 959, section
/// 4.2).
pub(super) const FTP: Form = Form {
    name: "an FTP reply",
    begins: reply_code,
    every_line: false,
};
/// `+OK` or `-ERR` (RFC 1939, section 3).
pub(super) const POP3: Form = Form {
    name: "a POP3 reply",
    begins: |p| {
        [&b"+OK"[..], b"-ERR"]
            .iter()
            .any(|s| s.iter().zip(p).all(|(a, b)| a.eq_ignore_ascii_case(b)))
    },
    every_line: true,
};
/// An untagged `* ` greeting (RFC 9051, section 7.1).
pub(super) const IMAP_GREETING: Form = Form {
    name: "an IMAP greeting",
    begins: |p| b"* ".iter().zip(p).all(|(a, b)| a == b),
    every_line: true,
};
/// Untagged `* `, continuation `+ ` or a tag (RFC 9051, section 2.2.2):
/// this client's `. ` or another, which [`super::Exchange`] names apart.
pub(super) const IMAP: Form = Form {
    name: "an IMAP response",
    begins: |p| match p.split_first() {
        None => true,
        Some((b'*' | b'+', rest)) => rest.first().is_none_or(|b| *b == b' '),
        Some(_) => {
            let tag = p.iter().take_while(|b| imap_tag_char(**b)).count();
            tag > 0 && p.get(tag).is_none_or(|b| *b == b' ')
        }
    },
    every_line: true,
};
/// XML: its first byte but white space is `<`.
pub(super) const XMPP: Form = Form {
    name: "XML (an XMPP stream)",
    begins: |p| {
        p.iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_none_or(|b| *b == b'<')
    },
    every_line: true,
};
/// An LDAPMessage, a BER SEQUENCE (RFC 4511, section 4.1.1).
pub(super) const LDAP: Form = Form {
    name: "an LDAP message",
    begins: |p| p.first().is_none_or(|b| *b == 0x30),
    every_line: true,
};
/// PostgreSQL's one-byte answer to an SSLRequest.
pub(super) const POSTGRES: Form = Form {
    name: "an SSLRequest answer (S or N)",
    begins: |p| p.first().is_none_or(|b| b"SN".contains(b)),
    every_line: true,
};

/// A character of an IMAP tag: an ASTRING-CHAR but `+` (RFC 9051,
/// section 9).
fn imap_tag_char(b: u8) -> bool {
    b.is_ascii_graphic() && !b"(){%*\"\\+".contains(&b)
}

fn reply_code(p: &[u8]) -> bool {
    p.iter().enumerate().all(|(i, b)| match i {
        0..=2 => b.is_ascii_digit(),
        _ => matches!(b, b' ' | b'-' | b'\r' | b'\n'),
    })
}

impl<S: Read + Write> Exchange<'_, S> {
    /// The error for `got`, the first bytes of what the server sent for
    /// `step` where `form` was due, with what else came with them: read in
    /// one go, it is what had arrived (or, if nothing had, what comes
    /// within one read's time-out). The exchange ends here, so nothing of
    /// a TLS handshake is lost by reading on.
    pub(super) fn not_a_reply(
        &mut self,
        step: &'static str,
        form: Form,
        mut got: Vec<u8>,
    ) -> StartTlsError {
        let want = SHOWN.saturating_sub(got.len());
        if want > 0 && !got.contains(&b'\n') && Instant::now() < self.deadline {
            let mut more = [0u8; SHOWN];
            loop {
                match self.stream.read(&mut more[..want]) {
                    Ok(n) => got.extend_from_slice(&more[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // A time-out or a close: what came is the answer.
                    Err(_) => {}
                }
                break;
            }
        }
        StartTlsError::NotAReply {
            step,
            form: form.name,
            received: got,
        }
    }
}

/// What came instead of a reply, for an error: its first line as text when
/// it is text, else its bytes in hex, with what they look like when they
/// are TLS.
pub(super) fn shown(bytes: &[u8]) -> String {
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or(bytes);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let cut = if line.len() == bytes.len() && bytes.len() >= SHOWN {
        "..."
    } else {
        ""
    };
    match std::str::from_utf8(line) {
        Ok("") if bytes.len() > line.len() => "an empty line".to_owned(),
        Ok(t) if !t.is_empty() && !t.chars().any(|c| c.is_control() && c != '\t') => {
            format!("{t:?}{cut}")
        }
        _ => {
            let n = bytes.len();
            let tls = match bytes {
                [0x16, 0x03, ..] => {
                    " (a TLS handshake record: is the port TLS from its first byte? probe it \
                     without --starttls)"
                }
                [0x15, 0x03, ..] => {
                    " (a TLS alert record: is the port TLS from its first byte? probe it \
                     without --starttls)"
                }
                _ => "",
            };
            format!(
                "{n} byte{} that are not text, {}{tls}",
                if n == 1 { "" } else { "s" },
                super::ldap::hex(bytes)
            )
        }
    }
}

/// What had come of a reply before it stopped, for an error: nothing, or
/// how many bytes, and how they ended (the last line, or the line begun
/// and not ended, escaped; bytes that are not text in hex). A reply that
/// is not made of `lines` (XML) is never said to leave a line not ended.
pub(super) fn arrived(received: usize, last: &[u8], lines: bool) -> String {
    /// The most characters of the last line shown.
    const LINE: usize = 120;
    if received == 0 {
        return String::new();
    }
    let s = if received == 1 { "" } else { "s" };
    let text = String::from_utf8_lossy(last);
    if text
        .chars()
        .any(|c| c.is_control() && !"\r\n\t".contains(c))
    {
        let cut = if received > last.len() || last.len() > 32 {
            "..."
        } else {
            ""
        };
        let tail = &last[last.len().saturating_sub(32)..];
        return format!(
            ", after {received} byte{s} of it, ending {cut}{}",
            super::ldap::hex(tail)
        );
    }
    // The last line with its line end, or the one begun.
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let start = body.rfind('\n').map_or(0, |at| at + 1);
    let line = &text[start..];
    let ended = line.ends_with('\n');
    let chars = line.chars().count();
    let (cut, line) = match line.char_indices().nth(chars.saturating_sub(LINE)) {
        Some((at, _)) if at > 0 => ("...", &line[at..]),
        _ if start == 0 && received > last.len() => ("...", line),
        _ => ("", line),
    };
    format!(
        ", after {received} byte{s} of it, ending {cut}{line:?}{}",
        if ended || !lines {
            ""
        } else {
            " (a line not ended)"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_takes_its_replies_and_no_other_bytes() {
        let begins = |f: Form, s: &[u8]| (f.begins)(&s[..s.len().min(DECIDES)]);
        for (form, good, bad) in [
            (SMTP, &b"220 mx"[..], &b"HELLO"[..]),
            (SMTP, b"250-mx", b"25x "),
            (SMTP, b"220\r\n", b"\r\n"),
            (FTP, b"220-Hi", b"\x16\x03\x03\x00"),
            (POP3, b"+OK ready", b"+ ok"),
            (POP3, b"-ERR no", b"* OK"),
            (IMAP_GREETING, b"* OK ready", b"+OK ready"),
            (IMAP, b". OK done", b"*OK "),
            (IMAP, b"A1 OK", b"\x16\x03\x03\x00"),
            (IMAP, b"+ go", b"(A1 "),
            (XMPP, b"\r\n <?xml", b"HELLO"),
            (LDAP, b"\x30\x0c", b"\x16\x03"),
            (POSTGRES, b"S", b"E"),
        ] {
            assert!(begins(form, good), "{}: {good:?}", form.name);
            assert!(!begins(form, bad), "{}: {bad:?}", form.name);
        }
    }

    #[test]
    fn text_shows_as_its_first_line_and_bytes_in_hex() {
        assert_eq!(shown(b"HELLO THERE\r\nMORE\r\n"), "\"HELLO THERE\"");
        assert_eq!(shown(b"\r\n"), "an empty line");
        let record = [0x16, 0x03, 0x03, 0x00, 0x01, 0x01];
        let s = shown(&record);
        assert!(
            s.starts_with("6 bytes that are not text, 160303000101"),
            "{s}"
        );
        assert!(s.contains("TLS handshake record"), "{s}");
        assert_eq!(shown(b"E\x00"), "2 bytes that are not text, 4500");
        let long = vec![b'x'; SHOWN];
        assert!(shown(&long).ends_with("\"..."), "{}", shown(&long));
    }
}
