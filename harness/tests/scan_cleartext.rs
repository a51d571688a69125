//! `tls-harness scan` against an `openssl s_server` whose only TLS 1.3
//! suite is CCM (which OpenSSL's default client list leaves out) and
//! whose TLS 1.2 list includes a suite that encrypts nothing (which `ALL`
//! leaves out): the scan must find both, and a policy must see the second.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};

use scan_support::*;

/// What `openssl s_client` makes of one suite against the server: the
/// reference for what the scan must find.
fn s_client_accepts(addr: &str, args: &[&str]) -> bool {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-servername", "localhost"])
        .args(args);
    let o = run(c);
    o.stdout.contains("Cipher is ") && !o.stdout.contains("Cipher is (NONE)")
}

#[test]
fn ccm_only_tls13_and_a_null_suite_are_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (ccm, signed, null) = (
        "TLS_AES_128_CCM_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "NULL-SHA256",
    );
    let cipher = format!("{signed}:{null}:@SECLEVEL=0");
    let (_server, addr) = s_server(
        d,
        &[
            "-cipher",
            &cipher,
            "-ciphersuites",
            ccm,
            "-min_protocol",
            "TLSv1.2",
        ],
    );
    assert!(s_client_accepts(&addr, &["-tls1_3", "-ciphersuites", ccm]));
    let null_offer = format!("{null}:@SECLEVEL=0");
    assert!(s_client_accepts(
        &addr,
        &["-tls1_2", "-cipher", &null_offer]
    ));
    // OpenSSL's own description: the suite encrypts nothing.
    let mut c = Command::new("openssl");
    c.args(["ciphers", "-v", &null_offer]);
    let described = run(c).stdout;
    assert!(
        described
            .lines()
            .any(|l| l.starts_with(null) && l.contains("Enc=None")),
        "{described}"
    );

    let policy = d.join("cleartext.toml");
    std::fs::write(&policy, "forbid_cleartext_suites = true\n").expect("write policy");
    let r = scan_json(d, &addr, &["--policy", policy.to_str().expect("utf-8")]);
    check_probes(&r);
    assert_eq!(
        version(&r, "tls1_3")["accepted"],
        "yes",
        "{}",
        version(&r, "tls1_3")
    );
    assert_eq!(strings(&suites_of(&r, "tls1_3")["accepted"]), [ccm]);
    let mut tls12 = strings(&suites_of(&r, "tls1_2")["accepted"]);
    tls12.sort();
    assert_eq!(tls12, [signed, null]);
    assert_eq!(strings(&suites_of(&r, "tls1_2")["cleartext"]), [null]);
    let rule = r["policy"]["rules"]
        .as_array()
        .and_then(|rs| rs.iter().find(|x| x["rule"] == "forbid_cleartext_suites"))
        .unwrap_or_else(|| panic!("no rule: {}", r["policy"]));
    assert_eq!(rule["outcome"], "fail");
    assert_eq!(
        rule["detail"],
        format!("accepts suites that encrypt nothing: {null}")
    );
}
