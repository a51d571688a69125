//! What the OCSP tests share: a CA of their own (the test PKI keeps no CA
//! key), a leaf it issued, an unrelated self-signed responder, and
//! responses `openssl ocsp` signs for the leaf.
// Each OCSP test file includes this module and uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use crate::common::run;

/// Runs `openssl` with `args`, which must succeed.
pub fn openssl(args: &[&str]) -> String {
    let mut c = Command::new("openssl");
    c.args(args);
    let o = run(c);
    assert!(o.status.success(), "openssl {args:?}: {}", o.stderr);
    o.stdout
}

/// A CA, a leaf for localhost it issued, and a self-signed "Evil
/// Responder", all P-256, in `d`.
pub fn pki(d: &Path) -> impl Fn(&str) -> String + '_ {
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

/// A response saying the leaf is good, or revoked at `revoked`
/// ("YYMMDDHHMMSSZ,reason", as ca(1)'s index writes it), signed by
/// `signer` (its `.pem` and `.key`), as `openssl ocsp` writes one from an
/// index of the leaf.
pub fn response(p: &dyn Fn(&str) -> String, signer: &str, revoked: Option<&str>) -> String {
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
    let (flag, when) = revoked.map_or(("V", ""), |r| ("R", r));
    let index = p(&format!("{signer}.index"));
    let line = format!(
        "{flag}\t301231235959Z\t{when}\t{}\tunknown\t{}\n",
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
pub fn reference(p: &dyn Fn(&str) -> String, der: &str) -> (bool, String) {
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
