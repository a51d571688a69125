//! `tls-harness scan` against `openssl s_server` and `gnutls-serv` started
//! with chosen versions, suites, groups and settings: every finding is
//! checked against the configuration the server was started with.
//!
//! The tools are required: a missing one fails the test, naming the
//! package to install.

mod common;
mod scan_support;

use std::collections::BTreeSet;
use std::process::Command;

use common::{harness, run, write_pki};
use openssl::x509::X509;
use serde_json::Value;

use scan_support::*;

#[test]
fn tls12_server_preference_suites_groups_dh_alpn_client_auth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let dh = p(d, "ffdhe3072.pem");
    let g = run({
        let mut c = Command::new("openssl");
        c.args(["genpkey", "-genparam", "-algorithm", "DH"]).args([
            "-pkeyopt",
            "group:ffdhe3072",
            "-out",
            &dh,
        ]);
        c
    });
    assert!(g.status.success(), "openssl genpkey: {}", g.stderr);

    let suites = [
        "ECDHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES256-GCM-SHA384",
        "AES128-SHA",
    ];
    let cipher = suites.join(":");
    let root = p(d, "root.pem");
    let (_server, addr) = s_server(
        d,
        &[
            "-tls1_2",
            "-cipher",
            &cipher,
            "-serverpref",
            "-groups",
            "P-384:x25519",
            "-no_ticket",
            "-Verify",
            "1",
            "-CAfile",
            &root,
            "-alpn",
            "http/1.1",
            "-dhparam",
            &dh,
        ],
    );
    let r = scan_json(
        d,
        &addr,
        &[
            "--cert",
            &p(d, "client-rsa2048.chain.pem"),
            "--key",
            &p(d, "client-rsa2048.key"),
        ],
    );
    check_probes(&r);

    // -tls1_2: that version alone.
    assert_eq!(version(&r, "tls1_2")["accepted"], "yes");
    for v in ["tls1", "tls1_1", "tls1_3"] {
        assert_eq!(version(&r, v)["accepted"], "no", "{v}");
        // Each probe offered only `v`: no version in common.
        assert_eq!(
            diagnosis(&r, &format!("version/{v}"))["cause"],
            "no_shared_version",
            "{v}"
        );
    }
    // TLS 1.2 alone, AES (CBC at TLS 1.2 is no BEAST), a 3072-bit prime:
    // open to no named attack.
    for w in r["findings"]["weaknesses"].as_array().expect("weaknesses") {
        assert_eq!(w["affected"], "no", "{w}");
    }
    // OpenSSL 3.0 has neither SSLv2 nor SSLv3: the scan's own hellos are
    // refused.
    let ssl2 = &r["findings"]["sslv2"];
    assert_eq!(ssl2["accepted"], "no", "{ssl2}");
    assert_eq!(ssl2["detail"], "refused: fatal alert protocol_version (70)");
    let ssl3 = version(&r, "ssl3");
    assert_eq!(ssl3["accepted"], "no", "{ssl3}");
    assert!(
        ssl3["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("refused: fatal alert ")),
        "{ssl3}"
    );
    assert!(r["probes"]["version/tls1_2"]["diagnosis"].is_null());

    // -cipher with -serverpref: exactly those suites, in that order.
    let s12 = suites_of(&r, "tls1_2");
    assert_eq!(strings(&s12["accepted"]), suites);
    assert_eq!(s12["server_order"], true);

    // -groups P-384:x25519 with -serverpref.
    let g = groups_of(&r, "tls1_2");
    assert_eq!(r["findings"]["groups"].as_array().map(Vec::len), Some(1));
    assert_eq!(strings(&g["accepted"]), ["secp384r1", "x25519"]);
    assert_eq!(g["preferred"], "secp384r1");
    assert_eq!(g["server_order"], true);

    // -dhparam ffdhe3072.
    assert_eq!(r["findings"]["dh"]["min_bits"], 3072);

    // -alpn http/1.1: chosen from h2,http/1.1; s_server refuses no overlap.
    let a = &r["findings"]["alpn"];
    assert_eq!(strings(&a["selected"]), ["http/1.1"]);
    assert!(
        a["on_no_overlap"]
            .as_str()
            .is_some_and(|s| s.contains("no_application_protocol")),
        "{a}"
    );

    // -Verify 1 -CAfile root.pem: requested, naming the root.
    let ca = &r["findings"]["client_auth"];
    assert_eq!(ca["requested"], "yes");
    let root_cn = {
        let c = X509::from_pem(&std::fs::read(&root).expect("root")).expect("pem");
        let cn = c
            .subject_name()
            .entries_by_nid(openssl::nid::Nid::COMMONNAME)
            .next()
            .expect("CN")
            .data()
            .to_string()
            .expect("utf-8");
        format!("CN = {cn}")
    };
    let names = strings(&ca["ca_names"]);
    assert!(names.len() == 1 && names[0].contains(&root_cn), "{names:?}");

    // -no_ticket: resumption by id only; no TLS 1.3, so no PSK.
    assert_eq!(resumption(&r, "session_id")["resumed"], "yes");
    assert_eq!(resumption(&r, "ticket")["resumed"], "no");
    assert_eq!(resumption(&r, "psk")["resumed"], "not_applicable");

    // One version: no fallback to test. OpenSSL always does RFC 5746.
    assert_eq!(
        r["findings"]["fallback_scsv"]["supported"],
        "not_applicable"
    );
    assert_eq!(r["findings"]["renegotiation"]["secure"], "yes");

    // Leaf and intermediate, in order, verifying to the root.
    let ch = &r["findings"]["chain"];
    assert_eq!(ch["certificates"].as_array().map(Vec::len), Some(2));
    assert_eq!(ch["ordered"], "yes");
    assert_eq!(ch["complete"], "yes");
    assert_eq!(ch["hostname_match"], "yes");
    assert_eq!(ch["handshake_verify"][0], 0);
    // The leaf was issued moments ago for a whole number of days, so the
    // second that passes between the scan and this line can cross a day.
    let leaf_days = days_left(&p(d, "server-rsa2048.crt"));
    let got = ch["leaf_days_to_expiry"].as_i64().expect("days");
    assert!(
        (leaf_days..=leaf_days + 1).contains(&got),
        "{got} vs {leaf_days}"
    );

    // The table lists each failed probe with its diagnosis; a narrow
    // probe's refusal is a finding, with nothing for a client to fix.
    let (code, table) = scan(
        d,
        &addr,
        &[
            "--cert",
            &p(d, "client-rsa2048.chain.pem"),
            "--key",
            &p(d, "client-rsa2048.key"),
        ],
    );
    assert_eq!(code, Some(0), "{table}");
    let row = failed_row(&table, "version/tls1_3");
    assert!(
        row.split_whitespace().nth(1) == Some("no_shared_version:") && !row.contains("fix:"),
        "{row}"
    );
    assert!(
        !table.contains("\n  version/tls1_2 "),
        "an accepted version is no failure: {table}"
    );
    // The default handshake is what any client gets: its failure (here a
    // root the system store lacks) comes with the fix.
    let o = run(harness(&["scan", &addr, "--servername", "localhost"]));
    assert_eq!(o.status.code(), Some(0), "{}", o.stderr);
    let row = failed_row(&o.stdout, "base");
    assert!(row.contains("; fix: "), "{row}");
}

