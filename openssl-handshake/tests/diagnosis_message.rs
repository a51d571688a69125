//! Messages that arrive whole but are wrong, built on purpose: a
//! ClientHello that breaks its format, a record longer than TLS allows,
//! and a Finished over a handshake changed in transit.

mod common;

use std::io::Write;

use common::diagnosis::*;
use common::hello::{cut, extension, layout, with_extension};
use common::{client_ctx, client_ssl, connect_tcp, raw_server, server_ctx_with};
use openssl::ssl::{SslOptions, SslVersion};
use openssl_handshake::{Cause, Fault};

/// Every ClientHello must offer null compression; OpenSSL refuses one
/// that offers only DEFLATE.
#[test]
fn a_client_hello_without_null_compression() {
    let mut hello = client_hello_bytes();
    let at = layout(&hello).compression;
    assert_eq!(
        &hello[at..at + 2],
        [1, 0],
        "a default client offers null alone"
    );
    hello[at + 1] = 1; // DEFLATE
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &hello);
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Client),
        "the client's ClientHello is malformed: its compression_methods lack null",
        "no null compression",
    );
}

/// A TLS 1.3 ClientHello with supported_groups but no key_share breaks
/// RFC 8446 section 9.2; OpenSSL answers missing_extension. The server
/// enables the offered groups, so it is not a question of groups.
#[test]
fn a_tls13_client_hello_without_key_share() {
    let mut hello = client_hello_bytes();
    let (start, len) = extension(&hello, 51).expect("a default client sends key_share");
    cut(&mut hello, start, len, true);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), tls13), &hello);
    let d = assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Client),
        "the client's ClientHello is malformed",
        "no key_share",
    );
    assert!(d.summary.contains("no key_share"), "{d}");
    assert_eq!(
        evidence(&trace, "alert sent").as_deref(),
        Some("fatal alert missing_extension (109)")
    );
}

/// A handshake record one byte over 2^14 is refused from its header with
/// record_overflow, before anything else is read.
#[test]
fn a_record_longer_than_tls_allows() {
    const LENGTH: usize = (1 << 14) + 1;
    let mut record = vec![22, 3, 1];
    record.extend_from_slice(&(LENGTH as u16).to_be_bytes());
    record.resize(5 + LENGTH, 0);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &record);
    assert_diagnosis(
        &trace,
        (Cause::RecordRejected, Fault::Client),
        &format!("the client sent a handshake record of {LENGTH} bytes"),
        "an oversized record",
    );
    assert_eq!(
        evidence(&trace, "alert sent").as_deref(),
        Some("fatal alert record_overflow (22)")
    );
}

/// A header announcing more than any record may hold (65,535 bytes, past
/// the 2^14 + 2048 OpenSSL reads at most) is a TLS record refused for its
/// length, though OpenSSL's reason, "packet length too long", is the one
/// it gives for bytes that are no TLS at all.
#[test]
fn a_record_longer_than_any_reader_takes() {
    let mut record = vec![22, 3, 3, 0xff, 0xff];
    record.resize(5 + 100, 0);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &record);
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some("packet length too long")
    );
    assert_diagnosis(
        &trace,
        (Cause::RecordRejected, Fault::Client),
        "the client sent a handshake record of 65535 bytes",
        "a record longer than OpenSSL reads",
    );
    assert_eq!(
        evidence(&trace, "alert sent").as_deref(),
        Some("fatal alert record_overflow (22)")
    );
}

/// TLS 1.2 without extended master secret derives its keys from the
/// randoms alone, so a ClientHello changed elsewhere (here the SNI name,
/// which this server ignores) still gives both ends the same keys; only
/// the Finished, over the whole handshake, tells them apart.
#[test]
fn a_finished_over_a_changed_hello() {
    let (addr, server) = traced_server(&server_ctx_with(rsa(), tls12));
    let rename = |hello: &mut Vec<u8>| {
        let at = hello
            .windows(9)
            .position(|w| w == b"localhost")
            .expect("the SNI name");
        hello[at] = b'L';
    };
    let tcp = Altered::new(connect_tcp(addr), 1, rename);
    let client = client_ctx(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2))
            .expect("TLS 1.2");
        // SSL_OP_NO_EXTENDED_MASTER_SECRET (ssl.h), which rust-openssl
        // does not name.
        b.set_options(SslOptions::from_bits_retain(1));
    });
    let client = client_ssl(&client, "localhost").connect(tcp);
    let client = match client {
        Ok(_) => panic!("the server cannot accept a changed handshake"),
        Err(e) => unfinished_trace(e),
    };
    let server = server.join().expect("server thread");
    assert_diagnosis(
        &server,
        (Cause::FinishedMismatch, Fault::Client),
        "the client's Finished does not match the handshake this server saw",
        "a renamed SNI",
    );
    // The client hears decrypt_error right after its Finished; who is
    // wrong it cannot tell.
    assert_diagnosis(
        &client,
        (Cause::FinishedMismatch, Fault::Unknown),
        "the server could not verify this client's Finished (decrypt_error)",
        "a renamed SNI",
    );
}

