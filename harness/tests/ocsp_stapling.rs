//! `tls-harness scan` and `probe --status` read the OCSP response a server
//! staples (RFC 6066 section 8) as `openssl s_client -status` prints it: `openssl s_server
//! -status_file` with a response that says the leaf is good, `gnutls-serv
//! --ocsp-response` with one that says it is revoked, and a server that
//! staples nothing. The responses are made by `openssl ocsp` from an index
//! of the test PKI's leaf; what the scan must say of each is read from
//! `s_client -status`, and the policy rule `require_ocsp_stapling` passes
//! only the first.

mod common;
mod scan_support;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{harness, run, write_pki};
use scan_support::*;
use serde_json::Value;

/// `openssl ocsp` answering for the leaf: good, or revoked at `revoked`
/// ("YYMMDDHHMMSSZ,reason", as ca(1)'s index writes it), from an index of
/// the leaf alone, signed by the leaf's issuer, the test PKI's
/// intermediate, so that its signature verifies against the root
/// (tests/probe_ocsp_signature.rs checks one that does not).
fn ocsp_response(d: &Path, name: &str, revoked: Option<&str>) -> String {
    let (serial, subject) = leaf_serial_and_subject(d);
    let (flag, when) = revoked.map_or(("V", ""), |r| ("R", r));
    let index = d.join(format!("{name}.index"));
    let line = format!("{flag}\t301231235959Z\t{when}\t{serial}\tunknown\t{subject}\n");
    std::fs::write(&index, line).expect("index");
    let out = p(d, &format!("{name}.der"));
    let mut c = Command::new("openssl");
    c.arg("ocsp")
        .args(["-index", index.to_str().expect("utf-8 path")])
        .args(["-rsigner", &p(d, "intermediate.pem")])
        .args(["-rkey", &p(d, "intermediate.key")])
        .args(["-CA", &p(d, "intermediate.pem")])
        .args(["-issuer", &p(d, "intermediate.pem")])
        .args(["-cert", &p(d, "server-rsa2048.crt")])
        .args(["-respout", &out, "-ndays", "7"]);
    let o = run(c);
    assert!(o.status.success(), "openssl ocsp: {}", o.stderr);
    out
}

/// The leaf's serial and subject, as ca(1)'s index writes them.
fn leaf_serial_and_subject(d: &Path) -> (String, String) {
    let mut c = Command::new("openssl");
    c.args([
        "x509", "-noout", "-serial", "-subject", "-nameopt", "compat",
    ])
    .args(["-in", &p(d, "server-rsa2048.crt")]);
    let o = run(c);
    let field = |key: &str| {
        o.stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {}", o.stdout))
            .to_owned()
    };
    (field("serial="), field("subject="))
}

/// What `s_client -status` prints of the staple: each "Key: value" line
/// of its OCSP response block, trimmed.
fn s_client_status(addr: &str) -> Vec<(String, String)> {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-status"])
        .stdin(Stdio::null());
    s_client_lines(run(c).stdout)
}

/// The "Key: value" lines of s_client's OCSP response block in `stdout`.
fn s_client_lines(stdout: String) -> Vec<(String, String)> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("OCSP response:"))
        .take_while(|l| !l.starts_with("---"))
        .filter_map(|l| l.trim().split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
}

fn said<'a>(lines: &'a [(String, String)], key: &str) -> Option<&'a str> {
    lines
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn policy(d: &Path) -> String {
    let policy = d.join("ocsp.toml");
    std::fs::write(&policy, "require_ocsp_stapling = true\n").expect("policy");
    policy.to_str().expect("utf-8 path").to_string()
}

fn scanned(d: &Path, addr: &str) -> (Option<i32>, Value) {
    let (code, text) = scan(d, addr, &["--format", "json", "--policy", &policy(d)]);
    (code, serde_json::from_str(&text).expect("scan JSON"))
}

fn rule(r: &Value) -> &Value {
    &r["policy"]["rules"][0]
}

