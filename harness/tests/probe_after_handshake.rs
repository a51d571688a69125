//! A server that closes the connection without close_notify once its
//! handshake is done, as many HTTPS servers do. OpenSSL's client answers
//! the end of file with a decode_error of its own ("unexpected eof while
//! reading", which `openssl s_client` prints too): the probe must say the
//! server hung up, not that its last message was malformed. One that
//! resets the connection instead hangs up too, not the handshake failing.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use common::{harness, run, Proc, LIMIT};
use serde_json::Value;
use testkit::pki::{KeyType, Pki};

/// What the server does once a handshake is done.
#[derive(Clone, Copy)]
enum Then {
    /// Closes without close_notify (the stream is dropped, not shut down).
    HangUp,
    /// Resets the connection.
    Reset,
    /// Sends an application data record that does not decrypt, then waits
    /// for the client's answer.
    Garbage,
}

/// Serves `n` connections, each a handshake and then `then`.
fn after_the_handshake(pki: &Pki, n: usize, then: Then) -> String {
    let acceptor = pki
        .server(KeyType::EcdsaP256)
        .acceptor()
        .expect("acceptor")
        .build();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(n).flatten() {
            if let Then::Reset = then {
                // Closed with a zero linger, a socket resets its connection.
                let linger = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
                linger.expect("SO_LINGER");
            }
            let Ok(mut tls) = acceptor.accept(tcp) else {
                continue;
            };
            if let Then::Garbage = then {
                let mut record = vec![0x17, 0x03, 0x03, 0x00, 0x20];
                record.extend([0x5a; 32]);
                let tcp = tls.get_mut();
                let _ = tcp.write_all(&record);
                let _ = tcp.read(&mut [0u8; 64]);
            }
        }
    });
    addr
}

/// Serves two connections that do `then` after the handshake: the first
/// to `openssl s_client`, whose standard error must show a line `s_client
/// says` (the reference), the second to the probe. The probe's exit code
/// and JSON line.
fn probed(then: Then, s_client_says: fn(&str) -> bool) -> (Option<i32>, Value) {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let pki = Pki::generate().expect("PKI");
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki.write_pem(dir.path()).expect("PEM files");
    let root = files.root.to_str().expect("utf-8 path").to_owned();
    let addr = after_the_handshake(&pki, 2, then);

    let mut reference = Command::new("openssl");
    reference.args(["s_client", "-connect", &addr, "-CAfile", &root]);
    // Its stdin stays open: only the server can end the session.
    let client = Proc::spawn(reference);
    Proc::wait_line(
        &client.stderr,
        LIMIT,
        "s_client's reference line",
        s_client_says,
    );
    drop(client);

    let out = run(harness(&[
        "probe",
        &addr,
        "--cafile",
        &root,
        "--servername",
        "localhost",
        "--format",
        "json",
    ]));
    let line = serde_json::from_str(out.stdout.trim()).expect("one JSON object");
    (out.status.code(), line)
}

#[test]
fn a_close_without_close_notify_after_the_handshake_is_a_hang_up() {
    let (code, line) = probed(Then::HangUp, |l| l.contains("unexpected eof while reading"));
    // The handshake worked, but the connection did not end well: 1, as
    // probe --help says.
    assert_eq!(code, Some(1), "{line:#}");
    let help = common::run(harness(&["probe", "--help"])).stdout;
    assert!(
        help.contains("or it worked and then,") && help.contains("a close without close_notify"),
        "{help}"
    );
    let trace = &line["trace"];
    assert_eq!(trace["outcome"]["status"], "succeeded", "{line:#}");
    assert_eq!(trace["late_alert_reason"], "unexpected eof while reading");
    let diagnosis = &line["diagnosis"];
    assert_eq!(diagnosis["cause"], "peer_closed", "{diagnosis:#}");
    let summary = diagnosis["summary"].as_str().expect("a summary");
    assert!(
        summary.starts_with("the server closed the connection without an alert"),
        "{summary}"
    );
    let fix = diagnosis["fix"].as_str().expect("a fix");
    assert!(fix.contains("close_notify (SSL_shutdown)"), "{fix}");
    // Nobody rejected anything: the headline says the server closed.
    let failure = line["failure"].as_str().expect("a failure");
    assert!(
        failure.starts_with(
            "closed after the handshake: the server closed the connection without close_notify"
        ),
        "{failure}"
    );
}

#[test]
fn a_reset_after_the_handshake_is_a_hang_up_not_a_failed_handshake() {
    // s_client, its handshake done, reads the reset.
    let (code, line) = probed(Then::Reset, |l| l.contains("read:errno=104"));
    assert_eq!(code, Some(1), "{line:#}");
    assert_eq!(line["trace"]["outcome"]["status"], "succeeded", "{line:#}");
    let failure = line["failure"].as_str().expect("a failure");
    assert!(
        failure.starts_with("connection lost after the handshake: ") && failure.contains("reset"),
        "{failure}"
    );
    let diagnosis = &line["diagnosis"];
    assert_eq!(diagnosis["cause"], "peer_closed", "{diagnosis:#}");
    assert_eq!(diagnosis["fault"], "server", "{diagnosis:#}");
    assert_eq!(
        diagnosis["summary"],
        "the server reset the connection (TCP RST) without an alert after the handshake \
         completed"
    );
}

/// A record from the server that does not decrypt, after the handshake:
/// this client refuses it with bad_record_mac, as s_client does, and the
/// probe says this client refused it rather than that it was rejected.
#[test]
fn a_record_this_client_refuses_after_the_handshake_is_said_to_be_refused() {
    let (code, line) = probed(Then::Garbage, |l| {
        l.contains("bad record mac") || l.contains("decryption failed")
    });
    assert_eq!(code, Some(1), "{line:#}");
    assert_eq!(
        line["failure"],
        "failed after the handshake: this client sent fatal alert bad_record_mac (20), \
         refusing what the server sent"
    );
    assert_eq!(line["diagnosis"]["fault"], "server", "{line:#}");
}
