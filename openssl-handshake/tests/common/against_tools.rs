//! `openssl s_client` and `s_server` against a traced in-process end,
//! with the test PKI as files: the peers of the diagnosis tests that check
//! a cause against OpenSSL's own tools.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use openssl_handshake::HandshakeTrace;
use testkit::pki::{Credential, KeyType, PkiFiles};

use super::diagnosis::{traced_client, traced_server};
use super::pki;
use super::tool::{line_within, openssl, Reaped, OPENSSL_S_SERVER};

/// The test PKI as files, with each credential's leaf and chain apart.
pub struct Files {
    pub dir: tempfile::TempDir,
    pub pki: PkiFiles,
}

pub fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = pki().write_pem(dir.path()).expect("write PKI");
        Files { dir, pki }
    })
}

/// `-cert`, `-key` and, when it has one, `-cert_chain` for `cred`.
pub fn credential_args(name: &str, cred: &Credential) -> Vec<String> {
    let dir = files().dir.path();
    // Tests run in parallel and write the same files: each is written
    // aside and renamed into place, so that a tool reading it meanwhile
    // sees a whole file (the same bytes), never one cut short.
    let write = |file: &str, pem: Vec<u8>| -> PathBuf {
        let p = dir.join(format!("{name}-{file}"));
        let mut aside = tempfile::NamedTempFile::new_in(dir).expect("a temporary file");
        std::io::Write::write_all(&mut aside, &pem).expect("write PEM");
        aside.persist(&p).expect("rename the PEM into place");
        p
    };
    let leaf = write("leaf.pem", cred.cert.to_pem().expect("PEM"));
    let key = write("key.pem", cred.key_pem());
    let mut args = vec![
        "-cert".to_owned(),
        path(&leaf),
        "-key".to_owned(),
        path(&key),
    ];
    if !cred.chain.is_empty() {
        let chain: Vec<u8> = cred
            .chain
            .iter()
            .flat_map(|c| c.to_pem().expect("PEM"))
            .collect();
        args.extend(["-cert_chain".to_owned(), path(&write("chain.pem", chain))]);
    }
    args
}

pub fn path(p: &Path) -> String {
    p.to_str().expect("UTF-8 temp path").to_owned()
}

/// How long s_server may take to start: a start is no handshake, and on a
/// machine busy with a build beside the tests it has taken over 10 s.
const START: std::time::Duration = std::time::Duration::from_secs(30);

/// `openssl s_server` with the RSA credential unless `args` name another,
/// ready to accept, on a loopback port of its own choosing that its
/// ACCEPT line names: a port picked free and released first could be
/// taken by another test's server before s_server bound it.
pub fn s_server(args: &[String]) -> (Reaped, std::net::SocketAddr) {
    let mut cmd = openssl();
    cmd.args(["s_server", "-accept", "127.0.0.1:0"]);
    if !args.iter().any(|a| a == "-cert") {
        cmd.args(credential_args("rsa", pki().server(KeyType::Rsa2048)));
    }
    let (mut child, out) = Reaped::piped(cmd.args(args), OPENSSL_S_SERVER);
    let accept = match line_within(&out, START, |l| l.starts_with("ACCEPT "), drop) {
        Ok(line) => line,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // It exited: its stderr ends, and says why.
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("openssl s_server exited before accepting: {err}")
        }
        Err(e) => panic!("openssl s_server did not start within {START:?}: {e}"),
    };
    // Drained, so that the tool never blocks on (or dies of) its stderr.
    if let Some(mut e) = child.stderr.take() {
        thread::spawn(move || std::io::copy(&mut e, &mut std::io::sink()));
    }
    let addr = accept["ACCEPT ".len()..].trim();
    (
        child,
        addr.parse().expect("the address in s_server's ACCEPT line"),
    )
}

/// A traced server for one connection, with `openssl s_client args`
/// connecting to it; `input` is written to the tool's stdin.
pub fn against_s_client(
    server: &openssl::ssl::SslContext,
    args: &[&str],
    input: &[u8],
) -> HandshakeTrace {
    let (addr, handle) = traced_server(server);
    let mut child = Reaped::spawn(
        openssl()
            .args(["s_client", "-connect", &addr.to_string()])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("spawn openssl s_client");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
        // Give the tool time to act on the input before its stdin closes.
        thread::sleep(Duration::from_millis(300));
    }
    child.wait_exit();
    handle.join().expect("server thread")
}

pub fn root() -> String {
    path(&files().pki.root)
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// A traced client against `openssl s_server args`.
pub fn against_s_server(args: &[String], client: &openssl::ssl::SslContext) -> HandshakeTrace {
    let (_server, addr) = s_server(args);
    traced_client(client, addr, "localhost", |_| {})
}