#[test]
fn default_server_tls13_resumption_fallback_and_policies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let tls13 = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
    let suites = tls13.join(":");
    let tls12 = "ECDHE-RSA-AES128-GCM-SHA256";
    let (_server, addr) = s_server(
        d,
        &[
            "-ciphersuites",
            &suites,
            "-cipher",
            tls12,
            "-groups",
            "x25519:P-256",
        ],
    );
    let r = scan_json(d, &addr, &["--alpn", "h2"]);
    check_probes(&r);

    assert_eq!(version(&r, "tls1_3")["accepted"], "yes");
    assert_eq!(version(&r, "tls1_2")["accepted"], "yes");
    assert_eq!(strings(&suites_of(&r, "tls1_2")["accepted"]), [tls12]);
    let s13: BTreeSet<String> = strings(&suites_of(&r, "tls1_3")["accepted"])
        .into_iter()
        .collect();
    assert_eq!(s13, tls13.iter().map(|s| s.to_string()).collect());
    // No -serverpref: the client's order wins.
    assert_eq!(suites_of(&r, "tls1_3")["server_order"], false);
    // -groups applies to both versions.
    for v in ["tls1_3", "tls1_2"] {
        let groups: BTreeSet<String> = strings(&groups_of(&r, v)["accepted"]).into_iter().collect();
        let want: BTreeSet<String> = ["secp256r1", "x25519"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(groups, want, "{v}");
    }
    // No -alpn: the server ignores ALPN.
    let a = &r["findings"]["alpn"];
    assert!(strings(&a["selected"]).is_empty(), "{a}");
    // Tickets are on by default, and session ids are cached.
    for kind in ["session_id", "ticket", "psk"] {
        assert_eq!(resumption(&r, kind)["resumed"], "yes", "{kind}");
    }
    assert_eq!(r["findings"]["client_auth"]["requested"], "no");
    assert_eq!(r["findings"]["fallback_scsv"]["supported"], "yes");
    // One certificate, whatever the name.
    for c in r["findings"]["sni"]["cases"].as_array().expect("sni") {
        assert!(
            c["behaviour"]
                .as_str()
                .is_some_and(|b| b == "the same certificate as the base probe"),
            "{c}"
        );
    }

    // Message bytes are kept only with --raw-bytes, each message's whole.
    let messages = |r: &Value| -> Vec<Value> {
        let probes = r["probes"].as_object().expect("probes");
        probes
            .values()
            .flat_map(|p| p["trace"]["events"].as_array().cloned().unwrap_or_default())
            .filter(|e| e["kind"]["type"] == "message")
            .map(|e| e["kind"].clone())
            .collect()
    };
    let lean = messages(&r);
    assert!(!lean.is_empty());
    assert!(
        lean.iter().all(|m| m.get("raw").is_none()),
        "raw bytes kept"
    );
    let raw = scan_json(d, &addr, &["--alpn", "h2", "--raw-bytes"]);
    let kept = messages(&raw);
    for m in &kept {
        let hex = m["raw"].as_str().unwrap_or_else(|| panic!("no bytes: {m}"));
        assert_eq!(
            Some(hex.len() as u64),
            m["length"].as_u64().map(|l| 2 * l),
            "{m}"
        );
    }
    let size = |v: &Value| serde_json::to_string(v).expect("json").len();
    assert!(size(&r) < size(&raw), "{} vs {}", size(&r), size(&raw));

    // mozilla-modern wants TLS 1.3 only and an ECDSA key, signed with
    // ECDSA: three rules fail (the intermediate that signed the leaf is
    // RSA), the exit code says so, and JUnit shows each as a failed test
    // case.
    let (code, junit) = scan(
        d,
        &addr,
        &["--policy", "mozilla-modern", "--format", "junit"],
    );
    assert_eq!(code, Some(1), "{junit}");
    for rule in ["min_version", "certificate_types", "certificate_signatures"] {
        let at = junit
            .find(&format!("name=\"{rule}\""))
            .unwrap_or_else(|| panic!("no test case {rule}: {junit}"));
        let case = &junit[at..at + junit[at..].find("</testcase>").expect("end")];
        assert!(case.contains("<failure"), "{rule} did not fail: {case}");
    }

    // A TOML policy this server meets passes (it serves only the one TLS
    // 1.2 suite, so AES128-SHA is not among them); one it breaks fails.
    let good = d.join("good.toml");
    std::fs::write(
        &good,
        "min_version = \"tls1_2\"\nrequire_groups = [\"x25519\"]\nforbid_suites = [\"AES128-SHA\"]\nmax_days_to_expiry_warning = 30\n",
    )
    .expect("write policy");
    let (code, junit) = scan(
        d,
        &addr,
        &[
            "--policy",
            good.to_str().expect("utf-8"),
            "--format",
            "junit",
        ],
    );
    assert_eq!(code, Some(0), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
    let bad = d.join("bad.toml");
    std::fs::write(&bad, "forbid_groups = [\"x25519\"]\n").expect("write policy");
    let (code, junit) = scan(
        d,
        &addr,
        &[
            "--policy",
            bad.to_str().expect("utf-8"),
            "--format",
            "junit",
        ],
    );
    assert_eq!(code, Some(1), "{junit}");
    assert!(
        junit.contains("name=\"forbid_groups\">\n      <failure"),
        "{junit}"
    );
    // The file is the suite's name; its stem alone the test cases' class,
    // whose dots a CI viewer reads as packages.
    let path = bad.to_str().expect("utf-8");
    assert!(
        junit.contains(&format!("<testsuite name=\"policy {path}\"")),
        "{junit}"
    );
    assert!(
        junit.contains("<testcase classname=\"policy.bad\" name=\"forbid_groups\""),
        "{junit}"
    );
}

#[test]
fn gnutls_serv_priority_string() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305:\
                    -KX-ALL:+ECDHE-RSA:-GROUP-ALL:+GROUP-SECP256R1:+GROUP-X25519";
    let (_server, addr) = common::gnutls_leaf(
        d,
        "server-rsa2048",
        &[
            "--echo",
            "--disable-client-cert",
            "--noticket",
            "--priority",
            priority,
        ],
    );
    let r = scan_json(d, &addr, &[]);
    check_probes(&r);

    // +VERS-TLS1.2 alone.
    assert_eq!(version(&r, "tls1_2")["accepted"], "yes");
    for v in ["tls1", "tls1_1", "tls1_3"] {
        assert_eq!(version(&r, v)["accepted"], "no", "{v}");
    }
    // ECDHE-RSA with AES-128-GCM or ChaCha20 (MAC AEAD): two suites.
    let s: BTreeSet<String> = strings(&suites_of(&r, "tls1_2")["accepted"])
        .into_iter()
        .collect();
    let want: BTreeSet<String> = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(s, want);
    let groups: BTreeSet<String> = strings(&groups_of(&r, "tls1_2")["accepted"])
        .into_iter()
        .collect();
    assert_eq!(
        groups,
        ["secp256r1", "x25519"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(r["findings"]["dh"]["min_bits"], Value::Null);
    // --noticket: no ticket resumption; gnutls-serv caches session ids.
    assert_eq!(resumption(&r, "ticket")["resumed"], "no");
    assert_eq!(resumption(&r, "session_id")["resumed"], "yes");
    assert_eq!(r["findings"]["client_auth"]["requested"], "no");
    assert_eq!(r["findings"]["renegotiation"]["secure"], "yes");
    let ch = &r["findings"]["chain"];
    assert_eq!(ch["complete"], "yes");
    assert_eq!(ch["certificates"].as_array().map(Vec::len), Some(2));
}

#[test]
fn sni_unknown_name_alert_and_default_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    // localhost gets the ECDSA leaf; any other name is fatal; no name gets
    // the default RSA leaf.
    let (_server, addr) = s_server(
        d,
        &[
            "-servername",
            "localhost",
            "-cert2",
            &p(d, "server-ecdsa-p256.crt"),
            "-key2",
            &p(d, "server-ecdsa-p256.key"),
            "-servername_fatal",
        ],
    );
    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    let cases = r["findings"]["sni"]["cases"].as_array().expect("sni");
    let unknown = cases
        .iter()
        .find(|c| c["probe"] == "sni/unknown")
        .expect("unknown");
    assert!(
        unknown["behaviour"]
            .as_str()
            .is_some_and(|b| b.contains("unrecognized_name")),
        "{unknown}"
    );
    let none = cases
        .iter()
        .find(|c| c["probe"] == "sni/none")
        .expect("none");
    assert!(
        none["behaviour"]
            .as_str()
            .is_some_and(|b| b.starts_with("a different certificate")),
        "{none}"
    );
    // -servername_fatal: the unknown name is refused.
    assert_eq!(diagnosis(&r, "sni/unknown")["cause"], "sni_unknown");
    let leaf = &r["findings"]["chain"]["certificates"][0];
    assert_eq!(leaf["key_algorithm"], "id-ecPublicKey");
    // No -groups: one default list at both versions. At TLS 1.2 the P-256
    // certificate's curve must be offered in every probe; the enumeration
    // still finds every elliptic-curve group TLS 1.3 found.
    let set = |v: &str| -> BTreeSet<String> {
        strings(&groups_of(&r, v)["accepted"])
            .into_iter()
            .filter(|g| !g.starts_with("ffdhe"))
            .collect()
    };
    assert_eq!(set("tls1_2"), set("tls1_3"));
    assert!(set("tls1_2").contains("secp256r1"));
    // OpenSSL's default list has no brainpool curve: offered ahead of the
    // certificate's, which the server then took, they are named refused.
    let note = groups_of(&r, "tls1_2")["note"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let took = "offered ahead of secp256r1, the certificate's curve, which the server took \
                instead";
    assert!(
        note.starts_with("none of brainpoolP256r1, ") && note.ends_with(took),
        "{note}"
    );

    let (code, md) = scan(d, &addr, &["--format", "markdown"]);
    assert_eq!(code, Some(0));
    assert!(md.contains("| finding | item | result | probes |"), "{md}");
    // The text escaped as CommonMark writes punctuation literally.
    assert!(
        md.contains(r"| sni | unknown name | unknown\-name\.tls\-harness\.invalid\: "),
        "{md}"
    );
    assert!(md.contains(r"| sni\/unknown | `sni_unknown`: "), "{md}");
}

/// A server of one version still answers a retry below it: gnutls-serv
/// checks the SCSV (inappropriate_fallback, as `openssl s_client -tls1_2
/// -fallback_scsv` shows by hand), `openssl s_server -tls1_3` refuses the
/// version first (protocol_version), which says nothing of the SCSV.
#[test]
fn a_single_version_server_is_asked_one_version_below() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_gnutls, addr) = common::gnutls_leaf(
        d,
        "server-rsa2048",
        &["--echo", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3"],
    );
    let fb = &scan_json(d, &addr, &[])["findings"]["fallback_scsv"];
    assert_eq!(fb["supported"], "yes", "{fb}");
    let (_openssl, addr) = s_server(d, &["-tls1_3"]);
    let fb = &scan_json(d, &addr, &[])["findings"]["fallback_scsv"];
    assert_eq!(fb["supported"], "not_applicable", "{fb}");
    assert!(
        fb["detail"]
            .as_str()
            .is_some_and(|t| t.contains("protocol_version")),
        "{fb}"
    );
}
