//! `serve --verify-client FILE` names the CAs of FILE in its
//! CertificateRequest, as `openssl s_server -Verify 1 -CAfile FILE` does:
//! s_client lists the same "Acceptable client certificate CA names"
//! against both.

mod common;

use std::process::Command;

use common::{harness, run, Proc, LIMIT};

/// The CA names s_client, connecting to `addr` with the test client's
/// certificate, says the server asked for.
fn acceptable_ca_names(dir: &std::path::Path, addr: &str) -> Vec<String> {
    let pem = |f: &str| dir.join(f).to_str().expect("utf-8 path").to_owned();
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", addr, "-servername", "localhost"])
        .args(["-CAfile", &pem("root.pem")])
        .args(["-cert", &pem("client-rsa2048.crt")])
        .args(["-cert_chain", &pem("intermediate.pem")])
        .args(["-key", &pem("client-rsa2048.key")]);
    let o = run(cmd);
    let mut names = Vec::new();
    let mut block = false;
    for l in o.stdout.lines() {
        if l == "Acceptable client certificate CA names" {
            block = true;
        } else if block && (l.starts_with("Requested Signature Algorithms") || l.starts_with("---"))
        {
            break;
        } else if block {
            names.push(l.to_owned());
        }
    }
    assert!(block, "s_client lists no acceptable CA names: {}", o.stdout);
    names
}

#[test]
fn the_certificate_request_names_the_cas_of_the_file() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    let cert = ["-cert", &pem("server-rsa2048.chain.pem")];
    let key = ["-key", &pem("server-rsa2048.key")];

    let mut reference: Vec<&str> = vec!["-Verify", "1", "-CAfile"];
    let root = pem("root.pem");
    reference.push(&root);
    reference.extend(cert);
    reference.extend(key);
    let (s_server, addr) = common::s_server(&reference);
    let expected = acceptable_ca_names(dir.path(), &addr);
    drop(s_server);
    assert!(!expected.is_empty(), "s_server names no CA");

    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--once"];
    args.extend(["--verify-client", &root, "--cert", cert[1], "--key", key[1]]);
    let mut serve = Proc::spawn(harness(&args));
    let line = Proc::wait_line(&serve.stderr, LIMIT, "serve's address", |l| {
        l.starts_with("listening on ")
    });
    let addr = line.trim_start_matches("listening on ").trim().to_owned();
    assert_eq!(acceptable_ca_names(dir.path(), &addr), expected);
    assert!(serve.wait(LIMIT).success());
}

/// A `--verify-client` file that is a pipe (a shell's `<(...)`) yields its
/// contents once: serve reads it once, for both the trust store and the
/// CA names, and the names equal those it sends for the file itself.
#[test]
fn a_verify_client_pipe_is_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    let (cert, key, root) = (
        pem("server-rsa2048.chain.pem"),
        pem("server-rsa2048.key"),
        pem("root.pem"),
    );
    let serve_with = |ca: &str| {
        let args = [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--once",
            "--verify-client",
            ca,
            "--cert",
            &cert,
            "--key",
            &key,
        ];
        let mut serve = Proc::spawn(harness(&args));
        let line = Proc::wait_line(&serve.stderr, LIMIT, "serve's address", |l| {
            l.starts_with("listening on ")
        });
        let addr = line.trim_start_matches("listening on ").trim().to_owned();
        let names = acceptable_ca_names(dir.path(), &addr);
        assert!(serve.wait(LIMIT).success(), "serve --verify-client {ca}");
        names
    };
    let from_file = serve_with(&root);

    let fifo = dir.path().join("client-cas.pipe");
    common::pipe_once(&fifo, std::path::Path::new(&root));
    assert_eq!(serve_with(fifo.to_str().expect("utf-8 path")), from_file);
}
