//! TLS 1.3 early data: OpenSSL reports a handshake done, then started
//! again, around the pause in which the client writes and the server reads
//! early data (SSL_CTX_set_info_callback(3)). That pause ends nothing: each
//! end hears of one handshake, and a client whose server never answers
//! hears of one failure, not of a success first.

mod common;

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::thread;

use openssl::ssl::{Ssl, SslSession, SslSessionCacheMode, SslStream};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::KeyType;

use common::*;

type Heard = Arc<Mutex<Vec<HandshakeTrace>>>;

fn hooked(heard: &Heard) -> TraceOptions {
    let heard = heard.clone();
    TraceOptions::default().on_complete(move |t| heard.lock().unwrap().push(t.clone()))
}

/// The outcomes a hook heard, as "ok"/"failed", and the handshake count each saw.
fn outcomes(heard: &Heard) -> Vec<(&'static str, u32)> {
    heard
        .lock()
        .unwrap()
        .iter()
        .map(|t| (if t.succeeded() { "ok" } else { "failed" }, t.handshakes))
        .collect()
}

#[test]
#[allow(unsafe_code)] // SSL_set_session, which the openssl crate marks unsafe
fn early_data_is_one_handshake_on_each_end() {
    let (server_heard, client_heard) = (Heard::default(), Heard::default());
    let server = server_ctx(KeyType::EcdsaP256, |b| {
        b.set_max_early_data(16384).unwrap();
        b.trace_handshakes(hooked(&server_heard)).unwrap();
    });
    let client = client_ctx(|b| {
        b.set_session_cache_mode(SslSessionCacheMode::CLIENT);
        b.trace_handshakes(hooked(&client_heard)).unwrap();
    });
    // A first connection for the session, then one resuming it with early data.
    let first = connect(&server, &client, None);
    let session: SslSession = first.session.expect("a session to resume");
    client_heard.lock().unwrap().clear();
    server_heard.lock().unwrap().clear();

    let (listener, addr) = listener();
    let server_side = thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        set_timeouts(&tcp);
        let mut tls = SslStream::new(Ssl::new(&server).unwrap(), tcp).unwrap();
        let mut buf = [0u8; 64];
        let mut early = Vec::new();
        loop {
            let n = tls.read_early_data(&mut buf).expect("read early data");
            if n == 0 {
                break;
            }
            early.extend_from_slice(&buf[..n]);
        }
        tls.accept().expect("server handshake");
        serve_ping(&mut tls);
        (early, trace_of(&tls))
    });
    let mut ssl = client_ssl(&client, "localhost");
    // SAFETY: the session comes from a connection of this same context.
    unsafe { ssl.set_session(&session) }.expect("set session");
    let mut tls = SslStream::new(ssl, connect_tcp(addr)).unwrap();
    tls.write_early_data(b"early\n").expect("write early data");
    tls.connect().expect("client handshake");
    let mut ping = [0u8; 5];
    tls.read_exact(&mut ping).expect("ping");
    let _ = tls.shutdown();
    let client_trace = trace_of(&tls);
    let (early, server_trace) = server_side.join().expect("server thread");
    assert_eq!(early, b"early\n", "the early data went through");

    for (side, trace, heard) in [
        ("client", &client_trace, &client_heard),
        ("server", &server_trace, &server_heard),
    ] {
        assert!(trace.succeeded(), "{side}: {:?}", trace.outcome);
        assert_eq!(trace.handshakes, 1, "{side}\n{}", trace.state_log());
        assert_eq!(trace.handshakes_completed(), 1, "{side}");
        assert_eq!(outcomes(heard), [("ok", 1)], "{side}: one hook call");
        let resumed = trace.negotiated.as_ref().and_then(|n| n.resumed);
        assert!(resumed.is_some(), "{side}: resumed");
    }
}

/// A client that writes early data to a peer that reads its ClientHello
/// and hangs up never had a handshake succeed.
#[test]
#[allow(unsafe_code)] // SSL_set_session, which the openssl crate marks unsafe
fn early_data_to_a_peer_that_hangs_up_is_one_failure() {
    let server = server_ctx(KeyType::EcdsaP256, |b| b.set_max_early_data(16384).unwrap());
    let client_heard = Heard::default();
    let client = client_ctx(|b| {
        b.set_session_cache_mode(SslSessionCacheMode::CLIENT);
        b.trace_handshakes(hooked(&client_heard)).unwrap();
    });
    let session = connect(&server, &client, None)
        .session
        .expect("a session to resume");
    client_heard.lock().unwrap().clear();

    let (addr, peer) = raw_server(|mut tcp| {
        let mut buf = [0u8; 4096];
        let _ = tcp.read(&mut buf);
    });
    let mut ssl = client_ssl(&client, "localhost");
    // SAFETY: the session comes from a connection of this same context.
    unsafe { ssl.set_session(&session) }.expect("set session");
    let mut tls = SslStream::new(ssl, connect_tcp(addr)).unwrap();
    tls.write_early_data(b"early\n").expect("write early data");
    assert!(tls.connect().is_err(), "the peer hung up");
    peer.join().expect("peer thread");
    assert_eq!(outcomes(&client_heard), [("failed", 1)]);
    // The client stood in OpenSSL's "TLSv1.3 early data" state, having
    // sent early data: no server is said to wait for its Finished.
    let heard = client_heard.lock().unwrap();
    let failure = heard[0].failure().expect("failed").to_string();
    assert!(failure.contains("\"TLSv1.3 early data\""), "{failure}");
    assert!(
        !failure.contains("waiting for the client's Finished"),
        "{failure}"
    );
}
