//! The hostile-peer suite, run in full against the in-process traced
//! server and against a `tls-harness serve` process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use harness::hostile::{self, HostileOptions, InProcessOptions, ReportFormat, Target};

/// Kills and reaps the child, whatever happens to the test.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn check(report: &hostile::HostileReport) {
    let table = report.render(ReportFormat::Table);
    println!("{table}");
    assert!(
        table.ends_with(&format!(
            "{} passed, {} failed\n",
            report.passed, report.failed
        )),
        "the table ends with the summary line"
    );
    let json: serde_json::Value =
        serde_json::from_str(&report.render(ReportFormat::Json)).expect("the JSON report parses");
    assert_eq!(json["cases"].as_array().map(Vec::len), Some(12));
    assert_eq!(report.cases.len(), 12, "every case is reported");
    assert_eq!(report.failed, 0, "{table}");
    // Both targets here are the linked OpenSSL, so the fingerprint must
    // name it, in the table and in the JSON.
    assert_eq!(report.implementation.name, "OpenSSL", "{table}");
    assert!(
        table.contains("\nimplementation: OpenSSL ("),
        "the table names the implementation"
    );
    assert_eq!(json["implementation"]["name"], "OpenSSL");
    assert!(json["implementation"]["basis"]
        .as_array()
        .is_some_and(|b| !b.is_empty()));
}

#[test]
fn hostile_peers_against_the_in_process_server() {
    let target = Target::InProcess(InProcessOptions::default());
    let report = hostile::run(target, &HostileOptions::default()).expect("the suite runs");
    check(&report);
    // Every case was also checked against the server-side trace.
    for c in &report.cases {
        assert!(c.trace.is_some(), "{} has a trace check", c.id);
    }
}

#[test]
fn hostile_peers_against_tls_harness_serve() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tls-harness"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--key-type",
            "ecdsa-p256",
            "--timeout",
            "2",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tls-harness serve");
    let stderr = child.stderr.take().expect("piped stderr");
    let _guard = Reaped(child);
    // serve announces "listening on ADDR" on stderr before its first accept.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("listening on ") {
                let _ = tx.send(addr.trim().to_string());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("tls-harness serve announced its address");
    let opts = HostileOptions {
        // serve --timeout 2 drops an idle peer after 2 s.
        idle_limit: Some(Duration::from_secs(4)),
        ..HostileOptions::default()
    };
    let report = hostile::run(Target::Address(addr), &opts).expect("the suite runs");
    check(&report);
}
