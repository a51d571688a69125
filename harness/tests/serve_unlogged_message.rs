//! A TLS 1.3 client whose certificate comes as a CompressedCertificate the
//! server never offered (tlslite-ng 0.8.2 does so, against RFC 8879):
//! OpenSSL decrypts the record, then refuses the message by its type
//! before its message callback sees it. `s_server -msg` shows the record
//! decrypted (an InnerContent line) and then the error; the trace must not
//! call the record refused, and the diagnosis must say the message is not
//! in the log.

mod common;

use std::path::Path;
use std::process::Command;

use common::{harness, tlslite_python, Proc, LIMIT};
use serde_json::Value;

/// tlslite-ng's client, with the test client's certificate, against `addr`.
fn tlslite_client(dir: &Path, addr: &str) {
    let python = tlslite_python();
    let script = python.with_file_name("tls.py");
    assert!(
        script.is_file(),
        "no tlslite-ng tls.py next to {} (ci/test.sh makes target/tlslite-venv)",
        python.display()
    );
    let pem = |f: &str| dir.join(f).to_str().expect("utf-8 path").to_owned();
    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .args(["client", "-c", &pem("client-rsa2048.chain.pem")])
        .args(["-k", &pem("client-rsa2048.key")])
        .arg(addr.replace("127.0.0.1", "localhost"));
    let mut client = Proc::spawn(cmd);
    client.close_stdin();
    client.wait(LIMIT);
}

#[test]
fn a_message_refused_by_its_type_is_not_called_a_refused_record() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    let server_args = [
        "-cert",
        &pem("server-rsa2048.chain.pem"),
        "-key",
        &pem("server-rsa2048.key"),
        "-Verify",
        "1",
        "-CAfile",
        &pem("root.pem"),
    ];

    // The reference: s_server decrypts the record and refuses its message.
    let mut reference: Vec<&str> = server_args.to_vec();
    reference.extend(["-msg", "-tls1_3"]);
    let (s_server, addr) = common::s_server(&reference);
    tlslite_client(dir.path(), &addr);
    Proc::wait_line(
        &s_server.stdout,
        LIMIT,
        "a record read and decrypted",
        |l| l.starts_with("<<< ") && l.contains("InnerContent"),
    );
    let mut out = Proc::drain(&s_server.stdout);
    out.extend(Proc::drain(&s_server.stderr));
    drop(s_server);
    assert!(
        !out.iter()
            .any(|l| l.starts_with("<<< ") && l.contains("Handshake")),
        "s_server logged the client's message: {out:#?}"
    );

    let serve = Proc::spawn(harness(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--once",
        "--cert",
        &pem("server-rsa2048.chain.pem"),
        "--key",
        &pem("server-rsa2048.key"),
        "--verify-client",
        &pem("root.pem"),
        "--format",
        "json",
    ]));
    let line = Proc::wait_line(&serve.stderr, LIMIT, "serve's address", |l| {
        l.starts_with("listening on ")
    });
    let addr = line.trim_start_matches("listening on ").trim().to_owned();
    tlslite_client(dir.path(), &addr);
    let json = Proc::wait_line(&serve.stdout, LIMIT, "serve's JSON line", |l| {
        l.starts_with('{')
    });
    let line: Value = serde_json::from_str(&json).expect("a JSON line");
    let events = line["trace"]["events"].as_array().expect("events");
    assert!(
        !events
            .iter()
            .any(|e| e["kind"]["type"] == "unaccepted_record"),
        "{events:#?}"
    );
    let d = &line["diagnosis"];
    assert_eq!(d["cause"], "unexpected_message", "{d:#}");
    assert_eq!(d["fault"], "client", "{d:#}");
    let summary = d["summary"].as_str().expect("a summary");
    assert!(
        summary.ends_with("OpenSSL refused it by its type before logging it"),
        "{summary}"
    );
}
