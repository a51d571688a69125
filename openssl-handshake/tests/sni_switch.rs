//! Virtual hosting: a servername callback that moves the connection to
//! another context (`SslRef::set_ssl_context`) must not break its trace,
//! whichever of the two contexts is traced.

mod common;

use std::sync::{Arc, Mutex};

use openssl::ssl::{HandshakeError, SniError, SslContext, SslContextBuilder, SslMethod};
use openssl_handshake::{Direction, HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::KeyType;

use common::{client_ctx, connect_with, pki};

type Seen = Arc<Mutex<Vec<HandshakeTrace>>>;

fn hooked(seen: &Seen) -> TraceOptions {
    let seen = seen.clone();
    TraceOptions::default().on_complete(move |t| seen.lock().unwrap().push(t.clone()))
}

/// A context serving `key`'s credential, traced with `options` if given.
fn context(key: KeyType, options: Option<TraceOptions>) -> SslContextBuilder {
    let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
    pki().server(key).install(&mut b).unwrap();
    if let Some(options) = options {
        b.trace_handshakes(options).unwrap();
    }
    b
}

/// `front` switches every connection to `vhost` when the client asks for
/// the name "vhost.example".
fn switching(mut front: SslContextBuilder, vhost: SslContext) -> SslContext {
    front.set_servername_callback(move |ssl, _| {
        if ssl.servername(openssl::ssl::NameType::HOST_NAME) == Some("vhost.example") {
            ssl.set_ssl_context(&vhost)
                .map_err(|_| SniError::ALERT_FATAL)?;
        }
        Ok(())
    });
    front.build()
}

fn names(t: &HandshakeTrace) -> Vec<String> {
    t.messages().map(|m| m.name()).collect()
}

/// The handshake messages `t` recorded in direction `d`.
fn handshake_messages(t: &HandshakeTrace, d: Direction) -> Vec<String> {
    t.messages()
        .filter(|m| m.direction == d && m.handshake_type.is_some())
        .map(|m| m.name())
        .collect()
}

#[test]
fn traced_front_switching_to_an_untraced_vhost_keeps_its_trace() {
    let seen = Seen::default();
    let vhost = context(KeyType::EcdsaP256, None).build();
    let front = switching(context(KeyType::Rsa2048, Some(hooked(&seen))), vhost);
    let client = client_ctx(|_| {});
    let pair = connect_with(&front, &client, None, "vhost.example");

    assert!(pair.client.succeeded(), "{:?}", pair.client.outcome);
    assert!(pair.server.succeeded(), "{:?}", pair.server.outcome);
    assert!(!pair.server.joined_late);
    // The vhost's ECDSA certificate was served: the switch happened.
    let n = pair.client.negotiated.as_ref().expect("negotiated");
    assert_eq!(n.peer_chain[0].curve.as_deref(), Some("prime256v1"));
    // The hook heard once, of success, and the server's trace runs from
    // the ClientHello to the Finished it read.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "hook calls");
    assert!(seen[0].succeeded(), "hook saw {:?}", seen[0].outcome);
    let messages = names(&pair.server);
    assert_eq!(messages.first().map(String::as_str), Some("ClientHello"));
    assert!(messages.iter().any(|m| m == "Finished"), "{messages:?}");
    // Every message the client saw from the server, the server recorded.
    let client_read = handshake_messages(&pair.client, Direction::Read);
    let server_wrote = handshake_messages(&pair.server, Direction::Write);
    assert_eq!(client_read, server_wrote);
}

#[test]
fn untraced_front_switching_to_a_traced_vhost_is_traced_from_the_switch() {
    let seen = Seen::default();
    let vhost = context(KeyType::EcdsaP256, Some(hooked(&seen))).build();
    let front = switching(context(KeyType::Rsa2048, None), vhost);
    let client = client_ctx(|_| {});
    let pair = connect_with(&front, &client, None, "vhost.example");

    assert!(pair.client.succeeded(), "{:?}", pair.client.outcome);
    assert!(pair.server.succeeded(), "{:?}", pair.server.outcome);
    assert!(
        pair.server.joined_late,
        "the ClientHello came before tracing"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "hook calls");
    assert!(seen[0].succeeded(), "hook saw {:?}", seen[0].outcome);
    // Everything the server wrote after reading the ClientHello is there.
    let server_wrote = handshake_messages(&pair.server, Direction::Write);
    let client_read = handshake_messages(&pair.client, Direction::Read);
    assert_eq!(server_wrote, client_read);
    assert!(!names(&pair.server).contains(&"ClientHello".to_owned()));
    assert!(pair.server.negotiated.is_some());
}

/// OpenSSL picks the info callback once per SSL_accept call, from the
/// front context: the failed exit of the call that switched to a traced
/// vhost goes to the front's (none here), so the fatal alert is all the
/// trace hears of the failure. With blocking sockets that call is the
/// whole handshake. The trace, read at once, and the hook, run before the
/// SSL is freed, must both say it failed, with the reason OpenSSL gave
/// the application.
#[test]
fn a_failure_in_the_call_that_switched_to_a_traced_vhost_is_recorded() {
    // The client refuses the vhost's certificate (it trusts no root): the
    // server hears unknown_ca. Or the vhost refuses the client's ALPN: it
    // sends no_application_protocol.
    let distrusting = {
        let mut b = SslContext::builder(SslMethod::tls_client()).unwrap();
        b.set_verify(openssl::ssl::SslVerifyMode::PEER);
        b.build()
    };
    let wants_h2 = client_ctx(|b| b.set_alpn_protos(b"\x02h2").unwrap());
    for (heard, client, refuse_alpn) in [(true, distrusting, false), (false, wants_h2, true)] {
        let seen = Seen::default();
        let mut vhost = context(KeyType::EcdsaP256, Some(hooked(&seen)));
        if refuse_alpn {
            vhost.set_alpn_select_callback(|_, _| Err(openssl::ssl::AlpnError::ALERT_FATAL));
        }
        let front = switching(context(KeyType::Rsa2048, None), vhost.build());
        let (listener, addr) = common::listener();
        let server = std::thread::spawn(move || {
            let Err(HandshakeError::Failure(mid)) = common::accept_tls(&listener, &front) else {
                panic!("the server handshake must fail");
            };
            // What OpenSSL told the application, the reference.
            let told = mid
                .error()
                .ssl_error()
                .and_then(|s| s.errors().last().cloned());
            let told = told.and_then(|e| e.reason().map(str::to_owned));
            let trace = openssl_handshake::trace(mid.ssl()).expect("traced from the switch");
            let hooked_before_free = seen.lock().unwrap().clone();
            drop(mid);
            (told, trace, hooked_before_free, seen)
        });
        let _ = common::client_ssl(&client, "vhost.example").connect(common::connect_tcp(addr));
        let (told, trace, hooked, seen) = server.join().expect("server thread");
        let what = if heard { "heard" } else { "sent" };
        assert!(trace.joined_late, "{what}");
        let failure = trace
            .failure()
            .unwrap_or_else(|| panic!("{what}: {:?}", trace.outcome));
        assert_eq!(Some(&failure.reason), told.as_ref(), "{what}");
        assert_eq!(
            hooked.len(),
            1,
            "{what}: the hook ran before the SSL was freed"
        );
        assert_eq!(
            hooked[0].failure().map(|f| &f.reason),
            told.as_ref(),
            "{what}"
        );
        assert_eq!(seen.lock().unwrap().len(), 1, "{what}: and only then");
        let alert = trace.alerts().last().expect("the fatal alert");
        assert_eq!(alert.direction == Direction::Read, heard, "{what}: {alert}");
    }
}
