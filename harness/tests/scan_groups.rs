//! `tls-harness scan` reads a TLS 1.3 server's group order as the server
//! applies it: a key share it accepts is taken first, and only without
//! one does its own order choose (by HelloRetryRequest).

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};

use scan_support::*;

/// The group `openssl s_client -tls1_3 -groups LIST` ends up with: the
/// reference for what the scan must report.
fn s_client_group(addr: &str, groups: &str) -> String {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-tls1_3", "-groups", groups]);
    let o = run(c);
    o.stdout
        .lines()
        .find_map(|l| l.strip_prefix("Server Temp Key: ECDH, "))
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("s_client -groups {groups}: no temp key: {}", o.stdout))
        .to_owned()
}

#[test]
fn a_usable_key_share_wins_and_the_server_order_decides_without_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(d, &["-tls1_3", "-groups", "secp384r1:secp521r1"]);
    // The key share (for the first group) is taken when the server accepts it...
    assert_eq!(s_client_group(&addr, "secp521r1:secp384r1"), "secp521r1");
    // ...and when it does not, the server asks for its own first choice.
    assert_eq!(
        s_client_group(&addr, "x25519:secp521r1:secp384r1"),
        "secp384r1"
    );

    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    let g = groups_of(&r, "tls1_3");
    assert_eq!(strings(&g["accepted"]), ["secp384r1", "secp521r1"]);
    assert_eq!(g["preferred"], "secp384r1");
    assert_eq!(g["server_order"], true, "{g}");
    assert!(
        g["note"]
            .as_str()
            .is_some_and(|n| n.contains("a key share it accepts is taken first")),
        "{g}"
    );
    assert!(
        strings(&g["probes"]).contains(&"groups/tls1_3/order-without-key-share".to_owned()),
        "{g}"
    );
}
