//! A server that answers every ALPN offer with a protocol of its own
//! (Botan 2's `tls_server` says `echo/0.1`): the scan names the answer
//! and the offer it came to, which RFC 7301 forbids, and says that what
//! the server does with no overlap was not probed.

mod common;
mod scan_support;

use std::process::Command;

use common::ports::serve_on_free_port;
use common::{require, run, write_pki};

use scan_support::*;

#[test]
fn a_protocol_the_scan_did_not_offer_is_named() {
    require("botan", "version", "botan");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    // It prints its "Listening" line before it binds: ready once a socket
    // of its own listens.
    let (_server, port) = serve_on_free_port(|port| {
        let mut cmd = Command::new("botan");
        cmd.arg("tls_server")
            .arg(p(d, "server-rsa2048.chain.pem"))
            .arg(p(d, "server-rsa2048.key"))
            .arg(format!("--port={port}"));
        cmd
    });
    let addr = format!("127.0.0.1:{port}");
    // The reference: OpenSSL's client refuses the answer.
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-alpn", "h2,http/1.1"]);
    let o = run(c);
    assert!(
        (o.stdout.clone() + &o.stderr).contains("bad extension"),
        "{}{}",
        o.stdout,
        o.stderr
    );
    let report = scan_json(d, &addr, &[]);
    let a = &report["findings"]["alpn"];
    assert!(strings(&a["selected"]).is_empty(), "{a}");
    assert!(
        a["not_offered"]
            .as_str()
            .is_some_and(|n| n.starts_with("chose \"echo/0.1\" when offered h2, http/1.1")),
        "{a}"
    );
    assert_eq!(a["on_no_overlap"], "not probed", "{a}");
}

/// A server of h2 alone offered http/1.1 alone refuses the offer with
/// no_application_protocol, as `openssl s_client -alpn http/1.1` sees:
/// the row says so, not that the server selected none.
#[test]
fn an_offer_refused_outright_is_named_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(d, &["-alpn", "h2"]);
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-alpn", "http/1.1"])
        .stdin(std::process::Stdio::null());
    let o = run(c);
    let said = o.stdout.clone() + &o.stderr;
    assert!(said.contains("no application protocol"), "{said}");
    let (_, table) = scan(d, &addr, &["--alpn", "http/1.1"]);
    let row = table
        .lines()
        .find(|l| l.starts_with("alpn"))
        .unwrap_or_else(|| panic!("no ALPN row: {table}"));
    assert!(
        row.contains("the server refused them with alert no_application_protocol (120)"),
        "{row}"
    );
    assert!(!row.contains("selected none"), "{row}");
}
