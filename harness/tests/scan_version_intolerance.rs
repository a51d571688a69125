//! A TLS 1.2 server that closes on any ClientHello offering TLS 1.3 (a
//! middlebox or an old stack intolerant of the version, here a proxy in
//! front of `openssl s_server -no_tls1_3`): `openssl s_client` with its
//! defaults fails against it and with `-tls1_2` connects, and the scan's
//! default-client row names the intolerance rather than only the hang-up.

mod common;
mod scan_support;

use std::process::{Command, Stdio};

use common::{run, write_pki};
use scan_support::hello_proxy::{hello_proxy, offers_tls13, HelloAction};
use scan_support::*;

/// Whether `openssl s_client` with `args` completes a handshake.
fn s_client_connects(addr: &str, args: &[&str]) -> bool {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-servername", "localhost"])
        .args(args)
        .stdin(Stdio::null());
    let o = run(c);
    o.stdout.contains("Cipher is ") && !o.stdout.contains("Cipher is (NONE)")
}

#[test]
fn a_server_closing_on_tls13_hellos_is_named_version_intolerant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, upstream) = s_server(d, &["-no_tls1_3"]);
    let addr = hello_proxy(upstream, |hello| match offers_tls13(hello) {
        Some(true) => HelloAction::Close,
        _ => HelloAction::Pass,
    });
    assert!(
        !s_client_connects(&addr, &[]),
        "s_client's defaults connected"
    );
    assert!(
        s_client_connects(&addr, &["-tls1_2"]),
        "s_client -tls1_2 failed"
    );

    let (_, text) = scan(d, &addr, &[]);
    let row = text
        .lines()
        .find(|l| l.starts_with("default_client "))
        .unwrap_or_else(|| panic!("no default_client row: {text}"));
    assert!(row.contains("refused: "), "{row}");
    assert!(
        row.contains(
            "the server takes TLS 1.2 offered alone, but refused the hello offering every \
             version up to TLS 1.3 (base): version intolerance"
        ),
        "{row}"
    );
}
