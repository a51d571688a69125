//! `tls-harness scan` against a server whose leaf has expired: the chain is
//! still complete (completeness is about issuers, not dates), and the leaf
//! says it expired rather than a negative number of days left.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};

use scan_support::*;

#[test]
fn an_expired_leaf_with_its_whole_chain_is_complete_and_says_expired() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (chain, key, root) = (
        p(d, "neg-expired.chain.pem"),
        p(d, "neg-expired.key"),
        p(d, "root.pem"),
    );
    // The reference: `openssl verify` fails on the date alone.
    let verify = |extra: &[&str]| {
        let mut c = Command::new("openssl");
        c.args(["verify", "-CAfile", &root, "-untrusted", &chain])
            .args(extra)
            .arg(&chain);
        run(c)
    };
    let dated = verify(&[]);
    assert!(
        dated.stdout.contains("error 10") || dated.stderr.contains("error 10"),
        "{} {}",
        dated.stdout,
        dated.stderr
    );
    assert!(verify(&["-no_check_time"]).stdout.contains(": OK"));

    let (_server, addr) =
        common::s_server(&["-www", "-cert", &chain, "-cert_chain", &chain, "-key", &key]);
    let r = scan_json(d, &addr, &[]);
    let ch = &r["findings"]["chain"];
    assert_eq!(ch["complete"], "yes", "{ch}");
    assert_eq!(ch["handshake_verify"][0], 10, "{ch}");
    assert!(
        ch["leaf_days_to_expiry"].as_i64().is_some_and(|d| d < 0),
        "{ch}"
    );
    let (_, table) = scan(d, &addr, &[]);
    let leaf = table
        .lines()
        .find(|l| l.starts_with("chain") && l.contains("#0"))
        .unwrap_or_else(|| panic!("no leaf row: {table}"));
    assert!(leaf.contains("(EXPIRED "), "{leaf}");
}

/// The verify code `openssl s_client` reports against `addr`: the
/// reference for the scan's own verification, as a client on this machine
/// makes it (its default security level included).
fn s_client_verify_code(root: &str, addr: &str) -> i64 {
    let mut c = Command::new("openssl");
    c.args([
        "s_client",
        "-connect",
        addr,
        "-CAfile",
        root,
        "-verify_hostname",
        "localhost",
        "-servername",
        "localhost",
    ])
    .stdin(std::process::Stdio::null());
    let out = run(c);
    let line = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Verify return code: "))
        .unwrap_or_else(|| panic!("no verify code from s_client: {}", out.stdout));
    line.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unreadable verify code: {line}"))
}

/// An expired leaf sent without its intermediate: OpenSSL meets several
/// errors, and s_client, whose verify callback
/// goes on past each, prints a `verify error:num=N:text` line for every
/// one. The scan lists the same errors in the same order; its verify
/// result is the first (s_client's return code is the last).
#[test]
fn every_verify_error_is_listed_as_s_client_prints_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (chain, key, root) = (
        p(d, "neg-expired.chain.pem"),
        p(d, "neg-expired.key"),
        p(d, "root.pem"),
    );
    // `-cert` alone: the leaf, no intermediate.
    let (_server, addr) = common::s_server(&["-www", "-cert", &chain, "-key", &key]);
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-CAfile", &root])
        .args(["-verify_hostname", "localhost", "-servername", "localhost"])
        .stdin(std::process::Stdio::null());
    let out = run(c);
    let theirs: Vec<(i64, String)> = out
        .stdout
        .lines()
        .chain(out.stderr.lines())
        .filter_map(|l| l.strip_prefix("verify error:num="))
        .filter_map(|rest| {
            let (n, text) = rest.split_once(':')?;
            Some((n.parse().ok()?, text.to_owned()))
        })
        .collect();
    assert!(
        theirs.len() >= 3,
        "s_client's errors: {theirs:?}\n{}",
        out.stderr
    );

    let r = scan_json(d, &addr, &[]);
    let ch = &r["findings"]["chain"];
    let ours: Vec<(i64, String)> = ch["client_verify_errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no client_verify_errors: {ch}"))
        .iter()
        .map(|e| {
            let text = e["text"].as_str().unwrap_or_default().to_owned();
            (e["code"].as_i64().unwrap_or(-1), text)
        })
        .collect();
    assert_eq!(ours, theirs, "{ch}");
    assert_eq!(ch["client_verify"][0], theirs[0].0, "{ch}");
    let (_, table) = scan(d, &addr, &[]);
    let row = table
        .lines()
        .find(|l| l.starts_with("chain") && l.contains("verify (level"))
        .unwrap_or_else(|| panic!("no verify row: {table}"));
    for (code, text) in &theirs {
        assert!(row.contains(&format!("{code}: {text} (depth ")), "{row}");
    }
}

/// A weak leaf key, a SHA-1-signed leaf, an expired one and one only for
/// client authentication: the scan reaches them (its handshakes run at
/// security level 0) but verifies the chain as this machine's OpenSSL
/// clients do, so `require_valid_certificate` fails where s_client's
/// verification does, with its code.
#[test]
fn weak_keys_and_digests_fail_verification_as_clients_see_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let root = p(d, "root.pem");
    let policy = d.join("valid.toml");
    std::fs::write(&policy, "require_valid_certificate = true\n").expect("policy");
    let policy = policy.to_str().expect("utf-8 path").to_string();
    for name in ["weak-key", "sha1-signature", "expired", "wrong-purpose"] {
        let (chain, key) = (
            p(d, &format!("neg-{name}.chain.pem")),
            p(d, &format!("neg-{name}.key")),
        );
        let (_server, addr) = common::s_server(&[
            "-www",
            "-cert",
            &chain,
            "-cert_chain",
            &chain,
            "-key",
            &key,
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ]);
        let expected = s_client_verify_code(&root, &addr);
        assert_ne!(expected, 0, "{name}: s_client accepted it");
        let r = scan_json(d, &addr, &["--policy", &policy]);
        let ch = &r["findings"]["chain"];
        assert_eq!(ch["client_verify"][0], expected, "{name}: {ch}");
        let rule = r["policy"]["rules"]
            .as_array()
            .and_then(|rules| {
                rules
                    .iter()
                    .find(|x| x["rule"] == "require_valid_certificate")
            })
            .unwrap_or_else(|| panic!("{name}: no rule in {}", r["policy"]));
        assert_eq!(rule["outcome"], "fail", "{name}: {rule}");
    }
}

