//! Real handshakes over loopback TCP, client and server on paired threads,
//! both traced. The expected state sequences are the ones `openssl s_client
//! -state` prints (see DESIGN.md's reference output); `reference_tool.rs`
//! compares with the real binary line for line.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use common::*;
use openssl::ssl::{SslOptions, SslVerifyMode, SslVersion};
use openssl_handshake::decode::Body;
use openssl_handshake::{
    AlertLevel, Direction, EventKind, HandshakeTrace, Outcome, ProtocolVersion, Resumption,
    SslContextBuilderExt, TraceOptions,
};
use testkit::pki::{KeyType, Negative};

fn tls12(b: &mut openssl::ssl::SslContextBuilder, cipher: &str) {
    b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    b.set_cipher_list(cipher).unwrap();
}

#[test]
fn tls12_rsa_key_exchange_shows_the_classic_sequence() {
    let server = server_ctx(KeyType::Rsa2048, |b| tls12(b, "AES128-GCM-SHA256"));
    let client = client_ctx(|b| tls12(b, "AES128-GCM-SHA256"));
    let pair = connect(&server, &client, None);
    assert!(pair.client.succeeded(), "{}", pair.client.state_log());
    assert!(pair.server.succeeded(), "{}", pair.server.state_log());

    let log = pair.client.state_log();
    assert!(
        log.starts_with("SSL_connect:before SSL initialization\n"),
        "{log}"
    );
    assert_in_order(
        &states(&pair.client),
        &[
            "SSLv3/TLS write client hello",
            "SSLv3/TLS read server hello",
            "SSLv3/TLS read server certificate",
            "SSLv3/TLS read server done",
            "SSLv3/TLS write client key exchange",
            "SSLv3/TLS write change cipher spec",
            "SSLv3/TLS write finished",
            "SSLv3/TLS read change cipher spec",
            "SSLv3/TLS read finished",
        ],
    );
    assert!(!states(&pair.client)
        .iter()
        .any(|s| s.contains("key exchange") && s.contains("read server")));
    assert_in_order(
        &states(&pair.server),
        &[
            "SSLv3/TLS read client hello",
            "SSLv3/TLS write server hello",
            "SSLv3/TLS write certificate",
            "SSLv3/TLS write server done",
            "SSLv3/TLS read client key exchange",
            "SSLv3/TLS read change cipher spec",
            "SSLv3/TLS read finished",
            "SSLv3/TLS write change cipher spec",
            "SSLv3/TLS write finished",
        ],
    );
    assert!(pair
        .server
        .state_log()
        .lines()
        .all(|l| l.starts_with("SSL_accept:") || l.starts_with("SSL3 alert")));

    let n = pair.client.negotiated.as_ref().expect("negotiated");
    assert_eq!(n.version, ProtocolVersion::Tls1_2);
    assert_eq!(n.cipher_openssl, "AES128-GCM-SHA256");
    assert_eq!(
        n.cipher_iana.as_deref(),
        Some("TLS_RSA_WITH_AES_128_GCM_SHA256")
    );
    assert_eq!(n.group, None, "RSA key exchange uses no group");
    assert_eq!(n.resumed, None);
    assert!(n.verify.as_ref().is_some_and(|v| v.is_ok()));
    // The server asked for no certificate: no verify result, where
    // OpenSSL's X509_V_OK "does not indicate success".
    let served = pair.server.negotiated.as_ref().expect("negotiated");
    assert!(served.peer_chain.is_empty() && served.verify.is_none());
    let leaf = &n.peer_chain[0];
    assert_eq!(leaf.version, 3);
    assert!(leaf.subject.contains("CN = localhost"), "{}", leaf.subject);
    assert_eq!(leaf.public_key_algorithm, "rsaEncryption");
    assert_eq!(leaf.public_key_bits, 2048);
    assert!(leaf.subject_alt_names.contains(&"DNS:localhost".to_owned()));
    assert!(leaf
        .extensions
        .iter()
        .any(|e| e.name == "X509v3 Subject Alternative Name"));
    assert_eq!(n.peer_chain.len(), 2, "leaf and intermediate");
    assert!(pair.client.bytes_sent > 0 && pair.client.bytes_received > pair.client.bytes_sent);
    assert!(pair.client.duration.is_some());
}

