//! `tls-harness scan` against an `openssl s_server` that accepts
//! anonymous suites: each is named, its DH prime is read although nothing
//! signs it, and policies see both.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};
use serde_json::Value;

use scan_support::*;

/// `ADH-*` suites send their DH prime unsigned: the scan must still read
/// it, or a server handing out 1024-bit primes to anonymous clients passes
/// a 2048-bit policy. The expected sizes come from `openssl s_client`,
/// which suites are anonymous from `openssl ciphers -v`.
#[test]
fn anonymous_dh_suites_are_named_with_their_primes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (anon, signed) = ("ADH-AES128-SHA", "DHE-RSA-AES256-SHA");
    let cipher = format!("{anon}:{signed}:@SECLEVEL=0");
    // No -dhparam: OpenSSL sizes the prime by the suite (and the key).
    let (_server, addr) = s_server(
        d,
        &[
            "-cipher",
            &cipher,
            "-min_protocol",
            "TLSv1.1",
            "-max_protocol",
            "TLSv1.2",
        ],
    );
    let temp_key_bits = |suite: &str| -> usize {
        let mut c = Command::new("openssl");
        c.args(["s_client", "-connect", &addr, "-tls1_2", "-cipher"])
            .arg(format!("{suite}:@SECLEVEL=0"));
        let o = run(c);
        o.stdout
            .lines()
            .find_map(|l| l.strip_prefix("Server Temp Key: DH, "))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|bits| bits.parse().ok())
            .unwrap_or_else(|| panic!("s_client {suite}: no DH temp key: {}", o.stdout))
    };
    let (anon_bits, signed_bits) = (temp_key_bits(anon), temp_key_bits(signed));
    let authentication = |suite: &str| -> String {
        let mut c = Command::new("openssl");
        c.args(["ciphers", "-v", &format!("{suite}:@SECLEVEL=0")]);
        let o = run(c);
        // It lists the TLS 1.3 suites too: take the line of `suite`.
        o.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(suite))
            .and_then(|l| l.split_whitespace().find_map(|f| f.strip_prefix("Au=")))
            .unwrap_or_else(|| panic!("openssl ciphers -v {suite}: {}", o.stdout))
            .to_owned()
    };
    assert_eq!(authentication(anon), "None");
    assert_ne!(authentication(signed), "None");

    let policy = d.join("dh.toml");
    std::fs::write(
        &policy,
        format!(
            "allowed_suites = [\"{signed}\"]\nmin_dh_bits = {}\nforbid_anonymous_suites = true\n",
            anon_bits + 1
        ),
    )
    .expect("write policy");
    let r = scan_json(d, &addr, &["--policy", policy.to_str().expect("utf-8")]);
    check_probes(&r);

    let dh = &r["findings"]["dh"];
    for v in ["tls1_1", "tls1_2"] {
        let mut accepted = strings(&suites_of(&r, v)["accepted"]);
        accepted.sort();
        assert_eq!(accepted, [anon, signed], "{v}");
        assert_eq!(strings(&suites_of(&r, v)["anonymous"]), [anon], "{v}");
        for (suite, bits) in [(anon, anon_bits), (signed, signed_bits)] {
            let row = serde_json::json!([v, suite, bits]);
            assert!(
                dh["suites"].as_array().is_some_and(|s| s.contains(&row)),
                "{row} not in {dh}"
            );
        }
    }
    assert_eq!(dh["min_bits"], anon_bits.min(signed_bits));

    // Both versions accept the anonymous suite; the rule names it once.
    let rule = |name: &str| -> Value {
        r["policy"]["rules"]
            .as_array()
            .and_then(|rs| rs.iter().find(|x| x["rule"] == name).cloned())
            .unwrap_or_else(|| panic!("no rule {name}: {}", r["policy"]))
    };
    let suites = rule("allowed_suites");
    assert_eq!(suites["outcome"], "fail");
    assert_eq!(
        suites["detail"],
        format!("accepts suites outside the policy: {anon}")
    );
    let bits = rule("min_dh_bits");
    assert_eq!(bits["outcome"], "fail");
    // The signed suite's prime (sized by the RSA key) meets the policy.
    assert!(signed_bits > anon_bits, "{signed_bits} vs {anon_bits}");
    assert_eq!(
        bits["detail"],
        format!(
            "DH prime of {anon_bits} bits, below {}: {anon}",
            anon_bits + 1
        )
    );
    let anonymous = rule("forbid_anonymous_suites");
    assert_eq!(anonymous["outcome"], "fail");
    assert_eq!(
        anonymous["detail"],
        format!("accepts suites that authenticate no server: {anon}")
    );

    // A weakness of its own (testssl.sh: "Anonymous NULL Ciphers (no
    // authentication) offered (NOT ok)"), at each version that takes it.
    let weakness = |name: &str| -> Value {
        r["findings"]["weaknesses"]
            .as_array()
            .and_then(|ws| ws.iter().find(|w| w["name"] == name).cloned())
            .unwrap_or_else(|| panic!("no weakness {name}: {}", r["findings"]))
    };
    let anonymous = weakness("anonymous key exchange");
    assert_eq!(anonymous["affected"], "yes", "{anonymous}");
    assert_eq!(anonymous["detail"], format!("{anon} at TLS 1.1, TLS 1.2"));

    // The table says so on each version's suites row.
    let (_, table) = scan(d, &addr, &[]);
    for v in ["TLS 1.1", "TLS 1.2"] {
        let row = table
            .lines()
            .find(|l| l.starts_with("suites") && l.contains(v))
            .unwrap_or_else(|| panic!("no {v} suites row: {table}"));
        assert!(
            row.contains(&format!("anonymous, so no server authentication: {anon}")),
            "{row}"
        );
    }
}
