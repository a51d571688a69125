//! A server that does not know the name asked for, says so with a warning
//! unrecognized_name and serves its default certificate (gnutls-serv with
//! `--sni-hostname`, at TLS 1.2, where the warning is sent in the clear):
//! the SNI row names the warning, and the probe is not a failed one, as
//! its handshake went through.

mod common;
mod scan_support;

use std::process::Command;

use common::{gnutls_serv, run, write_pki};

use scan_support::*;

#[test]
fn a_warning_for_an_unknown_name_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = gnutls_serv(&[
        "--sni-hostname",
        "localhost",
        "--x509certfile",
        &p(d, "server-rsa2048.chain.pem"),
        "--x509keyfile",
        &p(d, "server-rsa2048.key"),
        "--priority",
        "NORMAL:-VERS-ALL:+VERS-TLS1.2",
    ]);
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
