//! `tls-harness scan` reads the TLS 1.3 downgrade sentinel (RFC 8446
//! 4.1.3) from the version probes' ServerHellos, as `openssl s_client
//! -trace` shows the ServerHello's random at TLS 1.2: yes for servers that
//! accept TLS 1.3 and end it with "DOWNGRD\x01" (`openssl s_server`,
//! `gnutls-serv`), not applicable for one that refuses TLS 1.3.

mod common;
mod scan_support;

use std::process::{Command, Stdio};

use common::{run, write_pki};
use scan_support::*;

/// "DOWNGRD\x01" as `-trace` prints bytes.
const TLS12_SENTINEL: &str = "444F574E47524401";

/// The last random_bytes line of the ServerHello `s_client -tls1_2
/// -trace` prints.
fn tls12_server_random(addr: &str) -> String {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-tls1_2", "-trace"])
        .stdin(Stdio::null());
    let out = run(c);
    let hello = out
        .stdout
        .split("ServerHello")
        .nth(1)
        .unwrap_or_else(|| panic!("no ServerHello in the trace: {}", out.stdout));
    hello
        .lines()
        .find_map(|l| l.trim().strip_prefix("random_bytes (len=28): "))
        .unwrap_or_else(|| panic!("no random in the ServerHello: {hello}"))
        .to_owned()
}

#[test]
fn the_downgrade_sentinel_is_read_as_s_client_traces_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);

    let (_server, addr) = s_server(d, &[]);
    assert!(tls12_server_random(&addr).ends_with(TLS12_SENTINEL));
    let r = scan_json(d, &addr, &[]);
    let dg = &r["findings"]["downgrade"];
    assert_eq!(dg["protected"], "yes", "{dg}");
    assert!(
        strings(&dg["probes"]).contains(&"version/tls1_2".to_owned()),
        "{dg}"
    );

    let (_server, addr) = gnutls_rsa(d, "NORMAL");
    assert!(tls12_server_random(&addr).ends_with(TLS12_SENTINEL));
    let r = scan_json(d, &addr, &["--jobs", "2"]);
    assert_eq!(r["findings"]["downgrade"]["protected"], "yes");

    // Without TLS 1.3 there is nothing to protect, and no sentinel.
    let (_server, addr) = s_server(d, &["-no_tls1_3"]);
    assert!(!tls12_server_random(&addr).ends_with(TLS12_SENTINEL));
    let r = scan_json(d, &addr, &[]);
    let dg = &r["findings"]["downgrade"];
    assert_eq!(dg["protected"], "not_applicable", "{dg}");
    assert!(
        dg["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("refuses TLS 1.3"),
        "{dg}"
    );
}
