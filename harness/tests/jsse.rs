//! A small matrix against JSSE (the JDK's TLS), both ways: the in-process
//! client against the JSSE driver's server and the driver's client against
//! the in-process server, at TLS 1.2 and 1.3, with RSA, ECDSA and Ed25519
//! keys, client auth, resumption, ALPN, SNI, and the refusals where JSSE
//! answers otherwise than OpenSSL (a missing client certificate, no group
//! in common). Nothing may fail, and cases must pass in both directions.
//!
//! A missing `java` or `javac` fails the test: the run would otherwise
//! report every JSSE case as unsupported and pass having tested nothing.

use std::time::Duration;

use harness::case::Version;
use harness::matrix::Filter;
use harness::peer::PeerKind;
use harness::pipeline::{run_matrix, ExternalScope, MatrixOptions};
use harness::run::{Pairing, Status};
use harness::transport::Transport;

mod common;
mod run_support;
use run_support::{assert_pass, find, observed_failure, require_program};

#[test]
fn a_small_matrix_against_jsse_passes_both_ways() {
    require_program("java", "openjdk-17-jdk-headless");
    require_program("javac", "openjdk-17-jdk-headless");
    let opts = MatrixOptions {
        filter: Filter {
            versions: Some(vec![Version::Tls1_1, Version::Tls1_2, Version::Tls1_3]),
            suites: None,
            keys: Some(vec![
                "rsa2048".into(),
                "ecdsa-p256".into(),
                "ed25519".into(),
            ]),
            options: Some(vec![
                "default".into(),
                "mtls".into(),
                "resume".into(),
                "alpn".into(),
                "sni".into(),
                "mismatch-group".into(),
                "mismatch-client-cert".into(),
            ]),
            cases: None,
        },
        peers: vec![PeerKind::Jsse],
        transport: Transport::Tcp,
        jobs: 2,
        shard: None,
        io_timeout: Duration::from_secs(10),
        progress: false,
        external_scope: ExternalScope::Subset,
        artifacts: None,
        allow_unavailable_peers: false,
        command: None,
    };
    let report = run_matrix(&opts).expect("the matrix runs");
    let desc = report
        .peers
        .iter()
        .find(|p| p.starts_with("jsse"))
        .expect("the jsse peer is described");
    assert!(desc.contains("JSSE (Java "), "{desc}");
    let failed: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| format!("{}: {}", r.id, r.reason.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(report.summary.failed, 0, "{failed:#?}");
    let both = [
        Pairing {
            client: PeerKind::Inproc,
            server: PeerKind::Jsse,
        },
        Pairing {
            client: PeerKind::Jsse,
            server: PeerKind::Inproc,
        },
    ];
    for pairing in both {
        let passed = report
            .results
            .iter()
            .filter(|r| r.pairing == pairing && r.status == Status::Pass)
            .count();
        assert!(passed >= 15, "{pairing:?}: only {passed} passed");
        for id in [
            "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/default",
            "tls1_3/TLS_AES_128_GCM_SHA256/ecdsa-p256/default",
            "tls1_3/TLS_AES_128_GCM_SHA256/ed25519/default",
            "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mtls",
            "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/resume-session-id",
            "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/resume-ticket",
            "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/resume-tls13-psk",
            "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/alpn",
            "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/sni",
            "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/sni",
            "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mismatch-client-cert",
        ] {
            assert_pass(find(&report.results, id, pairing));
        }
        // JDK 17 disables TLS 1.1 in java.security: the declaration
        // says so, and the harness does not loosen it.
        let old = find(
            &report.results,
            "tls1_1/ECDHE-RSA-AES128-SHA/rsa2048/default",
            pairing,
        );
        assert_eq!(old.status, Status::Unsupported, "{}", old.id);
        assert!(
            old.reason
                .as_deref()
                .unwrap_or("")
                .contains("lacks TLS 1.1"),
            "{:?}",
            old.reason
        );
    }
    // JSSE's server answers an empty client Certificate with
    // bad_certificate, and no TLS 1.3 group in common with
    // unexpected_message: what the in-process client saw.
    let to_jsse = both[0];
    for (id, alert) in [
        (
            "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/mismatch-client-cert",
            "bad_certificate (42)",
        ),
        (
            "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mismatch-group",
            "unexpected_message (10)",
        ),
    ] {
        let r = find(&report.results, id, to_jsse);
        assert_pass(r);
        let failure = observed_failure(r);
        assert!(failure.contains(alert), "{}: {failure}", r.id);
    }
}

/// Without javac the peer can't run: a run that names it stops before
/// any case (exit 2), saying what to install, rather than reporting its
/// cases unsupported and passing.
#[test]
fn a_missing_java_stops_a_matrix_that_names_jsse() {
    let empty = tempfile::tempdir().expect("temp dir");
    let mut cmd = common::harness(&[
        "matrix",
        "--list",
        "--peers",
        "jsse",
        "--versions",
        "tls1_3",
        "--keys",
        "rsa2048",
        "--options",
        "default",
    ]);
    cmd.env("PATH", empty.path());
    let o = common::run(cmd);
    assert_eq!(o.status.code(), Some(2), "{}{}", o.stdout, o.stderr);
    assert!(
        o.stderr.contains("--peers jsse") && o.stderr.contains("openjdk-17-jdk-headless"),
        "{}",
        o.stderr
    );
}
