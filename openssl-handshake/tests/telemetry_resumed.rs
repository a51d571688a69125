//! The server's event for a resumed TLS 1.2 session names the server name
//! the client asked for, as its trace does: OpenSSL keeps none for a
//! session it resumes without a servername callback, so the event takes
//! it from the ClientHello, as `Negotiated::sni` does.
#![cfg(feature = "tracing")]

mod common;

use common::sink::Sink;

use common::{client_ctx, connect, server_ctx};
use openssl::ssl::SslVersion;
use testkit::pki::KeyType;

#[test]
fn a_resumed_tls12_servers_event_names_the_sni() {
    let sink = Sink::default();
    let writer = sink.clone();
    // Global: the server side runs on a thread of its own. This binary
    // holds this one test.
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .expect("the only subscriber");
    let server = server_ctx(KeyType::Rsa2048, |b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    });
    let client = client_ctx(|_| {});
    let first = connect(&server, &client, None);
    let again = connect(&server, &client, first.session.as_ref());
    let n = again.server.negotiated.as_ref().expect("negotiated");
    assert!(n.resumed.is_some(), "the session was resumed");
    assert_eq!(n.sni.as_deref(), Some("localhost"), "the trace has it");
    let out = sink.text();
    let resumed_server: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("side=\"server\"") && l.contains("resumed=true"))
        .collect();
    assert_eq!(resumed_server.len(), 1, "{out}");
    assert!(
        resumed_server[0].contains("sni=\"localhost\""),
        "{}",
        resumed_server[0]
    );
}
