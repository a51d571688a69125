//! A version the server refuses as a version reads as the probe's
//! diagnosis words it, not as OpenSSL's raw error: a default OpenSSL 3
//! server answers a hello offering only TLS 1.0 or 1.1 with
//! internal_error (its security level forbids the SHA-1 and MD5
//! signatures those versions sign with; `openssl s_client -tls1` gets
//! "tlsv1 alert internal error"), which is a refusal, not a fault.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};

use scan_support::*;

#[test]
fn a_version_refused_for_its_signatures_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(d, &[]);
    // The premise, from OpenSSL's own client.
    let mut tls1 = Command::new("openssl");
    tls1.args(["s_client", "-connect", &addr, "-tls1"]);
    let o = run(tls1);
    assert!(
        o.stderr.contains("tlsv1 alert internal error"),
        "{}{}",
        o.stdout,
        o.stderr
    );

    let r = scan_json(d, &addr, &[]);
    for v in ["tls1", "tls1_1"] {
        let row = version(&r, v);
        assert_eq!(row["accepted"], "no", "{v}: {row}");
        let diagnosis = diagnosis(&r, &format!("version/{v}"));
        assert_eq!(diagnosis["cause"], "no_shared_version", "{v}: {diagnosis}");
        assert_eq!(row["detail"], diagnosis["summary"], "{v}");
        let detail = row["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("internal_error") && detail.contains("security level"),
            "{v}: {detail}"
        );
    }
}
