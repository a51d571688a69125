//! `probe --starttls` against servers that end the exchange themselves: an
//! IMAP BYE after a command is quoted as the server's reason, and a TCP
//! reset before the server said a word is told from an orderly close, as
//! without --starttls.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::harness;

/// A server on a free port that runs `serve` on one connection.
fn one_connection(serve: impl FnOnce(TcpStream) + Send + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        let (tcp, _) = l.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        serve(tcp);
    });
    addr
}

/// BYE is the server's statement of why it is closing (RFC 9051, section
/// 7.1.5): in answer to CAPABILITY or to STARTTLS it is quoted as the
/// answer, as a BYE greeting is, and at once, though the server holds the
/// connection open after it.
#[test]
fn an_imap_bye_after_a_command_is_quoted_as_the_reason() {
    for (command, bye) in [
        ("CAPABILITY", "* BYE Too many connections from your IP"),
        ("STARTTLS", "* BYE Autologout; idle for too long"),
    ] {
        let addr = one_connection(move |mut tcp| {
            tcp.write_all(b"* OK IMAP4rev1 ready\r\n")
                .expect("greeting");
            let mut reader = BufReader::new(tcp.try_clone().expect("clone"));
            let mut line = String::new();
            reader.read_line(&mut line).expect("CAPABILITY");
            if command == "STARTTLS" {
                let tag = line.split(' ').next().unwrap_or_default();
                let reply = format!("* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n");
                tcp.write_all(reply.as_bytes()).expect("capabilities");
                reader.read_line(&mut line).expect("STARTTLS");
            }
            tcp.write_all(format!("{bye}\r\n").as_bytes()).expect("BYE");
            // Held open until the client leaves.
            let _ = reader.read_to_end(&mut Vec::new());
        });
        let started = Instant::now();
        let out = common::run(harness(&[
            "probe",
            &addr,
            "--starttls",
            "imap",
            "--timeout",
            "5",
        ]));
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{command}: waited {:?} after the BYE",
            started.elapsed()
        );
        assert_eq!(out.status.code(), Some(1), "{command}: {}", out.stderr);
        let expected = format!("STARTTLS (imap): the server answered {command} with {bye:?}");
        assert!(out.stderr.contains(&expected), "{}", out.stderr);
    }
}

/// A server that accepts and then resets (SO_LINGER 0) before it sends a
/// byte, a little after the connect so that the reset meets the STARTTLS
/// exchange and not the connect: the diagnosis is the one a reset at
/// connect gets without --starttls, for a protocol whose server speaks
/// first (SMTP) and one whose client does (PostgreSQL). An orderly close
/// (FIN) instead is still a failed STARTTLS, named a close.
#[test]
fn a_reset_at_accept_is_told_from_a_close() {
    let reset_summary = openssl_handshake::Diagnosis::reset_at_connect("").summary;
    for protocol in ["smtp", "postgres"] {
        for reset in [true, false] {
            let addr = one_connection(move |mut tcp| {
                std::thread::sleep(Duration::from_millis(200));
                if reset {
                    socket2::SockRef::from(&tcp)
                        .set_linger(Some(Duration::ZERO))
                        .expect("SO_LINGER 0");
                } else {
                    // The request read, as a close with bytes unread
                    // sends a reset too.
                    tcp.set_nonblocking(true).expect("non-blocking");
                    let _ = tcp.read(&mut [0u8; 64]);
                }
            });
            let out = common::run(harness(&[
                "probe",
                &addr,
                "--starttls",
                protocol,
                "--format",
                "json",
            ]));
            assert_eq!(out.status.code(), Some(1), "{protocol}: {}", out.stderr);
            let line: serde_json::Value =
                serde_json::from_str(out.stdout.trim()).expect("one JSON line");
            let failure = line["failure"].as_str().unwrap_or_default();
            let d = &line["diagnosis"];
            if reset {
                // Should the reset meet the connect after all, the failure
                // is the connect's, with the same diagnosis.
                assert!(
                    failure.contains("the server reset the connection (TCP RST)")
                        || failure.contains("accepted the connection and reset it at once"),
                    "{line}"
                );
                assert_eq!(d["cause"], "peer_closed", "{line}");
                assert_eq!(d["fault"], "server", "{line}");
                assert_eq!(d["summary"], reset_summary.as_str(), "{line}");
            } else {
                assert!(
                    failure.contains("the server closed the connection"),
                    "{line}"
                );
                assert_eq!(d["cause"], "starttls_failed", "{line}");
            }
        }
    }
}

/// An XMPP server that sends its stream header and then resets the
/// connection: the reset is named as one, not read as an answer made of
/// the server's own stream header.
#[test]
fn an_xmpp_reset_after_the_stream_header_is_named_a_reset() {
    let addr = one_connection(|mut tcp| {
        let mut header = [0u8; 1024];
        let _ = tcp.read(&mut header);
        tcp.write_all(
            b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' \
              xmlns='jabber:client' id='1' version='1.0'>",
        )
        .expect("stream header");
        std::thread::sleep(Duration::from_millis(200));
        socket2::SockRef::from(&tcp)
            .set_linger(Some(Duration::ZERO))
            .expect("SO_LINGER 0");
    });
    let out = common::run(harness(&[
        "probe",
        &addr,
        "--starttls",
        "xmpp",
        "--timeout",
        "5",
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the server reset the connection (TCP RST)"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("answered"), "{}", out.stderr);
}
