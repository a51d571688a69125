//! The built-in Mozilla profiles: a server configured as Mozilla's
//! intermediate profile says passes with a certificate that verifies, and
//! fails on the certificate alone when its leaf has expired, as sslyze's
//! checker of the same guidelines fails it (`openssl verify` gives the
//! reference error).

mod common;
mod scan_support;

use std::process::Command;

use serde_json::Value;

use common::{run, write_pki};
use scan_support::*;

/// The TLS 1.2 suites of Mozilla's intermediate profile (guidelines 5.7).
const INTERMEDIATE: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
    ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:\
    ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:\
    DHE-RSA-CHACHA20-POLY1305";

fn failed_rules(r: &Value) -> Vec<String> {
    r["policy"]["rules"]
        .as_array()
        .map(|rules| {
            rules
                .iter()
                .filter(|x| x["outcome"] == "fail")
                .filter_map(|x| x["rule"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn mozilla_intermediate_passes_a_valid_certificate_and_fails_an_expired_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let root = p(d, "root.pem");
    let serve = |name: &str| {
        let (chain, key) = (
            p(d, &format!("{name}.chain.pem")),
            p(d, &format!("{name}.key")),
        );
        let mut args = vec!["-www", "-cert", &chain, "-cert_chain", &chain, "-key", &key];
        args.extend(["-no_tls1", "-no_tls1_1", "-cipher", INTERMEDIATE]);
        args.extend(["-groups", "X25519:P-256:P-384"]);
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::s_server(&args)
    };
    let policy = ["--policy", "mozilla-intermediate"];

    let (_good, addr) = serve("server-rsa2048");
    let (o, text) = scan_any(d, &addr, &[&["--format", "json"][..], &policy].concat());
    let r: Value = serde_json::from_str(&text).expect("scan JSON");
    assert_eq!(failed_rules(&r), Vec::<String>::new(), "{}", r["policy"]);
    assert_eq!(o.status.code(), Some(0), "{}", o.stderr);

    // The reference: the expired leaf's chain fails `openssl verify` on
    // its date (X509_V_ERR_CERT_HAS_EXPIRED, 10).
    let chain = p(d, "neg-expired.chain.pem");
    let mut verify = Command::new("openssl");
    verify.args(["verify", "-CAfile", &root, "-untrusted", &chain, &chain]);
    let v = run(verify);
    let said = format!("{}{}", v.stdout, v.stderr);
    assert!(said.contains("error 10"), "{said}");
    let (_expired, addr) = serve("neg-expired");
    let (o, text) = scan_any(d, &addr, &[&["--format", "json"][..], &policy].concat());
    let r: Value = serde_json::from_str(&text).expect("scan JSON");
    assert_eq!(
        failed_rules(&r),
        ["require_valid_certificate"],
        "{}",
        r["policy"]
    );
    let detail = r["policy"]["rules"]
        .as_array()
        .and_then(|rules| {
            rules
                .iter()
                .find(|x| x["rule"] == "require_valid_certificate")
        })
        .map(|x| x["detail"].to_string())
        .unwrap_or_default();
    assert!(detail.contains("verify error 10"), "{detail}");
    assert_eq!(o.status.code(), Some(1), "{}", o.stderr);
}
