//! Starting `tls-harness serve` for the tests, and the files it serves.

use std::net::SocketAddr;

use crate::common::{harness, Proc, LIMIT};
use testkit::pki::Pki;

/// Starts `tls-harness serve` on a free port with `args` (and a generated
/// ECDSA certificate unless they give one or a key type); returns the guard and the
/// address it announced.
pub fn serve(args: &[&str]) -> (Proc, SocketAddr) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    if !args.contains(&"--cert") && !args.contains(&"--key-type") {
        all.extend(["--key-type", "ecdsa-p256"]);
    }
    all.extend(args);
    let p = Proc::spawn(harness(&all));
    let line = Proc::wait_line(&p.stderr, LIMIT, "serve's address", |l| {
        l.starts_with("listening on ")
    });
    let addr = line
        .trim_start_matches("listening on ")
        .trim()
        .parse()
        .expect("an address");
    (p, addr)
}

/// The test PKI's ECDSA P-256 chain and key and its root, written to `dir`.
pub fn ecdsa_files(dir: &tempfile::TempDir) -> (String, String, String) {
    let files = Pki::generate()
        .expect("PKI")
        .write_pem(dir.path())
        .expect("PEM files");
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();
    (
        path("server-ecdsa-p256.chain.pem"),
        path("server-ecdsa-p256.key"),
        files.root.to_str().expect("utf-8").to_string(),
    )
}
