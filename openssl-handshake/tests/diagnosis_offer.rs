//! ClientHellos whose offer cannot work, built by editing a real one:
//! only what the RFCs have retired (SSL 3.0, RFC 7568; export-grade
//! suites), or suites of another version than the one the server settles
//! on. The client is the one to change, whatever a server could be talked
//! into.

mod common;

use common::diagnosis::*;
use common::hello::with_suites;
use common::server_ctx_with;
use openssl::ssl::{SslContext, SslMethod, SslVersion};
use openssl_handshake::{Cause, Fault};
use testkit::first_flight::first_flight;

/// A TLS 1.2 ClientHello (no supported_versions), to edit.
fn tls12_hello() -> Vec<u8> {
    let mut b = SslContext::builder(SslMethod::tls_client()).expect("client ctx");
    b.set_max_proto_version(Some(SslVersion::TLS1_2))
        .expect("TLS 1.2");
    first_flight(openssl::ssl::Ssl::new(&b.build()).expect("ssl")).expect("ClientHello")
}

/// The same hello stamped SSL 3.0: refused whatever the server's range,
/// as no OpenSSL 3 build speaks SSL 3.0.
#[test]
fn a_client_offering_ssl3_only() {
    let mut hello = tls12_hello();
    hello[9..11].copy_from_slice(&[3, 0]);
    // No minimum version and level 0: the server's own range is no excuse.
    let server = server_ctx_with(rsa(), |b| {
        b.set_min_proto_version(None).expect("no minimum");
        b.set_security_level(0);
    });
    let trace = server_trace_of_bytes(&server, &hello);
    let d = assert_diagnosis(
        &trace,
        (Cause::NoSharedVersion, Fault::Client),
        "the client offered",
        "SSL 3.0 only",
    );
    assert!(d.summary.contains("SSL 3.0"), "{d}");
}

/// A hello whose suites are all export-grade (RFC 5246 appendix A.5
/// forbids them): TLS_RSA_EXPORT_WITH_RC4_40_MD5 and
/// TLS_RSA_EXPORT_WITH_DES40_CBC_SHA.
#[test]
fn a_client_offering_export_suites_only() {
    let hello = with_suites(&tls12_hello(), &[0x0003, 0x0008]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), tls12), &hello);
    assert_diagnosis(
        &trace,
        (Cause::NoSharedCipher, Fault::Client),
        "the client offered only obsolete suites (TLS_RSA_EXPORT_WITH_RC4_40_MD5, \
             TLS_RSA_EXPORT_WITH_DES40_CBC_SHA: export-grade)",
        "export suites only",
    );
}

/// A hello offering TLS_RSA_WITH_3DES_EDE_CBC_SHA alone, as
/// `gnutls-cli --priority NORMAL:-KX-ALL:+RSA:-CIPHER-ALL:+3DES-CBC` does:
/// 64-bit blocks (Sweet32), in no default list of OpenSSL 3.
#[test]
fn a_client_offering_3des_only() {
    let hello = with_suites(&tls12_hello(), &[0x000a]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), tls12), &hello);
    assert_diagnosis(
        &trace,
        (Cause::NoSharedCipher, Fault::Client),
        "the client offered only obsolete suites (TLS_RSA_WITH_3DES_EDE_CBC_SHA: 3DES (Sweet32))",
        "3DES only",
    );
}

/// testssl.sh's probe for IDEA and 3DES adds the old Netscape FIPS code
/// points (0xfeff), which no registry assigns: retired suites still, the
/// client's to change; unassigned code points alone name no fault.
#[test]
fn retired_suites_with_unassigned_code_points() {
    let server = server_ctx_with(rsa(), tls12);
    let hello = with_suites(&tls12_hello(), &[0x0007, 0x000a, 0xfeff]);
    assert_diagnosis(
        &server_trace_of_bytes(&server, &hello),
        (Cause::NoSharedCipher, Fault::Client),
        "the client offered only obsolete suites (TLS_RSA_WITH_IDEA_CBC_SHA, \
         TLS_RSA_WITH_3DES_EDE_CBC_SHA, 0xfeff: 3DES (Sweet32), IDEA, unassigned)",
        "IDEA, 3DES and an unassigned code point",
    );
    let hello = with_suites(&tls12_hello(), &[0xfeff]);
    assert_diagnosis(
        &server_trace_of_bytes(&server, &hello),
        (Cause::NoSharedCipher, Fault::Unknown),
        "the client offered only 0xfeff",
        "an unassigned code point alone",
    );
}

/// TLS_RSA_WITH_AES_256_CBC_SHA, a TLS 1.2 suite.
const TLS12_SUITE: u16 = 0x0035;
/// TLS_AES_128_GCM_SHA256, a TLS 1.3 suite.
const TLS13_SUITE: u16 = 0x1301;

