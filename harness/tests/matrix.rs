//! The matrix end to end through the built binary, in every format, plus
//! sharding and merging.

mod common;

use std::process::Command;

use common::{harness, run};
use harness::report::json;
use harness::run::Status;

const FILTER: &[&str] = &[
    "matrix",
    "--options",
    "mismatch,verify,alpn,mtls",
    "--jobs",
    "2",
];

fn matrix(extra: &[&str]) -> common::Output {
    let args: Vec<&str> = FILTER.iter().chain(extra).copied().collect();
    run(harness(&args))
}

#[test]
fn table_ends_with_the_summary_line() {
    let o = matrix(&["--format", "table"]);
    assert!(o.status.success(), "{}{}", o.stdout, o.stderr);
    let last = o
        .stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .expect("output");
    let re = regex::Regex::new(r"^\d+ passed, 0 failed, \d+ unsupported, \d+ skipped in [\d.]+ s$")
        .expect("regex");
    assert!(re.is_match(last), "last line: {last:?}");
    assert!(o.stdout.contains("\nTLS 1.3\n"), "grouped by version");
}

#[test]
fn json_report_is_versioned_and_round_trips() {
    let o = matrix(&["--format", "json"]);
    assert!(o.status.success(), "{}", o.stderr);
    let report = json::parse(&o.stdout, "stdout".as_ref()).expect("a JSON report");
    assert_eq!(report.schema_version, harness::report::SCHEMA_VERSION);
    let ran: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Pass)
        .collect();
    assert!(ran
        .iter()
        .any(|r| r.id == "tls1_3/TLS_AES_128_GCM_SHA256/expired/verify"));
    // Filtered-out cases are present as skipped, with the filter named.
    let skipped = report
        .results
        .iter()
        .find(|r| r.status == Status::Skipped)
        .expect("skipped cases");
    assert!(skipped
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("--options"));
    // Round trip: parse(render(parse(x))) == parse(x).
    let again = json::parse(&json::render(&report), "again".as_ref()).expect("re-parse");
    assert_eq!(again, report);
    let counted = harness::report::Summary::of(&report.results);
    assert_eq!(counted, report.summary);
}

#[test]
fn junit_has_a_suite_per_version_and_counts() {
    let o = matrix(&["--format", "junit"]);
    assert!(o.status.success(), "{}", o.stderr);
    assert!(o.stdout.starts_with("<?xml"));
    assert!(o.stdout.contains("<testsuite name=\"tls1_3\""));
    assert!(o.stdout.contains("failures=\"0\""));
    let cases = o.stdout.matches("<testcase ").count();
    let open = o.stdout.matches("<testcase").count();
    assert_eq!(cases, open);
    // Cases the filters left out are not listed (the JSON keeps them).
    let json = matrix(&["--format", "json"]);
    let report = json::parse(&json.stdout, "json".as_ref()).expect("report");
    let s = &report.summary;
    assert!(s.skipped > 0, "the filters leave cases out");
    assert!(o.stdout.starts_with(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tls-harness\" tests=\"{cases}\" failures=\"0\" errors=\"0\" skipped=\"{}\"",
        s.unsupported
    )), "{}", o.stdout);
    assert_eq!(cases, s.passed + s.failed + s.unsupported);
    assert!(!o.stdout.contains("left out"), "{}", o.stdout);
    let left_out: usize = o
        .stdout
        .split("<property name=\"left_out\" value=\"")
        .skip(1)
        .map(|v| {
            v.split('"')
                .next()
                .expect("a value")
                .parse::<usize>()
                .expect("a count")
        })
        .sum();
    assert_eq!(left_out, s.skipped);
    // The peers, with their versions, as the JSON names them.
    for peer in &report.peers {
        let property = format!("<property name=\"peer\" value=\"{peer}\"/>");
        assert!(o.stdout.contains(&property), "{property}\n{}", o.stdout);
    }
    assert!(o
        .stdout
        .contains("name=\"tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/mismatch-suite\""));
    assert!(o.stdout.trim_end().ends_with("</testsuites>"));
}

