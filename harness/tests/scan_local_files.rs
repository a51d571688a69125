//! The scan reads `--cafile` once, before any connection, and every
//! probe takes the anchors from memory: a pipe (what a shell's
//! `--cafile <(...)` passes) yields its contents to one reader only, and
//! the chain must verify against them all the same, as
//! `openssl verify -CAfile` says it does against the file.

mod common;
mod scan_support;

use std::process::Command;

use common::{harness, run, write_pki};
use scan_support::*;
use serde_json::Value;

#[test]
fn a_cafile_that_is_a_pipe_is_read_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let mut verify = Command::new("openssl");
    verify.args(["verify", "-CAfile", &p(d, "root.pem")]);
    verify.args([
        "-untrusted",
        &p(d, "intermediate.pem"),
        &p(d, "server-rsa2048.crt"),
    ]);
    let reference = run(verify);
    assert!(
        reference.stdout.ends_with(": OK\n"),
        "openssl verify: {}",
        reference.stdout
    );

    let fifo = d.join("anchors.pipe");
    common::pipe_once(&fifo, &d.join("root.pem"));

    let (_server, addr) = s_server(d, &[]);
    let out = d.join("scan.json");
    let o = run(harness(&[
        "scan",
        &addr,
        "--servername",
        "localhost",
        "--timeout",
        "3",
        "--cafile",
        fifo.to_str().expect("utf-8 path"),
        "--format",
        "json",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]));
    assert_eq!(o.status.code(), Some(0), "{}{}", o.stdout, o.stderr);
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report")).expect("JSON");
    let chain = &r["findings"]["chain"];
    assert_eq!(chain["chain_verify"][0], 0, "{chain}");
    assert_eq!(chain["client_verify"][0], 0, "{chain}");
}
