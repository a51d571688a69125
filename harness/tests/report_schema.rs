//! The JSON layouts of the harness's reports against their written-down
//! schemas in `schema/`: the matrix report, the scan report, and the JSON
//! Lines of `probe` and `serve`, each checked on the output of real runs.
//!
//! The schemas follow the serde attributes of the types that write the
//! reports. Each refers to `openssl-handshake/schema/trace.schema.json`
//! for the traces it carries; the test resolves that reference to the
//! copy in this checkout, and checks every trace on its own as well.
//! After a deliberate layout change, bump the report's `schema_version`
//! (`report::SCHEMA_VERSION`, `scan::SCAN_SCHEMA_VERSION`) and update its
//! schema.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, SystemTime};

use clap::ValueEnum;
use common::{free_port, harness, require, run, Proc, LIMIT};
use harness::case::{Endpoint, ExpectedCauses, KeyKind, Negative, Version};
use harness::matrix::Filter;
use harness::peer::{ExternalView, PeerKind};
use harness::report::{Stopped, Summary};
use harness::run::Observed;
use harness::scan::policy::Policy;
use harness::serve::{Closed, ConnectionReport};
use harness::starttls::StartTls;
use jsonschema::Validator;
use openssl_handshake::Cause;
use serde_json::{json, Value};

const MATRIX: &str = "matrix-report.schema.json";
const PROBE: &str = "probe-line.schema.json";
const SERVE: &str = "serve-line.schema.json";
const SCAN: &str = "scan-report.schema.json";
const ALL: [&str; 4] = [MATRIX, PROBE, SERVE, SCAN];

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?} is not JSON: {e}"))
}

fn schema(file: &str) -> Value {
    read_json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schema")
            .join(file),
    )
}

fn trace_schema() -> Value {
    read_json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../openssl-handshake/schema/trace.schema.json"),
    )
}

