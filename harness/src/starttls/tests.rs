//! The exchanges against scripted replies. What a client sends is checked
//! against `openssl s_client -starttls` in tests/probe_starttls.rs; here,
//! how replies are read: continuation lines, refusals, hostile lengths.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use super::*;

mod stalls;

/// A server that has already said everything in `replies`, then closes.
pub(super) struct Scripted {
    pub(super) replies: io::Cursor<Vec<u8>>,
    sent: Vec<u8>,
}

impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.replies.read(buf)
    }
}

impl Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sent.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(super) fn run(protocol: StartTls, replies: &[u8]) -> (Result<(), StartTlsError>, Scripted) {
    let mut s = Scripted {
        replies: io::Cursor::new(replies.to_vec()),
        sent: Vec::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    (upgrade(&mut s, protocol, "example.org", None, deadline), s)
}

#[test]
fn smtp_reads_multi_line_replies_and_stops_at_the_go_ahead() {
    let replies = b"220-mx.example ESMTP\r\n220 more greeting\r\n\
        250-mx.example\r\n250-PIPELINING\r\n250-starttls\r\n250 8BITMIME\r\n\
        220 2.0.0 Ready\r\nTLS BYTES";
    let (r, s) = run(StartTls::Smtp, replies);
    assert_eq!(r, Ok(()));
    assert_eq!(s.sent, b"EHLO mail.example.com\r\nSTARTTLS\r\n");
    let left = &s.replies.get_ref()[s.replies.position() as usize..];
    assert_eq!(left, b"TLS BYTES", "nothing past the reply is read");
}

#[test]
fn smtp_without_starttls_says_what_the_server_offers() {
    let replies = b"220 mx ESMTP\r\n250-mx\r\n250-SIZE 1000\r\n250 8BITMIME\r\n";
    let (r, s) = run(StartTls::Smtp, replies);
    assert_eq!(
        r,
        Err(StartTlsError::NotOffered {
            listed: "SIZE 1000, 8BITMIME".into()
        })
    );
    assert_eq!(
        s.sent, b"EHLO mail.example.com\r\n",
        "STARTTLS was not sent"
    );
}

#[test]
fn a_refusal_keeps_the_server_reply() {
    let replies = b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n";
    let (r, _) = run(StartTls::Smtp, replies);
    let e = r.expect_err("refused");
    assert_eq!(
        e.to_string(),
        "the server answered STARTTLS with \"454 4.7.0 TLS not available\""
    );
    let (r, _) = run(StartTls::Ftp, b"421 Too many users\r\n");
    assert_eq!(
        r.expect_err("refused").to_string(),
        "the server answered the connection with \"421 Too many users\""
    );
}

#[test]
fn imap_needs_starttls_among_the_capabilities() {
    let ok = b"* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n. OK done\r\n\
        . OK Begin TLS\r\n";
    let (r, s) = run(StartTls::Imap, ok);
    assert_eq!(r, Ok(()));
    assert_eq!(s.sent, b". CAPABILITY\r\n. STARTTLS\r\n");
    let (r, _) = run(
        StartTls::Imap,
        b"* OK ready\r\n* CAPABILITY IMAP4rev1\r\n. OK\r\n",
    );
    assert!(matches!(r, Err(StartTlsError::NotOffered { .. })), "{r:?}");
    let (r, _) = run(StartTls::Imap, b"* BYE shutting down\r\n");
    assert!(matches!(r, Err(StartTlsError::Refused { .. })), "{r:?}");
}

#[test]
fn imap_names_a_completion_with_another_tag() {
    let (r, _) = run(StartTls::Imap, b"* OK ready\r\nA1 OK done\r\n");
    assert_eq!(
        r.expect_err("another tag").to_string(),
        "the server answered CAPABILITY with the tag \"A1\", where this client tagged it \".\" \
         (a completion of another command): \"A1 OK done\""
    );
    // A tag-like word without a status is no IMAP response at all.
    let (r, _) = run(StartTls::Imap, b"* OK ready\r\nHELLO THERE\r\n");
    assert_eq!(
        r.expect_err("not a reply").to_string(),
        "the server's answer to CAPABILITY is not an IMAP response: \"HELLO THERE\""
    );
    // Untagged lines may come before this client's own completion.
    let (r, _) = run(
        StartTls::Imap,
        b"* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\n. OK\r\n. OK go\r\n",
    );
    assert_eq!(r, Ok(()));
}

#[test]
fn pop3_ftp_and_postgres() {
    let (r, s) = run(StartTls::Pop3, b"+OK ready\r\n+OK Begin TLS\r\n");
    assert_eq!((r, s.sent.as_slice()), (Ok(()), &b"STLS\r\n"[..]));
    let (r, _) = run(StartTls::Pop3, b"+OK ready\r\n-ERR no TLS\r\n");
    assert!(
        matches!(
            r,
            Err(StartTlsError::Refused {
                request: "STLS",
                ..
            })
        ),
        "{r:?}"
    );
    let (r, s) = run(
        StartTls::Ftp,
        b"220-Hi\r\n more\r\n220 ready\r\n234 AUTH TLS ok\r\n",
    );
    assert_eq!((r, s.sent.as_slice()), (Ok(()), &b"AUTH TLS\r\n"[..]));
    let (r, s) = run(StartTls::Postgres, b"S");
    assert_eq!(r, Ok(()));
    assert_eq!(s.sent, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    let (r, _) = run(StartTls::Postgres, b"N");
    assert!(matches!(r, Err(StartTlsError::Refused { .. })), "{r:?}");
}

#[test]
fn a_hostile_or_silent_server_gets_a_bounded_error() {
    let long = [&b"220 "[..], &vec![b'x'; MAX_LINE + 10]].concat();
    let (r, _) = run(StartTls::Smtp, &long);
    assert_eq!(r, Err(StartTlsError::TooLong { step: "greeting" }));
    let endless = b"220-x\r\n".repeat(MAX_LINES + 1);
    let (r, _) = run(StartTls::Smtp, &endless);
    assert_eq!(r, Err(StartTlsError::TooLong { step: "greeting" }));
    let (r, _) = run(StartTls::Smtp, b"220 mx\r\n");
    assert_eq!(
        r,
        Err(StartTlsError::Closed {
            step: "EHLO reply",
            received: 0,
            last: Vec::new()
        })
    );
    let mut s = Scripted {
        replies: io::Cursor::new(b"220 mx\r\n".to_vec()),
        sent: Vec::new(),
    };
    let r = upgrade(&mut s, StartTls::Smtp, "example.org", None, Instant::now());
    assert_eq!(
        r,
        Err(StartTlsError::TimedOut {
            step: "greeting",
            overall: true,
            received: 0,
            last: Vec::new()
        })
    );
    // A refusal thousands of bytes long is cut.
    let reply = format!("554 {}\r\n", "x".repeat(5000));
    let (r, _) = run(StartTls::Ftp, reply.as_bytes());
    assert!(r.expect_err("refused").to_string().len() < 400);
}

/// A server that answers in another protocol, or with TLS, is named so at
/// once, with what it sent, and not waited on for a line end: the time-out
/// is kept for silence.
#[test]
fn an_answer_of_another_protocol_is_named_with_what_came() {
    let banner = b"HELLO THERE\r\n";
    let record = [0x16, 0x03, 0x03, 0x00, 0x10, 0x01, 0x01];
    for protocol in [
        StartTls::Smtp,
        StartTls::Imap,
        StartTls::Pop3,
        StartTls::Ftp,
        StartTls::Postgres,
        StartTls::Ldap,
        StartTls::Xmpp,
    ] {
        for sent in [&banner[..], &record] {
            let (r, _) = run(protocol, sent);
            let name = protocol.name();
            let Err(StartTlsError::NotAReply { received, .. }) = &r else {
                panic!("{name}: {r:?}");
            };
            assert_eq!(received, sent, "{name}: all that came is kept");
            let e = r.clone().expect_err("not a reply").to_string();
            match sent == banner {
                true => assert!(e.ends_with(": \"HELLO THERE\""), "{name}: {e}"),
                false => assert!(e.contains("1603030010"), "{name}: {e}"),
            }
        }
    }
    // The greeting, or the answer to a request.
    let (r, _) = run(StartTls::Smtp, banner);
    assert_eq!(
        r.expect_err("not a reply").to_string(),
        "the server's greeting is not an SMTP reply: \"HELLO THERE\""
    );
    let (r, _) = run(StartTls::Smtp, b"220 mx\r\n250-mx\r\nSTARTTLS\r\n");
    assert_eq!(
        r.expect_err("not a reply").to_string(),
        "the server's answer to EHLO is not an SMTP reply: \"STARTTLS\""
    );
    // FTP's continuation lines are free text; SMTP's are not.
    let (r, _) = run(
        StartTls::Ftp,
        b"220-Hi\r\nfree text\r\n220 ready\r\n234 ok\r\n",
    );
    assert_eq!(r, Ok(()));
}

/// An ExtendedResponse (message id 1) with `code` and `message`.
fn ldap_response(code: u8, message: &str) -> Vec<u8> {
    ldap_message(1, code, message, b"")
}

/// An ExtendedResponse with message id `id`, `code`, `message` and, if not
/// empty, the responseName `name`.
pub(super) fn ldap_message(id: u8, code: u8, message: &str, name: &[u8]) -> Vec<u8> {
    let mut result = vec![0x0a, 0x01, code, 0x04, 0x00, 0x04, message.len() as u8];
    result.extend_from_slice(message.as_bytes());
    if !name.is_empty() {
        result.extend([0x8a, name.len() as u8]);
        result.extend_from_slice(name);
    }
    let mut op = vec![0x78, result.len() as u8];
    op.extend(result);
    let mut body = vec![0x02, 0x01, id];
    body.extend(op);
    let mut msg = vec![0x30, body.len() as u8];
    msg.extend(body);
    msg
}

#[test]
fn ldap_reads_the_result_code() {
    let (r, s) = run(StartTls::Ldap, &ldap_response(0, ""));
    assert_eq!(r, Ok(()));
    assert_eq!(s.sent, ldap::LDAP_START_TLS);
    let (r, _) = run(
        StartTls::Ldap,
        &ldap_response(2, "unsupported extended operation"),
    );
    assert_eq!(
        r.expect_err("refused").to_string(),
        "the server answered StartTLS with \"resultCode 2 (protocolError): unsupported extended \
         operation\""
    );
    // A length past the cap is refused before it is read.
    let (r, _) = run(StartTls::Ldap, &[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]);
    assert_eq!(
        r,
        Err(StartTlsError::TooLong {
            step: "StartTLS reply"
        })
    );
    let (r, _) = run(StartTls::Ldap, b"HTTP/1.1 400");
    assert!(matches!(r, Err(StartTlsError::NotAReply { .. })), "{r:?}");
    let (r, _) = run(StartTls::Ldap, &[0x30, 0x03, 0x02, 0x01]);
    assert_eq!(
        r,
        Err(StartTlsError::Closed {
            step: "StartTLS reply",
            received: 4,
            last: vec![0x30, 0x03, 0x02, 0x01]
        })
    );
}

/// Capabilities in [CAPABILITY ...] response codes count, as s_client
/// finds STARTTLS wherever the server lists it; an empty list says so.
#[test]
fn imap_capabilities_in_response_codes_and_empty_lists() {
    let codes =
        b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n. OK [CAPABILITY IMAP4rev1] done\r\n\
        . OK Begin TLS\r\n";
    let (r, _) = run(StartTls::Imap, codes);
    assert_eq!(r, Ok(()));
    let (r, _) = run(StartTls::Smtp, b"220 mx\r\n250 mx\r\n");
    assert_eq!(
        r.expect_err("not offered").to_string(),
        "the server does not offer STARTTLS (it listed nothing); its TLS may be on another \
         port, or off"
    );
    // Indefinite-length BER, which LDAP forbids, is named as such.
    let (r, _) = run(StartTls::Ldap, &[0x30, 0x80, 0x02, 0x01, 0x01]);
    assert!(
        r.expect_err("refused")
            .to_string()
            .contains("indefinite length"),
        "indefinite length"
    );
}

const XMPP_HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' id='1' from='example.org' version='1.0'>";

#[test]
fn xmpp_opens_a_stream_to_the_domain_and_stops_at_proceed() {
    let replies = [
        XMPP_HEADER,
        b"<stream:features><starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"><required/>\
          </starttls></stream:features>",
        // An end tag instead of "/>" is the same element.
        b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'></proceed>TLS BYTES",
    ]
    .concat();
    let (r, s) = run(StartTls::Xmpp, &replies);
    assert_eq!(r, Ok(()));
    assert_eq!(
        String::from_utf8_lossy(&s.sent),
        "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' \
         to='example.org' version='1.0'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
    );
    let left = &s.replies.get_ref()[s.replies.position() as usize..];
    assert_eq!(left, b"TLS BYTES", "nothing past proceed is read");

    let (r, s) = run(StartTls::XmppServer, &replies);
    assert_eq!(r, Ok(()));
    assert!(String::from_utf8_lossy(&s.sent).contains("xmlns='jabber:server'"));
}

#[test]
fn xmpp_refusals_say_what_the_server_offered_or_answered() {
    // No starttls among the features (a starttls of another namespace is none).
    let replies = [
        XMPP_HEADER,
        b"<stream:features><starttls xmlns='urn:example:other'/><mechanisms \
          xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>\
          </stream:features>",
    ]
    .concat();
    let (r, _) = run(StartTls::Xmpp, &replies);
    assert_eq!(
        r,
        Err(StartTlsError::NotOffered {
            listed: "starttls (urn:example:other), mechanisms, mechanism".into()
        })
    );
    // A failure element.
    let replies = [
        XMPP_HEADER,
        b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
        b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>",
    ]
    .concat();
    let (r, _) = run(StartTls::Xmpp, &replies);
    assert!(
        matches!(&r, Err(StartTlsError::Refused { request: "starttls", reply }) if reply.contains("<failure/>")),
        "{r:?}"
    );
    // A stream error for an unknown domain: its text is the reply.
    let replies = [
        XMPP_HEADER,
        b"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
          </stream:error></stream:stream>",
    ]
    .concat();
    let (r, _) = run(StartTls::Xmpp, &replies);
    assert_eq!(
        r,
        Err(StartTlsError::Refused {
            request: "the stream header",
            reply: "stream error host-unknown".into()
        })
    );
    // With its text, as Prosody sends it, and the connection closed after.
    let replies = [
        XMPP_HEADER,
        b"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>This server does not serve nosuch.example</text></stream:error>",
    ]
    .concat();
    let (r, _) = run(StartTls::Xmpp, &replies);
    assert_eq!(
        r,
        Err(StartTlsError::Refused {
            request: "the stream header",
            reply: "stream error host-unknown: This server does not serve nosuch.example".into()
        })
    );
    // Closed mid-stream, and a stream that never ends its features.
    let (r, _) = run(StartTls::Xmpp, b"");
    assert_eq!(
        r,
        Err(StartTlsError::Closed {
            step: "stream features",
            received: 0,
            last: Vec::new()
        })
    );
    let endless = [XMPP_HEADER, &vec![b'x'; 20_000]].concat();
    let (r, _) = run(StartTls::Xmpp, &endless);
    assert_eq!(
        r,
        Err(StartTlsError::TooLong {
            step: "stream features"
        })
    );
}

/// The exchange's overall limit holds for writes too: a peer that drains
/// slowly cannot stretch it by a write time-out per line.
#[test]
fn a_write_past_the_deadline_is_not_made() {
    let mut s = Scripted {
        replies: io::Cursor::new(Vec::new()),
        sent: Vec::new(),
    };
    let mut x = Exchange::new(&mut s, Instant::now());
    let e = x
        .send("EHLO", "EHLO example.org\r\n")
        .expect_err("past the deadline");
    assert!(
        matches!(
            e,
            StartTlsError::TimedOut {
                step: "EHLO",
                overall: true,
                ..
            }
        ),
        "{e}"
    );
    assert!(s.sent.is_empty(), "nothing written");
}

/// PostgreSQL's answer to SSLRequest is one byte, and nothing may come
/// with it: an SSH banner's `S` is no go-ahead. An ErrorResponse is
/// named, its text kept back.
#[test]
fn postgres_takes_one_byte_and_nothing_after_it() {
    let (r, _) = run(StartTls::Postgres, b"SSH-2.0-OpenSSH_9.2\r\n");
    assert_eq!(
        r,
        Err(StartTlsError::AfterAnswer {
            answer: b'S',
            extra: b"SH-2.0-OpenSSH_9.2\r\n".to_vec()
        })
    );
    assert_eq!(
        r.expect_err("more bytes").to_string(),
        "the server sent 20 more bytes after its one-byte answer 'S' to SSLRequest \
         (\"SH-2.0-OpenSSH_9.2\"), where nothing may come before this client's ClientHello: \
         not a PostgreSQL server?"
    );
    let (r, _) = run(StartTls::Postgres, b"N\x00");
    assert!(
        matches!(r, Err(StartTlsError::AfterAnswer { answer: b'N', .. })),
        "{r:?}"
    );
    // An ErrorResponse: 'E', a length that counts itself, the fields.
    let fields = b"SFATAL\x00C0A000\x00Munsupported frontend protocol\x00\x00";
    let len = u32::try_from(fields.len() + 4).expect("short");
    let answer = [&b"E"[..], &len.to_be_bytes(), fields].concat();
    let (r, _) = run(StartTls::Postgres, &answer);
    assert_eq!(r, Err(StartTlsError::ErrorResponse { len: answer.len() }));
    let e = r.expect_err("error response").to_string();
    assert!(e.contains("PostgreSQL ErrorResponse"), "{e}");
    assert!(!e.contains("unsupported"), "its text is not shown: {e}");
    // Text that begins with E is no ErrorResponse.
    let (r, _) = run(StartTls::Postgres, b"ERROR what\r\n");
    assert!(matches!(r, Err(StartTlsError::NotAReply { .. })), "{r:?}");
}
