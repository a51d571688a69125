//! `probe --linger 0` skips the reads after the handshake, and with them a
//! TLS 1.3 server's verdict on the client's certificate, which arrives
//! after the client's side of the handshake is done: the probe says so
//! rather than implying the server accepted.

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
