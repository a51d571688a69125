//! A `tracing` subscriber that panics is the application's code failing
//! inside OpenSSL's call: the panic stops there, and the completion hook
//! and the caller's error are left as they would be without it. Its own
//! test binary, as the subscriber is process-wide.
#![cfg(feature = "tracing")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use openssl::ssl::{HandshakeError, Ssl, SslVersion};
use openssl_handshake::{SslContextBuilderExt, TraceOptions};
use testkit::pki::KeyType;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use common::{client_ctx, listener, server_ctx, set_timeouts};

/// Panics at every event of the library's target.
struct Panicking;

impl Subscriber for Panicking {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.target() == "openssl_handshake"
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {
        panic!("the subscriber's writer failed");
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn a_panicking_subscriber_costs_neither_the_hook_nor_the_callers_error() {
    tracing::subscriber::set_global_default(Panicking).expect("one global subscriber");
    let hooked = Arc::new(AtomicUsize::new(0));
    let count = hooked.clone();
    let server = server_ctx(KeyType::EcdsaP256, move |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
        b.trace_handshakes(TraceOptions::default().on_complete(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
        }))
        .unwrap();
    });
    let client = client_ctx(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    });
    let (l, addr) = listener();
    let peer = std::thread::spawn(move || {
        let tcp = common::connect_tcp(addr);
        let _ = Ssl::new(&client).unwrap().connect(tcp);
    });
    let (tcp, _) = l.accept().unwrap();
    set_timeouts(&tcp);
    let err = match Ssl::new(&server).unwrap().accept(tcp) {
        Err(HandshakeError::Failure(mid)) => mid.error().to_string(),
        _ => panic!("a TLS 1.2 client must be refused"),
    };
    peer.join().unwrap();
    assert_eq!(hooked.load(Ordering::SeqCst), 1, "the hook ran");
    assert!(
        err.contains("unsupported protocol"),
        "the caller still sees OpenSSL's reason: {err}"
    );
}
