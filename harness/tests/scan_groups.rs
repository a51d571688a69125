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
    let key = temp_key(addr, groups);
    key.strip_prefix("ECDH, ")
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("s_client -groups {groups}: not an ECDH key: {key}"))
        .to_owned()
}

/// What `openssl s_client -tls1_3 -groups LIST` prints as the server's
/// temporary key ("X25519, 253 bits", "ECDH, secp384r1, 384 bits").
fn temp_key(addr: &str, groups: &str) -> String {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-tls1_3", "-groups", groups]);
    let o = run(c);
    o.stdout
        .lines()
        .find_map(|l| l.strip_prefix("Server Temp Key: "))
        .unwrap_or_else(|| panic!("s_client -groups {groups}: no temp key: {}", o.stdout))
        .to_owned()
}

/// gnutls-serv with secp384r1, x25519 and secp256r1, in that order, and
/// `extra` priority keywords (each ending in `:`).
fn gnutls_groups(d: &std::path::Path, extra: &str) -> (harness::peer::process::ChildGuard, String) {
    let priority =
        format!("NORMAL:{extra}-GROUP-ALL:+GROUP-SECP384R1:+GROUP-X25519:+GROUP-SECP256R1");
    common::gnutls_leaf(
        d,
        "server-rsa2048",
        &["--disable-client-cert", "--priority", &priority],
    )
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
    // Its first choice of two is its whole order.
    let (_, table) = scan(d, &addr, &[]);
    let row = table
        .lines()
        .find(|l| l.starts_with("groups") && l.contains("TLS 1.3"))
        .unwrap_or_else(|| panic!("no TLS 1.3 groups row: {table}"));
    assert!(
        row.contains("secp384r1, secp521r1 (server order, prefers secp384r1)"),
        "{row}"
    );
}

/// The server's favourite need not be among the first two groups the
/// enumeration finds (those a usable key share put first): without one,
/// `-serverpref` asks for secp384r1 whatever the client's order.
#[test]
fn the_server_choice_without_a_key_share_is_asked_among_every_accepted_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(
        d,
        &[
            "-tls1_3",
            "-serverpref",
            "-groups",
            "secp384r1:x25519:secp256r1",
        ],
    );
    // x448 (refused) carries the key share: the HelloRetryRequest asks
    // for secp384r1 both ways round.
    for groups in [
        "x448:secp256r1:x25519:secp384r1",
        "x448:secp384r1:secp256r1:x25519",
    ] {
        assert_eq!(s_client_group(&addr, groups), "secp384r1", "{groups}");
    }

    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    let g = groups_of(&r, "tls1_3");
    let mut accepted = strings(&g["accepted"]);
    assert_eq!(
        accepted.first().map(String::as_str),
        Some("secp384r1"),
        "{g}"
    );
    accepted.sort();
    assert_eq!(accepted, ["secp256r1", "secp384r1", "x25519"], "{g}");
    assert_eq!(g["preferred"], "secp384r1", "{g}");
    assert_eq!(g["server_order"], true, "{g}");
    assert!(
        g["note"]
            .as_str()
            .is_some_and(|n| n.contains("asks for secp384r1, its own first choice")),
        "{g}"
    );
}

/// gnutls-serv's HelloRetryRequest asks for the client's first group it
/// accepts (an OpenSSL 3.0 server's asks for its own, `-serverpref` or
/// not), and the row says so.
#[test]
fn a_server_that_follows_the_client_without_a_key_share_reads_client_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = gnutls_groups(d, "");
    // x448 (refused) carries the key share.
    assert!(temp_key(&addr, "x448:secp384r1:x25519").starts_with("ECDH, secp384r1"));
    assert!(temp_key(&addr, "x448:x25519:secp384r1").starts_with("X25519"));

    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    let g = groups_of(&r, "tls1_3");
    assert_eq!(g["server_order"], false, "{g}");
    assert!(
        g["note"]
            .as_str()
            .is_some_and(|n| n.contains("asks for the client's first group")),
        "{g}"
    );
}

/// A TLS 1.2 server of only curves OpenSSL's client leaves out by default
/// (brainpool, secp256k1, as BSI TR-02102 profiles allow) is still a TLS
/// server: `s_client -groups brainpoolP256r1` connects, and so do the
/// scan's version probes.
#[test]
fn a_server_of_only_brainpool_curves_is_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(
        d,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "-groups",
            "brainpoolP256r1:secp256k1",
        ],
    );
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-tls1_2"])
        .args(["-groups", "brainpoolP256r1"]);
    let o = run(c);
    assert!(
        o.stdout.contains("Server Temp Key: ECDH, brainpoolP256r1"),
        "{}",
        o.stdout
    );

    let r = scan_json(d, &addr, &[]);
    assert_eq!(
        r["cannot_scan"],
        serde_json::Value::Null,
        "{}",
        r["cannot_scan"]
    );
    assert_eq!(version(&r, "tls1_2")["accepted"], "yes");
    let mut accepted = strings(&groups_of(&r, "tls1_2")["accepted"]);
    accepted.sort();
    assert_eq!(accepted, ["brainpoolP256r1", "secp256k1"]);
}

/// The scan's own hellos offer the groups OpenSSL's probes do: against a
/// server of x448 alone they find its ECDHE suite with 3DES, which
/// gnutls-cli offering only x448 completes a handshake with.
#[test]
fn own_hellos_reach_a_dropped_ecdhe_suite_over_x448() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = gnutls_rsa(d, "NORMAL:-VERS-TLS1.3:+3DES-CBC:-GROUP-ALL:+GROUP-X448");
    let port = addr.rsplit(':').next().expect("port");
    let mut c = Command::new("gnutls-cli");
    c.args([
        "--priority",
        "NONE:+VERS-TLS1.2:+ECDHE-RSA:+3DES-CBC:+SHA1:+COMP-NULL:+SIGN-ALL:+GROUP-X448",
        "--insecure",
        "-p",
        port,
        "localhost",
    ])
    .stdin(std::process::Stdio::null());
    let reference = run(c).stdout;
    assert!(reference.contains("(ECDHE-X448)"), "{reference}");
    assert!(reference.contains("(3DES-CBC)"), "{reference}");

    let r = scan_json(d, &addr, &["--jobs", "2"]);
    let legacy = strings(&suites_of(&r, "tls1_2")["legacy"]);
    assert!(
        legacy.contains(&"ECDHE-RSA-DES-CBC3-SHA".to_owned()),
        "{legacy:?}"
    );
}

/// gnutls-serv with `%SERVER_PRECEDENCE` follows its own order over the
/// client's key share, asking by HelloRetryRequest (s_client offering a
/// share for secp256r1 gets x25519, one for x25519 gets secp384r1): each
/// probe of the enumeration got its choice, so its whole order is known,
/// not only its first.
#[test]
fn a_server_choosing_against_the_key_share_has_its_whole_order_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = gnutls_groups(d, "%SERVER_PRECEDENCE:");
    assert!(temp_key(&addr, "P-256:x25519").starts_with("X25519"));
    assert!(temp_key(&addr, "x25519:P-384").starts_with("ECDH, secp384r1"));

    let (_, text) = scan(d, &addr, &[]);
    let row = text
        .lines()
        .find(|l| l.starts_with("groups") && l.contains("TLS 1.3"))
        .unwrap_or_else(|| panic!("no TLS 1.3 groups row: {text}"));
    assert!(
        row.contains("secp384r1, x25519, secp256r1 (server order, prefers secp384r1)"),
        "{row}"
    );
}
