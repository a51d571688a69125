//! `probe --status` checks the stapled OCSP response's signature as
//! `openssl ocsp -respin R -issuer CA -CAfile CA` does, and says whether
//! it verified: a response signed by the leaf's CA verifies, one with the
//! right entry signed by an unrelated self-signed responder does not.
//! Both are made by `openssl ocsp` from an index of the leaf, with a CA
//! of the test's own (the test PKI keeps no CA key).

mod common;
mod ocsp_support;

use common::{harness, run, s_server};
use ocsp_support::{pki, reference, response};

#[test]
fn the_responders_signature_is_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = pki(dir.path());
    for signer in ["ca", "evil"] {
        let der = response(&p, signer, None);
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