/// A draft 2020-12 validator for `schema`, with date-time formats checked
/// and the trace schema available under its `$id`, where the relative
/// references of the harness's schemas lead.
fn validator_for(schema: &Value) -> Result<Validator, String> {
    let trace = trace_schema();
    let id = trace["$id"]
        .as_str()
        .expect("the trace schema has an $id")
        .to_owned();
    let trace = jsonschema::Resource::from_contents(trace).map_err(|e| e.to_string())?;
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .with_resource(id, trace)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Every way `json` departs from `validator`'s schema, one per line.
fn violations(validator: &Validator, json: &Value) -> Vec<String> {
    validator
        .iter_errors(json)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

/// Every `trace` object in `json`, by where it is.
fn traces(json: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let here = format!("{at}/{k}");
                    if k == "trace" && x.is_object() {
                        out.push((here, x));
                    } else {
                        walk(x, here, out);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(json, String::new(), &mut out);
    out
}

/// Every object key in `json`, traces left out.
fn keys(json: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.insert(k.clone());
                    if k != "trace" {
                        walk(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(json, &mut out);
    out
}

/// One harness schema, and the trace schema for the traces inside.
struct Checker {
    file: &'static str,
    schema: Validator,
    trace: Validator,
}

type Mutation = (&'static str, fn(&mut Value));

impl Checker {
    fn new(file: &'static str) -> Checker {
        Checker {
            file,
            schema: validator_for(&schema(file))
                .unwrap_or_else(|e| panic!("{file} is not a valid draft 2020-12 schema: {e}")),
            trace: jsonschema::draft202012::new(&trace_schema()).expect("the trace schema"),
        }
    }

    /// Asserts that `json` matches the schema and that each trace in it
    /// matches the trace schema on its own; returns how many traces.
    fn check(&self, what: &str, json: &Value) -> usize {
        let errors = violations(&self.schema, json);
        assert!(
            errors.is_empty(),
            "{what} does not match {}:\n{}",
            self.file,
            errors.join("\n")
        );
        let traces = traces(json);
        for (at, trace) in &traces {
            let errors = violations(&self.trace, trace);
            assert!(
                errors.is_empty(),
                "{what}: the trace at {at} does not match trace.schema.json:\n{}",
                errors.join("\n")
            );
        }
        traces.len()
    }

    /// Asserts that each mutation of `good` (which matches) is rejected.
    fn rejects(&self, good: &Value, mutations: &[Mutation]) {
        assert!(violations(&self.schema, good).is_empty(), "{}", self.file);
        for (what, mutate) in mutations {
            let mut bad = good.clone();
            mutate(&mut bad);
            assert_ne!(&bad, good, "the mutation \"{what}\" changed nothing");
            assert!(
                !violations(&self.schema, &bad).is_empty(),
                "{} accepted {what}",
                self.file
            );
        }
    }
}

/// Renames `from` to `to` in the object `v`.
fn rename(v: &mut Value, from: &str, to: &str) {
    let m = v.as_object_mut().expect("an object");
    let x = m
        .remove(from)
        .unwrap_or_else(|| panic!("no {from} to rename"));
    m.insert(to.to_owned(), x);
}

/// A directory for the temporary files of the children a test starts
/// (their `TMPDIR`), which must be empty when they are gone.
struct ChildTmp(tempfile::TempDir);

impl ChildTmp {
    fn new() -> ChildTmp {
        ChildTmp(tempfile::tempdir().expect("temp dir"))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn assert_empty(&self) {
        let left: Vec<_> = std::fs::read_dir(self.path())
            .expect("temp dir")
            .filter_map(|e| Some(e.ok()?.file_name()))
            .collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    }
}

/// `tls-harness matrix --format json` with `args`: its exit code and report.
fn matrix(tmp: &ChildTmp, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["matrix", "--format", "json"];
    all.extend(args);
    let mut cmd = harness(&all);
    cmd.env("TMPDIR", tmp.path());
    let o = run(cmd);
    let report = serde_json::from_str(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "matrix {args:?} printed no JSON report ({e}):\n{}{}",
            o.stdout, o.stderr
        )
    });
    (o.status.code(), report)
}

/// `tls-harness probe --format json` with `args`: whether it succeeded,
/// and its lines.
fn probe(tmp: &ChildTmp, args: &[&str]) -> (bool, Vec<Value>) {
    let mut all = vec!["probe", "--format", "json", "--timeout", "5"];
    all.extend(args);
    let mut cmd = harness(&all);
    cmd.env("TMPDIR", tmp.path());
    let o = run(cmd);
    let lines = o
        .stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("probe {args:?}: not a JSON line ({e}): {l:?}"))
        })
        .collect();
    (o.status.success(), lines)
}

/// `tls-harness serve --format json` with a generated ECDSA leaf: the
/// guard, its address and the test PKI's root, for `--cafile`.
fn serve(tmp: &ChildTmp) -> (Proc, String, String) {
    let mut cmd = harness(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--key-type",
        "ecdsa-p256",
        "--format",
        "json",
        "--accept-timeout",
        "60",
    ]);
    cmd.env("TMPDIR", tmp.path());
    let server = Proc::spawn(cmd);
    let after = |prefix: &str, what: &str| {
        Proc::wait_line(&server.stderr, LIMIT, what, |l| l.starts_with(prefix))
            .trim_start_matches(prefix)
            .trim()
            .to_owned()
    };
    let addr = after("listening on ", "serve's address");
    let root = after("root CA: ", "serve's root CA");
    (server, addr, root)
}

/// The next `n` lines `server` prints, each as JSON.
fn serve_lines(server: &Proc, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let what = format!("serve's JSON line {} of {n}", i + 1);
            let line = Proc::wait_line(&server.stdout, LIMIT, &what, |_| true);
            serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("serve: not a JSON line ({e}): {line:?}"))
        })
        .collect()
}

