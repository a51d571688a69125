//! A failed case's rerun line runs it again alone, from anywhere: for a
//! tlslite pairing that includes the Python the run used.

mod run_support;

use std::sync::Arc;
use std::time::Duration;

use harness::case::Version;
use harness::peer::inproc::Inproc;
use harness::peer::{Peer, PeerKind};
use harness::pipeline;
use harness::report::{self, Format};
use harness::run::{run_one, CaseResult, Planned, Status};
use harness::transport::Transport;
use testkit::pki::Pki;

/// A TLS 1.2 case broken on purpose (its server takes TLS 1.3 only).
fn failed_case() -> CaseResult {
    let (_, cases) = pipeline::plan().expect("plan");
    let mut case = cases
        .into_iter()
        .find(|c| c.id == "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/default")
        .expect("the TLS 1.2 default case");
    case.server.min_version = Some(Version::Tls1_3);
    let peer: Arc<dyn Peer> = Arc::new(Inproc::new(Arc::new(Pki::generate().expect("pki"))));
    let opts = run_support::options(Transport::Memory, Duration::from_secs(5));
    let planned = Planned {
        index: 0,
        case,
        skip: None,
    };
    let result = run_one(&planned, &peer, &peer, &opts);
    assert_eq!(result.status, Status::Fail);
    result
}

#[test]
fn a_tlslite_rerun_names_the_python_and_others_do_not() {
    let python = "/opt/with space/it's/python";
    // This test binary's only test: nothing else reads the environment.
    std::env::set_var("TLS_HARNESS_TLSLITE_PYTHON", python);
    let inproc = failed_case();
    let mut tlslite = inproc.clone();
    tlslite.pairing.client = PeerKind::Tlslite;
    let report = run_support::report_of(vec![inproc, tlslite]);
    let table = report::render(&report, Format::Table);
    let reruns: Vec<&str> = table
        .lines()
        .filter_map(|l| Some(l.split_once("rerun: ")?.1))
        .collect();
    assert_eq!(reruns.len(), 2, "{table}");
    assert!(
        reruns[0].starts_with("tls-harness matrix --peers inproc "),
        "{table}"
    );
    assert!(
        reruns[1].starts_with(
            r"TLS_HARNESS_TLSLITE_PYTHON='/opt/with space/it'\''s/python' tls-harness matrix --peers tlslite,inproc "
        ),
        "{table}"
    );
}
