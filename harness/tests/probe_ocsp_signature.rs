//! `probe --status` checks the stapled OCSP response's signature as
//! `openssl ocsp -respin R -issuer CA -CAfile CA` does, and says whether
//! it verified: a response signed by the leaf's CA verifies, one with the
//! right entry signed by an unrelated self-signed responder does not.
//! Both are made by `openssl ocsp` from an index of the leaf, with a CA
//! of the test's own (the test PKI keeps no CA key).

mod common;

use std::path::Path;
use std::process::Command;

use common::{harness, run, s_server};

/// Runs `openssl` with `args`, which must succeed.
fn openssl(args: &[&str]) -> String {
    let mut c = Command::new("openssl");
    c.args(args);
    let o = run(c);
    assert!(o.status.success(), "openssl {args:?}: {}", o.stderr);
    o.stdout
}

/// A CA, a leaf for localhost it issued, and a self-signed "Evil
/// Responder", all P-256, in `d`.
fn pki(d: &Path) -> impl Fn(&str) -> String + '_ {
    let p = |name: &str| d.join(name).to_str().expect("utf-8").to_owned();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let ca_ext = [
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=keyCertSign,cRLSign",
    ];
    for (name, subject) in [("ca", "/CN=OCSP test CA"), ("evil", "/CN=Evil Responder")] {
        let (key, cert) = (p(&format!("{name}.key")), p(&format!("{name}.pem")));
        let mut args = vec![
            "req", "-x509", "-days", "2", "-subj", subject, "-keyout", &key, "-out", &cert,
        ];
        args.extend(ec);
        args.extend(ca_ext);
        openssl(&args);
    }
    let (key, cert, ca, ca_key) = (p("leaf.key"), p("leaf.pem"), p("ca.pem"), p("ca.key"));
    let mut args = vec![
        "req",
        "-x509",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &key,
        "-out",
        &cert,
    ];
    args.extend(ec);
    args.extend([
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-addext",
        "subjectAltName=DNS:localhost",
    ]);
    args.extend(["-addext", "basicConstraints=CA:FALSE"]);
    openssl(&args);
    p
}

/// A response saying the leaf is good, signed by `signer` (its `.pem`
/// and `.key`), as `openssl ocsp` writes one from an index of the leaf.
fn response(p: &dyn Fn(&str) -> String, signer: &str) -> String {
    let out = openssl(&[
        "x509",
        "-noout",
        "-serial",
        "-subject",
        "-nameopt",
        "compat",
        "-in",
        &p("leaf.pem"),
    ]);
    let field = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {out}"))
            .to_owned()
    };
    let index = p(&format!("{signer}.index"));
    let line = format!(
        "V\t301231235959Z\t\t{}\tunknown\t{}\n",
        field("serial="),
        field("subject=")
    );
    std::fs::write(&index, line).expect("index");
    let der = p(&format!("{signer}.der"));
    let (rsigner, rkey) = (p(&format!("{signer}.pem")), p(&format!("{signer}.key")));
    openssl(&[
        "ocsp",
        "-no_nonce",
        "-index",
        &index,
        "-rsigner",
        &rsigner,
        "-rkey",
        &rkey,
        "-CA",
        &p("ca.pem"),
        "-issuer",
        &p("ca.pem"),
        "-cert",
        &p("leaf.pem"),
        "-respout",
        &der,
        "-ndays",
        "1",
    ]);
    der
}

/// `openssl ocsp`'s verdict on `der`: whether it verified, and what it
/// printed.
fn reference(p: &dyn Fn(&str) -> String, der: &str) -> (bool, String) {
    let mut c = Command::new("openssl");
    c.args([
        "ocsp",
        "-respin",
        der,
        "-issuer",
        &p("ca.pem"),
        "-cert",
        &p("leaf.pem"),
    ])
    .args(["-CAfile", &p("ca.pem")]);
    let o = run(c);
    let all = o.stdout + &o.stderr;
    (all.contains("Response verify OK"), all)
}

#[test]
fn the_responders_signature_is_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = pki(dir.path());
    for signer in ["ca", "evil"] {
        let der = response(&p, signer);
        let (verified, said) = reference(&p, &der);
        assert_eq!(
            verified,
            signer == "ca",
            "openssl ocsp on {signer}'s: {said}"
        );

        let (_server, addr) = s_server(&[
            "-cert",
            &p("leaf.pem"),
            "-key",
            &p("leaf.key"),
            "-status_file",
            &der,
        ]);
        let probe = |format: &str| {
            run(harness(&[
                "probe",
                &addr,
                "--servername",
                "localhost",
                "--cafile",
                &p("ca.pem"),
                "--status",
                "--format",
                format,
            ]))
        };
        let o = probe("json");
        assert!(o.status.success(), "probe: {}", o.stderr);
        let ocsp = &common::first_json(&o)["ocsp"];
        // The entry reads as the response says either way.
        assert_eq!(ocsp["cert_status"], "good", "{ocsp}");
        assert_eq!(ocsp["signature_verified"], verified, "{signer}: {ocsp}");
        let detail = ocsp["detail"].as_str().expect("detail");
        let summary = probe("summary");
        let line = summary
            .stdout
            .lines()
            .chain(summary.stderr.lines())
            .find(|l| l.starts_with("ocsp: "))
            .unwrap_or_else(|| panic!("no ocsp line: {}{}", summary.stdout, summary.stderr))
            .to_owned();
        assert_eq!(line, format!("ocsp: {detail}"));
        if verified {
            assert!(ocsp["signature_error"].is_null(), "{ocsp}");
            assert!(line.ends_with("; responder signature verified"), "{line}");
        } else {
            // openssl ocsp's reason: "Verify error: self-signed certificate".
            let why = said
                .lines()
                .find_map(|l| {
                    l.split_once("Verify error:")
                        .map(|(_, w)| w.trim().to_owned())
                })
                .unwrap_or_else(|| panic!("no reason from openssl ocsp: {said}"));
            let error = ocsp["signature_error"].as_str().expect("a reason");
            assert!(error.contains(&why), "{error:?} lacks {why:?}");
            assert!(
                line.contains("responder signature NOT verified: "),
                "{line}"
            );
            assert!(line.contains(&why), "{line}");
        }
    }
}
