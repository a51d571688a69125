//! A server that does not know the name asked for, says so with a warning
//! unrecognized_name and serves its default certificate (gnutls-serv with
//! `--sni-hostname`, at TLS 1.2, where the warning is sent in the clear):
//! the SNI row names the warning, and the probe is not a failed one, as
//! its handshake went through. A server whose TLS 1.3 handshakes all fail
//! whatever the name is asked at a version the given name gets through.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};

use scan_support::*;

#[test]
fn a_warning_for_an_unknown_name_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = common::gnutls_leaf(
        d,
        "server-rsa2048",
        &[
            "--sni-hostname",
            "localhost",
            "--priority",
            "NORMAL:-VERS-ALL:+VERS-TLS1.2",
        ],
    );
    // The reference: s_client hears the warning and completes.
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-msg", "-tls1_2"])
        .args(["-servername", harness::scan::sni::UNKNOWN_NAME]);
    let o = run(c);
    assert!(
        o.stdout.contains("warning unrecognized_name") && o.stdout.contains("Cipher is "),
        "{}",
        o.stdout
    );
    let (_, table) = scan(d, &addr, &[]);
    let row = table
        .lines()
        .find(|l| l.starts_with("sni") && l.contains(harness::scan::sni::UNKNOWN_NAME))
        .unwrap_or_else(|| panic!("no SNI row: {table}"));
    assert!(
        row.contains(
            "warning alert unrecognized_name (112), then the same certificate as the base probe"
        ),
        "{row}"
    );
    let failed = table.split("\nfailed probes\n").nth(1).unwrap_or("");
    assert!(!failed.contains("sni/unknown"), "{table}");
}

/// `s_client`'s handshake at `version` with `name` (`None`: no SNI):
/// whether it completed.
fn s_client_completes(addr: &str, version: Option<&str>, name: Option<&str>) -> bool {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr]);
    c.args(version);
    match name {
        Some(n) => c.args(["-servername", n]),
        None => c.arg("-noservername"),
    };
    let o = run(c);
    o.stdout.contains("Cipher is ") && !o.stdout.contains("Cipher is (NONE)")
}

#[test]
fn a_failure_at_tls13_whatever_the_name_is_not_blamed_on_sni() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    // No TLS 1.3 signature scheme: every TLS 1.3 handshake fails.
    let (_server, addr) = s_server(d, &["-sigalgs", "rsa_pkcs1_sha256"]);
    let unknown = harness::scan::sni::UNKNOWN_NAME;
    // The reference: with or without a name, TLS 1.3 fails and TLS 1.2
    // completes.
    for name in [Some("localhost"), Some(unknown), None] {
        assert!(!s_client_completes(&addr, None, name), "{name:?}");
        assert!(s_client_completes(&addr, Some("-tls1_2"), name), "{name:?}");
    }
    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    let cases = r["findings"]["sni"]["cases"].as_array().expect("sni cases");
    assert_eq!(cases.len(), 2, "{cases:?}");
    for c in cases {
        let b = c["behaviour"].as_str().unwrap_or_default();
        assert!(
            b.starts_with("the same certificate as for the given name at TLS 1.2"),
            "{c}"
        );
    }
}
