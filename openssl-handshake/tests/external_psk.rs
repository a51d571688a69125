//! TLS 1.3 with a key shared out of band: OpenSSL calls the handshake
//! reused (s_client prints "Reused"), but nothing was resumed; the trace
//! says an external PSK keyed it. A resumption by ticket stays one.

mod common;

use openssl::ssl::{SslContext, SslContextBuilder, SslMethod, SslVersion};
use openssl_handshake::{Resumption, SslContextBuilderExt, TraceOptions};
use testkit::pki::KeyType;

use common::against_tools::{against_s_client, s_server, strings};
use common::*;

const IDENTITY: &[u8] = b"alice";
const KEY: [u8; 32] = [7; 32];

/// TLS 1.3 with the one suite OpenSSL's legacy PSK callbacks key (SHA-256).
fn tls13_sha256(b: &mut SslContextBuilder) {
    b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
    b.set_ciphersuites("TLS_AES_128_GCM_SHA256").unwrap();
}

fn with_psk(b: &mut SslContextBuilder, side_is_server: bool) {
    tls13_sha256(b);
    if side_is_server {
        b.set_psk_server_callback(|_, id, psk| {
            if id != Some(IDENTITY) {
                return Ok(0);
            }
            psk[..KEY.len()].copy_from_slice(&KEY);
            Ok(KEY.len())
        });
    } else {
        b.set_psk_client_callback(|_, _, id, psk| {
            id[..IDENTITY.len()].copy_from_slice(IDENTITY);
            id[IDENTITY.len()] = 0;
            psk[..KEY.len()].copy_from_slice(&KEY);
            Ok(KEY.len())
        });
    }
}

#[test]
fn an_external_psk_is_not_a_resumption() {
    let server = server_ctx(KeyType::EcdsaP256, |b| with_psk(b, true));
    let client = client_ctx(|b| with_psk(b, false));
    let p = connect(&server, &client, None);
    for t in [&p.client, &p.server] {
        let n = t.negotiated.as_ref().expect("negotiated");
        assert_eq!(n.resumed, None, "{:?} side", t.side);
        assert!(n.external_psk, "{:?} side", t.side);
        // No certificate: the PSK authenticated the server.
        assert!(n.peer_chain.is_empty() && n.peer_signature.is_none());
    }
    let json = serde_json::to_value(&p.client).unwrap();
    assert_eq!(json["negotiated"]["external_psk"], true);
    assert_eq!(json["negotiated"]["resumed"], serde_json::Value::Null);
}

#[test]
fn a_ticket_is_still_a_resumption() {
    let server = server_ctx(KeyType::EcdsaP256, tls13_sha256);
    let client = client_ctx(|b| {
        tls13_sha256(b);
        b.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::CLIENT);
    });
    let first = connect(&server, &client, None);
    let again = connect(&server, &client, first.session.as_ref());
    for t in [&again.client, &again.server] {
        let n = t.negotiated.as_ref().expect("negotiated");
        assert_eq!(n.resumed, Some(Resumption::Psk), "{:?} side", t.side);
        assert!(!n.external_psk, "{:?} side", t.side);
    }
}

/// Without messages an end cannot tell the two apart, and says so.
#[test]
fn without_messages_an_external_psk_is_unknown() {
    let server = server_ctx(KeyType::EcdsaP256, |b| with_psk(b, true));
    let mut b = SslContext::builder(SslMethod::tls_client()).unwrap();
    with_psk(&mut b, false);
    b.trace_handshakes(TraceOptions::default().messages(false))
        .unwrap();
    let client = b.build();
    let p = connect(&server, &client, None);
    let n = p.client.negotiated.expect("negotiated");
    assert_eq!(
        (n.resumed, n.external_psk),
        (Some(Resumption::Unknown), false)
    );
}

/// `s_client -psk` and `s_server -psk` send the external identity with
/// obfuscated_ticket_age 0, as RFC 8446 4.2.11 asks.
#[test]
fn against_openssl_tools_an_external_psk_is_seen_as_one() {
    let key = KEY.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let id = std::str::from_utf8(IDENTITY).unwrap();

    let server = server_ctx(KeyType::EcdsaP256, |b| with_psk(b, true));
    let t = against_s_client(
        &server,
        &["-tls1_3", "-psk", &key, "-psk_identity", id],
        b"",
    );
    let n = t.negotiated.expect("server negotiated with s_client");
    assert_eq!((n.resumed, n.external_psk), (None, true));

    let client = client_ctx(|b| with_psk(b, false));
    let args = strings(&["-tls1_3", "-psk", &key, "-psk_identity", id]);
    let (_server, addr) = s_server(&args);
    let tls = client_ssl(&client, "localhost")
        .connect(connect_tcp(addr))
        .expect("handshake with s_server");
    let n = trace_of(&tls)
        .negotiated
        .expect("client negotiated with s_server");
    assert_eq!((n.resumed, n.external_psk), (None, true));
}