/// Each schema is a valid draft 2020-12 schema under its own `$id`, next
/// to the trace schema its references lead to; every object whose fields
/// are all known takes no others and requires only fields it has; and a
/// definition that several schemas carry reads the same in each.
#[test]
fn the_schemas_are_valid_and_strict() {
    let base = "https://github.com/openssl-handshake/openssl-handshake/blob/main/harness/schema/";
    let mut defs: BTreeMap<String, Vec<(&str, Value)>> = BTreeMap::new();
    for file in ALL {
        let s = schema(file);
        if let Err(e) = jsonschema::draft202012::meta::validate(&s) {
            panic!("{file} is not a draft 2020-12 schema: {e}");
        }
        assert_eq!(
            s["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{file}"
        );
        assert_eq!(s["$id"], format!("{base}{file}"), "{file}");
        validator_for(&s).unwrap_or_else(|e| panic!("{file}: {e}"));
        strict(file, "#", &s);
        for (name, def) in s["$defs"].as_object().expect("$defs") {
            defs.entry(name.clone())
                .or_default()
                .push((file, def.clone()));
        }
    }
    let shared: Vec<&String> = defs.iter().filter(|d| d.1.len() > 1).map(|d| d.0).collect();
    for name in ["diagnosis", "cause", "evidence", "fault", "version"] {
        assert!(
            shared.iter().any(|s| *s == name),
            "{name} is shared: {shared:?}"
        );
    }
    for (name, copies) in &defs {
        let (first, def) = &copies[0];
        for (file, other) in &copies[1..] {
            assert_eq!(other, def, "$defs/{name} differs in {first} and {file}");
        }
    }
    // Without the trace schema, the references to it lead nowhere.
    assert!(
        jsonschema::draft202012::new(&schema(PROBE)).is_err(),
        "the probe line's schema builds without the trace schema it refers to"
    );
}

/// Every object schema in `s` lists its fields, takes no others, and
/// requires only fields it lists.
fn strict(file: &str, at: &str, s: &Value) {
    match s {
        Value::Object(m) => {
            if let Some(props) = m.get("properties").and_then(Value::as_object) {
                assert_eq!(
                    m.get("additionalProperties"),
                    Some(&Value::Bool(false)),
                    "{file} {at} takes unknown fields"
                );
                for r in m
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let r = r.as_str().expect("a field name");
                    assert!(props.contains_key(r), "{file} {at} requires unknown {r}");
                }
            }
            if m.get("type") == Some(&json!("object")) && !m.contains_key("properties") {
                assert!(
                    m.get("additionalProperties").is_some_and(Value::is_object),
                    "{file} {at}: a map says what its values are"
                );
            }
            for (k, x) in m {
                strict(file, &format!("{at}/{k}"), x);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                strict(file, &format!("{at}/{i}"), x);
            }
        }
        _ => {}
    }
}

