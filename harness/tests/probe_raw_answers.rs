//! Servers answering with hand-made bytes: what a failed probe's last
//! line says of them.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;
use std::time::Duration;

use common::{first_json, harness, run};

/// A warning unrecognized_name (as servers send for a name they do not
/// know), then a ServerHello cut short after its version.
const ANSWER: [u8; 18] = [
    0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x70, // warning unrecognized_name
    0x16, 0x03, 0x03, 0x00, 0x06, // a handshake record of 6 bytes
    0x02, 0x00, 0x00, 0x02, 0x03, 0x03, // ServerHello of 2 bytes: a version
];

/// A server that answers one ClientHello with [`ANSWER`].
fn server() -> (String, thread::JoinHandle<()>) {
    answering(&ANSWER, Duration::ZERO)
}

/// A server that answers one ClientHello with `answer`, then waits `hold`
/// before reading again.
fn answering(answer: &'static [u8], hold: Duration) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let handle = thread::spawn(move || {
        let (mut tcp, _) = listener.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("time-out");
        let _ = tcp.read(&mut [0u8; 4096]);
        let _ = tcp.write_all(answer);
        thread::sleep(hold);
        // Read the client's alert, so that it is not met by a reset.
        let _ = tcp.read(&mut [0u8; 64]);
    });
    (addr, handle)
}

/// The verdict is the fatal alert that ended the handshake, not a
/// warning that came before it.
#[test]
fn a_warning_before_a_bad_server_hello_is_not_the_verdict() {
    // The reference: s_client hears the warning and sends its own fatal
    // alert for the truncated hello.
    let (addr, handle) = server();
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-state"]);
    let o = run(c);
    handle.join().expect("server thread");
    let text = |prefix: &str| {
        o.stdout
            .lines()
            .chain(o.stderr.lines())
            .find_map(|l| l.strip_prefix(prefix).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {prefix:?} line: {} {}", o.stdout, o.stderr))
    };
    assert_eq!(text("SSL3 alert read:"), "warning:unrecognized name");
    let sent = text("SSL3 alert write:fatal:").replace(' ', "_");

    let (addr, handle) = server();
    let out = run(harness(&["probe", &addr]));
    handle.join().expect("server thread");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains(&format!("the client sent fatal alert {sent} ")),
        "{last}"
    );
    assert!(!last.contains("unrecognized_name"), "{last}");
}

/// Three bytes of a record header, then silence: the server did answer,
/// which points elsewhere than a server that sent nothing.
#[test]
fn a_server_stalling_inside_a_record_header_did_send_something() {
    let (addr, handle) = answering(&[0x16, 0x03, 0x03], Duration::from_secs(3));
    let out = run(harness(&["probe", &addr, "--timeout", "1"]));
    handle.join().expect("server thread");
    assert_eq!(out.status.code(), Some(4), "{}", out.stderr);
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("the server sent 3 bytes but no whole message, then nothing within 1 s"),
        "{last}"
    );
}

/// A TLS 1.3 server that asks for a secp256r1 key share with a
/// HelloRetryRequest (RFC 8446, section 4.1.4), then says nothing more:
/// it went quiet after its HelloRetryRequest, with this client's second
/// ClientHello unanswered, not after a ServerHello.
#[test]
fn a_server_stalling_after_its_hello_retry_request_is_named_so() {
    stalls_after_hello_retry_request(&[]);
}

/// The same with the middlebox-compatibility ChangeCipherSpec servers
/// send after it (RFC 8446, appendix D.4), as OpenSSL's does: that record
/// is no step of the handshake, so the words still name the
/// HelloRetryRequest.
#[test]
fn a_compatibility_change_cipher_spec_after_a_hello_retry_request_is_passed_over() {
    stalls_after_hello_retry_request(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
}

/// Probes a server that answers the ClientHello with a HelloRetryRequest
/// and `then`, then stalls; checks what the time-out and the diagnosis
/// say.
fn stalls_after_hello_retry_request(then: &'static [u8]) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let handle = thread::spawn(move || {
        let (mut tcp, _) = listener.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("time-out");
        let mut header = [0u8; 5];
        tcp.read_exact(&mut header).expect("record header");
        let mut hello = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
        tcp.read_exact(&mut hello).expect("ClientHello");
        // Handshake header 4, version 2, random 32: then the session id,
        // which the HelloRetryRequest echoes.
        let sid = &hello[38..39 + usize::from(hello[38])];
        let mut body = vec![0x03, 0x03];
        body.extend(openssl::sha::sha256(b"HelloRetryRequest"));
        body.extend(sid);
        body.extend([0x13, 0x01, 0x00]); // TLS_AES_128_GCM_SHA256, no compression
        let extensions = [
            0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, // supported_versions: TLS 1.3
            0x00, 0x33, 0x00, 0x02, 0x00, 0x17, // key_share: secp256r1
        ];
        body.extend((extensions.len() as u16).to_be_bytes());
        body.extend(extensions);
        let mut record = vec![0x16, 0x03, 0x03];
        record.extend((body.len() as u16 + 4).to_be_bytes());
        record.extend([0x02, 0x00]);
        record.extend((body.len() as u16).to_be_bytes());
        record.extend(body);
        record.extend(then);
        tcp.write_all(&record).expect("HelloRetryRequest");
        let _ = tcp.read(&mut [0u8; 4096]);
        thread::sleep(Duration::from_secs(3));
    });
    let out = run(harness(&[
        "probe",
        &addr,
        "--timeout",
        "1",
        "--format",
        "json",
    ]));
    handle.join().expect("server thread");
    assert_eq!(out.status.code(), Some(4), "{}", out.stderr);
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains(
            "the server stopped answering for 1 s (--timeout) after its HelloRetryRequest and \
             this client's second ClientHello"
        ),
        "{last}"
    );
    // The diagnosis names the HelloRetryRequest too, not "the peer was slow".
    let trace = first_json(&out);
    let summary = trace["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("the peer stopped answering after its HelloRetryRequest"),
        "{summary}"
    );
    // The record was read: the trace has it, after this client's answer,
    // taken unreported (OpenSSL 3.0, 3.1) or reported (3.2+).
    let events = trace["trace"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ccs = |e: &serde_json::Value| {
        let k = &e["kind"];
        k["content_type"] == 20
            && (k["type"] == "unreported_record"
                || (k["type"] == "message" && k["direction"] == "read"))
    };
    let second_hello = events
        .iter()
        .rposition(|e| e["kind"]["direction"] == "write" && e["kind"]["handshake_type"] == 1);
    let after = events.iter().rposition(ccs);
    assert_eq!(after.is_some(), !then.is_empty(), "{events:?}");
    assert!(after.is_none_or(|at| Some(at) > second_hello), "{events:?}");
}