/// `probe --status`'s reading of the staple, at TLS 1.2 (a
/// CertificateStatus message) as the scan's base probe reads TLS 1.3's
/// (in the Certificate message).
fn probed(d: &Path, addr: &str) -> Value {
    let root = p(d, "root.pem");
    let o = run(harness(&[
        "probe",
        addr,
        "--servername",
        "localhost",
        "--cafile",
        &root,
        "--status",
        "--tls1_2",
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "probe failed: {}", o.stderr);
    let line = common::first_json(&o);
    line["ocsp"].clone()
}

#[test]
fn a_stapled_response_is_read_as_s_client_reads_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);

    // Good, from s_server.
    let good = ocsp_response(d, "good", None);
    let (_server, addr) = s_server(d, &["-status_file", &good]);
    let said_by = s_client_status(&addr);
    assert_eq!(said(&said_by, "Cert Status"), Some("good"), "{said_by:?}");
    let (code, r) = scanned(d, &addr);
    let o = &r["findings"]["ocsp"];
    assert_eq!(o["stapled"], "yes", "{o}");
    assert_eq!(
        o["response_status"].as_str(),
        said(&said_by, "OCSP Response Status").and_then(|s| s.split(' ').next()),
        "{o}"
    );
    assert_eq!(o["cert_status"], "good", "{o}");
    assert_eq!(
        o["this_update"].as_str(),
        said(&said_by, "This Update"),
        "{o}"
    );
    assert_eq!(
        o["next_update"].as_str(),
        said(&said_by, "Next Update"),
        "{o}"
    );
    assert_eq!(o["current"], "yes", "{o}");
    assert_eq!(rule(&r)["outcome"], "pass", "{r}");
    assert_eq!(code, Some(0));
    let by_probe = probed(d, &addr);
    assert_eq!(
        (&by_probe["stapled"], &by_probe["current"]),
        (&true.into(), &true.into()),
        "{by_probe}"
    );
    for key in [
        "response_status",
        "cert_status",
        "this_update",
        "next_update",
    ] {
        assert_eq!(by_probe[key], o[key], "{key}: {by_probe}");
    }

    // Revoked, from gnutls-serv (which refuses to load a response that
    // says so unless told to).
    let revoked = ocsp_response(d, "revoked", Some("261101000000Z,keyCompromise"));
    let (_server, addr) = common::gnutls_leaf(
        d,
        "server-rsa2048",
        &["--ocsp-response", &revoked, "--ignore-ocsp-response-errors"],
    );
    let said_by = s_client_status(&addr);
    assert_eq!(
        said(&said_by, "Cert Status"),
        Some("revoked"),
        "{said_by:?}"
    );
    let (code, r) = scanned(d, &addr);
    let o = &r["findings"]["ocsp"];
    assert_eq!(
        (&o["stapled"], &o["cert_status"]),
        (&"yes".into(), &"revoked".into()),
        "{o}"
    );
    let detail = o["detail"].as_str().unwrap_or_default();
    let time = said(&said_by, "Revocation Time").expect("s_client's revocation time");
    let reason = said(&said_by, "Revocation Reason").expect("s_client's revocation reason");
    // "keyCompromise (0x1)": the name alone.
    let reason = reason.split(' ').next().unwrap_or_default();
    assert!(detail.contains(&format!("revoked {time}, {reason}")), "{o}");
    assert_eq!(rule(&r)["outcome"], "fail", "{r}");
    assert_eq!(code, Some(1));
    let by_probe = probed(d, &addr);
    assert_eq!(by_probe["cert_status"], "revoked", "{by_probe}");
    assert_eq!(by_probe["detail"], o["detail"], "{by_probe}");

    // None asked for, none sent.
    let (_server, addr) = s_server(d, &[]);
    let said_by = s_client_status(&addr);
    assert_eq!(
        said(&said_by, "OCSP response"),
        Some("no response sent"),
        "{said_by:?}"
    );
    let (code, r) = scanned(d, &addr);
    let o = &r["findings"]["ocsp"];
    assert_eq!(
        (&o["stapled"], &o["cert_status"]),
        (&"no".into(), &Value::Null),
        "{o}"
    );
    assert_eq!(rule(&r)["outcome"], "fail", "{r}");
    assert_eq!(code, Some(1));
    assert_eq!(probed(d, &addr)["stapled"], false);
}

