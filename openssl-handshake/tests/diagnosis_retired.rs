//! Clients that offer only what the RFCs have retired: SSL 3.0 (RFC 7568)
//! and export-grade suites. The client is the one to change, whatever a
//! server could be talked into.

mod common;

use common::diagnosis::*;
use common::hello::{cut, layout};
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
    assert_cause(&trace, Cause::NoSharedVersion, "SSL 3.0 only");
    let d = trace.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(d.summary.contains("SSL 3.0"), "{d}");
}

/// A hello whose suites are all export-grade (RFC 5246 appendix A.5
/// forbids them): TLS_RSA_EXPORT_WITH_RC4_40_MD5 and
/// TLS_RSA_EXPORT_WITH_DES40_CBC_SHA.
#[test]
fn a_client_offering_export_suites_only() {
    const EXPORT: [u8; 4] = [0x00, 0x03, 0x00, 0x08];
    let mut hello = tls12_hello();
    let at = layout(&hello).suites;
    let len = usize::from(u16::from_be_bytes([hello[at], hello[at + 1]]));
    // Keep the first two suites' room, then overwrite them.
    cut(&mut hello, at + 2 + EXPORT.len(), len - EXPORT.len(), false);
    hello[at..at + 2].copy_from_slice(&(EXPORT.len() as u16).to_be_bytes());
    hello[at + 2..at + 2 + EXPORT.len()].copy_from_slice(&EXPORT);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), tls12), &hello);
    assert_cause(&trace, Cause::NoSharedCipher, "export suites only");
    let d = trace.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(
        d.summary.starts_with(
            "the client offered only obsolete suites (TLS_RSA_EXPORT_WITH_RC4_40_MD5, \
             TLS_RSA_EXPORT_WITH_DES40_CBC_SHA: export-grade)"
        ),
        "{d}"
    );
}
