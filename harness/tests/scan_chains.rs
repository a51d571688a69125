//! A server with two certificates gives each client the one it can
//! verify: the scan asks for each key type, reports every chain, and the
//! policy's certificate rules hold only when they hold for each. The
//! reference is `openssl s_client` offering one key type's schemes.

mod common;
mod scan_support;

use std::process::{Command, Stdio};

use common::{run, write_pki};
use scan_support::*;

/// The bits of the key `openssl s_client -sigalgs sigalgs` is sent.
fn s_client_key_bits(addr: &str, sigalgs: &str) -> String {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-sigalgs", sigalgs])
        .args(["-cipher", "DEFAULT:@SECLEVEL=0"])
        .stdin(Stdio::null());
    let out = run(c);
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("Server public key is "))
        .unwrap_or_else(|| panic!("no key line from s_client: {}", out.stdout))
        .to_owned()
}

#[test]
fn each_certificate_of_a_server_is_examined_and_judged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    // The weak RSA chain file holds its leaf and intermediate: the leaf
    // alone for -dcert, the rest for -dcert_chain.
    let weak = std::fs::read_to_string(p(d, "neg-weak-key.chain.pem")).expect("chain");
    let end = "-----END CERTIFICATE-----\n";
    let cut = weak.find(end).expect("a certificate") + end.len();
    std::fs::write(d.join("weak-leaf.pem"), &weak[..cut]).expect("leaf");
    std::fs::write(d.join("weak-rest.pem"), &weak[cut..]).expect("rest");
    let (ecdsa, ecdsa_key) = (p(d, "server-ecdsa-p256.crt"), p(d, "server-ecdsa-p256.key"));
    let (weak_leaf, weak_rest) = (p(d, "weak-leaf.pem"), p(d, "weak-rest.pem"));
    let weak_key = p(d, "neg-weak-key.key");
    let intermediate = p(d, "intermediate.pem");
    let (_server, addr) = common::s_server(&[
        "-www",
        "-cert",
        &ecdsa,
        "-key",
        &ecdsa_key,
        "-cert_chain",
        &intermediate,
        "-dcert",
        &weak_leaf,
        "-dkey",
        &weak_key,
        "-dcert_chain",
        &weak_rest,
        "-cipher",
        "DEFAULT:@SECLEVEL=0",
    ]);
    assert_eq!(
        s_client_key_bits(&addr, "ecdsa_secp256r1_sha256"),
        "256 bit"
    );
    assert_eq!(s_client_key_bits(&addr, "rsa_pss_rsae_sha256"), "1024 bit");

    let policy = d.join("certificates.toml");
    std::fs::write(
        &policy,
        "min_rsa_bits = 2048\ncertificate_types = [\"ecdsa\"]\nrequire_valid_certificate = true\n",
    )
    .expect("policy");
    let r = scan_json(d, &addr, &["--policy", policy.to_str().expect("utf-8")]);
    let f = &r["findings"];
    assert_eq!(f["chain"]["key_type"], "ecdsa", "{}", f["chain"]);
    let others = f["other_chains"].as_array().expect("other_chains");
    assert_eq!(others.len(), 1, "{others:?}");
    assert_eq!(others[0]["key_type"], "rsa");
    assert_eq!(others[0]["certificates"][0]["key_bits"], 1024);
    for name in [
        "min_rsa_bits",
        "certificate_types",
        "require_valid_certificate",
    ] {
        let x = rule(&r, name);
        assert_eq!(x["outcome"], "fail", "{x}");
        let detail = x["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with("rsa certificate: "), "{detail}");
    }
}

/// One certificate: no other chain, and the rules read as before.
#[test]
fn a_server_with_one_certificate_has_no_other_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(d, &[]);
    let r = scan_json(d, &addr, &[]);
    assert_eq!(r["findings"]["chain"]["key_type"], "rsa");
    assert_eq!(r["findings"]["other_chains"], serde_json::json!([]));
}
