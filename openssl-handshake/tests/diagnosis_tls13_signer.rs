//! A server that allows only TLS 1.3 but whose certificate cannot sign
//! there: OpenSSL does not offer TLS 1.3 from it and refuses a TLS 1.3
//! client with "unsupported protocol" (as `openssl s_server -tls1_3` with a
//! DSA certificate does). Both ends offer TLS 1.3, so the version ranges
//! are not the fault; the certificate is.

mod common;

use common::diagnosis::{assert_diagnosis, pair, tls13};
use common::{client_ctx, pki, server_ctx_with};
use openssl::ssl::SslContextBuilder;
use openssl_handshake::{Cause, Fault, HandshakeTrace};
use testkit::pki::KeyType;

fn server_side(key: KeyType, tune: impl FnOnce(&mut SslContextBuilder)) -> HandshakeTrace {
    let server = server_ctx_with(pki().server(key), tune);
    pair(&server, &client_ctx(|_| {}), "localhost").server
}

#[test]
fn a_dsa_certificate_on_a_tls13_only_server() {
    let trace = server_side(KeyType::Dsa2048, tls13);
    let reason = trace.failure().expect("failed").reason.clone();
    assert!(reason.contains("unsupported protocol"), "{reason}");
    let d = assert_diagnosis(
        &trace,
        (Cause::NoSharedSignatureScheme, Fault::Server),
        "the client offered TLS 1.3, the one version this server allows",
        "DSA, TLS 1.3 only",
    );
    assert!(d.summary.contains("has a DSA key"), "{d}");
}

#[test]
fn an_ec_key_without_its_scheme_in_the_servers_list() {
    let trace = server_side(KeyType::EcdsaP256, |b| {
        tls13(b);
        b.set_sigalgs_list("ECDSA+SHA384:rsa_pss_rsae_sha256")
            .expect("sigalgs");
    });
    let d = assert_diagnosis(
        &trace,
        (Cause::NoSharedSignatureScheme, Fault::Server),
        "the client offered TLS 1.3, the one version this server allows",
        "P-256 without its scheme",
    );
    assert!(d.summary.contains("has a key (EC)"), "{d}");
}

/// The premise, and the fix: the same TLS 1.3-only server with a
/// certificate that can sign there succeeds.
#[test]
fn a_certificate_that_signs_at_tls13_works() {
    let server = server_ctx_with(pki().server(KeyType::Rsa2048), tls13);
    let p = pair(&server, &client_ctx(|_| {}), "localhost");
    assert!(p.server.succeeded(), "{:?}", p.server.outcome);
    let n = p.server.negotiated.expect("negotiated");
    assert_eq!(n.version, openssl_handshake::ProtocolVersion::Tls1_3);
}