#[test]
fn markdown_has_versions_by_key_types() {
    let o = matrix(&["--format", "markdown"]);
    assert!(o.status.success(), "{}", o.stderr);
    assert!(o
        .stdout
        .contains("| version | rsa2048 | ecdsa-p256 | ecdsa-p384 | ed25519 |"));
    assert!(o.stdout.contains("| TLS 1.3 |"));
    assert!(o.stdout.contains("## Failures (0)"));
}

/// The notes are those of the cases that ran: one TLS 1.3 case carries
/// none, so none of the TLS 1.0 or SSLv3 cases left out may be counted.
#[test]
fn markdown_notes_only_the_cases_that_ran() {
    let one = run(harness(&[
        "matrix",
        "--case",
        "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default",
        "--format",
        "markdown",
    ]));
    assert!(one.status.success(), "{}", one.stderr);
    assert!(!one.stdout.contains("## Notes"), "{}", one.stdout);
    let tls1 = run(harness(&[
        "matrix",
        "--versions",
        "tls1",
        "--format",
        "markdown",
    ]));
    assert!(tls1.status.success(), "{}", tls1.stderr);
    assert!(
        tls1.stdout
            .contains("× TLS 1.0 needs @SECLEVEL=0 with OpenSSL 3: the harness lowered it"),
        "{}",
        tls1.stdout
    );
}

