//! The failure event through a real subscriber, filtered as services
//! filter: with info events filtered out, a failed handshake's warning
//! still sits in the application's span (its connection, its peer), not at
//! the root, as the handshake's own span is then disabled; and a TCP health
//! check, which sends no byte, is no warning.
#![cfg(feature = "tracing")]

mod common;

use common::sink::Sink;

use std::io::Write;
use std::net::TcpStream;

use common::{accept_tls, listener, server_ctx};
use testkit::pki::KeyType;

/// A subscriber at `level` writing plain lines into the returned sink.
fn subscriber(level: tracing::Level) -> (impl tracing::Subscriber, Sink) {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (subscriber, sink)
}

#[test]
fn a_failure_keeps_the_application_span_when_info_is_filtered_out() {
    let (subscriber, sink) = subscriber(tracing::Level::WARN);
    let server = server_ctx(KeyType::Rsa2048, |_| {});
    let (l, addr) = listener();
    let client = std::thread::spawn(move || {
        let mut tcp = TcpStream::connect(addr).expect("connect");
        let _ = tcp.write_all(b"GET / HTTP/1.0\r\n\r\n");
        let _ = std::io::Read::read(&mut tcp, &mut [0u8; 64]);
    });
    tracing::subscriber::with_default(subscriber, || {
        let _conn = tracing::warn_span!("conn", peer = "test").entered();
        assert!(
            accept_tls(&l, &server).is_err(),
            "plain HTTP is no handshake"
        );
    });
    client.join().expect("client thread");
    let out = sink.text();
    let line = out
        .lines()
        .find(|l| l.contains("TLS handshake failed"))
        .unwrap_or_else(|| panic!("no failure event: {out}"));
    assert!(line.contains("conn{peer=\"test\"}"), "{line}");
}

/// A connection closed before any byte, as load balancers' TCP health
/// checks make every few seconds, is a failure at debug, not a warning: it
/// made no TLS attempt to diagnose.
#[test]
fn a_health_check_is_no_warning() {
    let (subscriber, sink) = subscriber(tracing::Level::DEBUG);
    let server = server_ctx(KeyType::Rsa2048, |_| {});
    let (l, addr) = listener();
    let check = std::thread::spawn(move || drop(TcpStream::connect(addr).expect("connect")));
    tracing::subscriber::with_default(subscriber, || {
        assert!(accept_tls(&l, &server).is_err(), "no byte is no handshake");
    });
    check.join().expect("health check thread");
    let out = sink.text();
    let line = out
        .lines()
        .find(|l| l.contains("TLS handshake failed"))
        .unwrap_or_else(|| panic!("no failure event: {out}"));
    assert!(line.contains("cause=\"closed_before_hello\""), "{line}");
    assert!(line.contains("DEBUG"), "{line}");
}
