//! `tls-harness scan` against a server whose leaf has expired: the chain is
//! still complete (completeness is about issuers, not dates), and the leaf
//! says it expired rather than a negative number of days left.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};

use scan_support::*;

#[test]
fn an_expired_leaf_with_its_whole_chain_is_complete_and_says_expired() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (chain, key, root) = (
        p(d, "neg-expired.chain.pem"),
        p(d, "neg-expired.key"),
        p(d, "root.pem"),
    );
    // The reference: `openssl verify` fails on the date alone.
    let verify = |extra: &[&str]| {
        let mut c = Command::new("openssl");
        c.args(["verify", "-CAfile", &root, "-untrusted", &chain])
            .args(extra)
            .arg(&chain);
        run(c)
    };
    let dated = verify(&[]);
    assert!(
        dated.stdout.contains("error 10") || dated.stderr.contains("error 10"),
        "{} {}",
        dated.stdout,
        dated.stderr
    );
    assert!(verify(&["-no_check_time"]).stdout.contains(": OK"));

    let (_server, addr) =
        common::s_server(&["-www", "-cert", &chain, "-cert_chain", &chain, "-key", &key]);
    let r = scan_json(d, &addr, &[]);
    let ch = &r["findings"]["chain"];
    assert_eq!(ch["complete"], "yes", "{ch}");
    assert_eq!(ch["handshake_verify"][0], 10, "{ch}");
    assert!(
        ch["leaf_days_to_expiry"].as_i64().is_some_and(|d| d < 0),
        "{ch}"
    );
    let (_, table) = scan(d, &addr, &[]);
    let leaf = table
        .lines()
        .find(|l| l.starts_with("chain") && l.contains("#0"))
        .unwrap_or_else(|| panic!("no leaf row: {table}"));
    assert!(leaf.contains("(EXPIRED "), "{leaf}");
}
