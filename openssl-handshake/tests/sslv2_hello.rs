//! An SSLv2-format ClientHello, as old clients and scanners still send
//! it: a traced server records and decodes it, its message log names it
//! as `openssl s_server -msg` does, and the diagnosis reads its version.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::diagnosis::*;
use common::tool::{line_where, s_server};
use common::{pki, server_ctx_with, set_timeouts, TIMEOUT};
use openssl_handshake::decode::Body;
use openssl_handshake::{Cause, Fault};
use testkit::pki::KeyType;

/// An SSL 2.0 CLIENT-HELLO record (RFC 5246 appendix E.2) offering TLS 1.0
/// and TLS_RSA_WITH_AES_128_CBC_SHA, with a 16-byte challenge.
fn v2_hello_record() -> Vec<u8> {
    v2_hello_record_for([0x03, 0x01])
}

/// [`v2_hello_record`] offering `version` at most.
fn v2_hello_record_for(version: [u8; 2]) -> Vec<u8> {
    let specs = [0x00, 0x00, 0x2f];
    let challenge = [0x5a; 16];
    let mut body = vec![1, version[0], version[1]];
    for len in [specs.len(), 0, challenge.len()] {
        body.extend(u16::try_from(len).expect("short").to_be_bytes());
    }
    body.extend(specs);
    body.extend(challenge);
    // A two-byte header: the top bit set, then a 15-bit length.
    let len = u16::try_from(body.len()).expect("short") | 0x8000;
    let mut record = len.to_be_bytes().to_vec();
    record.extend(body);
    record
}

#[test]
fn a_traced_server_reads_an_sslv2_format_hello() {
    // No minimum version, security level 2: OpenSSL takes the hello, settles
    // TLS 1.0, then cannot sign for it.
    let server = server_ctx_with(rsa(), no_minimum_at_level_2);
    let trace = server_trace_of_bytes(&server, &v2_hello_record());
    let hello = trace.messages().next().expect("the hello is recorded");
    assert_eq!(hello.name(), "ClientHello (SSLv2 format)");
    let Some(Body::ClientHello(h)) = &hello.body else {
        panic!("not decoded: {hello:?}")
    };
    assert_eq!(h.legacy_version, 0x0301);
    assert_eq!(
        h.cipher_suites.iter().map(|c| c.id).collect::<Vec<_>>(),
        [0x002f]
    );

    assert_cause(
        &trace,
        Cause::NoSharedVersion,
        "SSLv2-format hello for TLS 1.0",
    );
    let d = trace.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(d.summary.contains("at most TLS 1.0"), "{d}");

    // The message log's header line is the one s_server -msg prints for the
    // same bytes, then our name for the message.
    let reference = s_server_msg_line(&v2_hello_record());
    let log = trace.message_log();
    let ours = log.lines().next().unwrap_or_default();
    assert_eq!(
        ours,
        format!("{reference}, ClientHello (SSLv2 format)"),
        "{log}"
    );
}

/// An SSLv2-format hello offering SSL 2.0 itself (SSL2_VERSION, 0x0002):
/// the message log names its version as `-trace` names SSL2_VERSION
/// (ssl_version_tbl in OpenSSL's ssl/t1_trace.c), and as the diagnosis
/// does, not by its number.
#[test]
fn an_sslv2_hello_for_ssl_2_names_its_version() {
    let server = server_ctx_with(rsa(), no_minimum_at_level_2);
    let trace = server_trace_of_bytes(&server, &v2_hello_record_for([0x00, 0x02]));
    let log = trace.message_log();
    assert!(log.contains("\n    client_version=SSL 2.0\n"), "{log}");
    let d = trace.diagnosis().expect("diagnosis");
    assert!(d.summary.contains("SSL 2.0"), "{d}");
}

/// An offer of SSL 3.0 at most, below what OpenSSL 3 speaks at all: the
/// server names the versions it takes, and as no version was set on it,
/// not as a configured minimum.
#[test]
fn a_refused_version_names_what_the_server_takes_not_a_minimum_never_set() {
    let server = server_ctx_with(rsa(), no_minimum_at_level_2);
    let trace = server_trace_of_bytes(&server, &v2_hello_record_for([0x03, 0x00]));
    assert_cause(
        &trace,
        Cause::NoSharedVersion,
        "SSLv2-format hello for SSL 3.0",
    );
    let d = trace.diagnosis().expect("diagnosis");
    let evidence = |k: &str| d.evidence.iter().find(|e| e.source == k);
    assert!(evidence("local.min_version").is_none(), "{d}");
    assert!(evidence("versions this server accepts").is_some(), "{d}");
}

/// The first line `openssl s_server -msg` prints on reading `record`.
fn s_server_msg_line(record: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = pki().write_pem(dir.path()).expect("pem");
    let (_child, out, port) = s_server(
        files.server(KeyType::Rsa2048),
        &[
            "-naccept",
            "1",
            "-msg",
            "-cipher",
            "ALL:@SECLEVEL=0",
            "-min_protocol",
            "TLSv1",
        ],
    );
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    set_timeouts(&tcp);
    tcp.write_all(record).expect("write");
    let line = line_where(&out, |l| l.starts_with("<<< "), drop).unwrap_or_else(|e| {
        panic!("openssl s_server printed no message line within {TIMEOUT:?}: {e}")
    });
    let _ = tcp.read(&mut [0u8; 64]);
    line
}
