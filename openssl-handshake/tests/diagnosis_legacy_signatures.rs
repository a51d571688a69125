//! A server that speaks only TLS 1.0 and 1.1 against an OpenSSL 3 client
//! that offers up to TLS 1.3: the server settles TLS 1.0 and signs its
//! key exchange with MD5 and SHA-1, which the client's security level
//! forbids ("legacy sigalg disallowed or unsupported", as `s_client`
//! says), and the client answers internal_error. The server is the one to
//! change, and both ends say so.

mod common;

use common::diagnosis::{assert_diagnosis, evidence, pair, rsa};
use common::{client_ctx, server_ctx_with};
use openssl::ssl::SslVersion;
use openssl_handshake::{Cause, Fault};

#[test]
fn a_tls10_only_server_against_an_openssl3_client() {
    let server = server_ctx_with(rsa(), |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .expect("min");
        b.set_max_proto_version(Some(SslVersion::TLS1_1))
            .expect("max");
        b.set_security_level(0);
        b.set_cipher_list("ECDHE-RSA-AES128-SHA:@SECLEVEL=0")
            .expect("ciphers");
    });
    let client = client_ctx(|b| {
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .expect("min");
    });
    let p = pair(&server, &client, "localhost");
    let reason = evidence(&p.client, "OpenSSL reason").unwrap_or_default();
    assert!(reason.contains("legacy sigalg disallowed"), "{reason}");
    let d = assert_diagnosis(
        &p.client,
        (Cause::NoSharedVersion, Fault::Server),
        "the server chose TLS 1.1",
        "client side",
    );
    assert!(
        d.summary.contains("this client offered up to TLS 1.3"),
        "{d}"
    );
    let d = assert_diagnosis(
        &p.server,
        (Cause::NoSharedVersion, Fault::Server),
        "this server chose TLS 1.1, the newest it allows",
        "server side",
    );
    assert!(d.summary.contains("internal_error"), "{d}");
    assert!(d.fix.contains("Enable a version the client offers"), "{d}");
}
