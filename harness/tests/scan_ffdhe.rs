//! `tls-harness scan` below TLS 1.3: which RFC 7919 groups a server takes
//! from the client's supported_groups for a DHE suite (gnutls-serv follows
//! the client), and a server that picks its prime itself (`openssl
//! s_server`). Policies about FFDHE groups are judged on what was found.
//! The question is asked below TLS 1.3 with anonymous DHE too, so neither
//! an anonymous-only server nor one whose TLS 1.3 handshakes fail reads as
//! taking no group.

mod common;
mod scan_support;

use std::collections::BTreeSet;
use std::process::Command;

use common::{run, write_pki};
use serde_json::Value;

use scan_support::*;

#[test]
fn a_server_that_follows_supported_groups_below_tls13_is_enumerated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    // TLS 1.2 only, DHE-RSA only, two FFDHE groups: the expectation.
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:\
                    -GROUP-ALL:+GROUP-FFDHE3072:+GROUP-FFDHE2048";
    let (_server, addr) = common::gnutls_leaf(
        d,
        "server-rsa2048",
        &["--echo", "--disable-client-cert", "--priority", priority],
    );
    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    let dh = &r["findings"]["dh"];
    let below: BTreeSet<String> = strings(&dh["negotiated_below_tls13"]).into_iter().collect();
    let want: BTreeSet<String> = ["ffdhe2048", "ffdhe3072"].map(String::from).into();
    assert_eq!(below, want, "{dh}");

    // A policy forbidding one of them fails; one forbidding another passes.
    let policy = d.join("ffdhe.toml");
    for (forbidden, code) in [("ffdhe3072", 1), ("ffdhe4096", 0)] {
        std::fs::write(&policy, format!("forbid_groups = [\"{forbidden}\"]\n")).expect("policy");
        let (got, text) = scan(d, &addr, &["--policy", policy.to_str().expect("utf-8")]);
        assert_eq!(got, Some(code), "{forbidden}: {text}");
    }
}

#[test]
fn a_server_that_picks_its_prime_itself_is_told_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(d, &["-no_tls1_3", "-cipher", "DHE-RSA-AES128-GCM-SHA256"]);
    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    assert_picks_its_prime_itself(&r);
}

#[test]
fn a_server_with_tls13_is_asked_below_it_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    // TLS 1.3 with no FFDHE group, and DHE suites below it, which
    // s_client reaches at TLS 1.2 with a prime of the server's choosing.
    let (_server, addr) = s_server(d, &["-groups", "x25519:P-256"]);
    assert!(
        s_client_dh(&addr, Some("-tls1_2"), "DHE").is_some(),
        "s_client got no DHE at TLS 1.2"
    );
    let r = scan_json(d, &addr, &[]);
    assert_picks_its_prime_itself(&r);
    let policy = d.join("ffdhe.toml");
    std::fs::write(&policy, "forbid_groups = [\"ffdhe2048\"]\n").expect("policy");
    let (code, text) = scan(d, &addr, &["--policy", policy.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.lines().any(|l| l.contains("pass forbid_groups")),
        "{text}"
    );
}

/// `s_client` offering the DHE suites `ciphers` (and, where TLS 1.3 is
/// offered, the FFDHE groups): the DH temp key it got, if its handshake
/// completed.
fn s_client_dh(addr: &str, version: Option<&str>, ciphers: &str) -> Option<String> {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-cipher", ciphers]);
    c.args(version);
    c.args(["-groups", "ffdhe2048:ffdhe3072:ffdhe4096"]);
    let o = run(c);
    let completed = o.stdout.contains("Cipher is ") && !o.stdout.contains("Cipher is (NONE)");
    let key = o
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Server Temp Key: DH, "))
        .map(str::to_owned);
    key.filter(|_| completed)
}

/// The DH finding's answer below TLS 1.3 is the server picking its prime.
fn assert_picks_its_prime_itself(r: &Value) {
    let dh = &r["findings"]["dh"];
    assert_eq!(
        dh["negotiated_below_tls13"],
        Value::Array(Vec::new()),
        "{dh}"
    );
    let detail = dh["negotiation_detail"].as_str().unwrap_or_default();
    assert!(detail.contains("picks its prime itself"), "{dh}");
}

#[test]
fn an_anonymous_only_server_is_asked_with_anonymous_dhe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = common::s_server(&[
        "-www",
        "-nocert",
        "-no_tls1_3",
        "-cipher",
        "aNULL:@SECLEVEL=0",
    ]);
    // OpenSSL's "DHE" alias leaves anonymous DHE out; "kDHE" has it.
    assert_eq!(
        s_client_dh(&addr, Some("-tls1_2"), "DHE:!PSK:@SECLEVEL=0"),
        None
    );
    assert!(
        s_client_dh(&addr, Some("-tls1_2"), "kDHE:@SECLEVEL=0").is_some(),
        "no anonymous DHE handshake"
    );
    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    assert_picks_its_prime_itself(&r);
    // Its handshakes go through without a certificate, whatever the name:
    // the SNI rows say so rather than call the question untestable.
    for case in r["findings"]["sni"]["cases"].as_array().expect("SNI cases") {
        assert_eq!(case["behaviour"], "no certificate", "{case}");
    }
}

#[test]
fn a_server_whose_tls13_handshakes_fail_is_asked_below_tls13() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    // No TLS 1.3 signature scheme: TLS 1.3 fails, TLS 1.2 DHE does not.
    let (_server, addr) = s_server(d, &["-sigalgs", "rsa_pkcs1_sha256"]);
    assert_eq!(s_client_dh(&addr, None, "kDHE:@SECLEVEL=0"), None);
    assert!(
        s_client_dh(&addr, Some("-tls1_2"), "kDHE:@SECLEVEL=0").is_some(),
        "no DHE handshake at TLS 1.2"
    );
    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    assert_picks_its_prime_itself(&r);
}

/// No DHE suite below TLS 1.3 (s_client asking for one gets none): no
/// prime is measured, and the row says so in words.
#[test]
fn a_server_without_dhe_suites_measures_no_prime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(d, &["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    assert_eq!(s_client_dh(&addr, Some("-tls1_2"), "DHE:@SECLEVEL=0"), None);
    let (_, text) = scan(d, &addr, &[]);
    let row = text
        .lines()
        .find(|l| l.starts_with("dh "))
        .unwrap_or_else(|| panic!("no dh row: {text}"));
    assert!(
        row.contains(
            "parameters             no DHE prime measured; FFDHE groups: TLS 1.3 ffdhe2048"
        ),
        "{row}"
    );
}
