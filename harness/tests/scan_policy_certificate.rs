//! A policy's certificate rules judge the certificate the server sends,
//! wherever the scan got it, and nothing when it got none: a server that
//! refuses the base probe (it offers TLS 1.3, which the server lacks) is
//! judged by the certificate its version probes received, and a server
//! that sends none leaves those rules not verified rather than passed.

mod common;
mod scan_support;

use serde_json::Value;

use common::write_pki;
use scan_support::*;

fn rule<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["policy"]["rules"]
        .as_array()
        .and_then(|rules| rules.iter().find(|x| x["rule"] == name))
        .unwrap_or_else(|| panic!("no {name} rule in {}", r["policy"]))
}

fn policy(d: &std::path::Path, text: &str) -> String {
    let path = d.join("certificate.toml");
    std::fs::write(&path, text).expect("policy");
    path.to_str().expect("utf-8 path").to_string()
}

/// tlslite-ng with a 1024-bit RSA leaf, TLS 1.0 to 1.2 with suites an
/// OpenSSL 3 client at the base probe's settings refuses: the key is
/// read from a version probe's handshake, as `openssl s_client -tls1_2`
/// sees it.
#[test]
fn a_certificate_only_version_probes_received_is_judged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = tlslite_server(
        d,
        "neg-weak-key.key",
        "neg-weak-key.chain.pem",
        &["--cipherlist", "3des", "--cipherlist", "aes128"],
    );
    let pol = policy(d, "min_rsa_bits = 2048\ncertificate_types = [\"rsa\"]\n");
    let r = scan_json(d, &addr, &["--policy", &pol]);
    let ch = &r["findings"]["chain"];
    assert!(
        r["probes"]["base"]["error"].is_string(),
        "{}",
        r["probes"]["base"]
    );
    let from = ch["probes"][0].as_str().unwrap_or_default();
    assert!(from.starts_with("version/"), "{ch}");
    assert_eq!(ch["certificates"][0]["key_bits"], 1024, "{ch}");
    assert_eq!(rule(&r, "min_rsa_bits")["outcome"], "fail");
    assert_eq!(rule(&r, "certificate_types")["outcome"], "pass");
}

/// An anonymous-only server sends no certificate: its certificate rules
/// are not verified, and the scan exits 2 (not 0, not 1).
#[test]
fn without_a_certificate_the_certificate_rules_are_not_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = common::s_server(&[
        "-www",
        "-nocert",
        "-cipher",
        "aNULL:@SECLEVEL=0",
        "-max_protocol",
        "TLSv1.2",
    ]);
    let pol = policy(
        d,
        "min_rsa_bits = 2048\nmax_certificate_lifespan_days = 398\nrequire_valid_certificate = true\n",
    );
    let (o, text) = scan_any(d, &addr, &["--format", "json", "--policy", &pol]);
    let r: Value = serde_json::from_str(&text).expect("scan JSON");
    for name in [
        "min_rsa_bits",
        "max_certificate_lifespan_days",
        "require_valid_certificate",
    ] {
        let x = rule(&r, name);
        assert_eq!(x["outcome"], "unverified", "{x}");
        let detail = x["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with("no certificate received: "), "{detail}");
    }
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("not verified, as the server sent no certificate"),
        "{}",
        o.stderr
    );
}

/// A 1024-bit RSA-PSS leaf (rsassaPss) is an RSA key of 1024 bits, as
/// `openssl x509 -text` counts it, and fails `min_rsa_bits = 2048`; its
/// type is `rsa-pss`, which `certificate_types = ["rsa"]` does not
/// allow.
#[test]
fn an_rsa_pss_leaf_is_judged_by_its_modulus() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (cert, key) = (p(d, "pss1024.pem"), p(d, "pss1024.key"));
    let mut req = std::process::Command::new("openssl");
    req.args(["req", "-x509", "-newkey", "rsa-pss", "-pkeyopt"])
        .args(["rsa_keygen_bits:1024", "-nodes", "-days", "30"])
        .args(["-subj", "/CN=localhost", "-keyout", &key, "-out", &cert]);
    assert!(common::run(req).status.success(), "openssl req");
    let mut text = std::process::Command::new("openssl");
    text.args(["x509", "-noout", "-text", "-in", &cert]);
    let text = common::run(text).stdout;
    let bits: u32 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Public-Key: ("))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no key size in {text}"));
    assert!(text.contains("Public Key Algorithm: rsassaPss"), "{text}");
    let (_server, addr) = common::s_server(&[
        "-www",
        "-cert",
        &cert,
        "-key",
        &key,
        "-cipher",
        "DEFAULT:@SECLEVEL=0",
    ]);
    let pol = policy(d, "min_rsa_bits = 2048\ncertificate_types = [\"rsa\"]\n");
    let (_, text) = scan_any(d, &addr, &["--format", "json", "--policy", &pol]);
    let r: Value = serde_json::from_str(&text).expect("scan JSON");
    let leaf = &r["findings"]["chain"]["certificates"][0];
    assert_eq!(leaf["key_bits"], bits, "{leaf}");
    let x = rule(&r, "min_rsa_bits");
    assert_eq!(x["outcome"], "fail", "{x}");
    assert_eq!(
        x["detail"],
        format!("RSA-PSS key of {bits} bits, below 2048"),
        "{x}"
    );
    let x = rule(&r, "certificate_types");
    assert_eq!(x["outcome"], "fail", "{x}");
}

/// An ECDSA leaf on the curve `openssl x509 -text` names prime256v1 and
/// P-256 meets `certificate_curves` by the group name the scan reports,
/// secp256r1, as group rules take any of the three.
#[test]
fn a_certificate_curve_is_named_as_groups_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let cert = p(d, "server-ecdsa-p256.crt");
    let mut text = std::process::Command::new("openssl");
    text.args(["x509", "-noout", "-text", "-in", &cert]);
    let text = common::run(text).stdout;
    assert!(text.contains("ASN1 OID: prime256v1"), "{text}");
    assert!(text.contains("NIST CURVE: P-256"), "{text}");
    let key = p(d, "server-ecdsa-p256.key");
    let (_server, addr) = common::s_server(&["-www", "-cert", &cert, "-key", &key]);
    let pol = policy(d, "certificate_curves = [\"secp256r1\"]\n");
    let r = scan_json(d, &addr, &["--policy", &pol]);
    let x = rule(&r, "certificate_curves");
    assert_eq!(x["outcome"], "pass", "{x}");
}
