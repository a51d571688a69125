//! `tls-harness scan` below TLS 1.3: which RFC 7919 groups a server takes
//! from the client's supported_groups for a DHE suite (gnutls-serv follows
//! the client), and a server that picks its prime itself (`openssl
//! s_server`). Policies about FFDHE groups are judged on what was found.

mod common;
mod scan_support;

use std::collections::BTreeSet;

use common::write_pki;
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
    let (_server, addr) = common::gnutls_serv(&[
        "--echo",
        "--disable-client-cert",
        "--x509certfile",
        &p(d, "server-rsa2048.chain.pem"),
        "--x509keyfile",
        &p(d, "server-rsa2048.key"),
        "--priority",
        priority,
    ]);
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
fn with_tls13_the_question_is_not_testable_and_a_policy_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    // TLS 1.3 with no FFDHE group, and DHE suites below it.
    let (_server, addr) = s_server(d, &["-groups", "x25519:P-256"]);
    let r = scan_json(d, &addr, &[]);
    let dh = &r["findings"]["dh"];
    assert_eq!(dh["negotiated_below_tls13"], Value::Null, "{dh}");
    let policy = d.join("ffdhe.toml");
    std::fs::write(&policy, "forbid_groups = [\"ffdhe2048\"]\n").expect("policy");
    let (code, text) = scan(d, &addr, &["--policy", policy.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("warn forbid_groups") && l.contains("not testable")),
        "{text}"
    );
}
