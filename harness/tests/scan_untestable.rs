//! A policy naming suites the scan cannot offer (static DH, which neither
//! OpenSSL 3 nor the scan's own hellos for the suites OpenSSL dropped
//! carry): the scan cannot tell whether the server takes them, so neither
//! a forbidding nor a requiring rule may pass or fail on them; each says
//! they were not testable. 3DES, which OpenSSL 3 lacks too, is asked with
//! the scan's own hellos and so is no longer among them.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};

use scan_support::*;

#[test]
fn suites_the_scan_cannot_offer_are_not_testable() {
    // The premise, from OpenSSL's own tool: no static DH or 3DES suite here.
    for suite in ["DH-RSA-AES128-SHA", "DES-CBC3-SHA"] {
        let mut ciphers = Command::new("openssl");
        ciphers.args(["ciphers", &format!("{suite}:@SECLEVEL=0")]);
        let o = run(ciphers);
        assert!(
            !o.status.success(),
            "this OpenSSL has {suite}; the test needs a suite it lacks: {}",
            o.stdout
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let policy = d.join("policy.toml");
    std::fs::write(
        &policy,
        "forbid_suites = [\"DES-CBC3-SHA\", \"DH-RSA-AES128-SHA\", \"NULL-SHA256\"]\n\
         require_suites = [\"TLS_DH_RSA_WITH_AES_128_CBC_SHA\"]\n",
    )
    .expect("policy file");
    let (_server, addr) = s_server(d, &[]);
    let report = scan_json(d, &addr, &["--policy", policy.to_str().expect("utf-8")]);
    let forbid = rule(&report, "forbid_suites");
    assert_eq!(forbid["outcome"], "warn", "{forbid:#}");
    let detail = forbid["detail"].as_str().expect("detail");
    assert!(
        detail.contains("cannot offer DH-RSA-AES128-SHA")
            && !detail.contains("NULL")
            && !detail.contains("DES-CBC3"),
        "{detail}"
    );
    let require = rule(&report, "require_suites");
    assert_eq!(require["outcome"], "warn", "{require:#}");
    assert!(
        require["detail"]
            .as_str()
            .is_some_and(|d| d.contains("cannot offer TLS_DH_RSA_WITH_AES_128_CBC_SHA")),
        "{require:#}"
    );
}
