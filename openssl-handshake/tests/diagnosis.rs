//! Each cause of a failed handshake, built on purpose with OpenSSL in
//! process on both sides (or a raw socket where the peer must misbehave),
//! and checked from every side that can see it. The expected cause is the
//! configuration the test broke.

mod common;

use std::io::{Read, Write};

use common::diagnosis::*;
use common::{client_ctx, pki, raw_server, server_ctx_with};
use openssl::ssl::{Ssl, SslContext, SslMethod, SslMode, SslOptions, SslVersion};
use openssl_handshake::{Cause, Fault};
use testkit::first_flight::first_flight;
use testkit::pki::KeyType;

#[test]
fn no_shared_version() {
    let server = server_ctx_with(rsa(), |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_2))
            .expect("min");
    });
    let client = tls10_11_client();
    let p = pair(&server, &client, "localhost");
    assert_cause(
        &p.server,
        Cause::NoSharedVersion,
        "client TLS 1.0-1.1, server 1.2+",
    );
    assert_cause(
        &p.client,
        Cause::NoSharedVersion,
        "client TLS 1.0-1.1, server 1.2+",
    );
    assert_eq!(
        evidence(&p.server, "local.min_version").as_deref(),
        Some("TLS 1.2")
    );
    let d = p.server.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(d.summary.contains("TLS 1.1"), "{d}");
}

