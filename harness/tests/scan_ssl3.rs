//! SSLv3, which the linked OpenSSL cannot offer, asked with the scan's own
//! ClientHello: tlslite-ng serves it when told to (`--ssl3`), and its own
//! client is the reference that it does; without `--ssl3` it refuses.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, tlslite_python, write_pki};

use scan_support::*;

/// tlslite-ng's own client at SSLv3 against `addr` (127.0.0.1:PORT, by
/// the name it takes, localhost): its report.
fn tlslite_client_ssl3(d: &std::path::Path, addr: &str) -> String {
    let addr = addr.replace("127.0.0.1", "localhost");
    let python = tlslite_python();
    let mut c = Command::new(&python);
    c.arg(python.with_file_name("tls.py"))
        .args(["client", "--ssl3", "--max-ver", "ssl3", &addr])
        .current_dir(d)
        .stdin(std::process::Stdio::null());
    let o = run(c);
    format!("{}{}", o.stdout, o.stderr)
}

#[test]
fn an_sslv3_server_is_found_and_fails_min_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = tlslite_server(
        d,
        "server-rsa2048.key",
        "server-rsa2048.chain.pem",
        &["--ssl3"],
    );
    let reference = tlslite_client_ssl3(d, &addr);
    assert!(reference.contains("Version: SSL 3.0"), "{reference}");

    let policy = d.join("policy.toml");
    std::fs::write(&policy, "min_version = \"tls1\"\n").expect("write policy");
    let policy = policy.to_str().expect("utf-8");
    let r = scan_json(d, &addr, &["--policy", policy]);
    let v = version(&r, "ssl3");
    assert_eq!(v["accepted"], "yes", "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|s| s.starts_with("ServerHello SSLv3 ")),
        "{v}"
    );
    // No trace: OpenSSL took no part in the probe.
    let probe = &r["probes"]["version/ssl3"];
    assert!(
        probe["trace"].is_null() && probe["error"].is_null(),
        "{probe}"
    );
    // The suites are enumerated at the versions OpenSSL speaks only.
    let enumerated: Vec<&str> = r["findings"]["suites"]
        .as_array()
        .expect("suites")
        .iter()
        .filter_map(|s| s["version"].as_str())
        .collect();
    assert!(!enumerated.contains(&"ssl3"), "{enumerated:?}");
    assert!(enumerated.contains(&"tls1_2"), "{enumerated:?}");
    let rule = r["policy"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|x| x["rule"] == "min_version")
        .expect("a min_version rule");
    assert_eq!(rule["outcome"], "fail", "{rule}");
    assert!(
        rule["detail"].as_str().is_some_and(|s| s.contains("SSLv3")),
        "{rule}"
    );
}

#[test]
fn a_server_without_sslv3_refuses_the_hello() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = tlslite_server(d, "server-rsa2048.key", "server-rsa2048.chain.pem", &[]);
    let reference = tlslite_client_ssl3(d, &addr);
    assert!(
        reference.contains("TLSRemoteAlert: protocol_version"),
        "{reference}"
    );

    let r = scan_json(d, &addr, &[]);
    let v = version(&r, "ssl3");
    assert_eq!(v["accepted"], "no", "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|s| s == "refused: fatal alert protocol_version (70)"),
        "{v}"
    );
}
