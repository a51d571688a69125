//! The command peer (`--peer-cmd`): a user's own server or client, here
//! `openssl s_server` and `s_client` as the README gives them, run through
//! every case they can play, expected failures included.
//!
//! Without `openssl` the test is skipped locally; under `CI=true` it fails.

use std::path::Path;
use std::time::Duration;

use harness::case::Version;
use harness::matrix::Filter;
use harness::peer::PeerKind;
use harness::pipeline::{run_matrix, ExternalScope, MatrixOptions};
use harness::report::Report;
use harness::run::{Pairing, Status};
use harness::transport::Transport;

mod run_support;
use run_support::{find, require_program};

/// The README's templates.
const SERVER: &str = "mine=openssl s_server -accept 127.0.0.1:{port} -cert {cert} \
    -cert_chain {cert} -key {key} -rev -quiet -{version} \
    -cipher {cipher}:@SECLEVEL={seclevel} -ciphersuites {ciphersuites}";
const CLIENT: &str = "theirs=openssl s_client -connect 127.0.0.1:{port} -CAfile {ca} \
    -servername localhost -verify_return_error -verify_hostname localhost -{version} \
    -cipher {cipher}:@SECLEVEL={seclevel} -ciphersuites {ciphersuites}";

const TO_COMMAND: Pairing = Pairing {
    client: PeerKind::Inproc,
    server: PeerKind::Command,
};
const FROM_COMMAND: Pairing = Pairing {
    client: PeerKind::Command,
    server: PeerKind::Inproc,
};

/// A full-scope run of `template` as the command peer over `filter`.
fn matrix(template: &str, filter: Filter) -> Report {
    matrix_keeping(template, filter, None)
}

/// [`matrix`], with `--artifacts` when `artifacts` is given.
fn matrix_keeping(template: &str, filter: Filter, artifacts: Option<&Path>) -> Report {
    matrix_within(template, filter, artifacts, Duration::from_secs(10))
}

/// [`matrix_keeping`] with `--timeout io_timeout`.
fn matrix_within(
    template: &str,
    filter: Filter,
    artifacts: Option<&Path>,
    io_timeout: Duration,
) -> Report {
    require_program("openssl", "openssl");
    let opts = MatrixOptions {
        filter,
        peers: vec![PeerKind::Command],
        transport: Transport::Tcp,
        jobs: 2,
        shard: None,
        io_timeout,
        progress: false,
        external_scope: ExternalScope::Full,
        artifacts: artifacts.map(Path::to_path_buf),
        allow_unavailable_peers: false,
        command: Some(template.parse().expect("a valid --peer-cmd")),
    };
    run_matrix(&opts).expect("the matrix runs")
}

/// `template` over `options` at TLS 1.2 and 1.3, where no case may fail.
fn run(template: &str, options: &[&str]) -> Report {
    let report = matrix(
        template,
        Filter {
            versions: Some(vec![Version::Tls1_2, Version::Tls1_3]),
            suites: None,
            keys: None,
            options: Some(options.iter().map(|o| o.to_string()).collect()),
            cases: None,
        },
    );
    let failed: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .map(|r| format!("{}: {}", r.id, r.reason.as_deref().unwrap_or("")))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    report
}

fn status(report: &Report, id: &str, pairing: Pairing) -> (Status, String) {
    let r = find(&report.results, id, pairing);
    (r.status, r.reason.clone().unwrap_or_default())
}

