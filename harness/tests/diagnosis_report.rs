//! A matrix case broken on purpose carries its diagnosis into every
//! report format: the table and Markdown print it, JSON carries
//! `diagnosis.cause`, `.evidence` and `.fix`, and JUnit's failure text
//! leads with it.

mod run_support;

use harness::report::{self, Format};

#[test]
fn a_failed_case_reports_its_diagnosis_in_every_format() {
    let result = run_support::broken_case_result();
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
