//! The JSON Lines of `probe` and `serve`, and the scan report, against
//! their schemas in `schema/` (see report_schema.rs), each checked on the
//! output of real runs.

mod common;
mod schema_support;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use common::ports::ClosedPort;
use common::{harness, run};
use harness::serve::{Closed, ConnectionReport};
use schema_support::*;
use serde_json::{json, Value};

/// Probe lines of a success (with `--reconnect`), a failed verification,
/// a refused connection and a name that does not resolve; and the lines
/// `serve` printed for the connections that reached it, and for each way
/// a connection can be closed.
#[test]
fn probe_and_serve_lines_match_their_schemas() {
    let tmp = ChildTmp::new();
    let probes = Checker::new(PROBE);
    let serves = Checker::new(SERVE);
    let (server, addr, root) = serve(&tmp);
    let files = tempfile::tempdir().expect("temp dir");
    let early = files.path().join("early");
    std::fs::write(&early, "GET / HTTP/1.0\r\n\r\n").expect("written");

    let (ok, good) = probe(
        &tmp,
        &[
            &addr,
            "--servername",
            "localhost",
            "--cafile",
            &root,
            "--reconnect",
            "--early-data",
            early.to_str().expect("UTF-8"),
        ],
    );
    assert!(ok, "{good:?}");
    assert_eq!(good.len(), 2, "{good:?}");
    for (i, line) in good.iter().enumerate() {
        assert_eq!(probes.check("a successful probe", line), 1);
        assert_eq!(line["connection"], i + 1);
        assert_eq!(line["succeeded"], true);
        assert!(line["post_handshake"].is_object(), "{line}");
    }
    assert!(good[0]["early_data"].is_null(), "{}", good[0]);
    assert_eq!(
        good[1]["early_data"],
        json!({"status": "accepted", "bytes": 18})
    );

    let (ok, unverified) = probe(&tmp, &[&addr, "--servername", "localhost"]);
    assert!(!ok, "{unverified:?}");
    let [unverified] = &unverified[..] else {
        panic!("one line: {unverified:?}")
    };
    assert_eq!(probes.check("a probe that did not verify", unverified), 1);
    assert!(unverified["diagnosis"].is_object(), "{unverified}");

    let closed = ClosedPort::new();
    let closed_port = closed.addr();
    for target in [closed_port.as_str(), "nosuch.invalid:443"] {
        let (ok, lines) = probe(&tmp, &[target]);
        assert!(!ok, "{lines:?}");
        let [line] = &lines[..] else {
            panic!("{target}: one line: {lines:?}")
        };
        assert_eq!(probes.check(target, line), 0);
        assert_eq!(line["succeeded"], false);
        assert!(line["failure"].is_string(), "{line}");
    }

    // Two connections of the successful probe, one that did not verify.
    let lines = serve_lines(&server, 3);
    for line in &lines {
        assert_eq!(serves.check("a line of serve", line), 1);
    }
    let ok = lines.iter().filter(|l| l["succeeded"] == true).count();
    assert_eq!(ok, 2, "{lines:?}");
    let early: Vec<_> = lines.iter().map(|l| &l["early_data"]["status"]).collect();
    assert_eq!(early[..2], ["not_sent", "accepted"], "{lines:?}");
    drop(server);

    let peer: SocketAddr = "127.0.0.1:50000".parse().expect("an address");
    let mut made = vec![ConnectionReport::refused(peer, 64)];
    for closed in [
        Closed::ByClient { close_notify: true },
        Closed::ByClient {
            close_notify: false,
        },
        Closed::AfterAnswer,
        Closed::Idle(Duration::from_secs(5)),
        Closed::ConnectionLimit(Duration::from_millis(60_500)),
        Closed::Error("unexpected eof while reading".into()),
    ] {
        made.push(ConnectionReport {
            peer,
            accepted: SystemTime::now(),
            ended: SystemTime::now(),
            handshake_ok: true,
            trace: None,
            error: None,
            closed: Some(closed),
            diagnosis: None,
            early_data: None,
            pcap_note: None,
        });
    }
    for report in &made {
        let line: Value = serde_json::from_str(&report.json_line()).expect("a JSON line");
        serves.check("a connection report", &line);
    }

    probes.rejects(
        unverified,
        &[
            ("failure renamed error", |j| rename(j, "failure", "error")),
            ("a timestamp that is not RFC 3339", |j| {
                j["timestamp"] = json!("2026-12-04 23:06:29")
            }),
            ("connections counted from 0", |j| j["connection"] = json!(0)),
            ("a renamed field in the trace", |j| {
                rename(&mut j["trace"], "negotiated", "negotiation")
            }),
            ("notes as a string", |j| j["notes"] = json!("")),
        ],
    );
    probes.rejects(
        &good[0],
        &[
            ("reading ended another way", |j| {
                j["post_handshake"]["ended"] = json!("closed")
            }),
            ("an alert after the handshake without its name", |j| {
                j["post_handshake"]["alerts_sent"] = json!([{
                    "direction": "write", "level": "warning", "description": 0,
                    "level_text": "warning", "text": "close notify"
                }])
            }),
        ],
    );
    serves.rejects(
        &lines[0],
        &[
            ("error renamed failure", |j| rename(j, "error", "failure")),
            ("closed left out", |j| {
                j.as_object_mut().expect("an object").remove("closed");
            }),
            ("closed in other words", |j| {
                j["closed"] = json!("by the peer")
            }),
            ("ended as a number", |j| j["ended"] = json!(1_765_000_000)),
        ],
    );
    tmp.assert_empty();
}

