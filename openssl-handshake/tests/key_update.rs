//! A TLS 1.3 key update after the handshake, asked for with
//! `SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED)`: both traces hold the
//! two KeyUpdate messages RFC 8446 section 4.6.3 calls for, the request
//! and the answer, and the states `-state` prints for them.

mod common;

use std::io::{Read, Write};
use std::thread;

use common::diagnosis::{key_update, KEY_UPDATE_REQUESTED};
use common::*;
use openssl::ssl::SslVersion;
use openssl_handshake::decode::{Body, HandshakeType};
use openssl_handshake::{Direction, HandshakeTrace};
use testkit::pki::KeyType;

/// The KeyUpdate messages of `trace`, in order: direction and request.
fn key_updates(trace: &HandshakeTrace) -> Vec<(Direction, u8)> {
    trace
        .messages()
        .filter(|m| m.handshake_type == Some(HandshakeType::KEY_UPDATE))
        .map(|m| match &m.body {
            Some(Body::KeyUpdate(k)) => (m.direction, k.request_update),
            other => panic!("an undecoded KeyUpdate: {other:?}"),
        })
        .collect()
}

#[test]
fn a_requested_key_update_is_answered_and_traced_on_both_sides() {
    let tls13 = |b: &mut openssl::ssl::SslContextBuilder| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3))
            .expect("TLS 1.3");
    };
    let server_ctx = server_ctx(KeyType::EcdsaP256, tls13);
    let (listener, addr) = listener();
    // Each side answers a key update when it next writes: the client's
    // byte carries the request, the server's reply its answer.
    let server = thread::spawn(move || {
        let mut tls = accept_tls(&listener, &server_ctx).expect("server handshake");
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte)
            .expect("server reads the client's byte");
        tls.write_all(b"y").expect("server replies");
        read_to_close(&mut tls);
        let _ = tls.shutdown();
        trace_of(&tls)
    });
    let mut tls = client_ssl(&client_ctx(tls13), "localhost")
        .connect(connect_tcp(addr))
        .expect("client handshake");
    key_update(&mut tls, KEY_UPDATE_REQUESTED);
    tls.write_all(b"x").expect("client writes");
    let mut reply = [0u8; 1];
    tls.read_exact(&mut reply).expect("client reads the reply");
    let _ = tls.shutdown();
    read_to_close(&mut tls);
    let client = trace_of(&tls);
    let server = server.join().expect("server thread");

    assert_eq!(
        key_updates(&client),
        [(Direction::Write, 1), (Direction::Read, 0)],
        "{}",
        client.message_log()
    );
    assert_eq!(
        key_updates(&server),
        [(Direction::Read, 1), (Direction::Write, 0)],
        "{}",
        server.message_log()
    );
    let log = server.state_log();
    assert!(
        log.contains("SSL_accept:TLSv1.3 read client key update\n"),
        "{log}"
    );
    assert!(
        log.contains("SSL_accept:TLSv1.3 write server key update\n"),
        "{log}"
    );
}