#[test]
fn tls12_ecdhe_adds_server_key_exchange() {
    let server = server_ctx(KeyType::Rsa2048, |b| {
        tls12(b, "ECDHE-RSA-AES128-GCM-SHA256")
    });
    let client = client_ctx(|b| {
        tls12(b, "ECDHE-RSA-AES128-GCM-SHA256");
        b.set_groups_list("X25519").unwrap();
    });
    let pair = connect(&server, &client, None);
    assert!(pair.client.succeeded(), "{}", pair.client.state_log());
    assert_in_order(
        &states(&pair.client),
        &[
            "SSLv3/TLS read server certificate",
            "SSLv3/TLS read server key exchange",
            "SSLv3/TLS read server done",
            "SSLv3/TLS write client key exchange",
        ],
    );
    assert_in_order(
        &states(&pair.server),
        &[
            "SSLv3/TLS write certificate",
            "SSLv3/TLS write key exchange",
        ],
    );
    let n = pair.client.negotiated.as_ref().unwrap();
    assert_eq!(n.group.as_deref(), Some("x25519"));
    assert!(
        n.peer_signature
            .as_deref()
            .is_some_and(|s| s.starts_with("rsa_")),
        "{n:?}"
    );
    assert_eq!(
        pair.server.negotiated.as_ref().unwrap().group.as_deref(),
        Some("x25519")
    );
}

#[test]
fn tls13_shows_encrypted_extensions_and_certificate_verify() {
    let server = server_ctx(KeyType::EcdsaP256, |b| {
        b.set_alpn_select_callback(|_, client| {
            openssl::ssl::select_next_proto(b"\x02h2", client).ok_or(openssl::ssl::AlpnError::NOACK)
        });
    });
    let client = client_ctx(|b| {
        b.set_alpn_protos(b"\x02h2\x08http/1.1").unwrap();
    });
    let pair = connect(&server, &client, None);
    assert!(pair.client.succeeded(), "{}", pair.client.state_log());
    assert_in_order(
        &states(&pair.client),
        &[
            "SSLv3/TLS write client hello",
            "SSLv3/TLS read server hello",
            "TLSv1.3 read encrypted extensions",
            "SSLv3/TLS read server certificate",
            "TLSv1.3 read server certificate verify",
            "SSLv3/TLS read finished",
            "SSLv3/TLS write finished",
            "SSLv3/TLS read server session ticket",
        ],
    );
    assert_in_order(
        &states(&pair.server),
        &[
            "TLSv1.3 write encrypted extensions",
            "TLSv1.3 write server certificate verify",
            "SSLv3/TLS write session ticket",
        ],
    );
    let n = pair.client.negotiated.as_ref().unwrap();
    assert_eq!(n.version, ProtocolVersion::Tls1_3);
    assert_eq!(n.alpn.as_deref(), Some("h2"));
    assert_eq!(n.peer_signature.as_deref(), Some("ecdsa_secp256r1_sha256"));
    assert_eq!(
        n.cipher_iana.as_deref(),
        Some(n.cipher_openssl.as_str()),
        "TLS 1.3 names agree"
    );
    assert_eq!(
        pair.server.negotiated.as_ref().unwrap().sni.as_deref(),
        Some("localhost")
    );

    // The messages, decoded.
    let hello = pair
        .server
        .messages()
        .find_map(|m| match &m.body {
            Some(Body::ClientHello(h)) => Some(h.clone()),
            _ => None,
        })
        .expect("server saw a ClientHello");
    assert_eq!(hello.sni.as_deref(), Some("localhost"));
    assert_eq!(hello.alpn, vec!["h2".to_owned(), "http/1.1".to_owned()]);
    assert!(hello.supported_versions.contains(&0x0304));
    assert!(!hello.key_share_groups.is_empty());
    assert!(!hello.signature_algorithms.is_empty());
    let received: Vec<String> = pair
        .client
        .messages()
        .filter(|m| m.direction == Direction::Read)
        .map(|m| m.name())
        .collect();
    for want in [
        "ServerHello",
        "EncryptedExtensions",
        "Certificate",
        "CertificateVerify",
        "Finished",
        "NewSessionTicket",
    ] {
        assert!(
            received.iter().any(|r| r == want),
            "{want} not in {received:?}"
        );
    }
    assert!(pair
        .client
        .messages()
        .any(|m| matches!(&m.body, Some(Body::NewSessionTicket(_)))));
    assert!(pair.client.messages().any(|m| matches!(&m.body, Some(Body::Certificate(c)) if c.subjects.iter().any(|s| s.contains("localhost")))));
    assert!(
        pair.client.messages().all(|m| m.raw.is_none()),
        "raw bytes are off by default"
    );
    let ms = pair.client.message_log();
    assert!(
        ms.contains(">>> TLS 1.3, Handshake") || ms.contains(">>> TLS 1.2, Handshake"),
        "{ms}"
    );
}

