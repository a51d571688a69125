//! The fingerprint against real servers: each implementation in the table,
//! started with its own tools and defaults, must be named, and a server
//! that is not TLS must be "unknown". Which name is right comes from
//! which server the test started, never from a previous run.

mod common;
#[path = "fingerprint_support/rustls_server.rs"]
mod rustls_server;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::ports::serve_on_free_port;
use common::{require, tlslite_python, write_pki, Proc};
use harness::hostile::fingerprint::{self, Identification};

const TIMEOUT: Duration = Duration::from_secs(5);
/// How long a server may take to start listening.
const START: Duration = Duration::from_secs(20);

fn identify(addr: SocketAddr) -> Identification {
    let id = fingerprint::identify(addr, TIMEOUT, 7);
    println!("{}", id.summary);
    for a in &id.answers {
        println!("  {:<24} {}", a.probe.id(), a.observed);
    }
    id
}

fn assert_named(id: &Identification, name: &str) {
    assert!(id.known, "expected {name}; got {id:#?}");
    assert_eq!(id.name, name, "{id:#?}");
    assert!(id.basis.len() >= fingerprint::MIN_MATCHES);
    // Every other implementation was ruled out by some answer.
    assert!(
        id.ruled_out.iter().all(|r| !r.contradicted_by.is_empty()),
        "{id:#?}"
    );
}

/// Starts the server `command` gives for a port, on a free one, and
/// identifies it once a socket of its own listens there.
fn identify_server(command: impl Fn(u16) -> Command) -> Identification {
    let (_server, port) = serve_on_free_port(command);
    identify(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

fn pki() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    write_pki(dir.path());
    let path = dir.path().to_path_buf();
    (dir, path)
}

fn file(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// `openssl s_server` with `key` and `extra` options, identified. On a
/// port of its own choosing, which its ACCEPT line names: so not
/// `-quiet`, which leaves that line out and changes nothing on the wire.
fn s_server(key: &str, extra: &[&str]) -> Identification {
    require("openssl", "version", "the openssl package");
    let (_keep, dir) = pki();
    let (cert, key) = (
        file(&dir, &format!("server-{key}.crt")),
        file(&dir, &format!("server-{key}.key")),
    );
    let mut args = vec!["-cert", &cert, "-key", &key];
    args.extend(extra);
    let (_server, addr) = common::s_server(&args);
    identify(addr.parse().expect("s_server's address"))
}

#[test]
fn openssl_s_server_is_named_openssl() {
    assert_named(&s_server("rsa2048", &[]), "OpenSSL");
}

#[test]
fn openssl_without_tls13_or_tickets_is_still_named_openssl() {
    // What it does with the TLS 1.3 probes and whether it acknowledges
    // session_ticket is configuration; the rest still tells.
    assert_named(
        &s_server("ecdsa-p256", &["-no_tls1_3", "-no_ticket"]),
        "OpenSSL",
    );
}

/// `gnutls-serv --echo` with `extra` options.
fn gnutls_serv(extra: &[&str]) -> Identification {
    require("gnutls-serv", "--version", "gnutls-bin");
    let (_keep, dir) = pki();
    let (cert, key) = (
        file(&dir, "server-rsa2048.crt"),
        file(&dir, "server-rsa2048.key"),
    );
    let mut args = vec!["--echo", "--x509certfile", &cert, "--x509keyfile", &key];
    args.extend(extra);
    let (_server, addr) = common::gnutls_serv(&args);
    identify(addr.parse().expect("gnutls-serv's address"))
}

#[test]
fn gnutls_serv_is_named_gnutls() {
    assert_named(&gnutls_serv(&[]), "GnuTLS");
}

#[test]
fn gnutls_without_tls13_or_tickets_is_still_named_gnutls() {
    assert_named(
        &gnutls_serv(&["--noticket", "--priority", "NORMAL:-VERS-TLS1.3"]),
        "GnuTLS",
    );
}

#[test]
fn botan_tls_server_is_named_botan() {
    require("botan", "version", "botan");
    let (_keep, dir) = pki();
    let id = identify_server(|port| {
        let mut cmd = Command::new("botan");
        cmd.arg("tls_server")
            .arg(file(&dir, "server-rsa2048.crt"))
            .arg(file(&dir, "server-rsa2048.key"))
            .arg(format!("--port={port}"));
        cmd
    });
    assert_named(&id, "Botan 2");
}

#[test]
fn tlslite_server_is_named_tlslite() {
    let python = tlslite_python();
    // tlslite-ng installs its tls.py script next to the venv's python.
    let script = python.with_file_name("tls.py");
    assert!(
        script.is_file(),
        "no tlslite-ng tls.py next to {}: make a venv with tlslite-ng \
         (python3 -m venv target/tlslite-venv && target/tlslite-venv/bin/pip install tlslite-ng, \
         as ci/test.sh does) or set TLS_HARNESS_TLSLITE_PYTHON to its python",
        python.display()
    );
    let (keep, dir) = pki();
    let id = identify_server(|port| {
        let mut cmd = Command::new(&python);
        cmd.arg(&script)
            .args(["server", "-k", &file(&dir, "server-rsa2048.key")])
            .args(["-c", &file(&dir, "server-rsa2048.crt")])
            .arg(format!("127.0.0.1:{port}"))
            // It serves files from its working directory.
            .current_dir(keep.path());
        cmd
    });
    assert_named(&id, "tlslite-ng");
}

#[test]
fn a_rustls_server_is_named_rustls() {
    let pki = testkit::pki::Pki::generate().expect("test PKI");
    let server = rustls_server::RustlsServer::start(&pki);
    assert_named(&identify(server.addr), "rustls");
}

#[test]
fn a_server_that_is_not_tls_is_unknown() {
    // Accepts, answers every connection with an HTTP error, and closes.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { break };
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let id = identify(addr);
    assert!(!id.known, "{id:#?}");
    assert_eq!(id.name, "unknown");
    assert!(id.basis.is_empty());
    assert_eq!(id.answers.len(), fingerprint::Probe::ALL.len());
    assert!(id
        .answers
        .iter()
        .all(|a| matches!(a.answer, fingerprint::Answer::Unreadable { .. })));
}

#[test]
fn tls_harness_serve_is_named_openssl_and_survives_the_probes() {
    let mut cmd = common::harness(&["serve", "--listen", "127.0.0.1:0", "--timeout", "2"]);
    cmd.stdout(Stdio::null());
    let p = Proc::spawn(cmd);
    let line = Proc::wait_line(&p.stderr, START, "serve's listening line", |l| {
        l.starts_with("listening on ")
    });
    let addr: SocketAddr = line["listening on ".len()..]
        .trim()
        .parse()
        .expect("serve prints its address");
    assert_named(&identify(addr), "OpenSSL");
    // The HelloRetryRequest probe, whose client leaves after the retry,
    // once crashed a traced server; a second round shows it still serves.
    assert_named(&identify(addr), "OpenSSL");
}
