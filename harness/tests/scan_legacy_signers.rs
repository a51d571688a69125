//! The scan's own TLS 1.2 ClientHellos, which ask for the suites OpenSSL
//! 3.0 dropped, list every signature scheme a server's key may need: a
//! server signs only with a scheme the client lists (RFC 5246 7.4.1.4.1),
//! so a DSA or Ed25519 server's 3DES suites are found only so. gnutls-cli,
//! offering the suite alone, is the reference for each.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};

use scan_support::*;

/// Whether gnutls-cli completes a TLS 1.2 handshake with `addr` under
/// `priority`.
fn gnutls_completes(addr: &str, priority: &str) -> bool {
    common::require("gnutls-cli", "--version", "gnutls-bin");
    let port = addr.rsplit(':').next().expect("port");
    let mut c = Command::new("gnutls-cli");
    c.args([
        "--priority",
        priority,
        "--insecure",
        "-p",
        port,
        "localhost",
    ])
    .stdin(std::process::Stdio::null());
    let out = run(c).stdout;
    out.contains("Handshake was completed")
}

/// gnutls-serv with a DSA certificate signs only with a DSA scheme the
/// client lists: the scan's TLS 1.2 hello must list them to find DHE-DSS
/// with 3DES there, which gnutls-cli completes a handshake with.
#[test]
fn a_dsa_server_s_3des_suite_is_found_at_tls12() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = common::gnutls_leaf(
        d,
        "server-dsa2048",
        &[
            "--priority",
            "NORMAL:+3DES-CBC:+DHE-DSS:+SIGN-DSA-SHA1:+SIGN-DSA-SHA256:-VERS-TLS1.3",
        ],
    );
    assert!(gnutls_completes(
        &addr,
        "NONE:+VERS-TLS1.2:+DHE-DSS:+3DES-CBC:+SHA1:+COMP-NULL:+SIGN-DSA-SHA1:+SIGN-DSA-SHA256:+GROUP-ALL",
    ));
    // One probe at a time: gnutls-serv serves one connection at a time, and
    // a probe queued behind slow DSA handshakes on a loaded machine can
    // wait out its time-out twice.
    let r = scan_json(d, &addr, &["--jobs", "1"]);
    let legacy = strings(&suites_of(&r, "tls1_2")["legacy"]);
    assert_eq!(
        legacy,
        ["EDH-DSS-DES-CBC3-SHA"],
        "{}",
        suites_of(&r, "tls1_2")
    );
}

/// gnutls-serv with an Ed25519 certificate signs its ECDHE_ECDSA suites
/// with ed25519 (RFC 8422), which the hello must list: without it the
/// server's 3DES suite, and SWEET32 with it, go unseen.
#[test]
fn an_ed25519_server_s_3des_suite_is_found_at_tls12() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = common::gnutls_leaf(
        d,
        "server-ed25519",
        &["--priority", "NORMAL:+3DES-CBC:-VERS-TLS1.3"],
    );
    assert!(gnutls_completes(
        &addr,
        "NONE:+VERS-TLS1.2:+ECDHE-ECDSA:+3DES-CBC:+SHA1:+COMP-NULL:+SIGN-EDDSA-ED25519:+GROUP-ALL",
    ));
    let r = scan_json(d, &addr, &["--jobs", "2"]);
    let legacy = strings(&suites_of(&r, "tls1_2")["legacy"]);
    assert_eq!(
        legacy,
        ["ECDHE-ECDSA-DES-CBC3-SHA"],
        "{}",
        suites_of(&r, "tls1_2")
    );
    let sweet32 = r["findings"]["weaknesses"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["name"] == "SWEET32"))
        .expect("a SWEET32 row")
        .clone();
    assert_eq!(sweet32["affected"], "yes", "{sweet32}");
}