/// A default (TLS 1.3) ClientHello with a TLS 1.2 suite alone: the server
/// settles on TLS 1.3, where that suite cannot be used, though both
/// sides enable it.
#[test]
fn a_tls13_client_hello_with_tls12_suites_only() {
    let hello = with_suites(&client_hello_bytes(), &[TLS12_SUITE]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &hello);
    assert_diagnosis(
        &trace,
        (Cause::NoSharedCipher, Fault::Client),
        "the client offered TLS 1.3 but only suites of TLS 1.2 and older \
             (TLS_RSA_WITH_AES_256_CBC_SHA)",
        "TLS 1.3 with a TLS 1.2 suite",
    );
}

/// The other way round: TLS 1.3 suites alone in a TLS 1.2 hello.
#[test]
fn a_tls12_client_hello_with_tls13_suites_only() {
    let hello = with_suites(&tls12_hello(), &[TLS13_SUITE]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &hello);
    assert_diagnosis(
        &trace,
        (Cause::NoSharedCipher, Fault::Client),
        "the client offered only TLS 1.3 suites (TLS_AES_128_GCM_SHA256), but TLS 1.2",
        "TLS 1.2 with a TLS 1.3 suite",
    );
}

/// A hello offering no suite at all, as gnutls-cli sends one when none of
/// its suites suits its versions: cipher_suites must hold at least one
/// (RFC 5246 section 7.4.1.2), so the hello is malformed.
#[test]
fn a_client_hello_without_suites() {
    let hello = with_suites(&tls12_hello(), &[]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), tls12), &hello);
    let d = assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Client),
        "the client's ClientHello is malformed: its cipher_suites list is empty",
        "no suites",
    );
    assert!(d.summary.contains("RFC 5246 section 7.4.1.2"), "{d}");
}

/// TLS_RSA_WITH_AES_128_GCM_SHA256, usable from TLS 1.2 on.
const GCM_SUITE: u16 = 0x009c;

/// A server open to TLS 1.0 and 1.1 (security level 0 allows them).
fn down_to_tls1(b: &mut openssl::ssl::SslContextBuilder) {
    b.set_min_proto_version(None).expect("no minimum");
    b.set_security_level(0);
}

/// A TLS 1.1 hello offering only a suite that needs TLS 1.2: both sides
/// list it, and the client's own range rules it out.
#[test]
fn a_tls11_client_hello_with_tls12_suites_only() {
    let mut hello = with_suites(&tls12_hello(), &[GCM_SUITE]);
    hello[9..11].copy_from_slice(&[3, 2]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), down_to_tls1), &hello);
    assert_diagnosis(
        &trace,
        (Cause::NoSharedCipher, Fault::Client),
        "the client offered at most TLS 1.1, but the suites both sides list \
         (TLS_RSA_WITH_AES_128_GCM_SHA256) need TLS 1.2 or later",
        "TLS 1.1 with a TLS 1.2 suite",
    );
}

/// The same suite in a TLS 1.2 hello, to a server that stops at TLS 1.1;
/// and in a TLS 1.1 hello to that server, where either side could move.
#[test]
fn a_tls11_server_and_tls12_suites_only() {
    let hello = with_suites(&tls12_hello(), &[GCM_SUITE]);
    let server = server_ctx_with(rsa(), |b| {
        down_to_tls1(b);
        b.set_max_proto_version(Some(SslVersion::TLS1_1))
            .expect("TLS 1.1");
    });
    let trace = server_trace_of_bytes(&server, &hello);
    assert_diagnosis(
        &trace,
        (Cause::NoSharedCipher, Fault::Server),
        "this server allows at most TLS 1.1, but the suites both sides list \
         (TLS_RSA_WITH_AES_128_GCM_SHA256) need TLS 1.2 or later",
        "a TLS 1.1 server",
    );
    let mut tls11 = hello;
    tls11[9..11].copy_from_slice(&[3, 2]);
    let trace = server_trace_of_bytes(&server, &tls11);
    assert_diagnosis(
        &trace,
        (Cause::NoSharedCipher, Fault::Unknown),
        "both sides allow at most TLS 1.1",
        "a TLS 1.1 client and server",
    );
}

/// A hello whose legacy_version says TLS 1.3 but which has no
/// supported_versions, offering only a TLS 1.3 suite: without the
/// extension a server negotiates TLS 1.2 at most (RFC 8446 section
/// 4.2.1), as tlsfuzzer's test-tls13-version-negotiation checks.
#[test]
fn a_tls13_legacy_version_without_supported_versions() {
    let mut hello = with_suites(&tls12_hello(), &[TLS13_SUITE]);
    hello[9..11].copy_from_slice(&[3, 4]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &hello);
    assert_diagnosis(
        &trace,
        (Cause::NoSharedCipher, Fault::Client),
        "the client offered only TLS 1.3 suites (TLS_AES_128_GCM_SHA256), but TLS 1.2",
        "legacy_version TLS 1.3, no supported_versions",
    );
}
