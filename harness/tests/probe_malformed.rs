//! `tls-harness probe` against scripted servers that answer the
//! ClientHello with what no correct stack sends: a message cut short in a
//! whole record, a malformed or unassigned alert, an unsolicited
//! extension, a TLS 1.3 ServerHello with no key, a certificate that is no
//! DER, a replayed signature. Each diagnosis is checked beside OpenSSL's
//! own reason (and, where it prints one, s_client's).

mod common;
mod probe_support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use probe_support::scripted::*;
use probe_support::*;
use serde_json::Value;

/// The diagnosis of a probe (with `extra`) that must fail (exit 1).
fn diagnosed(addr: &str, pki: &TestPki, extra: &[&str]) -> Value {
    let out = probe(addr, pki, "json", extra);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    json_lines(&out.stdout)[0]["diagnosis"].clone()
}

/// Whether `d`'s evidence of OpenSSL's reason holds `text`.
fn openssl_reason_has(d: &Value, text: &str) -> bool {
    common::evidence(d, "OpenSSL reason")
        .and_then(|r| r.as_str().map(|r| r.contains(text)))
        .unwrap_or(false)
}

/// A server whose one record arrives whole but holds the start of a
/// ServerHello that claims 4,096 bytes, then hangs up: the record layer
/// had all of that record, so the message, not the record, was cut short.
#[test]
fn a_message_cut_short_in_a_whole_record_is_not_a_record_cut_short() {
    let body_len = 60u16;
    let (addr, server) = after_the_hello(move |tcp| {
        // A ServerHello header claiming 4,096 bytes, in a record of
        // `body_len` bytes.
        let mut record = vec![22, 3, 3];
        record.extend_from_slice(&body_len.to_be_bytes());
        record.extend_from_slice(&[2, 0, 0x10, 0]);
        record.resize(5 + usize::from(body_len), 0x5a);
        let _ = tcp.write_all(&record);
        std::thread::sleep(Duration::from_millis(200));
    });
    let pki = test_pki();
    let out = probe(&addr, &pki, "json", &[]);
    server.join().expect("server");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    let line = &json_lines(&out.stdout)[0];
    assert_eq!(
        line["trace"]["bytes_received"].as_u64(),
        Some(5 + u64::from(body_len)),
        "{line}"
    );
    let d = &line["diagnosis"];
    assert_eq!(d["cause"], "peer_closed", "{d}");
    let summary = d["summary"].as_str().unwrap_or_default();
    assert!(!summary.contains("in the middle of"), "{d}");
    assert!(
        summary.contains(&format!(
            "having sent {} bytes that held no whole handshake message",
            5 + body_len
        )),
        "{d}"
    );
}

