//! `tls-harness scan` reads the downgrade sentinel (RFC 8446 4.1.3) from
//! the version probes' ServerHellos, as `openssl s_client -trace` shows
//! the ServerHello's random: yes for servers that accept TLS 1.3 and end
//! it with "DOWNGRD\x01" at TLS 1.2 (`openssl s_server`, `gnutls-serv`);
//! for TLS 1.2 servers, whether they end it with "DOWNGRD\x00" at TLS 1.1
//! (OpenSSL's does, GnuTLS's does not); not applicable for a server of
//! TLS 1.2 alone.

mod common;
mod scan_support;

use std::process::{Command, Stdio};

use common::{run, write_pki};
use scan_support::*;

/// "DOWNGRD\x01" and "DOWNGRD\x00" as `-trace` prints bytes.
const TLS12_SENTINEL: &str = "444F574E47524401";
const TLS11_SENTINEL: &str = "444F574E47524400";

/// The random_bytes of the ServerHello `s_client -trace` prints at
/// `version` (a flag: -tls1_2).
fn server_random(addr: &str, version: &str) -> String {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, version, "-trace"])
        .args(["-cipher", "ALL:@SECLEVEL=0"])
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

fn downgrade(d: &std::path::Path, addr: &str) -> serde_json::Value {
    scan_json(d, addr, &["--jobs", "2"])["findings"]["downgrade"].clone()
}

#[test]
fn the_downgrade_sentinel_is_read_as_s_client_traces_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);

    for (_server, addr) in [s_server_guarded(d, &[]), gnutls_guarded(d, "NORMAL")] {
        assert!(server_random(&addr, "-tls1_2").ends_with(TLS12_SENTINEL));
        let dg = downgrade(d, &addr);
        assert_eq!(dg["protected"], "yes", "{dg}");
        assert!(
            strings(&dg["probes"]).contains(&"version/tls1_2".to_owned()),
            "{dg}"
        );
    }

    // TLS 1.2 servers that also take TLS 1.1: the sentinel there is a
    // SHOULD, which s_client's trace shows each keeps or not.
    for (_server, addr) in [
        s_server_guarded(d, &["-no_tls1_3", "-cipher", "ALL:@SECLEVEL=0"]),
        gnutls_guarded(d, "NORMAL:-VERS-TLS1.3:+VERS-TLS1.1:+VERS-TLS1.0"),
    ] {
        let random = server_random(&addr, "-tls1_1");
        let want = if random.ends_with(TLS11_SENTINEL) {
            "yes"
        } else {
            "no"
        };
        assert!(!server_random(&addr, "-tls1_2").contains("444F574E475244"));
        let dg = downgrade(d, &addr);
        assert_eq!(dg["protected"], want, "{random}: {dg}");
    }

    // TLS 1.2 alone: nothing falls below a version the sentinel protects.
    let (_server, addr) = s_server(d, &["-no_tls1_3"]);
    assert!(!server_random(&addr, "-tls1_2").ends_with(TLS12_SENTINEL));
    let dg = downgrade(d, &addr);
    assert_eq!(dg["protected"], "not_applicable", "{dg}");
    assert!(
        dg["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("refuses TLS 1.3"),
        "{dg}"
    );
}

/// A server of either kind, kept alive by its guard.
type Guarded = (Box<dyn std::any::Any>, String);

fn s_server_guarded(d: &std::path::Path, extra: &[&str]) -> Guarded {
    let (server, addr) = s_server(d, extra);
    (Box::new(server), addr)
}

fn gnutls_guarded(d: &std::path::Path, priority: &str) -> Guarded {
    let (server, addr) = gnutls_rsa(d, priority);
    (Box::new(server), addr)
}