/// A leaf whose TLS Feature extension demands a staple (RFC 7633), served
/// without one, is named as such, as testssl.sh's "OCSP must staple
/// extension" and `openssl x509 -text`'s "TLS Feature: status_request"
/// show it; its OCSP responder comes from its Authority Information Access.
#[test]
fn a_must_staple_leaf_served_without_a_staple_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let responder = "http://ocsp.example.test/";
    let openssl = |args: &[&str]| {
        let mut c = Command::new("openssl");
        c.args(args).current_dir(d);
        let o = run(c);
        assert!(o.status.success(), "openssl {args:?}: {}", o.stderr);
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"],
            &ec[..],
            &[
                "-keyout",
                "root.key",
                "-out",
                "root.pem",
                "-subj",
                "/CN=Must-staple test root",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"],
            &ec[..],
            &[
                "-keyout",
                "leaf.key",
                "-out",
                "leaf.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        d.join("leaf.ext"),
        format!(
            "subjectAltName=DNS:localhost\ntlsfeature=status_request\n\
             authorityInfoAccess=OCSP;URI:{responder}\n"
        ),
    )
    .expect("extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "root.pem",
        "-CAkey",
        "root.key",
        "-CAcreateserial",
        "-days",
        "10",
        "-extfile",
        "leaf.ext",
        "-out",
        "leaf.pem",
    ]);
    let text = {
        let mut c = Command::new("openssl");
        c.args(["x509", "-noout", "-text", "-in", &p(d, "leaf.pem")]);
        run(c).stdout
    };
    assert!(text.contains("TLS Feature"), "{text}");

    let (_server, addr) = common::s_server(&[
        "-cert",
        &p(d, "leaf.pem"),
        "-key",
        &p(d, "leaf.key"),
        "-www",
    ]);
    let (_, text) = scan(d, &addr, &["--format", "json"]);
    let r: Value = serde_json::from_str(&text).expect("scan JSON");
    let o = &r["findings"]["ocsp"];
    assert_eq!(
        (&o["stapled"], &o["must_staple"]),
        (&"no".into(), &true.into()),
        "{o}"
    );
    assert_eq!(o["responders"], serde_json::json!([responder]), "{o}");
    assert!(
        o["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("demands a staple"),
        "{o}"
    );
}

/// The staple is read where the handshake fails after it (a TLS 1.2
/// server that wants a client certificate), its entry is looked up
/// through the trust store when the leaf's issuer was not sent (a leaf
/// served alone under a root the client trusts), and where the issuer
/// cannot be found at all the policy rule is not verified rather than
/// failed. A resumed probe has no staple to read and says so.
#[test]
fn a_staple_is_read_wherever_it_came() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let good = ocsp_response(d, "good", None);

    // Refused after the staple: the base probe fails, the staple stands.
    let (_server, addr) = s_server(d, &["-status_file", &good, "-tls1_2", "-Verify", "1"]);
    let (_, r) = scanned(d, &addr);
    let o = &r["findings"]["ocsp"];
    assert_eq!(
        (&o["stapled"], &o["cert_status"]),
        (&"yes".into(), &"good".into()),
        "{o}"
    );

    // The leaf alone: its issuer is in neither the chain nor the trust
    // store (the root), so the entry is not looked up.
    let (_server, addr) = common::s_server(&[
        "-www",
        "-cert",
        &p(d, "server-rsa2048.crt"),
        "-key",
        &p(d, "server-rsa2048.key"),
        "-status_file",
        &good,
    ]);
    let (o, text) = scan_any(d, &addr, &["--format", "json", "--policy", &policy(d)]);
    let r: Value = serde_json::from_str(&text).expect("scan JSON");
    let f = &r["findings"]["ocsp"];
    assert_eq!(
        (&f["stapled"], &f["cert_status"]),
        (&"yes".into(), &Value::Null),
        "{f}"
    );
    assert_eq!(rule(&r)["outcome"], "unverified", "{r}");
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);

    // The same leaf, with the intermediate trusted too: found there.
    let trusting = tempfile::tempdir().expect("tempdir");
    let both = [p(d, "intermediate.pem"), p(d, "root.pem")]
        .map(|f| std::fs::read_to_string(f).expect("PEM"))
        .concat();
    std::fs::write(trusting.path().join("root.pem"), both).expect("trust file");
    let (_, text) = scan_any(trusting.path(), &addr, &["--format", "json"]);
    let r: Value = serde_json::from_str(&text).expect("scan JSON");
    let f = &r["findings"]["ocsp"];
    assert_eq!(f["cert_status"], "good", "{f}");

    // probe, refusing the chain (no trust for the test root), read the
    // staple that came before its refusal.
    let (_server, addr) = s_server(d, &["-status_file", &good]);
    let o = run(harness(&[
        "probe",
        &addr,
        "--servername",
        "localhost",
        "--status",
        "--format",
        "json",
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", o.stdout);
    let line = common::first_json(&o);
    assert_eq!(line["ocsp"]["cert_status"], "good", "{line}");

    // Resumed: nothing to staple, and no claim that none was.
    let root = p(d, "root.pem");
    let (_server, addr) = s_server(d, &["-status_file", &good]);
    let o = run(harness(&[
        "probe",
        &addr,
        "--servername",
        "localhost",
        "--cafile",
        &root,
        "--status",
        "--reconnect",
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "probe failed: {}", o.stderr);
    let lines: Vec<Value> = o
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", o.stdout);
    assert_eq!(lines[0]["ocsp"]["cert_status"], "good", "{}", lines[0]);
    assert_eq!(lines[1]["ocsp"], Value::Null, "{}", lines[1]);
    assert!(o.stderr.contains("the session was resumed"), "{}", o.stderr);
}

/// A server with two chains (GnuTLS with an RSA and an ECDSA leaf) that
/// staples for one alone: `s_client -status -sigalgs` shows which, the
/// scan's other chain reads the same, and require_ocsp_stapling fails on
/// the chain without a staple.
#[test]
fn each_chain_is_asked_for_its_staple() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let good = ocsp_response(d, "good", None);
    // gnutls-serv pairs the responses with the certificates in order.
    let (_server, addr) = common::gnutls_leaf(
        d,
        "server-rsa2048",
        &[
            "--x509certfile",
            &p(d, "server-ecdsa-p256.chain.pem"),
            "--x509keyfile",
            &p(d, "server-ecdsa-p256.key"),
            "--ocsp-response",
            &good,
        ],
    );
    let with_sigalgs = |sigalgs: &str| {
        let mut c = Command::new("openssl");
        c.args([
            "s_client", "-connect", &addr, "-status", "-sigalgs", sigalgs,
        ])
        .stdin(Stdio::null());
        let lines = s_client_lines(run(c).stdout);
        said(&lines, "Cert Status").map(str::to_owned)
    };
    assert_eq!(with_sigalgs("RSA-PSS+SHA256").as_deref(), Some("good"));
    assert_eq!(with_sigalgs("ECDSA+SHA256"), None);

    let (code, r) = scanned(d, &addr);
    let chains: Vec<&Value> = std::iter::once(&r["findings"]["chain"])
        .chain(
            r["findings"]["other_chains"]
                .as_array()
                .into_iter()
                .flatten(),
        )
        .collect();
    let ecdsa = chains
        .iter()
        .find(|c| c["key_type"] == "ecdsa")
        .unwrap_or_else(|| panic!("no ECDSA chain: {}", r["findings"]));
    let rsa = chains
        .iter()
        .find(|c| c["key_type"] == "rsa")
        .unwrap_or_else(|| panic!("no RSA chain: {}", r["findings"]));
    // The base chain's staple is findings.ocsp; another chain carries its own.
    let staple = |c: &Value| -> Value {
        if c["ocsp"].is_null() {
            r["findings"]["ocsp"].clone()
        } else {
            c["ocsp"].clone()
        }
    };
    assert_eq!(staple(rsa)["cert_status"], "good", "{}", staple(rsa));
    assert_eq!(staple(ecdsa)["stapled"], "no", "{}", staple(ecdsa));
    assert_eq!(rule(&r)["outcome"], "fail", "{r}");
    assert!(
        rule(&r)["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("ecdsa chain: "),
        "{r}"
    );
    assert_eq!(code, Some(1));
}
