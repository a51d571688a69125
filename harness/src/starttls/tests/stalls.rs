//! Replies that stall or close part-way: what the error says had come.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use super::super::*;
use super::run;

/// A server that has said `said`, then is silent: every read after it
/// times out, as a socket's read time-out does.
struct Stalling(io::Cursor<Vec<u8>>);

impl Read for Stalling {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

impl Write for Stalling {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn stalled(protocol: StartTls, said: &[u8]) -> String {
    let mut s = Stalling(io::Cursor::new(said.to_vec()));
    let deadline = Instant::now() + Duration::from_secs(10);
    let r = upgrade(&mut s, protocol, "example.org", None, deadline);
    r.expect_err("stalled").to_string()
}

/// A reply that stops part-way says what of it had come: the bytes since
/// the request, and the line begun, escaped and cut.
#[test]
fn a_stall_part_way_says_what_had_come() {
    assert_eq!(
        stalled(StartTls::Smtp, b"220 mail.example.com ESM"),
        "the server did not send its greeting in time (--timeout), after 24 bytes of it, \
         ending \"220 mail.example.com ESM\" (a line not ended)"
    );
    // Postfix postscreen's pause after the first line of its greeting.
    assert_eq!(
        stalled(StartTls::Smtp, b"220-mx.example ESMTP\r\n"),
        "the server did not send its greeting in time (--timeout), after 22 bytes of it, \
         ending \"220-mx.example ESMTP\\r\\n\""
    );
    // Only what came after the request counts: the EHLO reply's first line.
    assert_eq!(
        stalled(StartTls::Smtp, b"220 mx\r\n250-mx\r\n250-SIZE 1"),
        "the server did not send its EHLO reply in time (--timeout), after 18 bytes of it, \
         ending \"250-SIZE 1\" (a line not ended)"
    );
    // Control bytes are escaped; a long line keeps its end.
    let e = stalled(
        StartTls::Smtp,
        &[&b"220 \x1b[0m"[..], &[b'y'; 500]].concat(),
    );
    assert!(e.contains("after 508 bytes of it, ending ..."), "{e}");
    assert!(e.len() < 400, "{e}");
    let e = stalled(StartTls::Smtp, b"220 a\x1b");
    assert!(e.ends_with("ending 32323020611b"), "{e}");
    // A BER reply begun is shown in hex.
    let e = stalled(StartTls::Ldap, &[0x30, 0x0c, 0x02, 0x01, 0x01]);
    assert!(e.ends_with("after 5 bytes of it, ending 300c020101"), "{e}");
    // XML is not made of lines: none is left not ended.
    let e = stalled(
        StartTls::Xmpp,
        b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
    );
    assert!(
        e.starts_with("the server did not send its stream features in time"),
        "{e}"
    );
    assert!(e.ends_with("streams'>\""), "{e}");
}

/// A port that speaks TLS from its first byte waits, silent, for a
/// ClientHello where a greeting is due, and closes at once on a request
/// that is no TLS record: either is named so, with what to do.
#[test]
fn silence_or_a_close_where_tls_would_give_them_names_implicit_tls() {
    let hint = "a port that speaks TLS from its first byte (implicit TLS";
    for protocol in [
        StartTls::Smtp,
        StartTls::Imap,
        StartTls::Pop3,
        StartTls::Ftp,
    ] {
        let e = stalled(protocol, b"");
        assert!(e.contains(hint), "{e}");
        assert!(e.ends_with("probe it without --starttls"), "{e}");
        // Closed before a greeting is no such sign, nor a greeting begun.
        let (r, _) = run(protocol, b"");
        let e = r.expect_err("closed").to_string();
        assert_eq!(e, "the server closed the connection before its greeting");
        assert!(!stalled(protocol, b"2").contains(hint));
    }
    for (protocol, request) in [
        (StartTls::Postgres, "SSLRequest"),
        (StartTls::Ldap, "StartTLS"),
        (StartTls::Xmpp, "the stream header"),
        (StartTls::XmppServer, "the stream header"),
    ] {
        let (r, _) = run(protocol, b"");
        let e = r.expect_err("closed").to_string();
        assert!(
            e.contains(&format!("with not a byte of answer to {request}: {hint}")),
            "{e}"
        );
        // Silence after the request is a slow server as much as TLS.
        assert!(!stalled(protocol, b"").contains(hint));
    }
    // A close after a reply begun says what had come.
    let (r, _) = run(StartTls::Smtp, b"220 mx\r\n250-mx\r\n");
    assert_eq!(
        r.expect_err("closed").to_string(),
        "the server closed the connection before its EHLO reply, after 8 bytes of it, ending \
         \"250-mx\\r\\n\""
    );
}
