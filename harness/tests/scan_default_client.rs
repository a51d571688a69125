//! The `default_client` probe handshakes as a client with the linked
//! OpenSSL's defaults does, where every other probe runs at security
//! level 0: `openssl s_client`, run against the same server, is the
//! reference for its refusal and for what it negotiates.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};
use serde_json::Value;

use scan_support::*;

/// `openssl s_client` with its defaults (SNI localhost), plus `extra`,
/// its input at EOF.
fn s_client(addr: &str, extra: &[&str]) -> common::Output {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", addr, "-servername", "localhost"])
        .args(extra);
    run(cmd)
}

/// The reason of the first error OpenSSL printed, "dh key too small" in
/// `...:error:0A00018A:SSL routines:tls_process_ske_dhe:dh key too small:../ssl/...`
/// (pid, "error", code, library, function, reason, file, line).
fn openssl_reason(out: &str) -> Option<&str> {
    out.lines().find_map(|l| {
        let fields: Vec<&str> = l.split(':').collect();
        let at = fields.iter().position(|f| *f == "error")?;
        fields.get(at + 4).copied()
    })
}

/// A policy of `require_default_client = true` alone.
fn policy(d: &std::path::Path) -> String {
    let path = d.join("default-client.toml");
    std::fs::write(&path, "require_default_client = true\n").expect("policy");
    p(d, "default-client.toml")
}

/// The table's row for the probe.
fn row(table: &str) -> &str {
    table
        .lines()
        .find(|l| l.starts_with("default_client "))
        .unwrap_or_else(|| panic!("no default_client row: {table}"))
}

#[test]
fn a_1024_bit_dh_prime_refuses_the_default_client_but_not_the_base_probe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let dh = p(d, "dh1024.pem");
    let g = run({
        let mut c = Command::new("openssl");
        c.args(["dhparam", "-out", &dh, "1024"]);
        c
    });
    assert!(g.status.success(), "openssl dhparam: {}", g.stderr);
    let (_server, addr) = s_server(
        d,
        &[
            "-no_tls1_3",
            "-dhparam",
            &dh,
            "-cipher",
            "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA:@SECLEVEL=0",
        ],
    );

    // The reference: a client at its default security level refuses.
    let reference = s_client(&addr, &["-tls1_2"]);
    let all = format!("{}{}", reference.stdout, reference.stderr);
    let reason = openssl_reason(&all).unwrap_or_else(|| panic!("s_client did not fail: {all}"));
    assert!(
        reason.contains("dh key too small"),
        "s_client: {reason}: {all}"
    );

    let (_, table) = scan(d, &addr, &[]);
    let line = row(&table);
    assert!(line.contains(" refused: "), "{line}");
    assert!(line.contains(reason), "{reason} not in {line}");
    assert!(
        line.contains("so a client with OpenSSL's defaults (security level "),
        "{line}"
    );
    // The refusal is the server's to fix, and its fix is printed as the
    // base probe's would be; the base probe itself still connects.
    let failed = failed_row(&table, "default_client");
    assert!(failed.contains("weak_dh_parameters: "), "{failed}");
    assert!(failed.contains("; fix: "), "{failed}");
    assert!(
        !table
            .split_once("\nfailed probes\n")
            .is_some_and(|(_, f)| f.lines().any(|l| l.trim_start().starts_with("base "))),
        "{table}"
    );

    let r = scan_json(d, &addr, &["--policy", &policy(d)]);
    check_probes(&r);
    let f = &r["findings"]["default_client"];
    assert_eq!(f["connects"], "no", "{f}");
    assert!(f["version"].is_null(), "{f}");
    assert!(
        f["detail"].as_str().is_some_and(|x| x.contains(reason)),
        "{f}"
    );
    let level = f["security_level"].as_u64().unwrap_or_default();
    assert!(level >= 2, "1024-bit DH passes level 1: {f}");
    assert_eq!(
        diagnosis(&r, "default_client")["cause"],
        "weak_dh_parameters"
    );
    assert!(
        r["probes"]["base"]["error"].is_null(),
        "{}",
        r["probes"]["base"]
    );
    let x = rule(&r, "require_default_client");
    assert_eq!(x["outcome"], "fail", "{x}");
    assert!(
        x["detail"].as_str().is_some_and(|t| t.contains(reason)),
        "{x}"
    );
}

#[test]
fn a_default_server_is_reached_with_what_s_client_negotiates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(d, &[]);

    // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"
    let reference = s_client(&addr, &[]);
    let (version, suite) = reference
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("New, ")?.split_once(", Cipher is "))
        .unwrap_or_else(|| panic!("s_client did not connect: {}", reference.stdout));
    let (id, shown) = match version {
        "TLSv1.3" => ("tls1_3", "TLS 1.3"),
        "TLSv1.2" => ("tls1_2", "TLS 1.2"),
        other => panic!("s_client negotiated {other}"),
    };

    let r: Value = scan_json(d, &addr, &["--policy", &policy(d)]);
    let f = &r["findings"]["default_client"];
    assert_eq!(f["connects"], "yes", "{f}");
    assert_eq!(f["version"], id, "{f}");
    assert_eq!(f["suite"], suite, "{f}");
    assert_eq!(f["detail"], format!("{shown} {suite}"), "{f}");
    assert!(r["probes"]["default_client"]["error"].is_null());
    assert_eq!(rule(&r, "require_default_client")["outcome"], "pass");
}