#[test]
fn a_command_server_is_given_this_ends_settings() {
    let options = [
        "default",
        "verify",
        "mismatch-version-high",
        "mismatch-suite",
        "mismatch-group",
    ];
    let report = run(SERVER, &options);
    // Limited to TLS 1.2 while the client asks for 1.3: {version} is the
    // server's own, so the case fails as it should.
    for id in [
        "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mismatch-version-high",
        "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mismatch-suite",
        // Served only at the level the case gives it.
        "tls1_3/TLS_AES_128_GCM_SHA256/weak-key/verify",
        // OpenSSL leaves CCM out unless {ciphersuites} lists it.
        "tls1_3/TLS_AES_128_CCM_SHA256/rsa2048/default",
    ] {
        let (s, why) = status(&report, id, TO_COMMAND);
        assert_eq!(s, Status::Pass, "{id}: {why}");
    }
    // No placeholder gives a group list.
    let (s, why) = status(
        &report,
        "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mismatch-group",
        TO_COMMAND,
    );
    assert_eq!(s, Status::Unsupported);
    assert!(why.contains("lacks a group list"), "{why}");
    // A template with {cert} is a server only.
    let (s, why) = status(
        &report,
        "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default",
        FROM_COMMAND,
    );
    assert_eq!(s, Status::Unsupported);
    assert!(
        why.contains("client (command mine): lacks the client role"),
        "{why}"
    );
}

#[test]
fn a_command_client_that_refuses_a_certificate_passes_on_what_the_server_heard() {
    let report = run(CLIENT, &["default", "verify", "mismatch-suite"]);
    for id in [
        "tls1_3/TLS_AES_128_GCM_SHA256/expired/verify",
        "tls1_3/TLS_AES_128_GCM_SHA256/untrusted-root/verify",
        "tls1_3/TLS_AES_128_GCM_SHA256/wrong-host/verify",
        "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/mismatch-suite",
    ] {
        let (s, why) = status(&report, id, FROM_COMMAND);
        assert_eq!(s, Status::Pass, "{id}: {why}");
    }
}

#[test]
fn a_command_client_that_does_not_verify_fails_the_verify_cases() {
    let lax = "lax=openssl s_client -connect 127.0.0.1:{port} -servername localhost -{version}";
    let artifacts = tempfile::tempdir().expect("temp dir");
    let report = matrix_keeping(
        lax,
        Filter {
            versions: Some(vec![Version::Tls1_3]),
            suites: None,
            keys: Some(vec!["expired".into()]),
            options: Some(vec!["verify".into()]),
            cases: None,
        },
        Some(artifacts.path()),
    );
    // The failure's capture, and the run's own PKI, stay.
    let pki: Vec<_> = std::fs::read_dir(artifacts.path())
        .expect("the artifacts directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(pki.len(), 1, "{pki:?}");
    assert!(pki[0]
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("pki-")));
    let root = std::fs::read_to_string(pki[0].join("root.pem")).expect("root.pem");
    assert!(root.starts_with("-----BEGIN CERTIFICATE-----"), "{root}");
    let id = "tls1_3/TLS_AES_128_GCM_SHA256/expired/verify";
    let failed = find(&report.results, id, FROM_COMMAND);
    assert!(
        failed.artifact.as_deref().is_some_and(Path::is_file),
        "{:?}",
        failed.artifact_note
    );
    let (s, why) = status(&report, id, FROM_COMMAND);
    assert_eq!(s, Status::Fail);
    assert!(
        why.ends_with("but the handshake succeeded with TLSv1.3 TLS_AES_128_GCM_SHA256"),
        "{why}"
    );
}

/// The one case `tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default`.
fn one_tls13_case() -> Filter {
    Filter {
        versions: Some(vec![Version::Tls1_3]),
        suites: Some(regex::Regex::new("^TLS_AES_128_GCM_SHA256$").expect("a regex")),
        keys: Some(vec!["rsa2048".into()]),
        options: Some(vec!["default".into()]),
        cases: None,
    }
}

/// A client command whose own process exits at once, leaving the
/// connection to a process it started in the background (with its stdin
/// and output), passes: the harness waits for that output, not the exit.
#[test]
fn a_command_client_that_leaves_its_answer_to_a_background_process_passes() {
    let bg = "bg=exec 3<&0; (sleep 0.3; exec openssl s_client -connect 127.0.0.1:{port} \
              -CAfile {ca} -servername localhost -{version} <&3) & exit 0";
    let report = matrix_within(bg, one_tls13_case(), None, Duration::from_secs(2));
    let id = "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default";
    let (s, why) = status(&report, id, FROM_COMMAND);
    assert_eq!(s, Status::Pass, "{why}");
}

