//! `matrix --artifacts`: a case that fails writes a pcapng of its
//! connections, with the in-process side's key log, that tshark opens
//! decrypted; a case that passes writes none. Over TCP and memory with
//! both sides in process, with `openssl s_server` and `s_client` as the
//! other side, and a note instead of a file when neither side is in
//! process.

mod run_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use harness::artifacts::file_name;
use harness::case::{Case, Expectation};
use harness::peer::external::PkiDir;
use harness::peer::inproc::Inproc;
use harness::peer::openssl_cli::OpensslCli;
use harness::peer::rustls::Rustls;
use harness::peer::Peer;
use harness::pipeline;
use harness::report::{self, Format};
use harness::run::{run, CaseResult, Planned, RunOptions, Status};
use harness::transport::{Transport, MEMORY_SERVER_PORT};
use testkit::command::stdout_of;
use testkit::pki::Pki;

const BROKEN: &str = "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default";
const PASSING: &str = "tls1_3/TLS_AES_256_GCM_SHA384/rsa2048/default";

/// The two TLS 1.3 cases: `BROKEN` now expects a failure that cannot
/// happen (its handshake completes), `PASSING` is left as it is.
fn plan() -> Vec<Planned> {
    let (_, cases) = pipeline::plan().expect("plan");
    let pick = |id: &str| -> Case {
        cases
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .unwrap_or_else(|| panic!("the matrix has {id}"))
    };
    let mut broken = pick(BROKEN);
    broken.expect = Expectation::Failure {
        alert: None,
        verify_error: None,
        why: "broken on purpose: the handshake succeeds".into(),
        causes: Default::default(),
    };
    let passing = pick(PASSING);
    assert!(
        matches!(passing.expect, Expectation::Success { .. }),
        "{:?}",
        passing.expect
    );
    [broken, passing]
        .into_iter()
        .enumerate()
        .map(|(index, case)| Planned {
            index,
            case,
            skip: None,
        })
        .collect()
}

fn options(transport: Transport, dir: &Path) -> RunOptions {
    RunOptions {
        transport,
        jobs: 2,
        io_timeout: Duration::from_secs(10),
        progress: false,
        artifacts: Some(dir.to_path_buf()),
    }
}

/// Runs the plan and checks: `BROKEN` failed and names its file, which
/// is the only file in `dir`; `PASSING` passed and names none.
fn run_and_find(client: Arc<dyn Peer>, server: Arc<dyn Peer>, opts: &RunOptions) -> CaseResult {
    let dir = opts.artifacts.clone().expect("a directory");
    let mut results = run(plan(), client, server, opts);
    let passing = results.pop().expect("two results");
    let broken = results.pop().expect("two results");
    assert_eq!(passing.status, Status::Pass, "{:?}", passing.reason);
    assert!(passing.artifact.is_none() && passing.artifact_note.is_none());
    assert_eq!(broken.status, Status::Fail);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the artifacts directory exists")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    assert_eq!(files, vec![file_name(&broken.id)], "{:?}", broken.artifact);
    assert_eq!(
        broken.artifact.as_deref(),
        Some(dir.join(file_name(&broken.id)).as_path()),
        "{:?}",
        broken.artifact_note
    );
    broken
}

fn tshark(path: &Path, args: &[&str]) -> String {
    let out = stdout_of(
        Command::new("tshark").arg("-r").arg(path).args(args),
        "tshark (apt-get install tshark)",
    );
    String::from_utf8_lossy(&out).into_owned()
}

/// The server's port, from the first packet (the client's SYN).
fn server_port(path: &Path) -> u16 {
    tshark(path, &["-c", "1", "-T", "fields", "-e", "tcp.dstport"])
        .trim()
        .parse()
        .expect("a port")
}

/// The handshake message types tshark sees with `port` read as TLS.
fn handshake_types(path: &Path, port: u16) -> BTreeSet<u8> {
    tshark(
        path,
        &[
            "-d",
            &format!("tcp.port=={port},tls"),
            "-T",
            "fields",
            "-e",
            "tls.handshake.type",
        ],
    )
    .split(|c: char| c == ',' || c.is_whitespace())
    .filter_map(|t| t.parse().ok())
    .collect()
}

