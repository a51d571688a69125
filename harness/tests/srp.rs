//! SRP (RFC 5054) suites through the matrix: the in-process OpenSSL's SRP
//! login (harness/src/ffi/mod.rs) against GnuTLS's `gnutls-serv --srppasswd`
//! (files made with `srptool`) and `gnutls-cli --srpusername`, both ways,
//! and a client with the wrong password, which the server must refuse
//! with bad_record_mac when the client's Finished does not decrypt.
//!
//! `openssl s_server -srpvfile` and `s_client -srpuser` of OpenSSL 3.0 are
//! broken (their SRP callback argument dangles), so the openssl-cli
//! pairings must come out unsupported, saying so.
//!
//! GnuTLS's tools are required: without them the test fails, naming the
//! package.

use std::time::Duration;

use harness::case::Version;
use harness::matrix::Filter;
use harness::peer::PeerKind;
use harness::pipeline::{run_matrix, ExternalScope, MatrixOptions};
use harness::run::{Pairing, Status};
use harness::transport::Transport;

mod run_support;
use run_support::{assert_pass, find, observed_failure, require_program};

const SUITES: [&str; 2] = ["SRP-AES-128-CBC-SHA", "SRP-RSA-AES-128-CBC-SHA"];

#[test]
fn srp_suites_negotiate_with_gnutls_both_ways_and_a_wrong_password_gets_bad_record_mac() {
    require_program("gnutls-cli", "gnutls-bin");
    require_program("gnutls-serv", "gnutls-bin");
    require_program("srptool", "gnutls-bin");
    require_program("setsid", "util-linux");
    require_program("openssl", "openssl");
    let opts = MatrixOptions {
        filter: Filter {
            versions: Some(vec![Version::Tls1_2]),
            suites: Some(regex::Regex::new("^SRP-(RSA-)?AES-128-CBC-SHA$").unwrap()),
            keys: None,
            options: Some(vec!["default".into(), "mismatch-srp-password".into()]),
            cases: None,
        },
        peers: vec![PeerKind::Inproc, PeerKind::GnutlsCli, PeerKind::OpensslCli],
        transport: Transport::Tcp,
        jobs: 2,
        shard: None,
        io_timeout: Duration::from_secs(10),
        progress: false,
        external_scope: ExternalScope::Full,
        artifacts: None,
        allow_unavailable_peers: false,
        command: None,
    };
    let report = run_matrix(&opts).expect("the matrix runs");
    let inproc = PeerKind::Inproc;
    let gnutls = PeerKind::GnutlsCli;
    for pairing in [
        Pairing {
            client: inproc,
            server: inproc,
        },
        Pairing {
            client: inproc,
            server: gnutls,
        },
        Pairing {
            client: gnutls,
            server: inproc,
        },
    ] {
        for suite in SUITES {
            let key = if suite.starts_with("SRP-RSA") {
                "rsa2048+srp"
            } else {
                "srp"
            };
            let r = find(
                &report.results,
                &format!("tls1_2/{suite}/{key}/default"),
                pairing,
            );
            assert_pass(r);
            // The in-process side's trace names the suite; an external
            // side's own report, when it differs, fails the case.
            let observed = r.observed.as_ref().and_then(|o| o.suite.as_deref());
            assert_eq!(observed, Some(suite), "{}", r.id);
        }
        let r = find(
            &report.results,
            "tls1_2/SRP-AES-128-CBC-SHA/srp/mismatch-srp-password",
            pairing,
        );
        assert_pass(r);
        let failure = observed_failure(r);
        assert!(
            failure.contains("bad_record_mac (20)"),
            "{}: the in-process side did not see bad_record_mac: {failure}",
            r.id
        );
    }
    for pairing in [
        Pairing {
            client: inproc,
            server: PeerKind::OpensslCli,
        },
        Pairing {
            client: PeerKind::OpensslCli,
            server: inproc,
        },
    ] {
        let r = find(
            &report.results,
            "tls1_2/SRP-AES-128-CBC-SHA/srp/default",
            pairing,
        );
        assert_eq!(r.status, Status::Unsupported, "{}", r.id);
        let reason = r.reason.as_deref().unwrap_or("");
        assert!(
            reason.contains("openssl-cli OpenSSL 3.") && reason.contains("lacks SRP"),
            "{}: {reason}",
            r.id
        );
    }
}