/// The enums of the schemas are the variants of the types, as serde
/// writes them, and the fields serde writes for a default value are the
/// fields the schema requires.
#[test]
fn the_schemas_follow_the_types() {
    let matrix = schema(MATRIX);
    let scan = schema(SCAN);
    let listed = |s: &Value, def: &str| s["$defs"][def]["enum"].clone();
    let cases = [
        (&matrix, "version", serialized(&Version::ALL)),
        (&scan, "version", serialized(&Version::ALL)),
        (&matrix, "key_kind", serialized(&KeyKind::ALL)),
        (&matrix, "peer_kind", serialized(&PeerKind::ALL)),
        (&matrix, "negative", serialized(&Negative::ALL)),
    ];
    for (s, def, values) in cases {
        assert_eq!(listed(s, def), values, "$defs/{def}");
    }
    let starttls: Vec<Value> = StartTls::value_variants()
        .iter()
        .map(|p| json!(p.name()))
        .collect();
    assert_eq!(
        scan["properties"]["starttls"]["enum"],
        Value::Array(starttls)
    );
    // A name serde does not know reads as Cause::Unknown, named "unknown".
    let causes = listed(&matrix, "cause");
    let causes = causes.as_array().expect("the causes");
    assert!(causes.len() > 30, "{causes:?}");
    for name in causes {
        let cause: Cause = serde_json::from_value(name.clone()).expect("a cause");
        assert_eq!(&json!(cause.name()), name, "{name} is no cause");
    }
    // Every field of a policy but its name is a rule.
    let policy = serde_json::to_value(Policy::default()).expect("serializes");
    let mut rules: Vec<&String> = policy
        .as_object()
        .expect("an object")
        .keys()
        .filter(|k| *k != "name")
        .collect();
    rules.sort();
    let mut listed_rules: Vec<String> =
        serde_json::from_value(scan["$defs"]["rule_result"]["properties"]["rule"]["enum"].clone())
            .expect("the rules");
    listed_rules.sort();
    assert_eq!(rules, listed_rules.iter().collect::<Vec<_>>());

    let defaults: [(&str, Value); 6] = [
        ("filter", to_value(Filter::default())),
        ("endpoint", to_value(Endpoint::default())),
        ("observed", to_value(Observed::default())),
        ("summary", to_value(Summary::default())),
        ("external_view", to_value(ExternalView::default())),
        ("expected_causes", to_value(ExpectedCauses::default())),
    ];
    for (def, value) in defaults {
        let fields: BTreeSet<&String> = value.as_object().expect("an object").keys().collect();
        let required: BTreeSet<String> =
            serde_json::from_value(matrix["$defs"][def]["required"].clone()).expect("required");
        assert_eq!(
            fields,
            required.iter().collect(),
            "$defs/{def}: serde writes other fields than the schema requires"
        );
        let one = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": matrix["$id"].clone(),
            "$defs": matrix["$defs"].clone(),
            "$ref": format!("#/$defs/{def}"),
        });
        let errors = violations(&validator_for(&one).expect("schema"), &value);
        assert!(errors.is_empty(), "{def}: {}", errors.join("\n"));
    }
}

fn to_value(v: impl serde::Serialize) -> Value {
    serde_json::to_value(v).expect("serializes")
}

/// `values` as serde writes them, in order.
fn serialized<T: serde::Serialize>(values: &[T]) -> Value {
    Value::Array(values.iter().map(to_value).collect())
}

/// The first failed result of a matrix report.
fn failed(report: &mut Value) -> &mut Value {
    report["results"]
        .as_array_mut()
        .expect("results")
        .iter_mut()
        .find(|r| r["status"] == "fail")
        .expect("a failed result")
}

