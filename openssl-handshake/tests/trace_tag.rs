//! `SslRefExt::set_trace_tag`: a hook shared by a context's connections
//! learns which connection each trace is about, whenever the tag was set
//! and however the handshake ended.

mod common;

use std::io::Read;
use std::sync::mpsc;
use std::thread;

use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslMethod, SslStream};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, SslRefExt, TraceOptions};
use testkit::pki::KeyType;

use common::{
    accept_tls, client_ctx, client_ssl, connect_tcp, failed_trace, listener, pki, serve_ping,
    trace_of,
};

/// A server context whose hook sends every trace it hears of.
fn hooked_server(
    f: impl FnOnce(&mut SslContextBuilder),
) -> (SslContext, mpsc::Receiver<HandshakeTrace>) {
    let (tx, rx) = mpsc::channel();
    let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
    pki().server(KeyType::EcdsaP256).install(&mut b).unwrap();
    b.trace_handshakes(TraceOptions::default().on_complete(move |t| {
        let _ = tx.send(t.clone());
    }))
    .unwrap();
    f(&mut b);
    (b.build(), rx)
}

/// Serves one connection on a fresh port, tagging it with the client's
/// address as a service would; returns that address as the client saw
/// its own end, and the client's trace.
fn tagged_by_peer_address(server: &SslContext, client: &SslContext) -> (String, HandshakeTrace) {
    let (l, addr) = listener();
    let server = server.clone();
    let serving = thread::spawn(move || {
        let (tcp, peer) = l.accept().unwrap();
        common::set_timeouts(&tcp);
        let mut ssl = Ssl::new(&server).unwrap();
        ssl.set_trace_tag(peer.to_string()).unwrap();
        if let Ok(mut tls) = ssl.accept(tcp) {
            serve_ping(&mut tls);
        }
    });
    let tcp = connect_tcp(addr);
    let own = tcp.local_addr().unwrap().to_string();
    let trace = match client_ssl(client, "localhost").connect(tcp) {
        Ok(mut tls) => {
            let mut ping = [0u8; 5];
            tls.read_exact(&mut ping).unwrap();
            let _ = tls.shutdown();
            trace_of(&tls)
        }
        Err(e) => failed_trace(e),
    };
    serving.join().unwrap();
    (own, trace)
}

#[test]
fn the_hook_hears_each_connection_by_its_tag() {
    let (server, heard) = hooked_server(|_| {});
    let client = client_ctx(|_| {});
    for _ in 0..3 {
        let (own, client_trace) = tagged_by_peer_address(&server, &client);
        let t = heard.recv().unwrap();
        assert!(t.succeeded(), "{:?}", t.outcome);
        assert_eq!(t.tag.as_deref(), Some(own.as_str()));
        assert_eq!(client_trace.tag, None, "the client was not tagged");
        // The tag survives JSON and is absent there when unset.
        let json: serde_json::Value = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(json["tag"], own.as_str());
        let back: HandshakeTrace = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(back.tag, t.tag);
        let json: serde_json::Value = serde_json::from_str(&client_trace.to_json()).unwrap();
        assert!(json.get("tag").is_none(), "{json}");
    }
}

#[test]
fn a_failed_handshake_keeps_its_tag() {
    let (server, heard) = hooked_server(|b| {
        b.set_min_proto_version(Some(openssl::ssl::SslVersion::TLS1_3))
            .unwrap();
    });
    let client = client_ctx(|b| {
        b.set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
            .unwrap();
    });
    let (own, client_trace) = tagged_by_peer_address(&server, &client);
    assert!(client_trace.failure().is_some());
    let t = heard.recv().unwrap();
    assert!(t.failure().is_some(), "{:?}", t.outcome);
    assert_eq!(t.tag.as_deref(), Some(own.as_str()));
}

#[test]
fn an_abandoned_handshake_is_reported_with_its_tag() {
    let (server, heard) = hooked_server(|_| {});
    let (c, s) = testkit::duplex::pair();
    let mut client = SslStream::new(client_ssl(&client_ctx(|_| {}), "localhost"), c).unwrap();
    let mut ssl = Ssl::new(&server).unwrap();
    ssl.set_trace_tag("request 7").unwrap();
    let mut server = SslStream::new(ssl, s).unwrap();
    // The client's hello, the server's flight; then both are dropped, as
    // a time-out drops a connection.
    assert!(client.connect().is_err() && server.accept().is_err());
    assert!(!server.ssl().is_init_finished());
    drop((server, client));
    let t = heard.recv().unwrap();
    assert!(t.failure().is_some_and(|f| f.gave_up), "{:?}", t.outcome);
    assert_eq!(t.tag.as_deref(), Some("request 7"));
}

#[test]
fn a_tag_set_during_the_handshake_reaches_the_hook() {
    let (server, heard) = hooked_server(|b| {
        b.set_servername_callback(|ssl, _| {
            let name = ssl
                .servername(openssl::ssl::NameType::HOST_NAME)
                .unwrap_or("");
            let tag = format!("vhost {name}");
            ssl.set_trace_tag(tag)
                .map_err(|_| openssl::ssl::SniError::ALERT_FATAL)
        });
    });
    let (l, addr) = listener();
    let serving = thread::spawn(move || {
        if let Ok(mut tls) = accept_tls(&l, &server) {
            serve_ping(&mut tls);
            return trace_of(&tls);
        }
        panic!("server handshake failed");
    });
    let mut tls = client_ssl(&client_ctx(|_| {}), "localhost")
        .connect(connect_tcp(addr))
        .unwrap();
    let mut ping = [0u8; 5];
    tls.read_exact(&mut ping).unwrap();
    let _ = tls.shutdown();
    let server_trace = serving.join().unwrap();
    assert_eq!(server_trace.tag.as_deref(), Some("vhost localhost"));
    assert_eq!(
        heard.recv().unwrap().tag.as_deref(),
        Some("vhost localhost")
    );
}

#[test]
fn a_tag_names_a_trace_begun_before_or_after_it() {
    // An untraced context: each connection is traced on its own, one
    // tagged before its trace begins, one after.
    let mut b = SslContext::builder(SslMethod::tls_client()).unwrap();
    b.set_cert_store(pki().trust_store().unwrap());
    let untraced = b.build();
    let server = common::server_ctx(KeyType::EcdsaP256, |_| {});
    let (l, addr) = listener();
    let serving = thread::spawn(move || {
        for _ in 0..2 {
            let mut tls = accept_tls(&l, &server).unwrap();
            serve_ping(&mut tls);
        }
    });
    for tag_first in [true, false] {
        let mut ssl = client_ssl(&untraced, "localhost");
        if tag_first {
            ssl.set_trace_tag("tagged, then traced").unwrap();
            ssl.trace_handshake(TraceOptions::default()).unwrap();
        } else {
            ssl.trace_handshake(TraceOptions::default()).unwrap();
            ssl.set_trace_tag("traced, then tagged").unwrap();
        }
        let mut tls = ssl.connect(connect_tcp(addr)).unwrap();
        let want = if tag_first {
            "tagged, then traced"
        } else {
            "traced, then tagged"
        };
        assert_eq!(trace_of(&tls).tag.as_deref(), Some(want));
        let mut ping = [0u8; 5];
        tls.read_exact(&mut ping).unwrap();
        let _ = tls.shutdown();
    }
    serving.join().unwrap();
}
