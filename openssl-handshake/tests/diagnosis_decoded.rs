//! A server message that this library's decoder finds malformed, where
//! OpenSSL's reason does not say what is wrong with it, or not in words
//! that name the message: the diagnosis names the decoder's finding and
//! blames the server, instead of an unknown cause. Each flight was
//! checked by hand against `openssl s_client -tls1_2 -msg` (OpenSSL
//! 3.0), whose reasons and alerts the tests expect.

mod common;

use common::diagnosis::*;
use common::flight::{certificate, client_trace_of_flight, prefixed, server_hello, whole};
use common::hello::{cut, extension, with_extension};
use common::{client_ctx, server_ctx_with};
use openssl_handshake::{Cause, Fault, HandshakeTrace};

/// TLS_RSA_WITH_AES_128_GCM_SHA256: RSA key exchange, so that no
/// ServerKeyExchange comes between the Certificate and what follows.
const RSA_KX: u16 = 0x009c;

/// The trace of a TLS 1.2 client answered with `flight`, whose failure
/// OpenSSL gave `reason` and this client's `alert`, as s_client did for
/// the same bytes.
fn client_trace(flight: Vec<u8>, reason: &str, alert: &str) -> HandshakeTrace {
    let trace = client_trace_of_flight(&client_ctx(tls12), flight);
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some(reason),
        "{}",
        trace.message_log()
    );
    assert_eq!(evidence(&trace, "alert sent").as_deref(), Some(alert));
    trace
}

/// A CertificateRequest (rsa_sign, ecdsa_sign) whose
/// supported_signature_algorithms is `schemes`, after a good ServerHello
/// and Certificate, then ServerHelloDone.
fn certificate_request_flight(schemes: &[u8]) -> Vec<u8> {
    let request = [
        prefixed(1, &[1, 64]),
        prefixed(2, schemes),
        prefixed(2, &[]),
    ]
    .concat();
    [
        server_hello(RSA_KX),
        certificate(),
        whole(13, &request),
        whole(14, &[]),
    ]
    .concat()
}

/// supported_signature_algorithms of 3 bytes: s_client answers
/// internal_error with "signature algorithms error"
/// (tls_process_certificate_request), which says neither which message
/// nor what is wrong with it.
#[test]
fn a_certificate_request_with_an_odd_scheme_list() {
    let trace = client_trace(
        certificate_request_flight(&[4, 1, 5]),
        "signature algorithms error",
        "fatal alert internal_error (80)",
    );
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's CertificateRequest is malformed: supported_signature_algorithms has an \
         odd length (3); this client refused it",
        "an odd scheme list",
    );
    assert_eq!(
        evidence(&trace, "decoded here").as_deref(),
        Some(
            "CertificateRequest is malformed: supported_signature_algorithms has an odd length (3)"
        )
    );
}

/// An empty supported_signature_algorithms: the same reason and alert
/// from s_client.
#[test]
fn a_certificate_request_with_no_scheme() {
    let trace = client_trace(
        certificate_request_flight(&[]),
        "signature algorithms error",
        "fatal alert internal_error (80)",
    );
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's CertificateRequest is malformed: empty supported_signature_algorithms; \
         this client refused it",
        "an empty scheme list",
    );
}

/// A Certificate whose only entry is 0 bytes long (RFC 5246 section
/// 7.4.2 `opaque ASN.1Cert<1..2^24-1>`): s_client answers
/// bad_certificate with "ASN1 lib" (its ASN.1 decoder: "too small"),
/// which names no message.
#[test]
fn a_certificate_with_an_empty_entry() {
    let flight = [
        server_hello(0xc02f),
        whole(11, &prefixed(3, &prefixed(3, &[]))),
    ]
    .concat();
    let trace = client_trace(flight, "ASN1 lib", "fatal alert bad_certificate (42)");
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's Certificate is malformed: empty certificate entry; this client refused it",
        "an empty certificate entry",
    );
}