/// Three real matrix runs: in-process passes and the cases filters leave
/// out (sharded), a command client whose suite the in-process server lacks
/// (a failure with both sides, the server's trace, a diagnosis and a
/// pcapng), and a command server that never listens (a side never set up,
/// the case selected by id).
#[test]
fn matrix_reports_match_the_schema() {
    require("openssl", "version", "openssl");
    let tmp = ChildTmp::new();
    let artifacts = tempfile::tempdir().expect("temp dir");
    let artifacts_dir = artifacts.path().to_str().expect("utf-8 path");
    let checker = Checker::new(MATRIX);

    let (code, inproc) = matrix(
        &tmp,
        &[
            "--peers",
            "inproc",
            "--versions",
            "tls1_2,tls1_3",
            "--keys",
            "ecdsa-p256",
            "--shard",
            "1/1",
        ],
    );
    assert_eq!(code, Some(0), "{inproc:#}");
    checker.check("the in-process run", &inproc);
    assert_eq!(inproc["shard"], json!([1, 1]));

    let (code, mut failing) = matrix(
        &tmp,
        &[
            "--versions",
            "tls1_3",
            "--suites",
            "^TLS_AES_128_GCM_SHA256$",
            "--keys",
            "ecdsa-p256",
            "--options",
            "default",
            "--timeout",
            "5",
            "--artifacts",
            artifacts_dir,
            "--peer-cmd",
            "x=openssl s_client -connect 127.0.0.1:{port} -tls1_3 \
             -ciphersuites TLS_AES_256_GCM_SHA384 -quiet",
        ],
    );
    assert_eq!(code, Some(1), "{failing:#}");
    let traced = checker.check("a run with a failed case", &failing);
    assert!(traced > 0, "the failed case keeps the server's trace");
    assert_eq!(
        failed(&mut failing)["diagnosis"]["cause"],
        "no_shared_cipher"
    );

    let (code, setup) = matrix(
        &tmp,
        &[
            "--peers",
            "command",
            "--case",
            "tls1_3/TLS_AES_128_GCM_SHA256/ecdsa-p256/default@inproc>command",
            "--timeout",
            "2",
            "--peer-cmd",
            "y=sh -c 'exit 3' {port} {cert}",
        ],
    );
    assert_eq!(code, Some(1), "{setup:#}");
    checker.check("a run whose server never listened", &setup);

    // The runs hold every status, and the fields that are left out when
    // empty (the stop of a run aside, added below).
    let reports = [&inproc, &failing, &setup];
    let statuses: BTreeSet<&str> = reports
        .iter()
        .flat_map(|r| r["results"].as_array().expect("results"))
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["pass", "fail", "unsupported", "skipped"])
    );
    let seen: BTreeSet<String> = reports.iter().flat_map(|r| keys(r)).collect();
    for optional in [
        "selection",
        "cases",
        "diagnosis",
        "artifact",
        "external",
        "stderr",
        "handshake_unreported",
        "setup_failed",
    ] {
        assert!(seen.contains(optional), "no run wrote {optional}");
    }
    let mut stopped = inproc.clone();
    stopped["stopped"] = to_value(Stopped {
        signal: "SIGTERM".into(),
        cases_left: 3,
    });
    checker.check("a stopped run", &stopped);

    checker.rejects(
        &failing,
        &[
            ("wall_ms renamed", |j| rename(j, "wall_ms", "wall")),
            ("a status in another case", |j| {
                failed(j)["status"] = json!("Fail")
            }),
            ("an unknown field in a side", |j| {
                failed(j)["sides"]["server"][0]["handshake_okay"] = json!(false)
            }),
            ("a renamed field in a side's trace", |j| {
                rename(
                    &mut failed(j)["sides"]["server"][0]["trace"],
                    "outcome",
                    "result",
                )
            }),
            ("the observed version as a case's", |j| {
                failed(j)["observed"]["version"] = json!("tls1_3")
            }),
            ("a diagnosis without its fix", |j| {
                let d = failed(j)["diagnosis"].as_object_mut().expect("diagnosis");
                d.remove("fix");
            }),
            ("a cause the library does not name", |j| {
                failed(j)["diagnosis"]["cause"] = json!("bad_luck")
            }),
            ("an expectation of another outcome", |j| {
                failed(j)["case"]["expect"]["outcome"] = json!("maybe")
            }),
            ("a certificate identity without its key", |j| {
                failed(j)["case"]["server"]["identity"] = json!({"kind": "certificate"})
            }),
            ("a shard of one number", |j| j["shard"] = json!([1])),
            ("the summary without skipped", |j| {
                let s = j["summary"].as_object_mut().expect("summary");
                s.remove("skipped");
            }),
        ],
    );
    checker.rejects(
        &setup,
        &[("setup_failed written when false", |j| {
            failed(j)["sides"]["server"][0]["setup_failed"] = json!(false)
        })],
    );
    checker.rejects(
        &stopped,
        &[("a stop by another signal", |j| {
            j["stopped"]["signal"] = json!("SIGUSR1")
        })],
    );
    tmp.assert_empty();
}

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

    let (ok, good) = probe(
        &tmp,
        &[
            &addr,
            "--servername",
            "localhost",
            "--cafile",
            &root,
            "--reconnect",
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

    let (ok, unverified) = probe(&tmp, &[&addr, "--servername", "localhost"]);
    assert!(!ok, "{unverified:?}");
    let [unverified] = &unverified[..] else {
        panic!("one line: {unverified:?}")
    };
    assert_eq!(probes.check("a probe that did not verify", unverified), 1);
    assert!(unverified["diagnosis"].is_object(), "{unverified}");

    let closed_port = format!("127.0.0.1:{}", free_port());
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

    let (code, unscanned) = scan(&format!("127.0.0.1:{}", free_port()), &[]);
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
