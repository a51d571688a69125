//! What the linked OpenSSL cannot offer, asked with the scan's own
//! ClientHellos: SSLv3, which tlslite-ng serves when told to (`--ssl3`; its
//! own client is the reference), and the suites OpenSSL 3.0 dropped, 3DES
//! and RC4 among them, which tlslite-ng runs when listed (gnutls-cli,
//! offering one suite at a time, is the reference for which).

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

/// The legacy suites gnutls-cli completes a TLS 1.2 handshake with
/// against `addr`, offering one at a time, by OpenSSL name.
fn gnutls_legacy_suites(addr: &str) -> Vec<String> {
    common::require("gnutls-cli", "--version", "gnutls-bin");
    let port = addr.rsplit(':').next().expect("port");
    let mut found = Vec::new();
    for (kx, cipher, name) in [
        ("ECDHE-RSA", "3DES-CBC", "ECDHE-RSA-DES-CBC3-SHA"),
        ("DHE-RSA", "3DES-CBC", "EDH-RSA-DES-CBC3-SHA"),
        ("RSA", "3DES-CBC", "DES-CBC3-SHA"),
        ("ECDHE-RSA", "ARCFOUR-128", "ECDHE-RSA-RC4-SHA"),
        ("RSA", "ARCFOUR-128", "RC4-SHA"),
    ] {
        let priority =
            format!("NONE:+VERS-TLS1.2:+{kx}:+{cipher}:+SHA1:+COMP-NULL:+SIGN-ALL:+CURVE-ALL");
        let mut c = Command::new("gnutls-cli");
        c.args([
            "--priority",
            &priority,
            "--insecure",
            "-p",
            port,
            "localhost",
        ])
        .stdin(std::process::Stdio::null());
        if run(c).stdout.contains("Handshake was completed") {
            found.push(name.to_owned());
        }
    }
    found
}

#[test]
fn an_sslv3_server_with_3des_and_rc4_is_found_and_fails_its_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = tlslite_server(
        d,
        "server-rsa2048.key",
        "server-rsa2048.chain.pem",
        &[
            "--ssl3",
            "--cipherlist",
            "aes128",
            "--cipherlist",
            "3des",
            "--cipherlist",
            "rc4",
        ],
    );
    let reference = tlslite_client_ssl3(d, &addr);
    assert!(reference.contains("Version: SSL 3.0"), "{reference}");
    let legacy_12 = gnutls_legacy_suites(&addr);
    assert!(
        legacy_12.contains(&"DES-CBC3-SHA".to_owned()),
        "{legacy_12:?}"
    );

    let policy = d.join("policy.toml");
    std::fs::write(
        &policy,
        "min_version = \"tls1\"\nforbid_suites = [\"RC4-SHA\"]\n",
    )
    .expect("write policy");
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

    // At TLS 1.2, the dropped suites the scan found are those gnutls-cli
    // completes a handshake with, each in `accepted` and in `legacy`.
    let s12 = suites_of(&r, "tls1_2");
    let mut found = strings(&s12["legacy"]);
    found.sort();
    let mut want = legacy_12.clone();
    want.sort();
    assert_eq!(found, want, "{s12}");
    let accepted = strings(&s12["accepted"]);
    assert!(want.iter().all(|n| accepted.contains(n)), "{s12}");
    // The same suites at SSLv3, asked with SSLv3 hellos.
    let s3 = suites_of(&r, "ssl3");
    let at_ssl3 = strings(&s3["accepted"]);
    for n in ["AES128-SHA", "DES-CBC3-SHA", "RC4-SHA"] {
        assert!(at_ssl3.contains(&n.to_owned()), "{n}: {s3}");
    }

    for (name, names) in [("min_version", "SSLv3"), ("forbid_suites", "RC4-SHA")] {
        let x = rule(&r, name);
        assert_eq!(x["outcome"], "fail", "{x}");
        assert!(
            x["detail"].as_str().is_some_and(|s| s.contains(names)),
            "{x}"
        );
    }
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
