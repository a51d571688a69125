//! A matrix run stopped by SIGTERM (a CI job's time-out), SIGINT or SIGHUP still
//! writes its report, says which cases have no result and why, exits as
//! the signal would, and leaves no peer process or key file behind.

mod common;

use std::time::{Duration, Instant};

use common::{harness, running, Proc};

/// Stops a stalled run with `signal`, which must end it with `code`. With
/// `ignored` (SIGHUP under nohup), that signal is sent first, set to be
/// ignored as nohup sets it, and must leave the run going.
fn stop_with(
    signal: nix::sys::signal::Signal,
    code: i32,
    name: &str,
    ignored: Option<nix::sys::signal::Signal>,
) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("report.json");
    let nohup = if ignored.is_some() { "-nohup" } else { "" };
    let marker = format!("stopped-{name}{nohup}-{}", std::process::id());
    // A command client that never connects: each of its cases would wait
    // out the 20 s time-out.
    let template = format!("stall=sleep 40 # {{port}} {marker}");
    let args = [
        "matrix",
        "--versions",
        "tls1_3",
        "--suites",
        "^TLS_AES_128_GCM_SHA256$",
        "--keys",
        "rsa2048,ecdsa-p256,ed25519",
        "--options",
        "default",
        "--jobs",
        "1",
        "--timeout",
        "20",
        "--format",
        "json",
        "--peer-cmd",
        &template,
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    // SIGHUP's disposition is set here, not inherited: a test runner
    // under nohup would leave it ignored, which the harness keeps.
    let inner = harness(&args);
    let mut cmd = std::process::Command::new("env");
    cmd.arg(match ignored {
        Some(_) => "--ignore-signal=HUP",
        None => "--default-signal=HUP",
    })
    .arg(inner.get_program())
    .args(inner.get_args())
    .env_remove("CI")
    .env("TMPDIR", tmp.path());
    let mut p = Proc::spawn(cmd);
    let deadline = Instant::now() + Duration::from_secs(60);
    while running(&marker).is_empty() {
        assert!(Instant::now() < deadline, "the command peer never started");
        assert!(
            p.try_exit().is_none(),
            "the run ended before its peer started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = nix::unistd::Pid::from_raw(i32::try_from(p.pid()).expect("pid"));
    if let Some(first) = ignored {
        nix::sys::signal::kill(pid, first).expect("signal the run");
        std::thread::sleep(Duration::from_secs(1));
        assert!(p.try_exit().is_none(), "an ignored {first} ended the run");
    }
    let sent = Instant::now();
    nix::sys::signal::kill(pid, signal).expect("signal the run");
    // Well before the stalled case's own time-out.
    let status = p.wait(Duration::from_secs(15));
    let took = sent.elapsed();
    let stderr = Proc::drain(&p.stderr).join("\n");
    assert_eq!(status.code(), Some(code), "{stderr}");
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert!(
        stderr.contains(&format!("{name}: finishing the report")),
        "{stderr}"
    );

    let text = std::fs::read_to_string(&out).expect("the report was written");
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(report["stopped"]["signal"], name, "{text}");
    let reasons: Vec<&str> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["status"] == "skipped")
        .filter_map(|r| r["reason"].as_str())
        .collect();
    let killed = format!("not known: {name} stopped the run while this case ran");
    let not_run = format!("not run: {name} stopped the run first");
    assert_eq!(
        reasons.iter().filter(|r| r.starts_with(&killed)).count(),
        1,
        "{reasons:?}"
    );
    let left = reasons.iter().filter(|r| r.starts_with(&not_run)).count();
    assert!(left >= 1, "{reasons:?}");
    assert_eq!(report["stopped"]["cases_left"], left + 1, "{text}");
    assert!(
        stderr.contains(&format!(
            "{name} stopped the run: {} cases have no result",
            left + 1
        )),
        "{stderr}"
    );

    assert!(
        running(&marker).is_empty(),
        "left running: {:?}",
        running(&marker)
    );
    let files: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("temp dir")
        .filter_map(|e| Some(e.ok()?.file_name()))
        .filter(|f| f != "report.json")
        .collect();
    assert!(files.is_empty(), "left in TMPDIR: {files:?}");
}

#[test]
fn sigterm_stops_the_run_and_keeps_its_report() {
    stop_with(nix::sys::signal::Signal::SIGTERM, 143, "SIGTERM", None);
}

#[test]
fn sigint_stops_the_run_and_keeps_its_report() {
    stop_with(nix::sys::signal::Signal::SIGINT, 130, "SIGINT", None);
}

/// The terminal closing: before, SIGHUP's default ended the run at once,
/// leaving its key files and peers behind.
#[test]
fn sighup_stops_the_run_and_keeps_its_report() {
    stop_with(nix::sys::signal::Signal::SIGHUP, 129, "SIGHUP", None);
}

/// Under nohup SIGHUP stays ignored, as nohup asked; SIGTERM still stops
/// the run.
#[test]
fn under_nohup_sighup_is_left_ignored() {
    use nix::sys::signal::Signal;
    stop_with(Signal::SIGTERM, 143, "SIGTERM", Some(Signal::SIGHUP));
}

mod run_support;

/// A stopped run's report says so in every format, fails, and its shards
/// merge into a stopped whole.
#[test]
fn a_stopped_report_says_so_everywhere() {
    use harness::report::{self, Format, Stopped};
    let shard = |k: u32, left: usize| {
        let mut r = run_support::report_of(Vec::new());
        r.shard = Some([k, 2]);
        r.stopped = Some(Stopped {
            signal: "SIGTERM".into(),
            cases_left: left,
        });
        r
    };
    let one = shard(1, 3);
    assert!(!one.ok());
    let line = "SIGTERM stopped the run: 3 cases have no result";
    for format in [Format::Table, Format::Markdown] {
        let text = report::render(&one, format);
        assert!(text.contains(line), "{text}");
    }
    let junit = report::render(&one, Format::Junit);
    assert!(
        junit.contains(&format!("<error message=\"{line}\" type=\"stopped\"/>")),
        "{junit}"
    );
    assert!(
        junit.contains("tests=\"1\" failures=\"0\" errors=\"1\""),
        "{junit}"
    );
    let json = report::render(&one, Format::Json);
    let back = report::json::parse(&json, std::path::Path::new("shard-1.json")).expect("parse");
    assert_eq!(back.stopped, one.stopped);

    let merged = report::json::merge(vec![shard(1, 3), shard(2, 4)]).expect("merge");
    assert_eq!(merged.stopped.map(|s| s.cases_left), Some(7));
    // Without a signal a report carries no "stopped" at all.
    let whole = run_support::report_of(Vec::new());
    assert!(!report::render(&whole, Format::Json).contains("stopped"));
}

/// A signal before any case runs (the peers' versions being read) ends
/// the program at once, and a second signal mid-run does too:
/// either way the exit code is the signal's, no peer's check is blamed,
/// and no key file is left in TMPDIR.
#[test]
fn a_signal_at_once_leaves_nothing_behind() {
    use nix::sys::signal::{kill, Signal};
    for (name, delay, twice) in [("early", 5, false), ("twice", 0, true)] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let marker = format!("stopped-{name}-{}", std::process::id());
        let template = format!("stall=sleep 40 # {{port}} {marker}");
        let args = [
            "matrix",
            "--peers",
            "inproc,openssl-cli,gnutls-cli",
            "--versions",
            "tls1_2",
            // Few cases before the command peer's, which a loaded machine
            // would otherwise take a minute and more to reach.
            "--keys",
            "ecdsa-p256",
            "--options",
            "default",
            "--jobs",
            "1",
            "--timeout",
            "20",
            "--peer-cmd",
            &template,
        ];
        let mut cmd = harness(&args);
        cmd.env("TMPDIR", tmp.path());
        let mut p = Proc::spawn(cmd);
        if twice {
            // Mid-run: the command peer's stall is under way.
            let deadline = Instant::now() + Duration::from_secs(60);
            while running(&marker).is_empty() {
                assert!(Instant::now() < deadline, "{name}: the peer never started");
                std::thread::sleep(Duration::from_millis(50));
            }
        } else {
            // Once the test PKI's directory exists the handler is in place
            // (the program installs it first) and the peers are being
            // checked: the plan is not made yet, or only just.
            let deadline = Instant::now() + Duration::from_secs(60);
            while std::fs::read_dir(tmp.path())
                .expect("temp dir")
                .next()
                .is_none()
            {
                assert!(Instant::now() < deadline, "{name}: no PKI directory");
                std::thread::sleep(Duration::from_millis(delay));
            }
        }
        let pid = nix::unistd::Pid::from_raw(i32::try_from(p.pid()).expect("pid"));
        kill(pid, Signal::SIGTERM).expect("signal");
        if twice {
            std::thread::sleep(Duration::from_millis(1));
            let _ = kill(pid, Signal::SIGTERM);
        }
        let status = p.wait(Duration::from_secs(30));
        let stderr = Proc::drain(&p.stderr).join("\n");
        assert_eq!(status.code(), Some(143), "{name}: {stderr}");
        assert!(!stderr.contains("exited (signal"), "{name}: {stderr}");
        assert!(running(&marker).is_empty(), "{name}: a peer was left");
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .expect("temp dir")
            .filter_map(|e| Some(e.ok()?.file_name()))
            .collect();
        assert!(left.is_empty(), "{name}: left in TMPDIR: {left:?}");
    }
}
