//! The scan's `require_valid_certificate` takes a stapled OCSP response's
//! word on revocation, as clients that read staples do: a chain that
//! verifies fails the rule when the server staples a response, signed by
//! the leaf's CA, saying the leaf is revoked; it passes with a good one,
//! and with a revoked one signed by an unrelated responder (which proves
//! nothing). What each response says, and whether its signature verifies,
//! is read from `openssl ocsp -respin -issuer -CAfile`, not assumed.

mod common;
mod ocsp_support;
mod scan_support;

use std::process::Command;

use common::run;
use ocsp_support::{pki, reference, response};
use scan_support::scan;
use serde_json::Value;

/// The current time as ca(1)'s index writes a revocation, with a reason.
fn revoked_now() -> String {
    let mut c = Command::new("date");
    c.args(["-u", "+%y%m%d%H%M%SZ"]);
    let o = run(c);
    assert!(o.status.success(), "date: {}", o.stderr);
    format!("{},keyCompromise", o.stdout.trim())
}

#[test]
fn a_verified_revoked_staple_fails_require_valid_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let p = pki(d);
    // The scan helper trusts the directory's root.pem.
    std::fs::copy(p("ca.pem"), p("root.pem")).expect("root.pem");
    let policy = p("valid.toml");
    std::fs::write(&policy, "require_valid_certificate = true\n").expect("policy");
    let revoked = revoked_now();

    for (signer, revocation) in [
        ("ca", Some(&*revoked)),
        ("ca", None),
        ("evil", Some(&*revoked)),
    ] {
        let der = response(&p, signer, revocation);
        let (verified, said) = reference(&p, &der);
        assert_eq!(verified, signer == "ca", "openssl ocsp: {said}");
        let status = if revocation.is_some() {
            "revoked"
        } else {
            "good"
        };
        assert!(
            said.contains(&format!(": {status}")),
            "openssl ocsp does not say {status}: {said}"
        );

        let (_server, addr) = common::s_server(&[
            "-cert",
            &p("leaf.pem"),
            "-key",
            &p("leaf.key"),
            "-status_file",
            &der,
        ]);
        let (_, text) = scan(d, &addr, &["--format", "json", "--policy", &policy]);
        let report: Value = serde_json::from_str(&text).expect("scan JSON");
        assert_eq!(
            report["findings"]["ocsp"]["cert_status"], status,
            "{}",
            report["findings"]["ocsp"]
        );
        let rule = &report["policy"]["rules"][0];
        assert_eq!(rule["rule"], "require_valid_certificate", "{rule}");
        let detail = rule["detail"].as_str().expect("detail");
        let refused = verified && revocation.is_some();
        let want = if refused { "fail" } else { "pass" };
        assert_eq!(rule["outcome"], want, "{signer}, {status}: {detail}");
        if refused {
            assert!(
                detail.contains("the leaf is revoked") && detail.contains("keyCompromise"),
                "{detail}"
            );
        }
    }
}
