//! A trace lives in its SSL's ex_data and dies with it; it never holds key
//! material.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use openssl_handshake::pki::KeyType;
use openssl_handshake::{SslContextBuilderExt, TraceOptions};

#[test]
fn each_recorder_is_freed_with_its_ssl() {
    // The hook's captured Arc is cloned into every connection's recorder,
    // so its count tells how many recorders are alive.
    let marker = Arc::new(());
    let held = marker.clone();
    let server = server_ctx(KeyType::EcdsaP256, move |b| {
        let options = TraceOptions::default().on_complete(move |_| {
            let _ = &held;
        });
        b.trace_handshakes(options).unwrap();
    });
    let client = client_ctx(|_| {});
    let baseline = Arc::strong_count(&marker);
    for _ in 0..20 {
        let pair = connect(&server, &client, None);
        assert!(pair.server.succeeded());
    }
    assert_eq!(
        Arc::strong_count(&marker),
        baseline,
        "every connection's recorder was dropped with its SSL"
    );
    drop(server);
    assert_eq!(
        Arc::strong_count(&marker),
        1,
        "and the context's options with the context"
    );
}

#[test]
fn traces_never_contain_keylog_secrets() {
    let secrets = Arc::new(Mutex::new(Vec::<String>::new()));
    for tls12 in [false, true] {
        let sink = secrets.clone();
        let server = server_ctx(KeyType::Rsa2048, |b| {
            b.trace_handshakes(TraceOptions::default().raw_bytes(true))
                .unwrap();
        });
        let client = client_ctx(move |b| {
            b.trace_handshakes(TraceOptions::default().raw_bytes(true))
                .unwrap();
            if tls12 {
                b.set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
                    .unwrap();
            }
            b.set_keylog_callback(move |_, line| {
                // "LABEL <client_random> <secret>": keep the secret.
                if let Some(secret) = line.split(' ').nth(2) {
                    sink.lock().unwrap().push(secret.to_lowercase());
                }
            });
        });
        let pair = connect(&server, &client, None);
        assert!(pair.client.succeeded());
        let json = format!("{}{}", pair.client.to_json(), pair.server.to_json()).to_lowercase();
        let secrets = secrets.lock().unwrap();
        assert!(!secrets.is_empty(), "the keylog callback saw secrets");
        for s in secrets.iter() {
            assert!(s.len() >= 32);
            assert!(
                !json.contains(s.as_str()),
                "a keylog secret appears in a trace"
            );
        }
        assert!(
            json.contains("\"raw\""),
            "raw bytes were included, and still no secret"
        );
    }
}