/// A DHE ServerKeyExchange whose prime dh_p is empty: s_client's error
/// queue names p and g (DH_check_params_ex: "check p not prime", "not
/// suitable generator") before the reason it answers illegal_parameter
/// with, "bad dh value", which alone reads as a bad public value.
#[test]
fn a_server_key_exchange_with_an_empty_prime() {
    let params = [
        prefixed(2, &[]),
        prefixed(2, &[2]),
        prefixed(2, &[5; 256]),
        vec![8, 4],
        prefixed(2, &[0; 256]),
    ]
    .concat();
    // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256.
    let flight = [server_hello(0x009e), certificate(), whole(12, &params)].concat();
    let trace = client_trace(flight, "bad dh value", "fatal alert illegal_parameter (47)");
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's ServerKeyExchange is malformed: empty dh_p (the DH prime); this client \
         refused it",
        "an empty DH prime",
    );
}

/// A TLS 1.3 Certificate whose only entry's cert_data is 0 bytes (RFC
/// 8446 section 4.4.2 `opaque cert_data<1..2^24-1>`): s_client answers
/// bad_certificate with "ASN1 lib" ("too small") for the same server.
#[test]
fn a_tls13_certificate_with_an_empty_entry() {
    let trace = recorded_trace("tls13-cert-zero-len.json");
    assert_eq!(trace.failure().map(|f| f.reason.as_str()), Some("ASN1 lib"));
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's Certificate is malformed: empty certificate entry; this client refused it \
         (fatal alert bad_certificate (42))",
        "an empty TLS 1.3 certificate entry",
    );
}

/// A server's TLS 1.3 Certificate with a 2-byte certificate_request_context
/// where RFC 8446 section 4.4.2 has it empty: s_client refuses it with
/// "length mismatch" and decode_error, which points at no field.
#[test]
fn a_tls13_server_certificate_with_a_request_context() {
    let trace = recorded_trace("tls13-cert-ctx.json");
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some("length mismatch")
    );
    let d = assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's Certificate is malformed: its certificate_request_context holds 2 bytes \
         where a server's Certificate leaves it empty (RFC 8446 section 4.4.2)",
        "a server Certificate with a request context",
    );
    assert!(d.summary.contains("decode_error"), "{d}");
}

/// A ClientHello whose supported_groups is an empty list (RFC 8446
/// section 4.2.7 `named_group_list<2..2^16-1>`): OpenSSL's server says
/// only "bad extension" (decode_error), the decoder which extension and
/// what is wrong with it.
#[test]
fn a_client_hello_with_an_empty_group_list() {
    let mut hello = client_hello_bytes();
    let (at, len) = extension(&hello, 10).expect("a default client sends supported_groups");
    cut(&mut hello, at, len, true);
    let hello = with_extension(&hello, &[0, 10, 0, 2, 0, 0]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &hello);
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some("bad extension")
    );
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Client),
        "the client's ClientHello is malformed: supported_groups extension: empty \
         named_group_list; this server refused it (fatal alert decode_error (50))",
        "an empty supported_groups",
    );
}

/// A ClientHello whose pre_shared_key comes before another extension,
/// where RFC 8446 section 4.2.11 has it last: s_server says only "bad
/// extension" (illegal_parameter); the diagnosis and the message log say
/// which extension is out of place.
#[test]
fn a_client_hello_with_pre_shared_key_not_last() {
    let identity = [prefixed(2, &[0x49; 16]), 1u32.to_be_bytes().to_vec()].concat();
    let psk = [
        prefixed(2, &identity),
        prefixed(2, &prefixed(1, &[0x42; 32])),
    ]
    .concat();
    let hello = with_extension(
        &with_extension(
            &client_hello_bytes(),
            &[vec![0, 41], prefixed(2, &psk)].concat(),
        ),
        &[0x12, 0x34, 0, 0],
    );
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &hello);
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some("bad extension")
    );
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Client),
        "the client's ClientHello is malformed: pre_shared_key is not the last extension, where \
         RFC 8446 section 4.2.11 requires it; this server refused it (fatal alert \
         illegal_parameter (47))",
        "pre_shared_key not last",
    );
    let log = trace.message_log();
    assert!(
        log.contains("    misplaced extension: pre_shared_key is not the last extension"),
        "{log}"
    );
}