#[test]
fn client_authentication_is_traced_on_both_sides() {
    let server = server_ctx(KeyType::Rsa2048, |b| {
        b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        b.set_cert_store(pki().trust_store().unwrap());
    });
    for (version, tls12_only) in [
        (ProtocolVersion::Tls1_2, true),
        (ProtocolVersion::Tls1_3, false),
    ] {
        let client = client_ctx(|b| {
            pki().client(KeyType::EcdsaP256).install(b).unwrap();
            if tls12_only {
                b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
            }
        });
        let pair = connect(&server, &client, None);
        assert!(
            pair.server.succeeded(),
            "{version}: {}",
            pair.server.state_log()
        );
        assert_in_order(
            &states(&pair.client),
            &[
                "SSLv3/TLS read server certificate request",
                "SSLv3/TLS write client certificate",
                "SSLv3/TLS write certificate verify",
            ],
        );
        assert_in_order(
            &states(&pair.server),
            &[
                "SSLv3/TLS write certificate request",
                "SSLv3/TLS read client certificate",
                "SSLv3/TLS read certificate verify",
            ],
        );
        assert!(pair
            .client
            .messages()
            .any(|m| matches!(m.body, Some(Body::CertificateRequest(_)))));
        let n = pair.server.negotiated.as_ref().unwrap();
        assert_eq!(n.version, version);
        assert!(
            n.peer_chain[0].subject.contains("CN = client"),
            "{:?}",
            n.peer_chain
        );
        assert_eq!(n.peer_chain[0].public_key_algorithm, "id-ecPublicKey");
        assert_eq!(n.peer_chain[0].curve.as_deref(), Some("prime256v1"));
        assert_eq!(n.peer_signature.as_deref(), Some("ecdsa_secp256r1_sha256"));
    }
}

fn resume(
    server_opts: impl Fn(&mut openssl::ssl::SslContextBuilder),
    tls12_only: bool,
    kind: Resumption,
) {
    let server = server_ctx(KeyType::EcdsaP256, |b| {
        b.set_session_id_context(b"resumption-test").unwrap();
        server_opts(b);
    });
    let client = client_ctx(|b| {
        b.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::CLIENT);
        if tls12_only {
            b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        }
    });
    let first = connect(&server, &client, None);
    assert!(first.client.succeeded(), "{}", first.client.state_log());
    assert_eq!(first.client.negotiated.as_ref().unwrap().resumed, None);
    let session = first.session.expect("client kept a session");
    let second = connect(&server, &client, Some(&session));
    for t in [&second.client, &second.server] {
        let n = t.negotiated.as_ref().expect("negotiated");
        assert_eq!(
            n.resumed,
            Some(kind),
            "{} of {kind:?}:\n{}",
            t.side,
            t.state_log()
        );
        // No ServerKeyExchange or CertificateVerify: nothing was signed,
        // and before TLS 1.3 no key exchanged (s_client prints no "Server
        // Temp Key" for a reused TLS 1.2 session).
        assert_eq!(n.peer_signature, None, "{}", t.side);
        assert_eq!(n.group.is_some(), kind == Resumption::Psk, "{}", t.side);
        // The ClientHello asked for the name again, whatever the session
        // kept (a TLS 1.2 server's keeps none without a servername callback).
        assert_eq!(n.sni.as_deref(), Some("localhost"), "{}", t.side);
    }
    assert!(
        !states(&second.client)
            .iter()
            .any(|s| s == "SSLv3/TLS read server certificate"),
        "an abbreviated handshake has no certificate:\n{}",
        second.client.state_log()
    );
    assert!(states(&first.client)
        .iter()
        .any(|s| s == "SSLv3/TLS read server certificate"));
}