/// ClientHello and ServerHello in clear, then EncryptedExtensions,
/// Certificate and CertificateVerify, which only the key log reveals.
fn assert_decrypted(path: &Path, port: u16) {
    let types = handshake_types(path, port);
    for t in [1, 2, 8, 11, 15] {
        assert!(types.contains(&t), "handshake type {t} not in {types:?}");
    }
}

fn inproc(pki: &Arc<Pki>) -> Arc<dyn Peer> {
    Arc::new(Inproc::new(pki.clone()))
}

#[test]
fn a_failed_case_over_tcp_writes_a_pcapng_that_tshark_decrypts() {
    let pki = Arc::new(Pki::generate().expect("pki"));
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = options(Transport::Tcp, dir.path());
    let broken = run_and_find(inproc(&pki), inproc(&pki), &opts);
    let path = broken.artifact.expect("a file");
    let port = server_port(&path);
    assert_ne!(port, MEMORY_SERVER_PORT, "a real, kernel-chosen port");
    assert_decrypted(&path, port);
}

#[test]
fn a_failed_case_over_memory_gets_loopback_addresses() {
    let pki = Arc::new(Pki::generate().expect("pki"));
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = options(Transport::Memory, dir.path());
    let broken = run_and_find(inproc(&pki), inproc(&pki), &opts);
    let path = broken.artifact.clone().expect("a file");
    let addrs = tshark(
        &path,
        &["-c", "1", "-T", "fields", "-e", "ip.src", "-e", "ip.dst"],
    );
    assert_eq!(addrs.trim(), "127.0.0.1\t127.0.0.2");
    assert_eq!(server_port(&path), MEMORY_SERVER_PORT);
    assert_decrypted(&path, MEMORY_SERVER_PORT);
    assert_every_format_names(broken, &path);
}

/// Each report format names the file of the failed case.
fn assert_every_format_names(broken: CaseResult, path: &Path) {
    let report = run_support::report_of(vec![broken]);
    let path = path.to_str().expect("utf-8 path");
    let json: serde_json::Value =
        serde_json::from_str(&report::render(&report, Format::Json)).expect("JSON");
    assert_eq!(json["results"][0]["artifact"], path);
    for format in [Format::Table, Format::Junit, Format::Markdown] {
        let text = report::render(&report, format);
        assert!(
            text.contains(&format!("pcapng: {path}"))
                || text.contains(&format!("pcapng: `{path}`")),
            "{format:?}: {text}"
        );
    }
}

#[test]
fn with_openssl_cli_the_in_process_side_is_recorded() {
    let pki = Arc::new(Pki::generate().expect("pki"));
    let pki_dir = Arc::new(PkiDir::write(&pki, None).expect("pki files"));
    let cli: Arc<dyn Peer> = Arc::new(OpensslCli::new(pki_dir));
    for (client, server) in [(inproc(&pki), cli.clone()), (cli.clone(), inproc(&pki))] {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = options(Transport::Memory, dir.path());
        let broken = run_and_find(client, server, &opts);
        let path = broken.artifact.expect("a file");
        assert_decrypted(&path, server_port(&path));
    }
}

#[test]
fn with_neither_side_in_process_the_report_says_why_there_is_no_file() {
    let (library, _) = pipeline::plan().expect("plan");
    let pki = Arc::new(Pki::generate().expect("pki"));
    let rustls: Arc<dyn Peer> = Arc::new(Rustls::new(pki, library.suites.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = options(Transport::Memory, dir.path());
    let results = run(plan(), rustls.clone(), rustls, &opts);
    assert_eq!(results[0].status, Status::Fail, "{:?}", results[0].reason);
    assert!(results[0].artifact.is_none());
    let note = results[0].artifact_note.as_deref().expect("a note");
    assert!(note.contains("neither side runs in this process"), "{note}");
    assert!(results.iter().all(|r| r.artifact.is_none()));
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}
