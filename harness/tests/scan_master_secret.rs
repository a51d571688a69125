//! `tls-harness scan` reads the extended master secret (RFC 7627) from
//! the version probes' ServerHellos: yes for `openssl s_server`, no for
//! `gnutls-serv` with %NO_SESSION_HASH, as `openssl s_client` reports
//! ("Extended master secret: yes/no").

mod common;
mod scan_support;

use std::process::{Command, Stdio};

use common::{run, write_pki};
use scan_support::*;

fn s_client_ems(addr: &str) -> String {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-tls1_2"])
        .stdin(Stdio::null());
    let out = run(c);
    out.stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Extended master secret: "))
        .unwrap_or_else(|| panic!("no EMS line from s_client: {}", out.stdout))
        .to_owned()
}

#[test]
fn the_extended_master_secret_is_read_as_s_client_reports_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);

    let (_server, addr) = s_server(d, &["-tls1_2"]);
    assert_eq!(s_client_ems(&addr), "yes");
    let r = scan_json(d, &addr, &[]);
    let ms = &r["findings"]["master_secret"];
    assert_eq!(ms["extended"], "yes", "{ms}");

    let (_server, addr) = gnutls_rsa(d, "NORMAL:-VERS-TLS1.3:%NO_SESSION_HASH");
    assert_eq!(s_client_ems(&addr), "no");
    let r = scan_json(d, &addr, &["--jobs", "2"]);
    let ms = &r["findings"]["master_secret"];
    assert_eq!(ms["extended"], "no", "{ms}");
    assert!(
        ms["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("TLS 1.2"),
        "{ms}"
    );
}
