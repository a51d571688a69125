//! What the probe tests share: the test PKI as files, `openssl s_server`
//! and `s_client -state` around it, and running `tls-harness probe`.
// Each probe test file includes this module and uses part of it.
#![allow(dead_code)]

pub mod scripted;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use harness::peer::process::ChildGuard;
use serde_json::Value;
use testkit::pki::Pki;

use crate::common::{self, harness, run, Proc};

/// How long both the probe and s_client wait after the handshake. On
/// loopback the server's tickets and alerts arrive within milliseconds;
/// this only has to be long enough for that.
pub const LINGER: &str = "2";
pub const HOLD: Duration = Duration::from_secs(2);

pub fn require_openssl() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
}

pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub pki: Pki,
    pub root: PathBuf,
    pub leaf: PathBuf,
    pub intermediate: PathBuf,
    pub key: PathBuf,
}

pub fn test_pki() -> TestPki {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate().expect("PKI");
    let files = pki.write_pem(dir.path()).expect("PEM files");
    let leaf = dir.path().join("server-ecdsa-p256.crt");
    let key = dir.path().join("server-ecdsa-p256.key");
    assert!(leaf.exists() && key.exists(), "the PKI wrote {leaf:?}");
    TestPki {
        root: files.root.clone(),
        intermediate: dir.path().join("intermediate.pem"),
        leaf,
        key,
        pki,
        dir,
    }
}

pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `openssl s_server` with the ECDSA leaf and its intermediate, plus
/// `extra`; returns the guard and the address it listens on.
pub fn s_server(pki: &TestPki, extra: &[&str]) -> (Proc, String) {
    let mut args = vec!["-cert", p(&pki.leaf), "-key", p(&pki.key)];
    args.extend(["-cert_chain", p(&pki.intermediate)]);
    args.extend(extra);
    common::s_server(&args)
}

/// The `-state` lines `openssl s_client` prints against `addr`, its stdin
/// held open for [`HOLD`] after the handshake (s_client sends close_notify
/// at end of input).
pub fn s_client_state(addr: &str, pki: &TestPki, extra: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", addr, "-state"])
        .args(["-CAfile", p(&pki.root), "-servername", "localhost"])
        .args(extra);
    // -state writes to stderr, between verify lines and error stacks.
    common::s_client_held(cmd, HOLD)
        .stderr
        .into_iter()
        .filter(|l| l.starts_with("SSL_connect:") || l.starts_with("SSL3 alert "))
        .collect()
}

pub fn probe(addr: &str, pki: &TestPki, format: &str, extra: &[&str]) -> common::Output {
    let mut args = vec!["probe", addr, "--cafile", p(&pki.root)];
    args.extend(["--servername", "localhost", "--format", format]);
    args.extend(["--linger", LINGER]);
    args.extend(extra);
    run(harness(&args))
}

pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parses each line of `text` as one JSON object.
pub fn json_lines(text: &str) -> Vec<Value> {
    lines(text)
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {l:?}"));
            assert!(v.is_object(), "{l}");
            v
        })
        .collect()
}

/// `gnutls-serv` on 127.0.0.1 with the PKI's ECDSA leaf and `extra`
/// arguments; returns it and its address.
pub fn gnutls_serv(pki: &TestPki, extra: &[&str]) -> (ChildGuard, String) {
    let chain = pki.dir.path().join("server-ecdsa-p256.chain.pem");
    let mut args = vec!["--x509certfile", p(&chain), "--x509keyfile", p(&pki.key)];
    args.extend(["--x509cafile", p(&pki.root)]);
    args.extend(extra);
    common::gnutls_serv(&args)
}
