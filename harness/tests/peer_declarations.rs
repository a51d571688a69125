//! What the tlslite and botan peers declare, read through `matrix --list`:
//! the pairings each declaration lets run must be the ones the real
//! implementation plays (each checked by running the matrix against it).

mod common;

use common::{harness, require, run};
use serde_json::Value;

/// `matrix --list` of the tlslite and botan pairings, every case.
fn listed() -> Vec<Value> {
    require("botan", "version", "botan");
    let python = common::tlslite_python();
    assert!(
        python.is_file(),
        "no tlslite-ng venv at {}",
        python.display()
    );
    let mut cmd = harness(&[
        "matrix",
        "--list",
        "--peers",
        "tlslite,botan",
        "--external-scope",
        "full",
        "--format",
        "json",
    ]);
    cmd.env("TLS_HARNESS_TLSLITE_PYTHON", &python);
    let o = run(cmd);
    assert!(o.status.success(), "{}", o.stderr);
    serde_json::from_str(&o.stdout).expect("a JSON list")
}

fn expect<'a>(list: &'a [Value], id: &str) -> &'a Value {
    &list
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"))["expect"]
}

fn outcome<'a>(list: &'a [Value], id: &str) -> &'a str {
    expect(list, id)["outcome"].as_str().unwrap_or("")
}

#[test]
fn peers_declare_what_their_implementations_play() {
    let list = listed();
    for pairing in ["inproc>tlslite", "tlslite>inproc"] {
        // tlslite-ng has CCM_8 (not in a default HandshakeSettings()).
        for id in [
            "tls1_3/TLS_AES_128_CCM_8_SHA256/rsa2048/default",
            "tls1_2/ECDHE-ECDSA-AES128-CCM8/ecdsa-p256/default",
            "tls1_2/AES256-CCM8/rsa2048/default",
            // Ed25519 from TLS 1.2 on.
            "tls1_2/ECDHE-ECDSA-AES128-GCM-SHA256/ed25519/default",
            "tls1_3/TLS_AES_128_GCM_SHA256/ed25519/default",
        ] {
            let id = format!("{id}@{pairing}");
            assert_eq!(outcome(&list, &id), "success", "{id}");
        }
        // Botan 2 signs with DSA, as server and (verifying) as client.
        let id = format!(
            "tls1_2/DHE-DSS-AES128-GCM-SHA256/dsa2048/default@{}",
            pairing.replace("tlslite", "botan")
        );
        assert_eq!(outcome(&list, &id), "success", "{id}");
    }
    // Botan's client resumes across tls_client runs through its session
    // database, by session id and by ticket.
    for kind in ["resume-session-id", "resume-ticket"] {
        let id = format!("tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/{kind}@botan>inproc");
        assert_eq!(outcome(&list, &id), "success", "{id}");
    }
    // The driver's server gives TLS 1.2 tickets and resumes by them.
    let id = "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/resume-ticket@inproc>tlslite";
    assert_eq!(expect(&list, id)["resumed"], "ticket", "{id}");
    // Below TLS 1.2 an Ed25519 server can't sign: OpenSSL refuses the
    // suite, which tlslite-ng's client meets as a failure; tlslite-ng's
    // server picks it and fails while signing, which the declaration says.
    let old = "tls1_1/ECDHE-ECDSA-AES128-SHA/ed25519/default";
    assert_eq!(outcome(&list, &format!("{old}@tlslite>inproc")), "failure");
    let refused = expect(&list, &format!("{old}@inproc>tlslite"));
    assert_eq!(refused["outcome"], "unsupported");
    let reason = refused["reason"].as_str().unwrap_or("");
    assert!(reason.contains("Ed25519 key below TLS 1.2"), "{reason}");
}
