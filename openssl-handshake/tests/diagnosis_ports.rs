//! A port that does not speak what the other end sends: plaintext to a
//! TLS server, a ClientHello to another protocol's server.

mod common;

use std::io::{Read, Write};

use common::diagnosis::{
    assert_cause, client_hello_bytes, rsa, server_trace_of_bytes, traced_client, unfinished_trace,
};
use common::{client_ctx, listener, raw_server, server_ctx_with, set_timeouts_to};
use openssl::ssl::Ssl;
use openssl_handshake::{Cause, Diagnosis, Fault};

#[test]
fn http_spoken_to_a_tls_port() {
    let trace = server_trace_of_bytes(
        &server_ctx_with(rsa(), |_| {}),
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    assert_cause(&trace, Cause::PlaintextToTlsPort, "HTTP request to TLS");
}

/// Another protocol's client greets in text, which the server shows (the
/// record header's five bytes); SSH's greeting is named.
#[test]
fn an_ssh_or_smtp_client_at_a_tls_port() {
    let server = server_ctx_with(rsa(), |_| {});
    for (bytes, shown) in [
        (
            &b"SSH-2.0-OpenSSH_9.2\r\n"[..],
            "text (\"SSH-2\"), an SSH client's greeting,",
        ),
        (&b"EHLO mail.example.com\r\n"[..], "text (\"EHLO \")"),
    ] {
        let trace = server_trace_of_bytes(&server, bytes);
        assert_cause(&trace, Cause::PlaintextToTlsPort, shown);
        let d = trace.diagnosis().expect("diagnosis");
        assert!(d.summary.contains(shown), "{d}");
        let first = d
            .evidence
            .iter()
            .find(|e| e.source == "first bytes received");
        assert!(first.is_some(), "{d}");
    }
}

/// Text answers are another protocol's; binary ones say only that no TLS
/// server answered, which blames neither end.
#[test]
fn tls_spoken_to_a_plaintext_port() {
    let answers: [(&'static [u8], Fault, &str); 3] = [
        (
            b"HTTP/1.1 400 Bad Request\r\n\r\n",
            Fault::Client,
            "speaks plaintext (HTTP",
        ),
        (
            b"SSH-2.0-OpenSSH_9.2p1\r\n",
            Fault::Client,
            "the port speaks SSH",
        ),
        (
            &[0x5f, 0xeb, 0xdb, 0x11, 0x07, 0x42, 0x99],
            Fault::Unknown,
            "binary bytes",
        ),
    ];
    for (answer, fault, says) in answers {
        let (addr, server) = raw_server(move |mut tcp| {
            let _ = tcp.read(&mut [0u8; 4096]);
            let _ = tcp.write_all(answer);
        });
        let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
        server.join().expect("server thread");
        assert_cause(&trace, Cause::TlsToPlaintextPort, says);
        let d = trace.diagnosis().expect("diagnosed");
        assert!(d.fault == fault && d.summary.contains(says), "{d}");
    }
}

/// A server that answers with an SSL 2.0 SERVER-HELLO speaks only SSL
/// 2.0: the version is what the ends lack, not the port's protocol.
#[test]
fn an_ssl2_server_answering_a_tls_client() {
    // The SERVER-HELLO's first bytes (draft-hickman-netscape-ssl-00): a
    // 46-byte record, type 4, no session-id hit, an X.509 certificate,
    // version 0x0002, then lengths the client never reads.
    let answer: &'static [u8] = &[0x80, 0x2e, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00, 0x20];
    let (addr, server) = raw_server(move |mut tcp| {
        let _ = tcp.read(&mut [0u8; 4096]);
        let _ = tcp.write_all(answer);
    });
    let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    server.join().expect("server thread");
    assert_cause(&trace, Cause::NoSharedVersion, "an SSL 2.0 server");
    let d = trace.diagnosis().expect("diagnosed");
    assert!(
        d.fault == Fault::Server && d.summary.contains("it speaks only SSL 2.0"),
        "{d}"
    );
}

/// A handshake record whose message is not a ServerHello ("hello" where
/// the message type belongs): OpenSSL refuses it as an unexpected message.
#[test]
fn a_first_handshake_record_without_a_server_hello() {
    let (addr, server) = raw_server(|mut tcp| {
        let _ = tcp.read(&mut [0u8; 4096]);
        let _ = tcp.write_all(&[22, 3, 3, 0, 5, b'h', b'e', b'l', b'l', b'o']);
    });
    let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    server.join().expect("server thread");
    assert_cause(
        &trace,
        Cause::UnexpectedMessage,
        "hello in a handshake record",
    );
    let d = trace.diagnosis().expect("diagnosed");
    assert!(
        d.summary
            == "the server sent a handshake record whose message is not the ServerHello \
                      that must come first",
        "{d}"
    );
}

/// A client that sends part of its ClientHello record and stalls: the
/// time-out's diagnosis names the record begun, not a silent peer.
#[test]
fn a_record_begun_and_never_finished() {
    let hello = client_hello_bytes();
    let declared = u16::from_be_bytes([hello[3], hello[4]]);
    let (l, addr) = listener();
    let (sent, written) = std::sync::mpsc::channel();
    let client = std::thread::spawn(move || {
        let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
        tcp.write_all(&hello[..51]).expect("part of the hello");
        let _ = sent.send(());
        std::thread::sleep(std::time::Duration::from_secs(2));
    });
    // The part is there before the time-out starts: it can only end the
    // wait for the rest, however late the client thread runs.
    written
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the client wrote");
    let (tcp, _) = l.accept().expect("accept");
    set_timeouts_to(&tcp, std::time::Duration::from_millis(300));
    let server = server_ctx_with(rsa(), |_| {});
    let err = Ssl::new(&server)
        .expect("ssl")
        .accept(tcp)
        .expect_err("stalled");
    let trace = unfinished_trace(err);
    let d = Diagnosis::timed_out(Some(&trace), "read time-out of 0.3 s");
    let want = format!(
        "the peer sent the header of a handshake record of {declared} bytes, then not the \
         rest in time"
    );
    assert!(d.summary.contains(&want), "{d}");
    client.join().expect("client thread");
}

/// A server that answers the ClientHello with internal_error failed on
/// its own (RFC 8446 section 6.2): the fault is its, the reason in its log.
#[test]
fn a_server_that_fails_on_its_own() {
    let (addr, server) = raw_server(|mut tcp| {
        let _ = tcp.read(&mut [0u8; 4096]);
        let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2, 80]);
    });
    let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    server.join().expect("server thread");
    assert_cause(
        &trace,
        Cause::Unknown,
        "internal_error after the ClientHello",
    );
    let d = trace.diagnosis().expect("diagnosed");
    assert_eq!(d.fault, Fault::Server, "{d}");
    assert!(
        d.summary
            .starts_with("the server ended the handshake after \"SSLv3/TLS write client hello\" with internal_error"),
        "{d}"
    );
    assert!(d.fix.starts_with("Read the server's log"), "{d}");
}

/// A client that connects and sends nothing, until the server's own limit
/// fires: the diagnosis says the client connected and sent no ClientHello,
/// not that it was merely slow, and gives the server no client's advice.
#[test]
fn a_silent_client_is_named_as_such() {
    let (l, addr) = listener();
    let client = std::thread::spawn(move || {
        let _tcp = std::net::TcpStream::connect(addr).expect("connect");
        std::thread::sleep(std::time::Duration::from_secs(2));
    });
    let (tcp, _) = l.accept().expect("accept");
    set_timeouts_to(&tcp, std::time::Duration::from_millis(300));
    let server = server_ctx_with(rsa(), |_| {});
    let err = Ssl::new(&server)
        .expect("ssl")
        .accept(tcp)
        .expect_err("silent");
    let trace = unfinished_trace(err);
    let d = Diagnosis::timed_out(Some(&trace), "read time-out of 0.3 s");
    assert!(
        d.summary
            .ends_with("the client connected but sent no ClientHello (read time-out of 0.3 s)"),
        "{d}"
    );
    assert!(!d.fix.contains("reachable"), "{d}");
    client.join().expect("client thread");
}