/// A client command that exits at once (an option its program refuses)
/// never connects: it is a setup failure, said in its own first words (as
/// `openssl s_client -no-such-option` prints them), and the server stops
/// waiting for a connection once it is gone rather than at its time-out.
#[test]
fn a_command_client_that_exits_before_connecting_is_not_set_up() {
    let template = "typo=openssl s_client -no-such-option -connect 127.0.0.1:{port}";
    let report = matrix_within(template, one_tls13_case(), None, Duration::from_secs(1));
    let r = find(
        &report.results,
        "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default",
        FROM_COMMAND,
    );
    let why = r.reason.clone().unwrap_or_default();
    assert_eq!(r.status, Status::Fail, "{why}");
    assert_eq!(
        why,
        "the client was not set up, so the case tested nothing: command typo; error: the \
         command failed (s_client: Unknown option: -no-such-option); exit status 1; it ended \
         without connecting to the server"
    );
    let sides = r.sides.as_ref().expect("sides");
    assert!(sides.setup_failed(), "{why}");
    let server = &sides.server[0];
    assert_eq!(
        server.error.as_deref(),
        Some("accept: the client ended without connecting")
    );
    assert!(!server.timed_out);
}

/// A client command that exits, failing, only after the server gave up on
/// it (its s_client, left running in the background, finished a handshake
/// and sent nothing) is not the headline: the server's wait is. The
/// table's time is the case's, the wait included, not the handshake's.
#[test]
fn a_command_client_that_exits_after_the_wait_leaves_the_time_out() {
    let template = "late=(openssl s_client -ign_eof -connect 127.0.0.1:{port} </dev/null \
                    >/dev/null 2>&1 &); sleep 1.5; exit 3";
    let report = matrix_within(template, one_tls13_case(), None, Duration::from_secs(1));
    let id = "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default";
    let r = find(&report.results, id, FROM_COMMAND);
    // The client is a command, which the harness does not time.
    let handshake = r.observed.as_ref().and_then(|o| o.handshake_ms);
    assert_eq!(handshake, None, "{r:?}");
    let table = harness::report::table::render(&report);
    let row = table
        .lines()
        .find(|l| l.contains(&r.id))
        .expect("the case's row");
    assert!(row.contains(&format!("{:7.2} ms", r.elapsed_ms)), "{row}");
    let why = r.reason.clone().unwrap_or_default();
    assert_eq!(r.status, Status::Fail, "{why}");
    assert!(
        why.starts_with(
            "time-out: the server stopped waiting for the client after its handshake finished"
        ),
        "{why}"
    );
}

/// A server command that refuses the handshake says why only on its
/// standard error (s_server: "no shared cipher"); the failure quotes that
/// line, and one that will not start quotes its own ("Unknown option").
#[test]
fn a_command_servers_own_error_line_is_in_the_reason() {
    let id = "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default";
    let wrong_suite = "mine=openssl s_server -accept 127.0.0.1:{port} -cert {cert} \
                       -cert_chain {cert} -key {key} -rev -quiet \
                       -ciphersuites TLS_AES_256_GCM_SHA384";
    let report = matrix_within(wrong_suite, one_tls13_case(), None, Duration::from_secs(2));
    let (s, why) = status(&report, id, TO_COMMAND);
    assert_eq!(s, Status::Fail, "{why}");
    let said = why
        .split_once("server (command mine) wrote: ")
        .map(|(_, line)| line)
        .unwrap_or_else(|| panic!("{why}"));
    assert!(
        said.contains(":error:") && said.contains("no shared cipher"),
        "{why}"
    );

    let typo = "mine=openssl s_server -accept 127.0.0.1:{port} -cert {cert} -key {key} \
                -no-such-option";
    let report = matrix_within(typo, one_tls13_case(), None, Duration::from_secs(2));
    let (s, why) = status(&report, id, TO_COMMAND);
    assert_eq!(s, Status::Fail, "{why}");
    assert!(
        why.contains("without listening on port")
            && why.contains("(s_server: Unknown option: -no-such-option)"),
        "{why}"
    );
}
