//! A stapled OCSP response (RFC 6066 section 8) in the client's trace: at
//! TLS 1.2 as its own CertificateStatus message, at TLS 1.3 in the
//! status_request extension of the leaf's certificate entry (RFC 8446
//! section 4.4.2.1). The server staples a tryLater response, whose DER
//! the test builds, so its length and status name (RFC 6960) are known
//! beforehand.

mod common;

use std::thread;

use common::*;
use openssl::ocsp::{OcspResponse, OcspResponseStatus};
use openssl::ssl::{SslContextBuilder, SslVersion, StatusType};
use openssl_handshake::decode::{Body, CertificateStatus};
use openssl_handshake::{Cause, Fault, HandshakeTrace};
use testkit::pki::KeyType;

fn stapled_at(version: SslVersion, der: Vec<u8>) -> HandshakeTrace {
    let pin = move |b: &mut SslContextBuilder| {
        b.set_min_proto_version(Some(version)).expect("version");
        b.set_max_proto_version(Some(version)).expect("version");
    };
    let server_ctx = server_ctx(KeyType::EcdsaP256, |b| {
        pin(b);
        b.set_status_callback(move |ssl| {
            ssl.set_ocsp_status(&der)?;
            Ok(true)
        })
        .expect("status callback");
    });
    let (listener, addr) = listener();
    let server = thread::spawn(move || {
        let mut tls = accept_tls(&listener, &server_ctx).expect("server handshake");
        let _ = tls.shutdown();
    });
    let mut ssl = client_ssl(&client_ctx(pin), "localhost");
    ssl.set_status_type(StatusType::OCSP)
        .expect("status_request");
    let mut tls = ssl.connect(connect_tcp(addr)).expect("client handshake");
    let _ = tls.shutdown();
    server.join().expect("server thread");
    trace_of(&tls)
}

fn staples(trace: &HandshakeTrace) -> Vec<CertificateStatus> {
    trace
        .messages()
        .filter_map(|m| match &m.body {
            Some(Body::CertificateStatus(s)) => Some(s.clone()),
            Some(Body::Certificate(c)) => c.leaf_status.clone(),
            _ => None,
        })
        .collect()
}

#[test]
fn a_stapled_response_is_decoded_at_tls12_and_tls13() {
    let der = OcspResponse::create(OcspResponseStatus::TRY_LATER, None)
        .and_then(|r| r.to_der())
        .expect("an OCSP response");
    for version in [SslVersion::TLS1_2, SslVersion::TLS1_3] {
        let trace = stapled_at(version, der.clone());
        let log = trace.message_log();
        let found = staples(&trace);
        assert_eq!(found.len(), 1, "{version:?}: {log}");
        assert_eq!(found[0].status_type, 1, "{log}");
        assert_eq!(found[0].response_len, der.len(), "{log}");
        assert_eq!(
            found[0].ocsp_response_status.as_deref(),
            Some("tryLater"),
            "{log}"
        );
        let line = format!(
            "status_type=ocsp (1) response (len={}): tryLater",
            der.len()
        );
        assert!(log.contains(&line), "{version:?}: {log}");
        if version == SslVersion::TLS1_2 {
            assert!(log.contains("], CertificateStatus"), "{log}");
        }
        let json: serde_json::Value = serde_json::from_str(&trace.to_json()).expect("JSON");
        let errors: Vec<String> = schema().iter_errors(&json).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{version:?}: {errors:?}");
    }
}

/// The trace's JSON Schema, which the stapled status must match too.
fn schema() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/trace.schema.json");
    let text = std::fs::read_to_string(path).expect("the schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).expect("a draft 2020-12 schema")
}

/// Both traces of a handshake whose client refuses whatever is stapled:
/// `der` from the server, or nothing when `None`.
fn refused_at(version: SslVersion, der: Option<Vec<u8>>) -> (HandshakeTrace, HandshakeTrace) {
    let pin = move |b: &mut SslContextBuilder| {
        b.set_min_proto_version(Some(version)).expect("version");
        b.set_max_proto_version(Some(version)).expect("version");
    };
    let server_ctx = server_ctx(KeyType::EcdsaP256, |b| {
        pin(b);
        if let Some(der) = der {
            b.set_status_callback(move |ssl| {
                ssl.set_ocsp_status(&der)?;
                Ok(true)
            })
            .expect("status callback");
        }
    });
    let (listener, addr) = listener();
    let server = thread::spawn(move || match accept_tls(&listener, &server_ctx) {
        Ok(t) => trace_of(&t),
        Err(e) => failed_trace(e),
    });
    // As a client that requires a good staple refuses one it cannot use.
    let client = client_ctx(|b| {
        pin(b);
        b.set_status_callback(|_| Ok(false))
            .expect("status callback");
    });
    let mut ssl = client_ssl(&client, "localhost");
    ssl.set_status_type(StatusType::OCSP)
        .expect("status_request");
    let client = match ssl.connect(connect_tcp(addr)) {
        Ok(t) => trace_of(&t),
        Err(e) => failed_trace(e),
    };
    (client, server.join().expect("server thread"))
}

/// A client's refusal (bad_certificate_status_response, 113) is diagnosed
/// on both sides, naming what was stapled: a response that is not
/// successful, bytes that are no OCSP response, or nothing at all.
#[test]
fn a_refused_staple_is_diagnosed_on_both_sides() {
    let try_later = OcspResponse::create(OcspResponseStatus::TRY_LATER, None)
        .and_then(|r| r.to_der())
        .expect("an OCSP response");
    let cases: [(Option<Vec<u8>>, &str, Fault); 3] = [
        (Some(try_later), "status is tryLater", Fault::Server),
        (
            Some(vec![0xde, 0xad]),
            "2 bytes that are no OCSP response",
            Fault::Server,
        ),
        // Stapling is optional for a server whose leaf does not demand
        // it (RFC 6066 section 8, RFC 7633): either side may change.
        (None, "stapled none", Fault::Unknown),
    ];
    for version in [SslVersion::TLS1_2, SslVersion::TLS1_3] {
        for (der, says, fault) in &cases {
            let (client, server) = refused_at(version, der.clone());
            for (side, trace) in [("client", &client), ("server", &server)] {
                let d = trace
                    .diagnosis()
                    .unwrap_or_else(|| panic!("{version:?} {side}: no diagnosis"));
                let what = format!("{version:?} {side}: {d:?}");
                assert_eq!(d.cause, Cause::CertificateStatusRefused, "{what}");
                assert_eq!(d.fault, *fault, "{what}");
                assert!(d.summary.contains(says), "{what}");
            }
        }
    }
}
