//! A TLS 1.2 server that signs with an ECDSA certificate on a curve the
//! client did not offer (gnutls-serv does; RFC 8422 section 5.1 forbids
//! it): OpenSSL's client refuses with "wrong curve", as `openssl
//! s_client` does, and probe names the curve and the client's groups
//! rather than calling the message malformed.

mod common;

use std::process::Command;

use common::{harness, run, write_pki};

#[test]
fn a_certificate_on_an_unoffered_curve_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let file = |name: &str| d.join(name).to_str().expect("utf-8 path").to_string();
    let (_server, addr) = common::gnutls_leaf(d, "server-ecdsa-p256", &["--priority", "NORMAL"]);
    // The reference: OpenSSL's own client refuses for the curve.
    let mut s_client = Command::new("openssl");
    s_client
        .args([
            "s_client",
            "-connect",
            &addr,
            "-tls1_2",
            "-groups",
            "X25519:P-384",
        ])
        .stdin(std::process::Stdio::null());
    let reference = run(s_client);
    assert!(
        reference.stderr.contains("wrong curve") || reference.stdout.contains("wrong curve"),
        "{}",
        reference.stderr
    );
    let root = file("root.pem");
    let out = run(harness(&[
        "probe",
        &addr,
        "--tls1_2",
        "--groups",
        "X25519:P-384",
        "--cafile",
        &root,
        "--servername",
        "localhost",
        "--linger",
        "0",
        "--format",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    let line: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("one JSON line");
    let d = &line["diagnosis"];
    assert_eq!(d["cause"], "no_shared_group", "{d}");
    assert_eq!(d["fault"], "server", "{d}");
    let summary = d["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains(
            "on secp256r1, a curve this client did not offer (it offered x25519, secp384r1)"
        ),
        "{summary}"
    );
}