/// A server that answers the ClientHello with decode_error: from the
/// client's side it could not parse the hello, which says more than a
/// refusal of the offer would. Who is wrong the client cannot tell.
#[test]
fn a_server_that_cannot_parse_the_client_hello() {
    let (addr, server) = raw_server(|mut tcp| {
        let _ = read_record(&mut tcp);
        // A fatal decode_error alert in a TLS 1.2 record.
        let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2, 50]);
    });
    let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    server.join().expect("server thread");
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Unknown),
        "the server refused this client's ClientHello (fatal alert decode_error (50))",
        "decode_error for the hello",
    );
}

/// A server must expect a ClientHello first, so one that answers the
/// very first ClientHello with unexpected_message blames a message this
/// client could not have misplaced: the server's stack, or something in
/// between, is as likely at fault, and a capture tells.
#[test]
fn a_server_that_calls_the_first_client_hello_unexpected() {
    let (addr, server) = raw_server(|mut tcp| {
        let _ = read_record(&mut tcp);
        // A fatal unexpected_message alert in a TLS 1.2 record.
        let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2, 10]);
    });
    let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    server.join().expect("server thread");
    let d = assert_diagnosis(
        &trace,
        (Cause::UnexpectedMessage, Fault::Unknown),
        "the server answered this client's ClientHello, the first message of the connection, \
         with unexpected_message",
        "unexpected_message for the first hello",
    );
    assert!(d.fix.starts_with("Capture the connection"), "{d}");
}

/// A TLS 1.2 ServerHello choosing TLS_AES_128_GCM_SHA256, a TLS 1.3 suite
/// a TLS 1.2-only client never offers: OpenSSL refuses it with
/// illegal_parameter, and the diagnosis names the suite.
#[test]
fn a_server_hello_choosing_a_suite_not_offered() {
    let (addr, server) = raw_server(|mut tcp| {
        let _ = read_record(&mut tcp);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]); // random
        body.push(0); // no session id
        body.extend_from_slice(&[0x13, 0x01, 0]); // the suite, null compression
        body.extend_from_slice(&[0, 0]); // no extensions
        let mut record = vec![
            22,
            3,
            3,
            0,
            (4 + body.len()) as u8,
            2,
            0,
            0,
            body.len() as u8,
        ];
        record.extend_from_slice(&body);
        let _ = tcp.write_all(&record);
    });
    let trace = traced_client(&client_ctx(tls12), addr, "localhost", |_| {});
    server.join().expect("server thread");
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some("wrong cipher returned")
    );
    let d = assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's ServerHello is malformed: it chose a cipher suite this end did not offer",
        "a suite not offered",
    );
    assert_eq!(
        evidence(&trace, "ServerHello.cipher_suite").as_deref(),
        Some("0x1301 TLS_AES_128_GCM_SHA256"),
        "{d}"
    );
    assert_eq!(
        evidence(&trace, "alert sent").as_deref(),
        Some("fatal alert illegal_parameter (47)")
    );
}

/// Records that carry nothing, sent after the ClientHello until OpenSSL
/// stops taking them: warning alerts (user_canceled), then empty
/// handshake records (TLS 1.2, where they are sent in the clear).
#[test]
fn a_flood_of_records_that_say_nothing() {
    let warning = [21, 3, 3, 0, 2, 1, 90];
    let empty = [22, 3, 3, 0, 0];
    for (record, reason, what) in [
        (
            &warning[..],
            "too many warn alerts",
            "warning alerts one after another (5 in the trace)",
        ),
        (
            &empty[..],
            "record too small",
            "empty records one after another",
        ),
    ] {
        let flood = record.repeat(40);
        let hello = client_hello_bytes();
        let trace = server_trace_of_flights(&server_ctx_with(rsa(), tls12), &[&hello, &flood]);
        assert_eq!(trace.failure().map(|f| f.reason.as_str()), Some(reason));
        let d = assert_diagnosis(
            &trace,
            (Cause::UnexpectedMessage, Fault::Client),
            "the client sent ",
            reason,
        );
        assert!(d.summary.contains(what), "{d}");
    }
}

