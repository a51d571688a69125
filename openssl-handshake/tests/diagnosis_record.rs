//! Records the record layer refuses once the handshake is under way,
//! built on purpose: a record with another version than the agreed one,
//! a Finished changed in transit, and a record the connection's end cut
//! short.

mod common;

use std::io::Write;

use common::diagnosis::*;
use common::{client_ctx, client_ssl, connect_tcp, raw_server, server_ctx_with};
use openssl::ssl::{Ssl, SslContext, SslMethod};
use openssl_handshake::{Cause, Fault};
use testkit::first_flight::first_flight;

/// After a TLS 1.2 ClientHello, an alert record stamped TLS 1.0: OpenSSL
/// refuses it unread ("wrong version number").
#[test]
fn a_record_with_another_version_than_the_agreed_one() {
    let hello = {
        let mut b = SslContext::builder(SslMethod::tls_client()).expect("client ctx");
        tls12(&mut b);
        first_flight(Ssl::new(&b.build()).expect("ssl")).expect("ClientHello")
    };
    // A warning close_notify in a record whose version field says TLS 1.0.
    let alert = [21, 3, 1, 0, 2, 1, 0];
    let trace = server_trace_of_flights(&server_ctx_with(rsa(), tls12), &[&hello, &alert]);
    assert_cause(&trace, Cause::RecordRejected, "TLS 1.0 record in TLS 1.2");
    let d = trace.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(
        d.summary
            .contains("an alert record (2 bytes) with record version TLS 1.0 after TLS 1.2"),
        "{d}"
    );
    assert_eq!(
        evidence(&trace, "record refused").as_deref(),
        Some("content type 21, version 0x0301, length 2")
    );
}

/// After a TLS 1.3 ClientHello, the same alert stamped TLS 1.0, as
/// testssl.sh closes its probes: TLS 1.3 records say TLS 1.2 (RFC 8446
/// section 5.1), and OpenSSL holds the peer to it.
#[test]
fn a_tls13_record_with_another_version_than_tls12() {
    let hello = client_hello_bytes();
    let alert = [21, 3, 1, 0, 2, 1, 0];
    let trace = server_trace_of_flights(&server_ctx_with(rsa(), tls13), &[&hello, &alert]);
    let d = assert_diagnosis(
        &trace,
        (Cause::RecordRejected, Fault::Client),
        "the client sent an alert record (2 bytes) with record version TLS 1.0 after TLS 1.3 \
         was agreed; every TLS 1.3 record after the ClientHello must say TLS 1.2 (0x0303)",
        "TLS 1.0 record in TLS 1.3",
    );
    assert_eq!(
        evidence(&trace, "record refused").as_deref(),
        Some("content type 21, version 0x0301, length 2"),
        "{d}"
    );
}

/// The client's second flight (ClientKeyExchange, ChangeCipherSpec,
/// Finished) with its last byte flipped: the server cannot decrypt the
/// Finished and answers bad_record_mac.
#[test]
fn a_finished_changed_in_transit() {
    let (addr, server) = traced_server(&server_ctx_with(rsa(), tls12));
    let flip_last = |w: &mut Vec<u8>| {
        if let Some(last) = w.last_mut() {
            *last ^= 1;
        }
    };
    let tcp = Altered::new(connect_tcp(addr), 2, flip_last);
    let client = client_ssl(&client_ctx(tls12), "localhost").connect(tcp);
    let client = match client {
        Ok(_) => panic!("the server cannot accept a changed Finished"),
        Err(e) => unfinished_trace(e),
    };
    let server = server.join().expect("server thread");
    assert_cause(&server, Cause::RecordRejected, "a flipped Finished");
    let d = server.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(
        d.summary
            .starts_with("this server could not decrypt the client's record (bad_record_mac)"),
        "{d}"
    );
    // The client hears bad_record_mac about its own record.
    assert_cause(&client, Cause::RecordRejected, "a flipped Finished");
    let d = client.diagnosis().expect("diagnosis");
    assert!(
        d.summary
            .starts_with("the server could not decrypt this client's record (bad_record_mac)"),
        "{d}"
    );
}

/// TLS 1.2 PSK with a different key on each side: the server cannot
/// decrypt the client's Finished, and the diagnosis names the keys.
#[test]
fn different_pre_shared_keys() {
    const SUITE: &str = "PSK-AES128-CBC-SHA";
    let server = server_ctx_with(rsa(), |b| {
        tls12(b);
        b.set_cipher_list(SUITE).expect("suite");
        b.set_psk_server_callback(|_, _, psk| {
            psk[..16].fill(2);
            Ok(16)
        });
    });
    let client = client_ctx(|b| {
        tls12(b);
        b.set_cipher_list(SUITE).expect("suite");
        b.set_psk_client_callback(|_, _, identity, psk| {
            identity[..7].copy_from_slice(b"client\0");
            psk[..16].fill(1);
            Ok(16)
        });
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(&p.server, Cause::RecordRejected, "two pre-shared keys");
    let d = p.server.diagnosis().expect("diagnosis");
    assert!(d.summary.contains("(different pre-shared keys)"), "{d}");
    assert!(d.fix.contains("same pre-shared key"), "{d}");
}

/// A server that sends an alert record's header and one of its two bytes,
/// then closes: the connection ended in the middle of a record, which the
/// diagnosis names rather than a hang-up "without an alert".
#[test]
fn a_record_cut_short_by_the_end_of_the_connection() {
    let (addr, server) = raw_server(|mut tcp| {
        let _ = read_record(&mut tcp);
        let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2]);
        let _ = tcp.shutdown(std::net::Shutdown::Both);
    });
    let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    server.join().expect("server thread");
    assert_cause(&trace, Cause::PeerClosed, "an alert record cut short");
    let d = trace.diagnosis().expect("diagnosis");
    assert!(
        d.summary.contains("in the middle of an alert record"),
        "{d}"
    );
    let begun = d.evidence.iter().find(|e| e.source == "record begun");
    assert_eq!(
        begun.map(|e| e.value.as_str()),
        Some("content type 21, version 0x0303, length 2"),
        "{d}"
    );
}

/// Bytes that are not TLS, written beneath a TLS 1.3 connection after its
/// handshake (to the socket, not the stream): the server fails the
/// connection, not its handshake, so the versions the handshake agreed are
/// not in question; the record is.
#[test]
fn bytes_that_are_not_tls_after_the_handshake() {
    let (addr, server) = traced_server(&server_ctx_with(rsa(), |_| {}));
    let _client = traced_client(&client_ctx(|_| {}), addr, "localhost", |tls| {
        let _ = tls.get_mut().write_all(b"GET / HTTP/1.1\r\n\r\n");
        let _ = std::io::Read::read(tls, &mut [0u8; 1]);
    });
    let trace = server.join().expect("server thread");
    assert!(trace.succeeded(), "{}", trace.state_log());
    let d = trace.diagnosis().expect("diagnosis");
    assert_eq!(
        (d.cause, d.fault),
        (Cause::RecordRejected, Fault::Client),
        "{d}"
    );
    assert!(
        d.summary
            .contains("sent text (\"GET /\") after the handshake"),
        "{d}"
    );
}