/// An alert record of 3 bytes in place of the ServerHello: malformed, as
/// OpenSSL's reason says ("invalid alert"), not a server declining.
#[test]
fn a_malformed_alert_record_is_named_so() {
    let (addr, server) = after_the_hello(|tcp| {
        let _ = tcp.write_all(&[21, 3, 3, 0, 3, 2, 70, 0]);
        std::thread::sleep(Duration::from_millis(200));
    });
    let pki = test_pki();
    let d = &diagnosed(&addr, &pki, &[]);
    server.join().expect("server");
    assert_eq!(d["cause"], "unexpected_message", "{d}");
    assert_eq!(d["fault"], "server", "{d}");
    assert!(openssl_reason_has(d, "invalid alert"), "{d}");
    let summary = d["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("an alert record of 3 bytes"), "{d}");
    assert!(
        !d["fix"]
            .as_str()
            .unwrap_or_default()
            .contains("ClientHello"),
        "{d}"
    );
}

/// A fatal alert of a description no registry lists (254): OpenSSL queues
/// an error it has no string for, which s_client prints as "SSL alert
/// number 254"; the probe gives the same words, and the alert's number once.
#[test]
fn an_unassigned_alert_is_named_as_openssl_names_it() {
    let alert = |tcp: &mut TcpStream| {
        let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2, 254]);
        std::thread::sleep(Duration::from_millis(200));
    };
    let (addr, server) = after_the_hello(alert);
    let s_client = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &addr])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("s_client ran");
    server.join().expect("server");
    let said = String::from_utf8_lossy(&s_client.stderr);
    assert!(said.contains("SSL alert number 254"), "{said}");

    let (addr, server) = after_the_hello(alert);
    let pki = test_pki();
    let out = probe(&addr, &pki, "summary", &[]);
    server.join().expect("server");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stdout.contains("SSL alert number 254"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("no error from OpenSSL"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("fatal alert unassigned (254)"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("(254) (254)"), "{}", out.stdout);
}

/// A TLS 1.2 ServerHello answering with status_request, which the probe
/// (without --status) never offered: OpenSSL refuses it as unsolicited.
#[test]
fn an_unsolicited_extension_is_named_so() {
    let (addr, server) = after_the_hello_answering(|sid| {
        // renegotiation_info, then status_request (5), empty.
        server_hello(0x0303, sid, &[0xc0, 0x2f], &[0xff, 1, 0, 1, 0, 0, 5, 0, 0])
    });
    let pki = test_pki();
    let d = &diagnosed(&addr, &pki, &["--tls1_2"]);
    server.join().expect("server");
    assert_eq!(d["cause"], "malformed_message", "{d}");
    assert!(openssl_reason_has(d, "unsolicited extension"), "{d}");
    let summary = d["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("an extension this end never offered"),
        "{d}"
    );
}

/// A TLS 1.3 ServerHello with neither key_share nor pre_shared_key: no
/// key can be agreed (OpenSSL: "no suitable key share"), which is what
/// the diagnosis says, not a ClientHello's rule.
#[test]
fn a_tls13_server_hello_without_a_key_share_is_named_so() {
    let (addr, server) = after_the_hello_answering(|sid| {
        // supported_versions = TLS 1.3, nothing else.
        server_hello(0x0303, sid, &[0x13, 0x01], &[0, 0x2b, 0, 2, 3, 4])
    });
    let pki = test_pki();
    let d = &diagnosed(&addr, &pki, &[]);
    server.join().expect("server");
    assert!(openssl_reason_has(d, "no suitable key share"), "{d}");
    let summary = d["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("neither a key_share nor a pre_shared_key"),
        "{d}"
    );
    assert!(!summary.contains("supported_groups"), "{d}");
}

/// A TLS 1.2 Certificate message whose one entry is 200 bytes that are no
/// DER: the certificate could not be read at all, and the chain evidence
/// names no issuer for it.
#[test]
fn a_certificate_that_is_not_der_is_named_so() {
    let (addr, server) = after_the_hello_answering(|sid| {
        // ECDHE-RSA-AES128-GCM-SHA256 with renegotiation_info, which an
        // OpenSSL 3 client requires.
        let sh = server_hello_message(0x0303, sid, &[0xc0, 0x2f], &[0xff, 1, 0, 1, 0]);
        let garbage = [0x5a; 200];
        let mut list = vec![0];
        list.extend_from_slice(&(garbage.len() as u16).to_be_bytes());
        list.extend_from_slice(&garbage);
        let mut certificate = vec![0];
        certificate.extend_from_slice(&(list.len() as u16).to_be_bytes());
        certificate.extend_from_slice(&list);
        record(22, &[sh, handshake(11, &certificate)].concat())
    });
    let pki = test_pki();
    let d = &diagnosed(&addr, &pki, &["--tls1_2"]);
    server.join().expect("server");
    let summary = d["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("not a DER-encoded X.509 certificate"),
        "{d}"
    );
    let chain = common::evidence(d, "Certificate chain").expect("the chain");
    assert_eq!(chain, "[<unparseable certificate: 200 bytes>]", "{d}");
}

/// A real OpenSSL server's TLS 1.2 flight, replayed to another connection:
/// its ServerKeyExchange is signed over the first ClientHello's random, so
/// for this one the signature does not verify (OpenSSL: bad signature).
#[test]
fn a_server_key_exchange_whose_signature_fails_is_named_so() {
    let pki = test_pki();
    // The probe's ClientHello, as a server gets it.
    let (addr, hello) = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let hello = std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().expect("accept");
            let mut buf = vec![0u8; 4096];
            let n = tcp.read(&mut buf).expect("a ClientHello");
            buf.truncate(n);
            buf
        });
        (addr, hello)
    };
    let _ = probe(&addr, &pki, "summary", &["--timeout", "1"]);
    let hello = hello.join().expect("hello");
    // An OpenSSL server's answer to it, up to its ServerHelloDone.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let real = listener.local_addr().expect("addr");
    let mut b = pki
        .pki
        .server(testkit::pki::KeyType::EcdsaP256)
        .acceptor()
        .expect("acceptor");
    b.set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
        .expect("TLS 1.2");
    let acceptor = b.build();
    std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        let _ = acceptor.accept(tcp);
    });
    let mut tcp = TcpStream::connect(real).expect("connect");
    tcp.write_all(&hello).expect("hello sent");
    tcp.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("time-out");
    let mut flight = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = tcp.read(&mut buf) {
        flight.extend_from_slice(&buf[..n]);
    }
    assert!(flight.len() > 100, "a flight: {flight:?}");

    let (addr, server) = after_the_hello(move |tcp| {
        let _ = tcp.write_all(&flight);
        std::thread::sleep(Duration::from_millis(200));
    });
    let d = &diagnosed(&addr, &pki, &[]);
    server.join().expect("server");
    assert_eq!(d["cause"], "bad_signature", "{d}");
    assert_eq!(d["fault"], "server", "{d}");
    assert!(openssl_reason_has(d, "bad signature"), "{d}");
    let summary = d["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("the server's ServerKeyExchange carries a signature"),
        "{d}"
    );
}