#[test]
fn tls12_resumption_by_session_id() {
    resume(
        |b| {
            b.set_options(SslOptions::NO_TICKET);
        },
        true,
        Resumption::SessionId,
    );
}

#[test]
fn tls12_resumption_by_ticket() {
    resume(|_| {}, true, Resumption::Ticket);
}

#[test]
fn tls13_resumption_by_psk() {
    resume(|_| {}, false, Resumption::Psk);
}

fn assert_alert_exchanged(pair: &Pair, sender: &HandshakeTrace, receiver: &HandshakeTrace) -> u8 {
    let _ = pair;
    let sent = sender
        .failure()
        .and_then(|f| f.alert_sent.clone())
        .unwrap_or_else(|| {
            panic!(
                "{} failed without sending an alert:\n{}",
                sender.side,
                sender.state_log()
            )
        });
    assert_eq!(sent.level, AlertLevel::Fatal);
    let received = receiver
        .failure()
        .and_then(|f| f.alert_received.clone())
        .expect("peer saw the alert");
    assert_eq!(received.description, sent.description);
    assert!(sender
        .state_log()
        .contains(&format!("SSL3 alert write:fatal:{}\n", sent.text)));
    assert!(receiver
        .state_log()
        .contains(&format!("SSL3 alert read:fatal:{}\n", sent.text)));
    assert!(receiver
        .state_log()
        .lines()
        .any(|l| l.contains(":error in ") || l.contains(":failed in ")));
    sent.description
}

#[test]
fn no_shared_cipher_fails_with_handshake_failure() {
    let server = server_ctx(KeyType::Rsa2048, |b| {
        tls12(b, "ECDHE-RSA-AES256-GCM-SHA384")
    });
    let client = client_ctx(|b| tls12(b, "ECDHE-RSA-AES128-GCM-SHA256"));
    let pair = connect(&server, &client, None);
    let desc = assert_alert_exchanged(&pair, &pair.server, &pair.client);
    assert_eq!(desc, 40, "handshake_failure (RFC 5246 7.2.2)");
    let f = pair.server.failure().unwrap();
    assert_eq!(f.reason, "no shared cipher");
    assert_eq!(f.last_message.as_deref(), Some("read ClientHello"));
    assert_eq!(
        Some(f.state_text.as_str()),
        states(&pair.server).last().map(String::as_str)
    );
    assert_eq!(f.state, pair.server.states().last().map(|s| s.state));
}

#[test]
fn version_mismatch_fails_with_protocol_version() {
    let server = server_ctx(KeyType::Rsa2048, |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
    });
    let client = client_ctx(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    });
    let pair = connect(&server, &client, None);
    let desc = assert_alert_exchanged(&pair, &pair.server, &pair.client);
    assert_eq!(desc, 70, "protocol_version (RFC 8446 6.2)");
    assert!(
        pair.server.failure().unwrap().reason.contains("protocol"),
        "{:?}",
        pair.server.failure()
    );
}

#[test]
fn bad_server_certificates_fail_with_their_verify_error() {
    for negative in [
        Negative::Expired,
        Negative::WrongHost,
        Negative::UntrustedRoot,
    ] {
        let mut b =
            openssl::ssl::SslContext::builder(openssl::ssl::SslMethod::tls_server()).unwrap();
        pki().negative(negative).install(&mut b).unwrap();
        b.trace_handshakes(TraceOptions::default()).unwrap();
        let server = b.build();
        let client = client_ctx(|_| {});
        let pair = connect(&server, &client, None);
        let f = pair
            .client
            .failure()
            .unwrap_or_else(|| panic!("{negative}: client did not fail"));
        let verify = f.verify.as_ref().expect("verify error recorded");
        assert_eq!(
            verify.code,
            negative.expected_verify_error(),
            "{negative}: {verify:?}"
        );
        assert!(!verify.text.is_empty());
        assert_eq!(
            f.last_message.as_deref(),
            Some("read Certificate"),
            "{negative}"
        );
        assert_eq!(
            Some(f.state_text.as_str()),
            states(&pair.client).last().map(String::as_str)
        );
        assert_eq!(f.state, pair.client.states().last().map(|s| s.state));
        assert_alert_exchanged(&pair, &pair.client, &pair.server);
    }
}

