//! `scan` asks each server for a renegotiation after a TLS 1.2 handshake:
//! OpenSSL 3's s_server refuses by default (no_renegotiation) and runs it
//! with `-client_renegotiation`; gnutls-serv runs it, insecurely when told
//! to drop RFC 5746. The expectation is
//! each server's configuration, as testssl.sh `-R` reads it too.

mod common;
mod scan_support;

use serde_json::Value;

use common::write_pki;
use scan_support::*;

fn client_initiated(r: &Value) -> (&str, &str) {
    let f = &r["findings"]["renegotiation"];
    (
        f["client_initiated"].as_str().unwrap_or_default(),
        f["client_detail"].as_str().unwrap_or_default(),
    )
}

#[test]
fn client_initiated_renegotiation_is_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let policy = d.join("reneg.toml");
    std::fs::write(&policy, "forbid_client_renegotiation = true\n").expect("policy");
    let policy = policy.to_str().expect("utf-8 path").to_string();

    let (_refusing, addr) = s_server(d, &[]);
    let (code, text) = scan(d, &addr, &["--format", "json", "--policy", &policy]);
    let r: Value = serde_json::from_str(&text).expect("scan JSON");
    let (verdict, detail) = client_initiated(&r);
    assert_eq!(verdict, "no", "{detail}");
    assert!(
        detail.contains("refused with warning alert no_renegotiation (100)"),
        "{detail}"
    );
    assert_eq!(code, Some(0));

    let (_allowing, addr) = s_server(d, &["-client_renegotiation"]);
    let (code, text) = scan(d, &addr, &["--format", "json", "--policy", &policy]);
    let r: Value = serde_json::from_str(&text).expect("scan JSON");
    assert_eq!(client_initiated(&r).0, "yes", "{}", client_initiated(&r).1);
    assert_eq!(code, Some(1), "forbid_client_renegotiation fails");

    // A server whose TLS 1.2 handshake needs a client certificate: the
    // question is never asked, which the rule must not read as a pass.
    let (_demanding, addr) = s_server(d, &["-no_tls1_3", "-Verify", "1"]);
    let (o, text) = scan_any(d, &addr, &["--format", "json", "--policy", &policy]);
    let r: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        client_initiated(&r).0,
        "not_testable",
        "{}",
        client_initiated(&r).1
    );
    let rule = &r["policy"]["rules"][0];
    assert_eq!(rule["outcome"], "unverified", "{rule}");
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);

    let (_gnutls, listening) =
        common::gnutls_leaf(d, "server-rsa2048", &["--priority", "NORMAL:-VERS-TLS1.3"]);
    let r = scan_json(d, &listening, &[]);
    assert_eq!(client_initiated(&r).0, "yes", "{}", client_initiated(&r).1);

    // Without RFC 5746 (GnuTLS can be told to drop it), a renegotiation
    // the server runs is the insecure one (sslscan: "Insecure session
    // renegotiation supported").
    let (_insecure, listening) = common::gnutls_leaf(
        d,
        "server-rsa2048",
        &[
            "--priority",
            "NORMAL:-VERS-TLS1.3:%DISABLE_SAFE_RENEGOTIATION",
        ],
    );
    let r = scan_json(d, &listening, &[]);
    assert_eq!(r["findings"]["renegotiation"]["secure"], "no");
    let (verdict, detail) = client_initiated(&r);
    assert_eq!(verdict, "yes", "{detail}");
    assert!(detail.ends_with("(CVE-2009-3555)"), "{detail}");
    let weakness = r["findings"]["weaknesses"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["reference"] == "CVE-2009-3555"))
        .unwrap_or_else(|| panic!("no renegotiation weakness: {}", r["findings"]));
    assert_eq!(weakness["affected"], "yes", "{weakness}");
}

/// RFC 5746 in every ServerHello does not close CVE-2009-3555 where the
/// server also renegotiates with clients that lack it: s_server
/// `-legacy_renegotiation` does (gnutls-cli without RFC 5746 gets "-
/// ReHandshake was completed"), and OpenSSL's client, which always sends
/// the extension, cannot try it. Not testable, never a no (testssl.sh
/// says OK here).
#[test]
fn rfc5746_with_legacy_renegotiation_is_no_no() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_legacy, addr) = s_server(d, &["-client_renegotiation", "-legacy_renegotiation"]);
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    common::require("gnutls-cli", "--version", "gnutls-bin");
    let mut legacy_client = std::process::Command::new("gnutls-cli");
    legacy_client.args([
        "--insecure",
        "--rehandshake",
        "--priority",
        "NORMAL:-VERS-TLS1.3:%DISABLE_SAFE_RENEGOTIATION",
        "-p",
        port,
        host,
    ]);
    let o = common::run(legacy_client);
    assert!(
        o.stdout.contains("- ReHandshake was completed"),
        "the premise: {}{}",
        o.stdout,
        o.stderr
    );

    let r = scan_json(d, &addr, &[]);
    assert_eq!(r["findings"]["renegotiation"]["secure"], "yes");
    assert_eq!(client_initiated(&r).0, "yes", "{}", client_initiated(&r).1);
    let weakness = r["findings"]["weaknesses"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["reference"] == "CVE-2009-3555"))
        .unwrap_or_else(|| panic!("no renegotiation weakness: {}", r["findings"]));
    assert_eq!(weakness["affected"], "not_testable", "{weakness}");
    let detail = weakness["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("OpenSSL's client always sends the extension"),
        "{detail}"
    );
}
