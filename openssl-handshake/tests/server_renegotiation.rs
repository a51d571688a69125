//! A TLS 1.2 renegotiation the server asks for: its HelloRequest is a
//! request, not a handshake (RFC 5246 7.4.1.1), though OpenSSL wraps it in
//! a handshake start and done of its own; the handshake is the one the
//! client's new ClientHello begins. Each end counts two handshakes and
//! hears of two.

mod common;

use std::io::Read;
use std::sync::{Arc, Mutex};

use openssl::ssl::{Ssl, SslStream, SslVersion};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::KeyType;

use common::diagnosis::renegotiate;
use common::*;

type Heard = Arc<Mutex<Vec<HandshakeTrace>>>;

fn hooked(heard: &Heard) -> TraceOptions {
    let heard = heard.clone();
    TraceOptions::default().on_complete(move |t| heard.lock().unwrap().push(t.clone()))
}

/// A TLS 1.2 connection whose server asks for a renegotiation once the
/// first handshake is done, `cipher` on the server; the traces and what
/// each end's hook heard.
fn renegotiated(cipher: &str) -> [(&'static str, HandshakeTrace, Heard); 2] {
    let (server_heard, client_heard) = (Heard::default(), Heard::default());
    let server = server_ctx(KeyType::Rsa2048, |b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        b.set_cipher_list(cipher).unwrap();
        b.set_tmp_dh(&openssl::dh::Dh::get_2048_256().unwrap())
            .unwrap();
        b.trace_handshakes(hooked(&server_heard)).unwrap();
    });
    let client = client_ctx(|b| b.trace_handshakes(hooked(&client_heard)).unwrap());
    // In memory, each end taking turns, so that neither waits on the other.
    let (c, s) = testkit::duplex::pair();
    let mut client = SslStream::new(client_ssl(&client, "localhost"), c).unwrap();
    let mut server = SslStream::new(Ssl::new(&server).unwrap(), s).unwrap();
    let mut buf = [0u8; 16];
    for _ in 0..8 {
        let _ = client.connect();
        let _ = server.accept();
    }
    assert!(server.ssl().is_init_finished(), "first handshake");
    renegotiate(&mut server);
    server.do_handshake().expect("HelloRequest sent");
    // The client answers the HelloRequest as it reads; the server runs the
    // new handshake as it reads in turn.
    for _ in 0..8 {
        let _ = client.read(&mut buf);
        let _ = server.read(&mut buf);
    }
    assert!(client.ssl().is_init_finished() && server.ssl().is_init_finished());
    [
        ("server", trace_of(&server), server_heard),
        ("client", trace_of(&client), client_heard),
    ]
}

#[test]
fn a_hello_request_is_no_handshake() {
    let [(_, server_trace, server_heard), (_, client_trace, client_heard)] =
        renegotiated("DEFAULT");
    let hello_requests =
        |t: &HandshakeTrace| t.messages().filter(|m| m.name() == "HelloRequest").count();
    assert_eq!(hello_requests(&server_trace), 1, "the server asked once");
    assert_eq!(hello_requests(&client_trace), 1, "the client heard it");
    for (side, trace, heard) in [
        ("server", &server_trace, &server_heard),
        ("client", &client_trace, &client_heard),
    ] {
        assert!(
            trace.succeeded(),
            "{side}: {:?}\n{}",
            trace.outcome,
            trace.state_log()
        );
        assert_eq!(
            trace.handshakes, 2,
            "{side}: the first and the renegotiation"
        );
        let heard = heard.lock().unwrap();
        assert_eq!(heard.len(), 2, "{side}: one hook call per handshake");
        // The second call is about the renegotiation, which ran the
        // client's second ClientHello to its Finished.
        let last = heard[1].last_handshake_message().map(|m| m.name());
        assert_eq!(last.as_deref(), Some("Finished"), "{side}");
        assert_eq!(heard[1].handshakes, 2, "{side}");
    }
}

/// The renegotiation resumes the session, so it has no ServerKeyExchange:
/// what the trace says was negotiated is the last handshake's, not the
/// signature and DHE group of the first one.
#[test]
fn a_resumed_renegotiation_reports_no_signature_or_group() {
    for (side, trace, _) in renegotiated("DHE-RSA-AES128-GCM-SHA256") {
        let n = trace.negotiated.as_ref().expect("negotiated");
        assert!(n.resumed.is_some(), "{side}: the renegotiation resumed");
        let exchanges = trace
            .messages()
            .filter(|m| m.name() == "ServerKeyExchange")
            .count();
        assert_eq!(exchanges, 1, "{side}: the first handshake's alone");
        assert_eq!(n.group, None, "{side}");
        assert_eq!(n.peer_signature, None, "{side}");
    }
}