#[test]
fn sixty_four_concurrent_handshakes_keep_separate_traces() {
    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let client = client_ctx(|_| {});
    let reference = connect(&server, &client, None);
    let threads: Vec<_> = (0..64)
        .map(|i| {
            let (server, client) = (server.clone(), client.clone());
            thread::spawn(move || {
                (
                    i,
                    connect_with(&server, &client, None, &format!("c{i}.localhost")),
                )
            })
        })
        .collect();
    for t in threads {
        let (i, pair) = t.join().expect("handshake thread");
        let sni = format!("c{i}.localhost");
        for trace in [&pair.client, &pair.server] {
            assert!(trace.succeeded(), "{i}: {}", trace.state_log());
            assert_eq!(trace.handshakes, 1);
            let hellos: Vec<_> = trace
                .messages()
                .filter_map(|m| match &m.body {
                    Some(Body::ClientHello(h)) => Some(h.sni.clone()),
                    _ => None,
                })
                .collect();
            assert_eq!(
                hellos,
                vec![Some(sni.clone())],
                "connection {i} saw only its own ClientHello"
            );
            let starts = trace
                .events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::HandshakeStart))
                .count();
            assert_eq!(starts, 1);
        }
        assert_eq!(
            states(&pair.client),
            states(&reference.client),
            "connection {i}"
        );
        assert_eq!(
            pair.server.negotiated.as_ref().unwrap().sni.as_deref(),
            Some(sni.as_str())
        );
    }
}

#[test]
fn a_panicking_completion_hook_is_caught_and_reported() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let server = server_ctx(KeyType::EcdsaP256, move |b| {
        let options = TraceOptions::default().on_complete(move |t| {
            seen.fetch_add(1, Ordering::SeqCst);
            assert!(t.succeeded());
            panic!("hook exploded");
        });
        b.trace_handshakes(options).unwrap();
    });
    let client = client_ctx(|_| {});
    let pair = connect(&server, &client, None);
    assert!(pair.client.succeeded());
    assert!(pair.server.succeeded(), "the handshake ends cleanly");
    assert_eq!(pair.server.hook_panic.as_deref(), Some("hook exploded"));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the hook runs once per handshake"
    );
}

#[test]
fn the_hook_sees_failures_too() {
    let failures = Arc::new(AtomicUsize::new(0));
    let seen = failures.clone();
    let server = server_ctx(KeyType::Rsa2048, move |b| {
        tls12(b, "AES256-SHA256");
        let options = TraceOptions::default().on_complete(move |t| {
            if matches!(t.outcome, Outcome::Failed(_)) {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        });
        b.trace_handshakes(options).unwrap();
    });
    let client = client_ctx(|b| tls12(b, "AES128-SHA256"));
    let pair = connect(&server, &client, None);
    assert!(pair.server.failure().is_some());
    assert_eq!(failures.load(Ordering::SeqCst), 1);
}

#[test]
fn json_round_trips_and_carries_the_schema_version() {
    let server = server_ctx(KeyType::Ed25519, |b| {
        b.trace_handshakes(TraceOptions::default().raw_bytes(true))
            .unwrap();
    });
    let client = client_ctx(|_| {});
    let pair = connect(&server, &client, None);
    let json = pair.server.to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["schema_version"],
        openssl_handshake::HandshakeTrace::SCHEMA_VERSION
    );
    let back: HandshakeTrace = serde_json::from_str(&json).unwrap();
    assert_eq!(back, pair.server);
    assert!(
        pair.server.messages().all(|m| m.raw.is_some()),
        "raw bytes were asked for"
    );
    assert_eq!(
        pair.client
            .negotiated
            .as_ref()
            .unwrap()
            .peer_signature
            .as_deref(),
        Some("ed25519")
    );
}
