//! A handshake message whose 4-byte header announces more than OpenSSL
//! takes for its type: read_state_machine refuses it from the header
//! (excessive message size, illegal_parameter) before the message
//! callback sees it, so the diagnosis names the message OpenSSL had
//! moved to reading, not the last one decoded, and speaks of
//! max_cert_list only for a Certificate. OpenSSL 3.0's limits
//! (ossl_statem_client_max_message_size): a Certificate max_cert_list
//! (100 KiB by default), a ServerHelloDone no body at all, a ServerHello
//! under 1 MiB. Each flight was checked by hand against `openssl
//! s_client -tls1_2 -msg -state`, which reads the good messages ("read
//! server hello", "read server certificate") and then fails with
//! "read_state_machine:excessive message size" and illegal_parameter.

mod common;

use common::client_ctx;
use common::diagnosis::*;
use common::flight::{certificate, client_trace_of_flight, message, server_hello};
use openssl_handshake::{Cause, Fault, HandshakeTrace};

/// The trace of a TLS 1.2 client answered with `flight`.
fn client_trace(flight: Vec<u8>) -> HandshakeTrace {
    let trace = client_trace_of_flight(&client_ctx(tls12), flight);
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some("excessive message size"),
        "{}",
        trace.message_log()
    );
    trace
}

const MAX_CERT_LIST: &str = "SSL_CTX_set_max_cert_list";

/// A good ServerHello, then a Certificate announcing 200 KiB: the
/// Certificate is named, with the max_cert_list hint, not the ServerHello
/// OpenSSL accepted.
#[test]
fn an_oversized_certificate_after_a_good_server_hello() {
    let flight = [server_hello(0xc02f), message(11, 200 * 1024, &[])].concat();
    let trace = client_trace(flight);
    let d = assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's Certificate is malformed: its header announces a body longer than",
        "a Certificate over max_cert_list",
    );
    assert!(d.summary.contains(MAX_CERT_LIST), "{d}");
    assert_eq!(evidence(&trace, "decoded here"), None, "{d}");
}

/// A ServerHelloDone with a 1-byte body after a good Certificate (RSA
/// key exchange, so no ServerKeyExchange): the ServerHelloDone is named,
/// without the max_cert_list hint, not the Certificate.
#[test]
fn a_server_hello_done_with_a_body_after_a_good_certificate() {
    // TLS_RSA_WITH_AES_128_GCM_SHA256.
    let flight = [server_hello(0x009c), certificate(), message(14, 1, &[0])].concat();
    let trace = client_trace(flight);
    let d = assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's ServerHelloDone is malformed: its header announces a body longer than",
        "a ServerHelloDone with a body",
    );
    assert!(!d.summary.contains(MAX_CERT_LIST), "{d}");
}

/// A ServerHello announcing 1 MiB, the first message read: the
/// ServerHello is named, without the max_cert_list hint.
#[test]
fn an_oversized_server_hello() {
    let trace = client_trace(message(2, 1 << 20, &[3, 3]));
    let d = assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's ServerHello is malformed: its header announces a body longer than",
        "a ServerHello over its limit",
    );
    assert!(!d.summary.contains(MAX_CERT_LIST), "{d}");
}

/// A TLS 1.3 KeyUpdate after the handshake whose header announces 2
/// bytes where its body is the one byte request_update: s_client says
/// "excessive message size" and illegal_parameter. The server's KeyUpdate
/// is named from the state OpenSSL failed in, TLS_ST_CR_KEY_UPDATE.
#[test]
fn an_oversized_key_update_after_the_handshake() {
    let trace = recorded_trace("tls13-ku-long.json");
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        None,
        "the handshake itself succeeded"
    );
    let d = assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's KeyUpdate is malformed: its header announces a body longer than",
        "a KeyUpdate of 2 bytes",
    );
    assert!(d.summary.contains("request_update"), "{d}");
    assert!(!d.summary.contains(MAX_CERT_LIST), "{d}");
    assert_eq!(
        evidence(&trace, "OpenSSL reason").as_deref(),
        Some("excessive message size")
    );
}