/// A server hello with the HelloRetryRequest random (RFC 8446 4.1.3) but
/// renegotiation_info, which a ServerHello may carry and a retry may not.
/// A client that offered TLS 1.3 reads it by its random, as a retry, and
/// refuses it ("bad extension"); one that did not reads a ServerHello, as
/// `s_client` and `s_client -tls1_2` do. The diagnosis names the message
/// OpenSSL refused.
#[test]
fn a_retry_request_with_a_server_hellos_extension() {
    const RETRY: [u8; 32] = [
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ];
    let serve = || {
        raw_server(|mut tcp| {
            let Ok(hello) = read_record(&mut tcp) else {
                return;
            };
            // Record and handshake headers, legacy_version, random.
            let session_id = hello
                .get(43)
                .and_then(|&n| hello.get(44..44 + usize::from(n)))
                .unwrap_or_default();
            let mut body = vec![3, 3];
            body.extend_from_slice(&RETRY);
            body.push(session_id.len() as u8);
            body.extend_from_slice(session_id);
            body.extend_from_slice(&[0xc0, 0x2f, 0]); // ECDHE-RSA-AES128-GCM-SHA256, null
            body.extend_from_slice(&[0, 5, 0xff, 0x01, 0, 1, 0]); // renegotiation_info
            let mut record = vec![22, 3, 3, 0, (4 + body.len()) as u8, 2, 0, 0];
            record.push(body.len() as u8);
            record.extend_from_slice(&body);
            let _ = tcp.write_all(&record);
            // Nothing follows: the client's answer, an alert or its EOF,
            // comes at once.
            let _ = tcp.shutdown(std::net::Shutdown::Write);
            let _ = read_record(&mut tcp);
        })
    };
    let (addr, server) = serve();
    let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    server.join().expect("server thread");
    assert_eq!(
        trace.failure().map(|f| f.reason.as_str()),
        Some("bad extension")
    );
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Server),
        "the server's HelloRetryRequest is malformed",
        "an extension a retry may not carry",
    );

    let (addr, server) = serve();
    let trace = traced_client(&client_ctx(tls12), addr, "localhost", |_| {});
    server.join().expect("server thread");
    let hello = trace
        .messages()
        .find_map(|m| match &m.body {
            Some(openssl_handshake::decode::Body::ServerHello(h)) => Some(h),
            _ => None,
        })
        .expect("the server's hello was decoded");
    assert!(!hello.hello_retry_request, "{hello:?}");
}

/// The first ClientHello `trace` read, decoded, with its extension
/// problems in words.
fn read_client_hello(
    trace: &openssl_handshake::HandshakeTrace,
) -> (openssl_handshake::decode::ClientHello, Vec<String>) {
    trace
        .messages()
        .find_map(|m| match &m.body {
            Some(openssl_handshake::decode::Body::ClientHello(h)) => Some((
                h.clone(),
                m.extension_problems.iter().map(|p| p.to_string()).collect(),
            )),
            _ => None,
        })
        .expect("the ClientHello was decoded")
}

/// A ClientHello repeating supported_groups (type 10): OpenSSL refuses
/// it (bad extension, RFC 8446 section 4.2), and the diagnosis names the
/// repeated extension as the decoder saw it, while the trace keeps the
/// hello's other fields.
#[test]
fn a_client_hello_repeating_a_known_extension() {
    let hello = client_hello_bytes();
    let (at, len) = extension(&hello, 10).expect("a default client sends supported_groups");
    let repeated = with_extension(&hello, &hello[at..at + len]);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &repeated);
    assert_diagnosis(
        &trace,
        (Cause::MalformedMessage, Fault::Client),
        "the client's ClientHello is malformed",
        "a repeated supported_groups",
    );
    assert_eq!(
        evidence(&trace, "decoded here").as_deref(),
        Some("ClientHello is malformed: extension 10 appears more than once")
    );
    let (decoded, problems) = read_client_hello(&trace);
    assert_eq!(decoded.sni.as_deref(), Some("localhost"));
    assert!(!decoded.supported_groups.is_empty(), "{decoded:?}");
    assert_eq!(problems, ["extension 10 appears more than once"]);
}

/// A ClientHello repeating an unknown extension (0x1234 = 4660), which
/// OpenSSL accepts (its tls_collect_extensions only notices repeated
/// types it knows) and answers with its ServerHello: the trace keeps the
/// hello and names the repeat.
#[test]
fn a_client_hello_repeating_an_unknown_extension() {
    let hello = client_hello_bytes();
    let unknown = [0x12, 0x34, 0, 0];
    let repeated = with_extension(&with_extension(&hello, &unknown), &unknown);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &repeated);
    assert!(
        trace
            .messages()
            .any(|m| m.direction == openssl_handshake::Direction::Write
                && m.handshake_type
                    == Some(openssl_handshake::decode::HandshakeType::SERVER_HELLO)),
        "OpenSSL answered the hello:\n{}",
        trace.message_log()
    );
    let (decoded, problems) = read_client_hello(&trace);
    assert_eq!(decoded.sni.as_deref(), Some("localhost"));
    assert_eq!(
        &decoded.extensions[decoded.extensions.len() - 2..],
        [0x1234; 2]
    );
    assert_eq!(problems, ["extension 4660 appears more than once"]);
    assert!(
        trace
            .message_log()
            .contains("malformed extension: extension 4660 appears more than once"),
        "{}",
        trace.message_log()
    );
}
