//! What the tests that run cases through the library share: the options
//! of a quiet run, the report `matrix` would write of its results, and
//! how a result is found and checked.
#![allow(dead_code)]

use std::time::Duration;

use harness::report::{Report, Summary, SCHEMA_VERSION};
use harness::run::{CaseResult, Pairing, RunOptions, Status};
use harness::transport::Transport;

/// One case at a time over `transport`, each wait at most `io_timeout`,
/// no progress bar and nothing recorded.
pub fn options(transport: Transport, io_timeout: Duration) -> RunOptions {
    RunOptions {
        transport,
        jobs: 1,
        io_timeout,
        progress: false,
        artifacts: None,
    }
}

/// The report of a one-job in-memory run of `results`, counted.
pub fn report_of(results: Vec<CaseResult>) -> Report {
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: "tls-harness".into(),
        tool_version: "test".into(),
        openssl: openssl::version::version().into(),
        peers: Vec::new(),
        transport: "memory".into(),
        jobs: 1,
        shard: None,
        selection: None,
        wall_ms: 1.0,
        summary: Summary::default(),
        results,
        stopped: None,
    };
    report.recount();
    report
}

/// The TLS 1.2 default case broken on purpose, run in process: its server
/// takes TLS 1.3 only, while the expectation still says the TLS 1.2
/// handshake succeeds. A failed result, with a diagnosis.
pub fn broken_case_result() -> CaseResult {
    use harness::case::Version;
    let (_, cases) = harness::pipeline::plan().expect("plan");
    let mut case = cases
        .into_iter()
        .find(|c| c.id == "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/default")
        .expect("the TLS 1.2 default case");
    case.server.min_version = Some(Version::Tls1_3);
    case.server.max_version = Some(Version::Tls1_3);
    let pki = testkit::pki::Pki::generate().expect("pki");
    let peer: std::sync::Arc<dyn harness::peer::Peer> =
        std::sync::Arc::new(harness::peer::inproc::Inproc::new(std::sync::Arc::new(pki)));
    let opts = options(Transport::Memory, Duration::from_secs(5));
    let planned = harness::run::Planned {
        index: 0,
        case,
        skip: None,
    };
    let result = harness::run::run_one(&planned, &peer, &peer, &opts);
    assert_eq!(result.status, Status::Fail);
    result
}

/// Fails, naming the package, unless `program` is on PATH: a test that
/// needs a peer never passes without it.
pub fn require_program(program: &str, package: &str) {
    assert!(
        harness::peer::process::which(program).is_some(),
        "{program} not found; install {package}"
    );
}

/// The result of case `id` for `pairing`.
pub fn find<'a>(results: &'a [CaseResult], id: &str, pairing: Pairing) -> &'a CaseResult {
    let full = pairing.result_id(id);
    results
        .iter()
        .find(|r| r.id == full)
        .unwrap_or_else(|| panic!("no result {full}"))
}

/// Checks that `r` passed, showing its reason if not.
pub fn assert_pass(r: &CaseResult) {
    assert_eq!(
        r.status,
        Status::Pass,
        "{}: {}",
        r.id,
        r.reason.as_deref().unwrap_or("")
    );
}

/// The failure the in-process side observed, empty if none.
pub fn observed_failure(r: &CaseResult) -> String {
    r.observed
        .as_ref()
        .and_then(|o| o.failure.clone())
        .unwrap_or_default()
}
