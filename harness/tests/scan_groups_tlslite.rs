//! TLS 1.3 group order against a server whose favourite is not the
//! client's first group: tlslite-ng, given secp384r1 first, takes a usable
//! key share but otherwise asks for secp384r1 whatever the client lists
//! first. Offered behind a refused group in either order, it names
//! secp384r1; the scan must call that the server's order. At TLS 1.2 it
//! takes the client's first curve, but serves its P-256 certificate only
//! to a client that lists P-256, which is not one of its groups.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};

use scan_support::*;

#[test]
fn a_servers_favourite_second_in_the_clients_list_is_its_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = tlslite_server(
        d,
        "server-ecdsa-p256.key",
        "server-ecdsa-p256.chain.pem",
        &[
            "--groups",
            "secp384r1,x25519,ffdhe3072",
            "--max-ver",
            "tls1.3",
        ],
    );
    // The reference: X25519 listed before P-384, the key share on P-256,
    // which it refuses: s_client gets secp384r1.
    let mut c = Command::new("openssl");
    c.args([
        "s_client",
        "-connect",
        &addr,
        "-tls1_3",
        "-groups",
        "P-256:X25519:P-384",
    ]);
    let o = run(c);
    assert!(
        o.stdout.contains("Server Temp Key: ECDH, secp384r1"),
        "{}",
        o.stdout
    );

    // At TLS 1.2 it takes the client's first curve, so long as the list
    // also names its certificate's (P-256, not one of its groups).
    let temp_key = |groups: &str| {
        let mut c = Command::new("openssl");
        c.args(["s_client", "-connect", &addr, "-tls1_2", "-groups", groups]);
        run(c).stdout
    };
    assert!(temp_key("X25519:P-384:P-256").contains("Server Temp Key: X25519"));
    assert!(temp_key("P-384:X25519:P-256").contains("Server Temp Key: ECDH, secp384r1"));

    let report = scan_json(d, &addr, &["--jobs", "2"]);
    let g = groups_of(&report, "tls1_3");
    assert_eq!(g["server_order"], true, "{g}");
    assert_eq!(g["preferred"], "secp384r1", "{g}");
    let g = groups_of(&report, "tls1_2");
    assert_eq!(g["server_order"], false, "{g}");
}
