//! `tls-harness scan` reads encrypt-then-MAC (RFC 7366) from a ServerHello
//! for a CBC suite, as `openssl s_client -trace` shows it
//! (`extension_type=encrypt_then_mac(22)`): yes for `openssl s_server`,
//! no with its `-no_etm`, and not applicable for a server of AEAD suites
//! alone; the policy rule `require_encrypt_then_mac` fails only the second.
//! A client whose OpenSSL configuration leaves encrypt_then_mac out of its
//! ClientHello (as `s_client` under the same configuration shows) cannot
//! tell, and says so rather than no.

mod common;
mod scan_support;

use std::process::{Command, Stdio};

use common::{harness, run, write_pki};
use scan_support::*;

/// Whether s_client, offering CBC suites only at TLS 1.2, sees
/// encrypt_then_mac in the ServerHello.
fn s_client_sees_etm(addr: &str) -> bool {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-tls1_2", "-trace"])
        .args(["-cipher", "ALL:!AESGCM:!AESCCM:!CHACHA20:!ARIAGCM"])
        .stdin(Stdio::null());
    let out = run(c).stdout;
    let hello = out
        .split("ServerHello")
        .nth(1)
        .and_then(|rest| rest.split("Certificate,").next())
        .unwrap_or_else(|| panic!("no ServerHello from s_client: {out}"));
    hello.contains("extension_type=encrypt_then_mac(22)")
}

#[test]
fn encrypt_then_mac_is_read_as_s_client_shows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let policy = d.join("etm.toml");
    std::fs::write(&policy, "require_encrypt_then_mac = true\n").expect("policy");
    let policy = ["--policy", policy.to_str().expect("utf-8 path")];
    let rule = |r: &serde_json::Value| r["policy"]["rules"][0]["outcome"].clone();
    for (extra, want, outcome) in [(&[][..], "yes", "pass"), (&["-no_etm"][..], "no", "fail")] {
        let (_server, addr) = s_server(d, extra);
        let seen = s_client_sees_etm(&addr);
        assert_eq!(seen, want == "yes", "s_client with {extra:?}");
        let r = scan_json(d, &addr, &policy);
        let f = &r["findings"]["encrypt_then_mac"];
        assert_eq!(f["supported"], want, "{extra:?}: {f}");
        assert_eq!(rule(&r), outcome, "{extra:?}: {}", r["policy"]);
        assert!(
            f["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("TLS 1.2 "),
            "{f}"
        );
    }
    let (_server, addr) = s_server(d, &["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    let r = scan_json(d, &addr, &policy);
    let f = &r["findings"]["encrypt_then_mac"];
    assert_eq!(f["supported"], "not_applicable", "{f}");
    assert_eq!(rule(&r), "pass", "{}", r["policy"]);
    assert!(
        f["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no CBC suite accepted"),
        "{f}"
    );
}

#[test]
fn a_client_configured_without_encrypt_then_mac_cannot_tell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let conf = d.join("no-etm.cnf");
    std::fs::write(
        &conf,
        "openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n[ssl_sect]\n\
         system_default = system_default_sect\n[system_default_sect]\n\
         Options = -EncryptThenMac\n",
    )
    .expect("config");
    let (_server, addr) = s_server(d, &[]);
    // The reference: s_client under the same configuration offers none,
    // and the server, which answers it without (above), stays silent.
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-tls1_2", "-trace"])
        .args(["-cipher", "ALL:!AESGCM:!AESCCM:!CHACHA20:!ARIAGCM"])
        .env("OPENSSL_CONF", &conf)
        .stdin(Stdio::null());
    let out = run(c).stdout;
    assert!(out.contains("ClientHello"), "{out}");
    assert!(!out.contains("encrypt_then_mac"), "{out}");

    let report = d.join("scan.json");
    let root = p(d, "root.pem");
    let mut cmd = harness(&[
        "scan",
        &addr,
        "--servername",
        "localhost",
        "--cafile",
        &root,
        "--format",
        "json",
        "--out",
        report.to_str().expect("utf-8 path"),
    ]);
    cmd.env("OPENSSL_CONF", &conf);
    let o = run(cmd);
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", o.stderr);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    let f = &r["findings"]["encrypt_then_mac"];
    assert_eq!(f["supported"], "not_testable", "{f}");
    assert!(
        f["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("did not offer encrypt_then_mac"),
        "{f}"
    );
}
