//! A message that picks what the other end never offered, or a value its
//! extension does not define, where OpenSSL's reason reads as something
//! else: a ServerKeyExchange on a group the client did not offer ("wrong
//! curve", which OpenSSL also says of a certificate on an unoffered
//! curve), one signed with a scheme the client did not offer ("wrong
//! signature type"), and a max_fragment_length outside RFC 6066's four
//! lengths. Each flight was checked by hand against `openssl s_client
//! -tls1_2 -msg` and `openssl s_server -msg` (OpenSSL 3.0), whose reasons
//! and alerts the tests expect.

mod common;

use common::diagnosis::*;
use common::flight::{certificate, client_trace_of_flight, prefixed, server_hello, whole};
use common::hello::with_extension;
use common::{client_ctx, server_ctx_with};
use openssl_handshake::{Cause, Fault, HandshakeTrace};

/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.
const ECDHE_RSA: u16 = 0xc02f;

/// The trace of a TLS 1.2 client (offering x25519 and P-256 only) whose
/// hello a server answers with its ServerHello, Certificate and an ECDHE
/// ServerKeyExchange of `params` (curve type, group, point), signed with
/// `scheme`; OpenSSL's failure reason must be `reason`.
fn client_trace(params: &[u8], scheme: u16, reason: &str) -> HandshakeTrace {
    let ske = [params, &scheme.to_be_bytes(), &prefixed(2, &[0; 256])].concat();
    let flight = [
        server_hello(ECDHE_RSA),
        certificate(),
        whole(12, &ske),
        whole(14, &[]),
    ]
    .concat();
    let ctx = client_ctx(|b| {
        tls12(b);
        b.set_groups_list("X25519:P-256").expect("groups");
    });
    let trace = client_trace_of_flight(&ctx, flight);
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some(reason),
        "{}",
        trace.message_log()
    );
    assert_eq!(
        evidence(&trace, "alert sent").as_deref(),
        Some("fatal alert illegal_parameter (47)")
    );
    trace
}

/// An ECDHE ServerKeyExchange on the GREASE group 0x0a0a (RFC 8701),
/// which no client offers for real: s_client says "wrong curve"
/// (tls_process_ske_ecdhe).
#[test]
fn a_server_key_exchange_on_a_group_not_offered() {
    let params = [&[3, 0x0a, 0x0a][..], &prefixed(1, &[4; 65])].concat();
    let trace = client_trace(&params, 0x0804, "wrong curve");
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's ServerKeyExchange is malformed: it names the ECDHE group GREASE (0x0a0a), \
         which this client did not offer (it offered x25519 (0x001d), secp256r1 (0x0017))",
        "a group not offered",
    );
    assert_eq!(
        evidence(&trace, "ServerKeyExchange.named_curve").as_deref(),
        Some("GREASE (0x0a0a)")
    );
}

/// An ECDHE ServerKeyExchange on x25519 signed with 0xfefe, a scheme no
/// one registered and so none offered: s_client says "wrong signature
/// type" (tls12_check_peer_sigalg).
#[test]
fn a_server_key_exchange_signed_with_a_scheme_not_offered() {
    let params = [&[3, 0, 29][..], &prefixed(1, &[9; 32])].concat();
    let trace = client_trace(&params, 0xfefe, "wrong signature type");
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's ServerKeyExchange is malformed: it is signed with unknown (0xfefe), a \
         scheme this client did not offer (it offered ",
        "a scheme not offered",
    );
    let offered = evidence(&trace, "ClientHello.signature_algorithms").expect("the offer");
    assert!(
        offered.contains("rsa_pss_rsae_sha256 (0x0804)"),
        "{offered}"
    );
}

/// A ClientHello asking for max_fragment_length 7, where RFC 6066
/// section 4 defines 1 to 4: s_server refuses it with "ssl3 ext invalid
/// max fragment length" and illegal_parameter.
#[test]
fn a_client_hello_with_an_undefined_max_fragment_length() {
    let hello = with_extension(&client_hello_bytes(), &[0, 1, 0, 1, 7]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &hello);
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some("ssl3 ext invalid max fragment length")
    );
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Client),
        "the client's ClientHello is malformed: its max_fragment_length is not one of the four \
         lengths RFC 6066 section 4 defines (1 to 4",
        "max_fragment_length 7",
    );
    assert_eq!(
        evidence(&trace, "decoded here").as_deref(),
        Some(
            "ClientHello is malformed: max_fragment_length extension: 7 is not one of the \
             lengths RFC 6066 defines (1 to 4)"
        )
    );
}