/// A scan of a local `serve` with a policy, whose connections' lines
/// `serve` printed, and a scan of a closed port, which cannot scan.
#[test]
fn scan_reports_match_the_schema() {
    let tmp = ChildTmp::new();
    let scans = Checker::new(SCAN);
    let serves = Checker::new(SERVE);
    let (server, addr, root) = serve(&tmp);
    let scan = |target: &str, extra: &[&str]| -> (Option<i32>, Value) {
        let mut args = vec!["scan", target, "--format", "json", "--timeout", "5"];
        args.extend(extra);
        let mut cmd = harness(&args);
        cmd.env("TMPDIR", tmp.path());
        let o = run(cmd);
        let report = serde_json::from_str(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "scan {target}: no JSON report ({e}):\n{}{}",
                o.stdout, o.stderr
            )
        });
        (o.status.code(), report)
    };

    let (code, report) = scan(
        &addr,
        &[
            "--servername",
            "localhost",
            "--cafile",
            &root,
            "--policy",
            "mozilla-intermediate",
        ],
    );
    assert!(code.is_some_and(|c| c < 2), "{code:?} {report:#}");
    let traced = scans.check("a scan", &report);
    assert!(traced > 10, "{traced} traces");
    assert!(report["cannot_scan"].is_null(), "{}", report["cannot_scan"]);
    assert!(report["policy"]["rules"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));

    let connections = report["connections"]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .expect("connections");
    let lines = serve_lines(&server, connections);
    for line in &lines {
        serves.check("a line of serve", line);
    }
    assert!(lines.iter().any(|l| l["succeeded"] == true));
    assert!(lines.iter().any(|l| l["handshake_succeeded"] == false));
    drop(server);

    let closed = ClosedPort::new();
    let (code, unscanned) = scan(&closed.addr(), &[]);
    assert_eq!(code, Some(2), "{unscanned:#}");
    scans.check("a scan of a closed port", &unscanned);
    assert!(unscanned["cannot_scan"].is_string(), "{unscanned:#}");

    scans.rejects(
        &report,
        &[
            ("schema_version 3", |j| j["schema_version"] = json!(3)),
            ("a version finding's verdict as a bool", |j| {
                j["findings"]["versions"][0]["accepted"] = json!(true)
            }),
            ("a verdict outside the four", |j| {
                j["findings"]["fallback_scsv"]["supported"] = json!("maybe")
            }),
            ("a probe record's field renamed", |j| {
                rename(&mut j["probes"]["base"], "elapsed_ms", "elapsed")
            }),
            ("a renamed field in a probe's trace", |j| {
                rename(&mut j["probes"]["base"]["trace"], "events", "event")
            }),
            ("a verify result as an object", |j| {
                j["findings"]["chain"]["chain_verify"] = json!({"code": 0, "text": "ok"})
            }),
            ("a rule policies do not have", |j| {
                j["policy"]["rules"][0]["rule"] = json!("min_versions")
            }),
            ("an unknown finding", |j| {
                j["findings"]["heartbleed"] = json!("no")
            }),
        ],
    );
    tmp.assert_empty();
}
