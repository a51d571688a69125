//! A server without secure renegotiation (RFC 5746), which OpenSSL 3
//! clients refuse ("unsafe legacy renegotiation disabled"). OpenSSL's own
//! server always has it, so the client's signal is cut from its
//! ClientHello in transit: a server that hears none answers as a legacy
//! server does, with no renegotiation_info in its ServerHello.
//!
//! And a server that refuses a client's renegotiation: OpenSSL marks the
//! refused hello as a handshake started and done, which is none.

mod common;

use common::diagnosis::*;
use common::hello::{cut, extension, layout};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{client_ctx, client_ssl, connect_tcp, server_ctx_with};
use openssl::ssl::SslOptions;
use openssl_handshake::{Cause, Fault, Outcome, SslContextBuilderExt, TraceOptions};

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 section 3.3).
const SCSV: [u8; 2] = [0x00, 0xff];
/// The renegotiation_info extension.
const RENEGOTIATION_INFO: u16 = 0xff01;

#[test]
fn a_server_without_secure_renegotiation() {
    let (addr, server) = traced_server(&server_ctx_with(rsa(), tls12));
    let unsignal = |hello: &mut Vec<u8>| {
        if let Some((at, len)) = extension(hello, RENEGOTIATION_INFO) {
            cut(hello, at, len, true);
        }
        let l = layout(hello);
        let suites = l.suites + 2..l.compression;
        if let Some(i) = hello[suites.clone()]
            .chunks(2)
            .position(|s| s == SCSV)
            .map(|i| suites.start + 2 * i)
        {
            cut(hello, i, 2, false);
            // The suites' own length shrinks too.
            let n = u16::from_be_bytes([hello[l.suites], hello[l.suites + 1]]) - 2;
            hello[l.suites..l.suites + 2].copy_from_slice(&n.to_be_bytes());
        }
        assert!(extension(hello, RENEGOTIATION_INFO).is_none());
    };
    let tcp = Altered::new(connect_tcp(addr), 1, unsignal);
    let client = client_ctx(tls12);
    let client = match client_ssl(&client, "localhost").connect(tcp) {
        Ok(_) => panic!("an OpenSSL 3 client refuses a legacy server"),
        Err(e) => unfinished_trace(e),
    };
    let _ = server.join();
    assert_diagnosis(
        &client,
        (Cause::NoSecureRenegotiation, Fault::Server),
        "the server does not support secure renegotiation (RFC 5746)",
        "a ServerHello without renegotiation_info",
    );
    assert_eq!(
        evidence(&client, "ServerHello.renegotiation_info present").as_deref(),
        Some("false")
    );
}

/// The refused renegotiation is an attempt, not a second success: the
/// hook ran once, for the handshake there was.
#[test]
fn a_refused_renegotiation_is_no_second_handshake() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let server = server_ctx_with(rsa(), move |b| {
        tls12(b);
        b.set_options(SslOptions::NO_RENEGOTIATION);
        let hook = move |_: &openssl_handshake::HandshakeTrace| {
            counted.fetch_add(1, Ordering::SeqCst);
        };
        b.trace_handshakes(TraceOptions::default().on_complete(hook))
            .expect("trace");
    });
    let (addr, server) = traced_server(&server);
    let client = traced_client(&client_ctx(tls12), addr, "localhost", |tls| {
        renegotiate(tls);
        let _ = tls.do_handshake();
        let _ = tls.read(&mut [0u8; 16]);
    });
    let server = server.join().expect("server thread");
    // What the client heard: the server's no_renegotiation warning.
    assert!(
        client
            .alerts()
            .any(|a| a.description == 100 && a.direction == openssl_handshake::Direction::Read),
        "{}",
        client.state_log()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "{}", server.state_log());
    // Started twice: the refused attempt is counted, not as a success.
    assert_eq!(server.handshakes, 2, "{}", server.state_log());
    assert!(matches!(server.outcome, Outcome::Succeeded));
}
