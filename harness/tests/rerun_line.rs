//! A failed case's rerun line runs it again alone, from anywhere: for a
//! tlslite pairing that includes the Python the run used.

mod run_support;

use harness::peer::PeerKind;
use harness::report::{self, Format};

#[test]
fn a_tlslite_rerun_names_the_python_and_others_do_not() {
    let python = "/opt/with space/it's/python";
    // This test binary's only test: nothing else reads the environment.
    std::env::set_var("TLS_HARNESS_TLSLITE_PYTHON", python);
    let inproc = run_support::broken_case_result();
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