/// `openssl verify`'s code and whether it said OK, for `leaf` with
/// `untrusted` against `cafile`, plus `extra`.
fn openssl_verify(cafile: &str, untrusted: &str, leaf: &str, extra: &[&str]) -> (i64, bool) {
    let mut c = Command::new("openssl");
    c.args([
        "verify",
        "-no_check_time",
        "-CAfile",
        cafile,
        "-untrusted",
        untrusted,
    ])
    .args(extra)
    .arg(leaf);
    let o = run(c);
    let all = format!("{}{}", o.stdout, o.stderr);
    let code = all
        .split("error ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (code, all.contains(": OK"))
}

/// Verify error 20 is the same for a missing intermediate and for a root
/// that is not trusted. A server that sends its leaf and intermediate to
/// a scan whose --cafile lacks the root is complete as sent, as `openssl
/// verify -partial_chain` with the intermediate trusted says; one that
/// sends its leaf alone is not.
#[test]
fn a_chain_sent_whole_up_to_an_untrusted_root_is_complete_as_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (leaf, intermediate, root) = (
        p(d, "server-rsa2048.crt"),
        p(d, "intermediate.pem"),
        p(d, "root.pem"),
    );
    // Any trust store without the test root: a self-signed leaf's.
    let other = p(d, "neg-self-signed.chain.pem");
    assert_eq!(
        openssl_verify(&other, &intermediate, &leaf, &[]),
        (20, false)
    );
    let partial = ["-partial_chain"];
    assert!(openssl_verify(&intermediate, &intermediate, &leaf, &partial).1);
    let scan_with = |addr: &str, cafile: &str| -> (serde_json::Value, String) {
        let run_scan = |format: &str| {
            let o = run(common::harness(&[
                "scan",
                addr,
                "--servername",
                "localhost",
                "--cafile",
                cafile,
                "--format",
                format,
            ]));
            assert_eq!(o.status.code(), Some(0), "{}", o.stderr);
            o.stdout
        };
        let json = serde_json::from_str(&run_scan("json")).expect("scan JSON");
        let row = run_scan("table")
            .lines()
            .find(|l| l.starts_with("chain") && l.contains(" complete "))
            .unwrap_or_default()
            .to_owned();
        (json, row)
    };
    let (_server, addr) = s_server(d, &[]);
    let (r, row) = scan_with(&addr, &other);
    let ch = &r["findings"]["chain"];
    assert_eq!(ch["chain_verify"][0], 20, "{ch}");
    assert_eq!(ch["complete"], "yes", "{ch}");
    let issuer = ch["certificates"][1]["issuer"].as_str().unwrap_or_default();
    assert!(issuer.contains("Root CA"), "{ch}");
    assert!(
        row.contains(&format!(
            "yes as sent, if {issuer} is a root: it is not among the trusted ones"
        )),
        "{row}"
    );

    // The leaf alone: the intermediate is missing, which error 20 says.
    let (lone, key) = (
        p(d, "neg-missing-intermediate.chain.pem"),
        p(d, "neg-missing-intermediate.key"),
    );
    assert_eq!(openssl_verify(&root, &lone, &lone, &[]), (20, false));
    let (_server, addr) = common::s_server(&["-www", "-cert", &lone, "-key", &key]);
    let (r, row) = scan_with(&addr, &root);
    let ch = &r["findings"]["chain"];
    assert_eq!(ch["chain_verify"][0], 20, "{ch}");
    assert_eq!(ch["complete"], "no", "{ch}");
    assert!(row.contains(" no (issuers only"), "{row}");
}

/// A leaf whose notBefore is still to come says so, as an expired one
/// says it expired: `openssl verify` refuses it with error 9.
#[test]
fn a_leaf_not_yet_valid_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (chain, key, root) = (
        p(d, "neg-not-yet-valid.chain.pem"),
        p(d, "neg-not-yet-valid.key"),
        p(d, "root.pem"),
    );
    let mut c = Command::new("openssl");
    c.args(["verify", "-CAfile", &root, "-untrusted", &chain, &chain]);
    let o = run(c);
    assert!(
        (o.stdout.clone() + &o.stderr).contains("error 9 "),
        "{} {}",
        o.stdout,
        o.stderr
    );
    let (_server, addr) =
        common::s_server(&["-www", "-cert", &chain, "-cert_chain", &chain, "-key", &key]);
    let (_, table) = scan(d, &addr, &[]);
    let leaf = table
        .lines()
        .find(|l| l.starts_with("chain") && l.contains("#0"))
        .unwrap_or_else(|| panic!("no leaf row: {table}"));
    assert!(leaf.contains("(NOT YET VALID, for "), "{leaf}");
    // The chain file holds the leaf too: the intermediate's row by subject.
    let issuer = table
        .lines()
        .find(|l| l.starts_with("chain") && l.contains("Intermediate CA; issuer: "))
        .unwrap_or_else(|| panic!("no issuer row: {table}"));
    assert!(!issuer.contains("NOT YET VALID"), "{issuer}");
}
