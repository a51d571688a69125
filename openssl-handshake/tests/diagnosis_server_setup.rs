//! A server whose own settings can never work, whatever the client
//! offers: its cipher list enables only suites for another key type than
//! its certificate's, or its signature-scheme list holds no scheme its key
//! makes. It reads its own configuration, so it names the setting and
//! takes the fault; no half of the fix is the client's.

mod common;

use common::diagnosis::{assert_diagnosis, pair, rsa, tls12};
use common::{client_ctx, server_ctx_with};
use openssl_handshake::{Cause, Fault};

/// An RSA certificate with ECDSA suites alone, at TLS 1.2 (s_server or
/// serve with `--tls1_2 --cipher ECDHE-ECDSA-AES128-GCM-SHA256`): a
/// default client offers ECDHE-RSA suites the server turned off.
#[test]
fn ecdsa_suites_alone_with_an_rsa_certificate() {
    let server = server_ctx_with(rsa(), |b| {
        tls12(b);
        b.set_cipher_list("ECDHE-ECDSA-AES128-GCM-SHA256")
            .expect("cipher list");
    });
    let p = pair(&server, &client_ctx(|_| {}), "localhost");
    let d = assert_diagnosis(
        &p.server,
        (Cause::NoSharedSignatureScheme, Fault::Server),
        "this server's own settings can never work: every suite it can use \
         (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) needs another certificate type than its own, \
         whose key is RSA, as its cipher list leaves it",
        "RSA certificate, ECDSA suites",
    );
    assert!(d.summary.contains("maximum version is TLS 1.2"), "{d}");
    assert!(!d.fix.contains("client"), "{d}");
}

/// An RSA certificate with a signature-scheme list of ECDSA alone (serve
/// `--sigalgs ECDSA+SHA256`): a default TLS 1.3 client offers every
/// rsa_pss_rsae scheme, which security level 2 allows, so the server's
/// list is what refuses them.
#[test]
fn an_ecdsa_signature_list_with_an_rsa_certificate() {
    let server = server_ctx_with(rsa(), |b| {
        b.set_sigalgs_list("ECDSA+SHA256").expect("sigalgs");
    });
    let p = pair(&server, &client_ctx(|_| {}), "localhost");
    let d = assert_diagnosis(
        &p.server,
        (Cause::NoSharedSignatureScheme, Fault::Server),
        "the client accepts only the signature schemes ",
        "RSA certificate, ECDSA signature list",
    );
    assert!(
        d.summary.contains(
            "this server's security level 2 allows rsa_pss_rsae_sha256, rsa_pss_rsae_sha384, \
             rsa_pss_rsae_sha512, so its own signature-scheme list"
        ),
        "{d}"
    );
    assert!(!d.fix.contains("client"), "{d}");
}