#[test]
fn no_shared_cipher_tls12() {
    let server = server_ctx_with(rsa(), |b| {
        tls12(b);
        b.set_cipher_list("ECDHE-RSA-AES128-GCM-SHA256")
            .expect("ciphers");
    });
    let client = client_ctx(|b| {
        tls12(b);
        b.set_cipher_list("ECDHE-RSA-AES256-GCM-SHA384")
            .expect("ciphers");
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(&p.server, Cause::NoSharedCipher, "disjoint TLS 1.2 suites");
    // The client sees only a handshake_failure alert to its ClientHello.
    assert_cause(&p.client, Cause::HelloRefused, "disjoint TLS 1.2 suites");
    let offered = evidence(&p.server, "ClientHello.cipher_suites").expect("offer");
    assert!(
        offered.contains("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        "{offered}"
    );
    let local = evidence(&p.server, "local.ciphers").expect("local");
    assert!(
        local.contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "{local}"
    );
    // The summary names what this TLS 1.2-only server could choose: its
    // one TLS 1.2 suite, not the TLS 1.3 suites its list also holds.
    let summary = p.server.diagnosis().expect("diagnosis").summary;
    assert!(
        summary.ends_with("this server accepts TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "{summary}"
    );
}

#[test]
fn no_shared_cipher_tls13() {
    let server = server_ctx_with(rsa(), |b| {
        tls13(b);
        b.set_ciphersuites("TLS_AES_128_GCM_SHA256")
            .expect("suites");
    });
    let client = client_ctx(|b| {
        tls13(b);
        b.set_ciphersuites("TLS_AES_256_GCM_SHA384")
            .expect("suites");
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(&p.server, Cause::NoSharedCipher, "disjoint TLS 1.3 suites");
    assert_cause(&p.client, Cause::HelloRefused, "disjoint TLS 1.3 suites");
}

#[test]
fn suites_removed_by_the_security_level() {
    // Both list a suite with a SHA-1 MAC, which security level 4 forbids.
    let server = server_ctx_with(pki().server(KeyType::EcdsaP384), |b| {
        tls12(b);
        b.set_cipher_list("ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES256-GCM-SHA384:@SECLEVEL=4")
            .expect("ciphers");
    });
    let client = client_ctx(|b| {
        tls12(b);
        b.set_cipher_list("ECDHE-ECDSA-AES256-SHA")
            .expect("ciphers");
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(
        &p.server,
        Cause::NoSharedCipher,
        "SHA-1 MAC at security level 4",
    );
    assert_eq!(
        evidence(&p.server, "local.security_level").as_deref(),
        Some("4")
    );
    assert_eq!(
        p.server.diagnosis().expect("diagnosis").fault,
        Fault::Server
    );
}

#[test]
fn no_shared_group() {
    let server = server_ctx_with(rsa(), |b| {
        tls13(b);
        b.set_groups_list("P-384").expect("groups");
    });
    let client = client_ctx(|b| {
        tls13(b);
        b.set_groups_list("X25519").expect("groups");
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(&p.server, Cause::NoSharedGroup, "x25519 against P-384");
    assert_cause(&p.client, Cause::HelloRefused, "x25519 against P-384");
}

#[test]
fn no_shared_signature_scheme() {
    let server = server_ctx_with(rsa(), tls13);
    let client = client_ctx(|b| {
        tls13(b);
        b.set_sigalgs_list("ECDSA+SHA256").expect("sigalgs");
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(
        &p.server,
        Cause::NoSharedSignatureScheme,
        "RSA key, ECDSA-only client",
    );
    assert_cause(&p.client, Cause::HelloRefused, "RSA key, ECDSA-only client");
}

/// A client that signs only with SHA-1 (gnutls-cli `+SIGN-RSA-SHA1` does
/// so): the RSA key could, but security level 2 forbids SHA-1.
#[test]
fn sha1_only_signature_schemes_at_security_level_2() {
    let server = server_ctx_with(rsa(), |b| {
        tls12(b);
        b.set_security_level(2);
    });
    let client = client_ctx(|b| {
        tls12(b);
        b.set_security_level(0);
        b.set_sigalgs_list("RSA+SHA1").expect("sigalgs");
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(&p.server, Cause::NoSharedSignatureScheme, "SHA-1 only");
    let d = p.server.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(
        d.summary
            .contains("could make rsa_pkcs1_sha1: SHA-1 signatures")
            && d.summary.contains("security level 2"),
        "{d}"
    );
}

#[test]
fn no_shared_certificate_type() {
    let server = server_ctx_with(rsa(), tls12);
    let client = client_ctx(|b| {
        tls12(b);
        b.set_cipher_list("ECDHE-ECDSA-AES128-GCM-SHA256")
            .expect("ciphers");
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(
        &p.server,
        Cause::NoSharedSignatureScheme,
        "ECDSA suites, RSA server",
    );
    assert_cause(&p.client, Cause::HelloRefused, "ECDSA suites, RSA server");
}

#[test]
fn client_cert_required_but_not_sent() {
    for (name, version) in [("TLS 1.2", tls12 as fn(&mut _)), ("TLS 1.3", tls13)] {
        let server = server_ctx_with(rsa(), |b| {
            version(b);
            require_client_cert(b);
        });
        let client = client_ctx(version);
        let p = pair(&server, &client, "localhost");
        assert_cause(&p.server, Cause::ClientCertRequired, name);
        assert_cause(&p.client, Cause::ClientCertRequired, name);
        // What the server asked for: a client holding a certificate whose
        // key makes none of these schemes sends none.
        let d = p.server.diagnosis().expect("a diagnosis");
        let asked = d
            .evidence
            .iter()
            .find(|e| e.source == "CertificateRequest.signature_algorithms")
            .unwrap_or_else(|| panic!("{name}: no CertificateRequest evidence: {d}"));
        assert!(
            asked.value.contains("ecdsa_secp256r1_sha256"),
            "{name}: {d}"
        );
        // The empty Certificate read, as `s_server -trace` words it.
        let log = p.server.message_log();
        assert!(log.contains("certificate_list, length=0"), "{name}: {log}");
    }
}

#[test]
fn client_cert_rejected() {
    for (name, version) in [("TLS 1.2", tls12 as fn(&mut _)), ("TLS 1.3", tls13)] {
        // The server trusts nothing, so the client's certificate fails.
        let server = server_ctx_with(rsa(), |b| {
            version(b);
            reject_client_certs(b);
        });
        let client = client_ctx(|b| {
            version(b);
            pki()
                .client(KeyType::EcdsaP256)
                .install(b)
                .expect("client credential");
        });
        let p = pair(&server, &client, "localhost");
        assert_cause(&p.server, Cause::ClientCertRejected, name);
        assert_cause(&p.client, Cause::ClientCertRejected, name);
        assert!(evidence(&p.server, "verify result").is_some());
    }
}

#[test]
fn server_certificate_negatives() {
    for (negative, cause) in SERVER_CERT_NEGATIVES {
        for (name, version) in [("TLS 1.2", tls12 as fn(&mut _)), ("TLS 1.3", tls13)] {
            let server = negative_server(negative, version);
            let client = negative_client(negative, version);
            let p = pair(&server, &client, "localhost");
            let what = format!("{negative} over {name}");
            assert_cause(&p.client, cause, &what);
            assert_cause(&p.server, cause, &what);
            assert_eq!(
                evidence(&p.client, "verify result")
                    .and_then(|v| v.split(' ').next().map(str::to_owned)),
                Some(negative.expected_verify_error().to_string()),
                "{what}"
            );
        }
    }
}

#[test]
fn sni_name_unknown() {
    let server = server_ctx_with(rsa(), serve_localhost_only);
    let client = client_ctx(|_| {});
    let p = pair(&server, &client, "unknown.example");
    assert_cause(&p.server, Cause::SniUnknown, "unserved SNI name");
    assert_cause(&p.client, Cause::SniUnknown, "unserved SNI name");
    assert_eq!(
        evidence(&p.server, "ClientHello.sni").as_deref(),
        Some("unknown.example")
    );
}

/// A server that answers a ClientHello naming unknown.example with a
/// fatal access_denied, as a rustls server without a certificate for the
/// name does (the matrix's mismatch-sni case checks rustls itself): the
/// client reads the name as the likely cause, access control as the other.
#[test]
fn access_denied_at_the_hello_is_read_as_the_name() {
    let (addr, server) = raw_server(|mut tcp| {
        let _ = read_record(&mut tcp);
        let _ = tcp.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 49]);
    });
    let t = traced_client(&client_ctx(|_| {}), addr, "unknown.example", |_| {});
    server.join().expect("server");
    let d = assert_diagnosis(
        &t,
        (Cause::SniUnknown, Fault::Unknown),
        "the server refused this client's ClientHello with access_denied before choosing \
         anything: most likely it has no certificate for \"unknown.example\"",
        "access_denied to a hello naming a server",
    );
    assert!(d.summary.contains("access control"), "{d}");
}

#[test]
fn alpn_mismatch() {
    let server = server_ctx_with(rsa(), require_http11);
    let client = client_ctx(|b| {
        b.set_alpn_protos(b"\x02h2").expect("alpn");
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(&p.server, Cause::AlpnMismatch, "h2 against http/1.1");
    assert_cause(&p.client, Cause::AlpnMismatch, "h2 against http/1.1");
    assert_eq!(
        evidence(&p.server, "ClientHello.alpn").as_deref(),
        Some("h2")
    );
}

#[test]
fn inappropriate_fallback() {
    let server = server_ctx_with(rsa(), |_| {});
    let client = client_ctx(|b| {
        tls12(b);
        b.set_mode(SslMode::SEND_FALLBACK_SCSV);
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(
        &p.server,
        Cause::InappropriateFallback,
        "TLS 1.2 retry with the SCSV",
    );
    assert_cause(
        &p.client,
        Cause::InappropriateFallback,
        "TLS 1.2 retry with the SCSV",
    );
}

#[test]
fn renegotiation_refused() {
    let server = server_ctx_with(rsa(), |b| {
        tls12(b);
        b.set_options(SslOptions::NO_RENEGOTIATION);
    });
    let client = client_ctx(tls12);
    let (addr, server) = traced_server(&server);
    let trace = traced_client(&client, addr, "localhost", |tls| {
        renegotiate(tls);
        let _ = tls.do_handshake();
        let _ = tls.read(&mut [0u8; 16]);
    });
    let server = server.join().expect("server thread");
    assert_cause(
        &trace,
        Cause::RenegotiationRefused,
        "client asked, server refuses",
    );
    assert_cause(
        &server,
        Cause::RenegotiationRefused,
        "client asked, server refuses",
    );
}

#[test]
fn unexpected_message() {
    // A server that answers the ClientHello with a Finished message.
    let (addr, server) = raw_server(|mut tcp| {
        let _ = read_record(&mut tcp);
        let finished = [0x16, 0x03, 0x03, 0x00, 0x10, 0x14, 0x00, 0x00, 0x0c];
        let _ = tcp.write_all(&[&finished[..], &[0u8; 12]].concat());
        let _ = tcp.read(&mut [0u8; 64]);
    });
    let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    server.join().expect("server thread");
    assert_cause(
        &trace,
        Cause::UnexpectedMessage,
        "Finished instead of ServerHello",
    );
    assert_eq!(trace.diagnosis().expect("diagnosis").fault, Fault::Server);

    // A client that opens with a ServerHello-typed message.
    let mut hello = client_hello_bytes();
    hello[5] = 0x02; // handshake type: ServerHello
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &hello);
    assert_cause(
        &trace,
        Cause::UnexpectedMessage,
        "ServerHello sent by a client",
    );
    assert_eq!(trace.diagnosis().expect("diagnosis").fault, Fault::Client);
}

#[test]
fn success_has_no_diagnosis_and_json_round_trips() {
    let server = server_ctx_with(rsa(), |_| {});
    let client = client_ctx(|_| {});
    let p = pair(&server, &client, "localhost");
    assert!(p.client.succeeded() && p.server.succeeded());
    assert_eq!(p.client.diagnosis(), None);
    assert_eq!(p.server.diagnosis(), None);
    assert_eq!(
        p.server.local, None,
        "nothing is read on a successful handshake"
    );

    let failed = pair(
        &server_ctx_with(rsa(), |b| {
            b.set_min_proto_version(Some(SslVersion::TLS1_3))
                .expect("min");
        }),
        &client_ctx(tls12),
        "localhost",
    );
    let back: openssl_handshake::HandshakeTrace =
        serde_json::from_str(&failed.server.to_json()).expect("trace JSON parses");
    assert_eq!(back.diagnosis(), failed.server.diagnosis());
    let d = failed.server.diagnosis().expect("diagnosis");
    let json = serde_json::to_value(&d).expect("json");
    for key in ["cause", "summary", "evidence", "fault", "fix"] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert_eq!(json["cause"], "no_shared_version");
}

/// A TLS 1.0-1.1 client against a server with no minimum version but
/// security level 2: OpenSSL 3 settles TLS 1.1, then cannot make its SHA-1
/// and MD5 signatures, and names signatures. The cause is the version.
#[test]
fn old_client_against_a_security_level_that_forbids_its_signatures() {
    let server = server_ctx_with(rsa(), no_minimum_at_level_2);
    let client = tls10_11_client();
    let p = pair(&server, &client, "localhost");
    assert_cause(
        &p.server,
        Cause::NoSharedVersion,
        "client TLS 1.0-1.1, server at security level 2",
    );
    let reason = evidence(&p.server, "OpenSSL reason").unwrap_or_default();
    assert!(
        reason.contains("no suitable signature algorithm"),
        "{reason}"
    );
    let d = p.server.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(
        d.summary.contains("at most TLS 1.1") && d.summary.contains("security level 2"),
        "{d}"
    );
    // The client sees only internal_error in answer to its ClientHello.
    assert_cause(
        &p.client,
        Cause::NoSharedVersion,
        "client TLS 1.0-1.1, server at security level 2",
    );
    let d = p.client.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(d.summary.contains("internal_error"), "{d}");
}

/// A TLS 1.2 ClientHello without signature_algorithms (legal, RFC 5246
/// 7.4.1.4.1) leaves the server SHA-1, which security level 2 forbids.
#[test]
fn tls12_client_without_signature_algorithms() {
    let server = server_ctx_with(rsa(), |b| b.set_security_level(2));
    let hello = {
        let mut b = SslContext::builder(SslMethod::tls_client()).expect("client ctx");
        tls12(&mut b);
        without_extension(
            &first_flight(Ssl::new(&b.build()).expect("ssl")).expect("ClientHello"),
            SIGNATURE_ALGORITHMS,
        )
    };
    let trace = server_trace_of_bytes(&server, &hello);
    assert_cause(
        &trace,
        Cause::NoSharedSignatureScheme,
        "TLS 1.2 without signature_algorithms",
    );
    let d = trace.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(
        d.summary.contains("no signature_algorithms") && d.summary.contains("security level 2"),
        "{d}"
    );
}

/// A client of TLS 1.0 and 1.1 only, which OpenSSL 3 sends only at
/// security level 0.
fn tls10_11_client() -> SslContext {
    client_ctx(|b| {
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .expect("min");
        b.set_max_proto_version(Some(SslVersion::TLS1_1))
            .expect("max");
        b.set_security_level(0);
        b.set_cipher_list("DEFAULT:@SECLEVEL=0").expect("ciphers");
    })
}

const SIGNATURE_ALGORITHMS: u16 = 13;

/// `record` (one ClientHello record) with extension `drop` taken out and
/// the three lengths that enclose it shortened to match.
fn without_extension(record: &[u8], drop: u16) -> Vec<u8> {
    let be16 = |b: &[u8], at: usize| usize::from(u16::from_be_bytes([b[at], b[at + 1]]));
    // Record header (5), handshake header (4), version (2), random (32).
    let mut at = 5 + 4 + 2 + 32;
    at += 1 + usize::from(record[at]); // session id
    at += 2 + be16(record, at); // cipher suites
    at += 1 + usize::from(record[at]); // compression methods
    let extensions_at = at;
    let mut kept = Vec::new();
    at += 2;
    while at < record.len() {
        let end = at + 4 + be16(record, at + 2);
        if be16(record, at) != usize::from(drop) {
            kept.extend_from_slice(&record[at..end]);
        }
        at = end;
    }
    assert!(
        kept.len() < be16(record, extensions_at),
        "no extension {drop}"
    );
    let mut body = record[9..extensions_at].to_vec();
    body.extend_from_slice(&u16::try_from(kept.len()).expect("short").to_be_bytes());
    body.extend_from_slice(&kept);
    let mut out = record[..5].to_vec();
    out[3..5].copy_from_slice(&u16::try_from(body.len() + 4).expect("short").to_be_bytes());
    out.push(record[5]);
    out.extend_from_slice(&u32::try_from(body.len()).expect("short").to_be_bytes()[1..]);
    out.extend_from_slice(&body);
    out
}
