//! A ChangeCipherSpec the server sends, which OpenSSL takes without
//! passing it to the message callback, is in the client's trace however
//! the handshake goes on after it: the next record read, a wait for that
//! record, or the end of the connection.
//!
//! The two sides run on one thread over in-memory streams, with the
//! server's bytes relayed to the client record by record, so that the
//! client can be left right after the server's ChangeCipherSpec.

mod common;

use std::io::{ErrorKind, Read, Write};

use common::*;
use openssl::ssl::{ErrorCode, SslStream, SslVersion};
use openssl_handshake::{trace, Diagnosis, EventKind, HandshakeTrace};
use testkit::duplex::{self, DuplexStream};
use testkit::pki::KeyType;

/// What becomes of the server's bytes after its ChangeCipherSpec.
#[derive(Clone, Copy, PartialEq)]
enum After {
    /// Relayed: the handshake ends.
    Relayed,
    /// Held back: the client waits.
    Held,
    /// Dropped, and the connection closed at once.
    Closed,
}

/// Everything readable on `from` now.
fn drain(from: &mut DuplexStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match from.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return out,
            Err(e) => panic!("in-memory read: {e}"),
        }
    }
}

/// `bytes` cut into TLS records.
fn records(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while bytes.len() >= 5 {
        let end = 5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        out.push(&bytes[..end]);
        bytes = &bytes[end..];
    }
    assert!(bytes.is_empty(), "a record cut short");
    out
}

/// Whether a handshake step ended for want of bytes rather than failed.
fn waiting(r: Result<(), openssl::ssl::Error>) -> bool {
    match r {
        Ok(()) => false,
        Err(e) => e.code() == ErrorCode::WANT_READ,
    }
}

/// A TLS 1.2 handshake whose server bytes after its ChangeCipherSpec go
/// as `after` says; the client's trace.
fn client_trace(after: After) -> HandshakeTrace {
    let tls12 = |b: &mut openssl::ssl::SslContextBuilder| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    };
    let server_ctx = server_ctx(KeyType::EcdsaP256, tls12);
    let client_ctx = client_ctx(tls12);
    let (client_io, to_server) = duplex::pair();
    let (server_io, mut from_server) = duplex::pair();
    let mut client = SslStream::new(client_ssl(&client_ctx, "localhost"), client_io).unwrap();
    let mut server =
        SslStream::new(openssl::ssl::Ssl::new(&server_ctx).unwrap(), server_io).unwrap();
    let mut to_client = Some(to_server);
    let mut ccs_sent = false;
    for _ in 0..10 {
        let client_waits = waiting(client.connect());
        let Some(relay) = to_client.as_mut() else {
            break;
        };
        from_server.write_all(&drain(relay)).unwrap();
        let server_waits = waiting(server.accept());
        let flight = drain(&mut from_server);
        for record in records(&flight) {
            if ccs_sent && after != After::Relayed {
                break;
            }
            to_client.as_mut().unwrap().write_all(record).unwrap();
            ccs_sent |= record[0] == 20;
        }
        if ccs_sent && after == After::Closed {
            to_client = None;
        }
        if !client_waits && !server_waits {
            break;
        }
    }
    assert!(ccs_sent, "the server sent no ChangeCipherSpec");
    trace(client.ssl()).expect("the client is traced")
}

/// The client's events from the server's ChangeCipherSpec on, by kind.
fn after_server_ccs(t: &HandshakeTrace) -> Vec<String> {
    let at = t
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::UnreportedRecord(h) if h.content_type == 20))
        .unwrap_or_else(|| panic!("no ChangeCipherSpec from the server:\n{}", t.message_log()));
    t.events[at..]
        .iter()
        .map(|e| match &e.kind {
            EventKind::Message(m) => m.name(),
            EventKind::Exit(x) => format!("exit {:?}", x.status),
            EventKind::UnreportedRecord(_) => "ChangeCipherSpec (unreported)".to_owned(),
            EventKind::State(s) => s.long.to_string(),
            other => format!("{other:?}")
                .split('(')
                .next()
                .unwrap_or("")
                .to_owned(),
        })
        .collect()
}

#[test]
fn before_the_finished_that_follows_it() {
    let t = client_trace(After::Relayed);
    assert!(t.succeeded(), "{t:?}");
    let after = after_server_ccs(&t);
    // OpenSSL names the state it read the ChangeCipherSpec in once the
    // next record's header is in, as `s_client -state` prints it.
    let want = ["SSLv3/TLS read change cipher spec", "Finished"];
    assert_eq!(
        after.get(1..3),
        Some(&want.map(String::from)[..]),
        "{after:?}"
    );
}

#[test]
fn before_a_wait_for_what_follows_it() {
    let t = client_trace(After::Held);
    // Given up there, the wait was for what follows it.
    let d = Diagnosis::timed_out(Some(&t), "a deadline of 1 s");
    assert!(
        d.summary
            .contains("the peer stopped answering after its ChangeCipherSpec"),
        "{d}"
    );
    let after = after_server_ccs(&t);
    assert_eq!(
        after.get(1).map(String::as_str),
        Some("exit WouldBlock"),
        "{after:?}"
    );
}

#[test]
fn before_the_end_of_the_connection() {
    let t = client_trace(After::Closed);
    assert!(!t.succeeded(), "{t:?}");
    // The ChangeCipherSpec and the end of file came in one read: the
    // failure logs it, once.
    let ccs = t
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::UnreportedRecord(_)))
        .count();
    assert_eq!(ccs, 1, "{}", t.message_log());
}
