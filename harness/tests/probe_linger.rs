//! `probe --linger 0` skips the reads after the handshake, and with them a
//! TLS 1.3 server's verdict on the client's certificate, which arrives
//! after the client's side of the handshake is done: the probe says so
//! rather than implying the server accepted; and TLS 1.3 tickets, which
//! arrive after the handshake too, so that `--reconnect` has none to offer:
//! the probe says it read none, not that the server sent none.

mod common;

use common::{harness, run};

#[test]
fn skipping_the_reads_after_a_tls13_handshake_is_noted() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    let (_server, addr) = common::s_server(&[
        "-cert",
        &pem("server-rsa2048.chain.pem"),
        "-cert_chain",
        &pem("server-rsa2048.chain.pem"),
        "-key",
        &pem("server-rsa2048.key"),
        "-tls1_3",
        "-Verify",
        "1",
        "-CAfile",
        &pem("root.pem"),
    ]);
    let probe = |linger: &str| {
        run(harness(&[
            "probe",
            &addr,
            "--cafile",
            &pem("root.pem"),
            "--servername",
            "localhost",
            "--linger",
            linger,
        ]))
    };
    let note = "note: --linger 0: a TLS 1.3 server's verdict on the client's certificate \
                arrives after this client's handshake is done";
    let unread = probe("0");
    assert!(unread.stderr.contains(note), "{}", unread.stderr);
    // Reading after the handshake hears the verdict instead.
    let read = probe("1");
    assert_eq!(read.status.code(), Some(1), "{}", read.stderr);
    assert!(!read.stderr.contains(note), "{}", read.stderr);
    assert!(
        read.stderr.contains("certificate_required (116)"),
        "{}",
        read.stderr
    );
}

#[test]
fn tickets_unread_with_linger_0_are_not_blamed_on_the_server() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    // s_server's TLS 1.3 default: two tickets after each full handshake.
    let (_server, addr) = common::s_server(&[
        "-cert",
        &pem("server-rsa2048.chain.pem"),
        "-cert_chain",
        &pem("server-rsa2048.chain.pem"),
        "-key",
        &pem("server-rsa2048.key"),
        "-tls1_3",
    ]);
    let probe = |linger: &str| {
        run(harness(&[
            "probe",
            &addr,
            "--cafile",
            &pem("root.pem"),
            "--servername",
            "localhost",
            "--reconnect",
            "--linger",
            linger,
            "--format",
            "json",
        ]))
    };
    // Reading after the handshake gets a ticket, and the second connection
    // resumes with it: the server does send them.
    let read = probe("1");
    assert!(read.status.success(), "{}", read.stderr);
    let second = |o: &common::Output| -> serde_json::Value {
        let line = o.stdout.lines().nth(1).unwrap_or_default();
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
    };
    assert!(!second(&read)["trace"]["negotiated"]["resumed"].is_null());
    let unread = second(&probe("0"));
    assert!(
        unread["trace"]["negotiated"]["resumed"].is_null(),
        "{unread}"
    );
    let notes = unread["notes"].to_string();
    assert!(
        !notes.contains("the server sent no NewSessionTicket"),
        "{notes}"
    );
    assert!(
        notes.contains(
            "the first connection left no session to resume (no NewSessionTicket was read: \
             TLS 1.3 tickets arrive after the handshake, and --linger 0 stops reading as it ends)"
        ),
        "{notes}"
    );
}
