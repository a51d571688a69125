//! A small cross-implementation matrix, both ways: the in-process client
//! against `openssl s_server`, `gnutls-serv` and a rustls server, and
//! `openssl s_client`, `gnutls-cli` and a rustls client against the
//! in-process server. TLS 1.2 and 1.3, an RSA and
//! an ECDSA suite, client auth, resumption, ALPN, and a deliberate suite
//! mismatch. Afterwards no child process may be left.
//!
//! Without the tools the test is skipped locally; under `CI=true` a
//! missing tool fails it.

use std::time::Duration;

use harness::matrix::Filter;
use harness::peer::PeerKind;
use harness::pipeline::{run_matrix, ExternalScope, MatrixOptions};
use harness::run::{Pairing, Status};
use harness::transport::Transport;

mod run_support;
use run_support::{assert_pass, find, observed_failure, require_program};

const WORKING: &[&str] = &[
    "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/default",
    "tls1_2/ECDHE-ECDSA-AES128-GCM-SHA256/ecdsa-p256/default",
    "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default",
    "tls1_3/TLS_AES_128_GCM_SHA256/ecdsa-p256/default",
    "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/mtls",
    "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mtls",
    "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/resume-session-id",
    "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/resume-ticket",
    "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/resume-tls13-psk",
    "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/alpn-h2",
    "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/alpn-h2",
];

const MISMATCH: &[&str] = &[
    "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/mismatch-suite",
    "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mismatch-suite",
];

#[test]
fn cross_implementation_matrix_both_ways_leaves_no_child() {
    require_program("openssl", "openssl");
    require_program("gnutls-cli", "gnutls-bin");
    require_program("gnutls-serv", "gnutls-bin");
    // rustls runs in process: nothing to install.
    let peers = vec![PeerKind::Rustls, PeerKind::OpensslCli, PeerKind::GnutlsCli];
    let opts = options(
        Filter {
            versions: Some(vec![
                harness::case::Version::Tls1_2,
                harness::case::Version::Tls1_3,
            ]),
            suites: None,
            keys: Some(vec!["rsa2048".into(), "ecdsa-p256".into()]),
            options: Some(vec![
                "default".into(),
                "mtls".into(),
                "resume".into(),
                "alpn-h2".into(),
                "mismatch-suite".into(),
            ]),
            cases: None,
        },
        &peers,
    );
    let report = run_matrix(&opts).expect("the matrix runs");
    for kind in &peers {
        let desc = report
            .peers
            .iter()
            .find(|p| p.starts_with(kind.name()))
            .expect("the peer is described");
        assert!(!desc.contains("unavailable"), "{desc}");
        for pairing in [
            Pairing {
                client: PeerKind::Inproc,
                server: *kind,
            },
            Pairing {
                client: *kind,
                server: PeerKind::Inproc,
            },
        ] {
            for id in WORKING {
                assert_pass(find(&report.results, id, pairing));
            }
            for id in MISMATCH {
                let r = find(&report.results, id, pairing);
                if pairing.server == PeerKind::Rustls && id.contains("ECDHE-RSA-AES128-GCM") {
                    // The other suite of that mismatch is a CBC one, which
                    // rustls doesn't have: its declaration says so.
                    assert_eq!(r.status, Status::Unsupported, "{}", r.id);
                    let reason = r.reason.as_deref().unwrap_or("");
                    assert!(
                        reason.contains("(rustls 0.23") && reason.contains("): lacks suite"),
                        "{reason}"
                    );
                    continue;
                }
                assert_pass(r);
                // The inproc side saw handshake_failure: it received it
                // from the external server, or sent it to the external client.
                let failure = observed_failure(r);
                assert!(
                    failure.contains("alert handshake_failure (40)"),
                    "{}: the inproc side did not see handshake_failure: {failure}",
                    r.id
                );
            }
        }
    }
    assert_eq!(
        children_of_this_process(),
        Vec::<String>::new(),
        "child processes left behind"
    );
}

/// TLS 1.3 keyed by a PSK shared out of band, against `s_client -psk`,
/// `s_server -psk`, `gnutls-cli --pskkey` and `gnutls-serv --pskpasswd`:
/// the server has no certificate, and the verdict holds only when the
/// in-process side's trace says the external PSK keyed the handshake (s_client
/// calls it "Reused"; the trace does not call it a resumption).
#[test]
fn an_external_psk_at_tls13_interoperates_both_ways() {
    require_program("openssl", "openssl");
    require_program("gnutls-cli", "gnutls-bin");
    require_program("gnutls-serv", "gnutls-bin");
    let peers = vec![PeerKind::OpensslCli, PeerKind::GnutlsCli];
    let opts = options(
        Filter {
            versions: None,
            suites: None,
            keys: None,
            options: Some(vec!["external-psk".into()]),
            cases: None,
        },
        &peers,
    );
    let report = run_matrix(&opts).expect("the matrix runs");
    let id = "tls1_3/TLS_AES_128_GCM_SHA256/psk/external-psk";
    for kind in peers {
        for (client, server) in [(PeerKind::Inproc, kind), (kind, PeerKind::Inproc)] {
            assert_pass(find(&report.results, id, Pairing { client, server }));
        }
    }
}

/// The cases `filter` selects against `peers`, over TCP, two at a time.
fn options(filter: Filter, peers: &[PeerKind]) -> MatrixOptions {
    MatrixOptions {
        filter,
        peers: peers.to_vec(),
        transport: Transport::Tcp,
        jobs: 2,
        shard: None,
        io_timeout: Duration::from_secs(10),
        progress: false,
        external_scope: ExternalScope::Subset,
        artifacts: None,
        allow_unavailable_peers: false,
        command: None,
    }
}

/// The processes whose parent is this one, zombies included, from /proc.
fn children_of_this_process() -> Vec<String> {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...; comm may hold spaces, so split after ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let ppid = rest.split_whitespace().nth(1);
        if ppid == Some(me.as_str()) {
            out.push(head.to_string() + ")");
        }
    }
    out
}
