//! `scan` of servers that ask for a client certificate, over TLS 1.3,
//! where the server's verdict on the client's (empty) certificate comes
//! after the client's handshake is done: a required certificate is read
//! from the alert that follows (certificate_required, as `openssl s_client`
//! reports it), an optional one from the handshake going on.

mod common;
mod scan_support;

use serde_json::Value;

use common::write_pki;
use scan_support::*;

fn resumption<'a>(r: &'a Value, kind: &str) -> &'a Value {
    r["findings"]["resumption"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["kind"] == kind))
        .unwrap_or_else(|| panic!("no {kind} resumption finding"))
}

#[test]
fn a_required_certificate_is_read_after_the_tls13_handshake() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let root = p(d, "root.pem");
    let (_server, addr) = s_server(d, &["-Verify", "1", "-verifyCAfile", &root]);
    let r = scan_json(d, &addr, &[]);
    let ca = &r["findings"]["client_auth"];
    assert_eq!(ca["requested"], "yes", "{ca}");
    assert_eq!(ca["required"], true, "{ca}");
    let detail = ca["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("certificate_required (116) after the handshake"),
        "{detail}"
    );
    // The base probe is listed as refused, with the diagnosis s_client's
    // alert supports.
    let base = &r["probes"]["base"];
    let error = base["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with(
            "rejected after the handshake: the server sent fatal alert certificate_required (116)"
        ),
        "{error}"
    );
    assert_eq!(base["diagnosis"]["cause"], "client_cert_required", "{base}");
    // Its tickets were never sent: PSK resumption cannot be judged.
    assert_eq!(resumption(&r, "psk")["resumed"], "not_testable");
    // What the handshakes negotiated stands.
    assert_eq!(version(&r, "tls1_3")["accepted"], "yes");

    // With a certificate the server trusts, resumption is asked.
    let with_cert = scan_json(
        d,
        &addr,
        &[
            "--cert",
            &p(d, "client-rsa2048.chain.pem"),
            "--key",
            &p(d, "client-rsa2048.key"),
        ],
    );
    assert_eq!(resumption(&with_cert, "psk")["resumed"], "yes");
    assert_eq!(
        with_cert["findings"]["client_auth"]["required"],
        Value::Null
    );
}

#[test]
fn an_optional_certificate_is_not_required() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let root = p(d, "root.pem");
    let (_server, addr) = s_server(d, &["-verify", "1", "-verifyCAfile", &root]);
    let r = scan_json(d, &addr, &[]);
    let ca = &r["findings"]["client_auth"];
    assert_eq!(ca["requested"], "yes", "{ca}");
    assert_eq!(ca["required"], false, "{ca}");
    assert_eq!(resumption(&r, "psk")["resumed"], "yes");
    assert!(
        r["probes"]["base"]["error"].is_null(),
        "{}",
        r["probes"]["base"]
    );
}
