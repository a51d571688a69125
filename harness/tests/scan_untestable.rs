//! A policy naming suites the linked OpenSSL cannot offer (3DES is not in
//! Debian's OpenSSL 3): the scan cannot tell whether the server takes
//! them, so neither a forbidding nor a requiring rule may pass or fail on
//! them; each says they were not testable.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};
use serde_json::Value;

use scan_support::*;

fn rule<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["policy"]["rules"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["rule"] == name))
        .unwrap_or_else(|| panic!("no rule {name}: {report:#}"))
}

#[test]
fn suites_the_scan_cannot_offer_are_not_testable() {
    // The premise, from OpenSSL's own tool: no 3DES suite here.
    let mut ciphers = Command::new("openssl");
    ciphers.args(["ciphers", "DES-CBC3-SHA:@SECLEVEL=0"]);
    let o = run(ciphers);
    assert!(
        !o.status.success(),
        "this OpenSSL has DES-CBC3-SHA; the test needs a suite it lacks: {}",
        o.stdout
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let policy = d.join("policy.toml");
    std::fs::write(
        &policy,
        "forbid_suites = [\"DES-CBC3-SHA\", \"NULL-SHA256\"]\n\
         require_suites = [\"TLS_RSA_WITH_3DES_EDE_CBC_SHA\"]\n",
    )
    .expect("policy file");
    let (_server, addr) = s_server(d, &[]);
    let report = scan_json(d, &addr, &["--policy", policy.to_str().expect("utf-8")]);
    let forbid = rule(&report, "forbid_suites");
    assert_eq!(forbid["outcome"], "warn", "{forbid:#}");
    let detail = forbid["detail"].as_str().expect("detail");
    assert!(
        detail.contains("the linked OpenSSL cannot offer DES-CBC3-SHA") && !detail.contains("NULL"),
        "{detail}"
    );
    let require = rule(&report, "require_suites");
    assert_eq!(require["outcome"], "warn", "{require:#}");
    assert!(
        require["detail"]
            .as_str()
            .is_some_and(|d| d.contains("cannot offer TLS_RSA_WITH_3DES_EDE_CBC_SHA")),
        "{require:#}"
    );
}
