//! Versions switched off by options (`SSL_OP_NO_TLSv1` and the like, how
//! `SslAcceptor::mozilla_intermediate_v5` drops TLS 1.0 and 1.1) and a
//! client's own raised minimum: the diagnosis names the setting that
//! narrowed the range, not a security level or the peer alone.

mod common;

use common::diagnosis::*;
use common::{client_ctx, server_ctx_with};
use openssl::ssl::{SslOptions, SslVersion};
use openssl_handshake::{Cause, Fault};

/// A TLS 1.0-only client at security level 0, which OpenSSL 3 lets
/// speak it.
fn tls10_client() -> openssl::ssl::SslContext {
    client_ctx(|b| {
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .expect("min");
        b.set_max_proto_version(Some(SslVersion::TLS1))
            .expect("max");
        b.set_security_level(0);
        b.set_cipher_list("DEFAULT:@SECLEVEL=0").expect("ciphers");
    })
}

/// The acceptor's options at security level 0: the range is what the
/// options leave, so "accepts up to TLS 1.3" would contradict the refusal.
#[test]
fn options_that_switch_versions_off_are_named() {
    let server = server_ctx_with(rsa(), |b| {
        b.set_options(SslOptions::NO_TLSV1 | SslOptions::NO_TLSV1_1);
        b.set_security_level(0);
        b.set_cipher_list("DEFAULT:@SECLEVEL=0").expect("ciphers");
    });
    let p = pair(&server, &tls10_client(), "localhost");
    let failure = p.server.failure().expect("refused");
    assert!(failure.reason.contains("unsupported protocol"), "{failure}");
    let d = assert_diagnosis(
        &p.server,
        (Cause::NoSharedVersion, Fault::Client),
        "the client offered",
        "a TLS 1.0 client against SSL_OP_NO_TLSv1 and SSL_OP_NO_TLSv1_1",
    );
    assert!(
        d.summary.contains("TLS 1.2 and up (")
            && d.summary
                .contains("SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1 rule out older ones"),
        "{d}"
    );
    let options = evidence(&p.server, "local options").expect("options evidence");
    assert!(
        options.contains("SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1"),
        "{options}"
    );
}

/// A server whose options switch off the one version the client speaks
/// is told to clear that option.
#[test]
fn a_server_told_to_clear_the_option_that_refused() {
    // The minimum too: with TLS 1.2 switched off and no minimum, OpenSSL
    // looks below it, and refuses for signature schemes instead.
    let server = server_ctx_with(rsa(), |b| {
        b.set_options(SslOptions::NO_TLSV1_2);
        b.set_min_proto_version(Some(SslVersion::TLS1_2))
            .expect("min");
    });
    let client = client_ctx(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2))
            .expect("max");
    });
    let p = pair(&server, &client, "localhost");
    let d = assert_diagnosis(
        &p.server,
        (Cause::NoSharedVersion, Fault::Server),
        "the client offered",
        "a TLS 1.2 client against SSL_OP_NO_TLSv1_2",
    );
    assert!(d.summary.contains("only TLS 1.3"), "{d}");
    assert!(
        d.fix.starts_with("Clear SSL_OP_NO_TLSv1_2 on the server"),
        "{d}"
    );
}

/// A client that raised its own minimum to TLS 1.3, against a server of
/// TLS 1.2 at most: either end could move, and the client's fix names
/// its own setting first.
#[test]
fn a_clients_raised_minimum_is_its_own_to_lower() {
    let server = server_ctx_with(rsa(), |b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2))
            .expect("max");
    });
    let client = client_ctx(|b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3))
            .expect("min");
    });
    let p = pair(&server, &client, "localhost");
    let d = assert_diagnosis(
        &p.client,
        (Cause::NoSharedVersion, Fault::Unknown),
        "this client offered only TLS 1.3",
        "a TLS 1.3-only client against a TLS 1.2 server",
    );
    assert!(
        d.fix.starts_with(
            "Lower this client's minimum version (TLS 1.3 set by SSL_CTX_set_min_proto_version"
        ),
        "{d}"
    );
    // The server's view agrees that either end could move.
    assert_eq!(p.server.diagnosis().map(|d| d.fault), Some(Fault::Unknown));
}

/// A client that switched TLS 1.2 off with TLS 1.3 still on offers only
/// what lies below the hole (OpenSSL's client stops there), so it is the
/// client's option to clear, not the server's range.
#[test]
fn a_client_cut_short_by_a_switched_off_version_is_told_to_clear_it() {
    let server = server_ctx_with(rsa(), |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_2))
            .expect("min");
    });
    let client = client_ctx(|b| {
        b.set_options(SslOptions::NO_TLSV1_2);
        b.set_security_level(0);
        b.set_cipher_list("DEFAULT:@SECLEVEL=0").expect("ciphers");
    });
    let p = pair(&server, &client, "localhost");
    // The reference: what OpenSSL's client put in its hello.
    let offered = evidence(&p.client, "ClientHello.legacy_version");
    assert_eq!(
        offered.as_deref(),
        Some("TLS 1.1"),
        "{:?}",
        p.client.diagnosis()
    );
    let d = assert_diagnosis(
        &p.client,
        (Cause::NoSharedVersion, Fault::Client),
        "this client offered",
        "a client with SSL_OP_NO_TLSv1_2 against a TLS 1.2+ server",
    );
    assert!(
        d.fix.starts_with("Clear SSL_OP_NO_TLSv1_2 on this client"),
        "{d}"
    );
}

/// SSL_OP_NO_TLSv1_3 on a client, against a TLS 1.3-only server: a cap
/// like a maximum set below TLS 1.3, so either end could move.
#[test]
fn a_client_capped_by_an_option_is_told_which() {
    let server = server_ctx_with(rsa(), |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3))
            .expect("min");
    });
    let client = client_ctx(|b| {
        b.set_options(SslOptions::NO_TLSV1_3);
    });
    let p = pair(&server, &client, "localhost");
    let d = assert_diagnosis(
        &p.client,
        (Cause::NoSharedVersion, Fault::Unknown),
        "this client offered",
        "a client with SSL_OP_NO_TLSv1_3 against a TLS 1.3-only server",
    );
    assert!(
        d.fix.starts_with("Clear SSL_OP_NO_TLSv1_3 on this client"),
        "{d}"
    );
}
