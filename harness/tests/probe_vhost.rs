//! probe asking a GnuTLS server for a name it does not host: gnutls-serv
//! with `--sni-hostname` answers a TLS 1.2 hello for another name with a
//! warning unrecognized_name and its default certificate, which the
//! client then refuses for the name. Neither end is to blame for sure: the
//! client may have used a wrong name, or the server may lack a host.

mod common;

use common::{evidence, gnutls_serv, harness, run, write_pki};
use serde_json::Value;

#[test]
fn a_name_the_server_does_not_host_is_not_blamed_on_the_server_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_pki(dir.path());
    let file = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    let (chain, key, root) = (
        file("server-rsa2048.chain.pem"),
        file("server-rsa2048.key"),
        file("root.pem"),
    );
    let (_server, addr) = gnutls_serv(&[
        "--sni-hostname",
        "localhost",
        "--x509certfile",
        &chain,
        "--x509keyfile",
        &key,
        "--priority",
        "NORMAL:-VERS-ALL:+VERS-TLS1.2",
    ]);
    let out = run(harness(&[
        "probe",
        &addr,
        "--cafile",
        &root,
        "--servername",
        "other.example",
        "--format",
        "json",
    ]));
    let line: Value = serde_json::from_str(out.stdout.trim()).expect("one JSON object");
    let d = &line["diagnosis"];
    assert_eq!(d["cause"], "server_cert_wrong_host", "{d:#}");
    assert_eq!(d["fault"], "unknown", "{d:#}");
    let alert = evidence(d, "alert received").expect("the warning as evidence");
    assert!(
        alert
            .as_str()
            .is_some_and(|a| a.contains("unrecognized_name")),
        "{alert}"
    );
}

/// An address given as the name is checked against the certificate's IP
/// subjectAltNames (the test PKI's server has 127.0.0.1) and, as RFC 6066
/// allows no IP literal in SNI, not sent; gnutls-cli does the same.
#[test]
fn an_address_as_the_name_is_checked_as_one_and_not_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_pki(dir.path());
    let file = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();
    let (_server, addr) = common::gnutls_leaf(dir.path(), "server-rsa2048", &[]);
    let out = run(harness(&[
        "probe",
        &addr,
        "--cafile",
        &file("root.pem"),
        "--servername",
        "127.0.0.1",
        "--format",
        "json",
    ]));
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    let line: Value = serde_json::from_str(out.stdout.trim()).expect("one JSON object");
    let n = &line["trace"]["negotiated"];
    assert_eq!(n["verify"]["code"], 0, "{n:#}");
    assert!(n["sni"].is_null(), "{n:#}");
}
