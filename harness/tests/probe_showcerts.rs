//! `tls-harness probe --showcerts` prints the certificates the server sent
//! as `openssl s_client -showcerts` does: the same PEM blocks, in the same
//! order, each under its subject and issuer; also when the client refuses
//! the chain, which is when it is worth reading.

mod common;
mod scan_support;

use std::process::{Command, Stdio};

use common::{harness, run, write_pki};
use scan_support::p;

/// The PEM blocks in `text`, in order.
fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line == "-----BEGIN CERTIFICATE-----" {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        }
        if line == "-----END CERTIFICATE-----" {
            blocks.extend(current.take());
        }
    }
    blocks
}

#[test]
fn showcerts_prints_what_s_client_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = common::s_server(&[
        "-cert",
        &p(d, "server-rsa2048.crt"),
        "-key",
        &p(d, "server-rsa2048.key"),
        "-cert_chain",
        &p(d, "intermediate.pem"),
    ]);
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-showcerts"])
        .stdin(Stdio::null());
    let reference = pem_blocks(&run(c).stdout);
    assert_eq!(reference.len(), 2, "s_client's chain");

    // No --cafile: the system store does not trust the test root, so the
    // handshake fails, and the chain is still shown.
    let o = run(harness(&[
        "probe",
        &addr,
        "--servername",
        "localhost",
        "--showcerts",
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", o.stdout);
    assert!(
        o.stdout.contains("certificate verify failed"),
        "{}",
        o.stdout
    );
    assert_eq!(pem_blocks(&o.stdout), reference, "{}", o.stdout);
    assert!(
        o.stdout.contains(
            " 1 s:O = openssl-handshake test, CN = openssl-handshake test Intermediate CA"
        ),
        "{}",
        o.stdout
    );

    let root = p(d, "root.pem");
    let o = run(harness(&[
        "probe",
        &addr,
        "--servername",
        "localhost",
        "--cafile",
        &root,
        "--showcerts",
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "{}", o.stderr);
    let line = common::first_json(&o);
    let pems: Vec<String> = line["certificates_pem"]
        .as_array()
        .expect("certificates_pem")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert_eq!(pems, reference);
}