#[test]
fn memory_transport_gives_the_same_statuses() {
    let tcp =
        json::parse(&matrix(&["--format", "json"]).stdout, "tcp".as_ref()).expect("tcp report");
    let mem = json::parse(
        &matrix(&["--format", "json", "--transport", "memory"]).stdout,
        "mem".as_ref(),
    )
    .expect("memory report");
    let statuses = |r: &harness::report::Report| {
        r.results
            .iter()
            .map(|x| (x.id.clone(), x.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(statuses(&tcp), statuses(&mem));
}

#[test]
fn shards_merge_back_into_the_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let whole =
        json::parse(&matrix(&["--format", "json"]).stdout, "whole".as_ref()).expect("whole");
    let mut files = Vec::new();
    for k in ["1/2", "2/2"] {
        let path = dir.path().join(format!("shard{}.json", &k[..1]));
        let o = matrix(&[
            "--format",
            "json",
            "--shard",
            k,
            "--out",
            path.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{}", o.stderr);
        files.push(path);
    }
    let a = json::parse(
        &std::fs::read_to_string(&files[0]).expect("read"),
        &files[0],
    )
    .expect("shard 1");
    let b = json::parse(
        &std::fs::read_to_string(&files[1]).expect("read"),
        &files[1],
    )
    .expect("shard 2");
    assert!(!a.results.is_empty() && !b.results.is_empty());
    assert!(
        a.results
            .iter()
            .all(|r| !b.results.iter().any(|x| x.id == r.id)),
        "shards overlap"
    );

    let mut cmd = Command::new(common::BIN);
    cmd.arg("merge").args(&files).args(["--format", "json"]);
    let o = run(cmd);
    assert!(o.status.success(), "{}", o.stderr);
    let merged = json::parse(&o.stdout, "merged".as_ref()).expect("merged");
    let ids =
        |r: &harness::report::Report| r.results.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&merged), ids(&whole));
    assert_eq!(merged.summary, whole.summary);

    // An incomplete or repeated set would read as a smaller whole run.
    for (given, why) in [
        (vec![&files[0]], "shard 2/2 is missing"),
        (
            vec![&files[0], &files[0], &files[1]],
            "shard 1/2 was given more than once",
        ),
    ] {
        let mut cmd = Command::new(common::BIN);
        cmd.arg("merge").args(given);
        let o = run(cmd);
        assert_eq!(o.status.code(), Some(2), "{why}: {}", o.stdout);
        assert!(o.stderr.contains(why), "{}", o.stderr);
    }

    // Shard 2 of a run with another time-out is not shard 2 of this one.
    let other = dir.path().join("other2.json");
    let o = matrix(&[
        "--format",
        "json",
        "--shard",
        "2/2",
        "--timeout",
        "7",
        "--out",
        other.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", o.stderr);
    let mut cmd = Command::new(common::BIN);
    cmd.arg("merge").args([&files[0], &other]);
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(2), "{}", o.stdout);
    assert!(
        o.stderr.contains("shards ran with different selections") && o.stderr.contains("7000 ms"),
        "{}",
        o.stderr
    );
}

#[test]
fn list_prints_ids_and_expectations_without_running() {
    let o = run(harness(&[
        "matrix",
        "--list",
        "--versions",
        "tls1_3",
        "--options",
        "mismatch",
    ]));
    assert!(o.status.success(), "{}", o.stderr);
    let lines: Vec<&str> = o.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert!(!lines.is_empty());
    assert!(lines
        .iter()
        .all(|l| l.starts_with("tls1_3/") && l.contains("/mismatch-")));
    assert!(lines.iter().all(|l| l.contains("\tfailure: ")), "{lines:?}");
    // Each names what the diagnosis must say, e.g. for a version mismatch.
    assert!(
        lines.iter().all(|l| l.contains(" [diagnosis ")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("server: no_shared_version]")),
        "{lines:?}"
    );
}

#[test]
fn list_follows_peers_scope_and_format() {
    // rustls runs in process, so this needs no external tool.
    let list = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["matrix", "--list", "--peers", "rustls", "--format", "json"];
        args.extend_from_slice(extra);
        let o = run(harness(&args));
        assert!(o.status.success(), "{}", o.stderr);
        serde_json::from_str(&o.stdout).expect("a JSON list")
    };
    let subset = list(&[]);
    let ids: Vec<&str> = subset.iter().filter_map(|v| v["id"].as_str()).collect();
    assert!(ids.iter().any(|i| i.ends_with("@inproc>rustls")));
    assert!(ids.iter().any(|i| i.ends_with("@rustls>inproc")));
    assert!(!ids.iter().any(|i| i.contains('@') && !i.contains("rustls")));
    let skipped = |l: &[serde_json::Value]| l.iter().filter(|v| !v["skip"].is_null()).count();
    let full = list(&["--external-scope", "full"]);
    assert_eq!(full.len(), subset.len());
    assert!(
        skipped(&full) < skipped(&subset),
        "full scope skips fewer cases"
    );
    // rustls declares no TLS 1.0: its pairings at TLS 1.0 say so.
    let tls1 = full
        .iter()
        .find(|v| {
            v["id"]
                .as_str()
                .is_some_and(|i| i.starts_with("tls1/") && i.ends_with("@inproc>rustls"))
        })
        .expect("a TLS 1.0 case with the rustls server");
    let reason = tls1["expect"]["reason"].as_str().unwrap_or("");
    assert!(reason.starts_with("server (rustls"), "{reason}");
    assert!(reason.contains("lacks TLS 1.0"), "{reason}");
    let o = run(harness(&["matrix", "--list", "--format", "junit"]));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_flags_are_usage_errors() {
    let o = run(harness(&["matrix", "--peers", "nss"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        o.stderr.contains(
            "use inproc, openssl-cli, gnutls-cli, rustls, botan, tlslite, jsse or command"
        ),
        "{}",
        o.stderr
    );
    let o = run(harness(&["matrix", "--shard", "3/2"]));
    assert_eq!(o.status.code(), Some(2));
}

/// `--case ID` runs exactly the result a report gave that id, in its
/// pairing, even where the external subset would leave it out; an id no
/// pairing of the run plays is refused before anything runs.
#[test]
fn a_result_runs_again_alone_by_its_id() {
    common::require("gnutls-cli", "--version", "gnutls-bin");
    let select = |scope: &str| {
        let args = [
            "matrix",
            "--peers",
            "inproc,gnutls-cli",
            "--versions",
            "tls1_2",
            "--keys",
            "rsa2048",
            "--options",
            "default",
            "--external-scope",
            scope,
            "--format",
            "json",
        ];
        let o = run(harness(&args));
        assert!(o.status.success(), "{}", o.stderr);
        json::parse(&o.stdout, "stdout".as_ref()).expect("a JSON report")
    };
    let (full, subset) = (select("full"), select("subset"));
    let outside = |id: &str| {
        subset
            .results
            .iter()
            .any(|r| r.id == id && r.status == Status::Skipped)
    };
    let first = full
        .results
        .iter()
        .find(|r| r.status == Status::Pass && r.id.contains("@inproc>gnutls-cli") && outside(&r.id))
        .expect("an inproc>gnutls-cli result that passed, outside the subset");
    let again = [
        "matrix",
        "--peers",
        "inproc,gnutls-cli",
        "--case",
        &first.id,
        "--format",
        "json",
    ];
    let o = run(harness(&again));
    assert!(o.status.success(), "{}", o.stderr);
    let rerun = json::parse(&o.stdout, "stdout".as_ref()).expect("a JSON report");
    let played: Vec<_> = rerun
        .results
        .iter()
        .filter(|r| r.status != Status::Skipped)
        .collect();
    assert_eq!(played.len(), 1, "{played:#?}");
    assert_eq!((&played[0].id, played[0].status), (&first.id, Status::Pass));

    let o = run(harness(&["matrix", "--case", &first.id]));
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("no pairing of this run plays it"),
        "{}",
        o.stderr
    );
    // The in-process pair's own ids have no @ part, and the refusal says so.
    let case = first.id.split('@').next().expect("a case id");
    let o = run(harness(&[
        "matrix",
        "--case",
        &format!("{case}@inproc>inproc"),
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains(&format!(
            "the in-process pair's results carry no @ part; give --case {case}"
        )),
        "{}",
        o.stderr
    );
}

/// A tlslite server that does not listen in time, or exits first, tested
/// nothing: a setup error naming why, as for gnutls-serv and botan, not an
/// interop failure. A wrapper runs tlslite-ng's Python for everything but
/// the server, which it holds back or fails.
#[test]
fn a_tlslite_server_that_never_listens_is_a_setup_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let python = common::tlslite_python();
    for (server, says) in [
        ("exec sleep 30", "time-out after"),
        (
            "echo 'no driver today' >&2; exit 1",
            "exited (exit status 1) before the tlslite driver to listen: no driver today",
        ),
    ] {
        let wrapper = dir.path().join("python");
        let script = format!(
            "#!/bin/sh\n[ \"$2\" = server ] && {{ {server}; }}\nexec '{}' \"$@\"\n",
            python.display()
        );
        std::fs::write(&wrapper, script).expect("wrapper");
        let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(&wrapper, executable).expect("chmod");
        let mut cmd = harness(&[
            "matrix",
            "--peers",
            "tlslite",
            "--case",
            "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default@inproc>tlslite",
            "--timeout",
            "0.5",
            "--format",
            "junit",
        ]);
        cmd.env("TLS_HARNESS_TLSLITE_PYTHON", &wrapper);
        let o = run(cmd);
        assert!(
            o.stdout.contains(r#"errors="1""#),
            "{}{}",
            o.stdout,
            o.stderr
        );
        let error = o
            .stdout
            .lines()
            .find(|l| l.contains("<error "))
            .unwrap_or_else(|| panic!("no <error> element: {}", o.stdout));
        assert!(error.contains(r#"type="setup""#), "{error}");
        assert!(
            error.contains("the server was not set up, so the case tested nothing: ")
                && error.contains(says)
                && error.contains("the tlslite driver to listen"),
            "{error}"
        );
    }
}
