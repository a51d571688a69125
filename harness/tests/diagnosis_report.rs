//! A matrix case broken on purpose carries its diagnosis into every
//! report format: the table and Markdown print it, JSON carries
//! `diagnosis.cause`, `.evidence` and `.fix`, and JUnit's failure text
//! leads with it.

mod run_support;

use std::sync::Arc;
use std::time::Duration;

use harness::case::Version;
use harness::peer::inproc::Inproc;
use harness::peer::Peer;
use harness::pipeline;
use harness::report::{self, Format};
use harness::run::{run_one, Planned, Status};
use harness::transport::Transport;
use testkit::pki::Pki;

#[test]
fn a_failed_case_reports_its_diagnosis_in_every_format() {
    let (_, cases) = pipeline::plan().expect("plan");
    let mut case = cases
        .into_iter()
        .find(|c| c.id == "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/default")
        .expect("the TLS 1.2 default case");
    // Break it: the server now takes TLS 1.3 only, while the expectation
    // still says the TLS 1.2 handshake succeeds.
    case.server.min_version = Some(Version::Tls1_3);
    case.server.max_version = Some(Version::Tls1_3);
    let peer: Arc<dyn Peer> = Arc::new(Inproc::new(Arc::new(Pki::generate().expect("pki"))));
    let opts = run_support::options(Transport::Memory, Duration::from_secs(5));
    let planned = Planned {
        index: 0,
        case,
        skip: None,
    };
    let result = run_one(&planned, &peer, &peer, &opts);
    assert_eq!(result.status, Status::Fail);
    let d = result
        .diagnosis
        .clone()
        .expect("a failed case has a diagnosis");
    assert_eq!(d.cause.name(), "no_shared_version", "{d}");

    let report = run_support::report_of(vec![result]);

    let table = report::render(&report, Format::Table);
    assert!(
        table.contains(&format!("diagnosis: no_shared_version: {}", d.summary)),
        "{table}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&report::render(&report, Format::Json)).expect("JSON");
    let dj = &json["results"][0]["diagnosis"];
    assert_eq!(dj["cause"], "no_shared_version");
    assert_eq!(dj["fix"], d.fix.as_str());
    assert!(
        dj["evidence"].as_array().is_some_and(|e| !e.is_empty()),
        "{dj}"
    );

    let junit = report::render(&report, Format::Junit);
    let message = junit
        .split("<failure message=\"")
        .nth(1)
        .expect("a failure element");
    assert!(message.starts_with("no_shared_version: "), "{junit}");

    let md = report::render(&report, Format::Markdown);
    assert!(md.contains("  - diagnosis: `no_shared_version`: "), "{md}");
}
