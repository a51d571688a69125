//! The scan's policy takes a stapled OCSP response at its signed word, as
//! clients that check staples do: `require_ocsp_stapling` wants a good
//! entry in a response whose signature verifies, and
//! `require_valid_certificate` fails a chain that verifies when a verified
//! response says the leaf is revoked (an unverified one proves nothing).
//! The responses are signed by the leaf's CA or an unrelated responder;
//! what each says, and whether its signature verifies, is read from
//! `openssl ocsp -respin -issuer -CAfile`, not assumed.

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
fn a_staple_counts_by_its_verified_word() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let p = pki(d);
    // The scan helper trusts the directory's root.pem.
    std::fs::copy(p("ca.pem"), p("root.pem")).expect("root.pem");
    let policy = p("ocsp.toml");
    std::fs::write(
        &policy,
        "require_valid_certificate = true\nrequire_ocsp_stapling = true\n",
    )
    .expect("policy");
    let revoked = revoked_now();

    for signer in ["ca", "evil"] {
        for revocation in [None, Some(&*revoked)] {
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
            let ocsp = &report["findings"]["ocsp"];
            assert_eq!(ocsp["cert_status"], status, "{ocsp}");
            let outcome = |name: &str| {
                let rules = report["policy"]["rules"].as_array().expect("rules");
                let rule = rules
                    .iter()
                    .find(|r| r["rule"] == name)
                    .unwrap_or_else(|| panic!("no {name} rule: {rules:?}"));
                let detail = rule["detail"].as_str().expect("detail").to_owned();
                (
                    rule["outcome"].as_str().expect("outcome").to_owned(),
                    detail,
                )
            };
            let case = format!("{signer}, {status}");

            let (valid, detail) = outcome("require_valid_certificate");
            let refused = verified && revocation.is_some();
            let want = if refused { "fail" } else { "pass" };
            assert_eq!(valid, want, "{case}: {detail}");
            if refused {
                assert!(
                    detail.contains("the leaf is revoked") && detail.contains("keyCompromise"),
                    "{detail}"
                );
            }

            let (stapling, detail) = outcome("require_ocsp_stapling");
            let usable = verified && revocation.is_none();
            let want = if usable { "pass" } else { "fail" };
            assert_eq!(stapling, want, "{case}: {detail}");
            if !verified {
                assert!(
                    detail.contains("responder signature NOT verified"),
                    "{detail}"
                );
            }
        }
    }
}
