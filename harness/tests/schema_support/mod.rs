//! What the report schema tests share: the schemas, a checker that
//! validates a report and each trace in it, and the commands whose output
//! they check, run with a temporary directory of their own.
#![allow(dead_code)]

use crate::common::{harness, run, Proc, LIMIT};
use jsonschema::Validator;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

pub const MATRIX: &str = "matrix-report.schema.json";
pub const PROBE: &str = "probe-line.schema.json";
pub const SERVE: &str = "serve-line.schema.json";
pub const SCAN: &str = "scan-report.schema.json";
pub const ALL: [&str; 4] = [MATRIX, PROBE, SERVE, SCAN];

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?} is not JSON: {e}"))
}

pub fn schema(file: &str) -> Value {
    read_json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schema")
            .join(file),
    )
}

pub fn trace_schema() -> Value {
    read_json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../openssl-handshake/schema/trace.schema.json"),
    )
}

/// A draft 2020-12 validator for `schema`, with date-time formats checked
/// and the trace schema available under its `$id`, where the relative
/// references of the harness's schemas lead.
pub fn validator_for(schema: &Value) -> Result<Validator, String> {
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
pub fn violations(validator: &Validator, json: &Value) -> Vec<String> {
    validator
        .iter_errors(json)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

/// Every `trace` object in `json`, by where it is.
pub fn traces(json: &Value) -> Vec<(String, &Value)> {
    pub fn walk<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
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
pub fn keys(json: &Value) -> BTreeSet<String> {
    pub fn walk(v: &Value, out: &mut BTreeSet<String>) {
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
pub struct Checker {
    file: &'static str,
    schema: Validator,
    trace: Validator,
}

pub type Mutation = (&'static str, fn(&mut Value));

impl Checker {
    pub fn new(file: &'static str) -> Checker {
        Checker {
            file,
            schema: validator_for(&schema(file))
                .unwrap_or_else(|e| panic!("{file} is not a valid draft 2020-12 schema: {e}")),
            trace: jsonschema::draft202012::new(&trace_schema()).expect("the trace schema"),
        }
    }

    /// Asserts that `json` matches the schema and that each trace in it
    /// matches the trace schema on its own; returns how many traces.
    pub fn check(&self, what: &str, json: &Value) -> usize {
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
    pub fn rejects(&self, good: &Value, mutations: &[Mutation]) {
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
pub fn rename(v: &mut Value, from: &str, to: &str) {
    let m = v.as_object_mut().expect("an object");
    let x = m
        .remove(from)
        .unwrap_or_else(|| panic!("no {from} to rename"));
    m.insert(to.to_owned(), x);
}

/// A directory for the temporary files of the children a test starts
/// (their `TMPDIR`), which must be empty when they are gone.
pub struct ChildTmp(tempfile::TempDir);

impl ChildTmp {
    pub fn new() -> ChildTmp {
        ChildTmp(tempfile::tempdir().expect("temp dir"))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    pub fn assert_empty(&self) {
        let left: Vec<_> = std::fs::read_dir(self.path())
            .expect("temp dir")
            .filter_map(|e| Some(e.ok()?.file_name()))
            .collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    }
}

/// `tls-harness matrix --format json` with `args`: its exit code and report.
pub fn matrix(tmp: &ChildTmp, args: &[&str]) -> (Option<i32>, Value) {
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
pub fn probe(tmp: &ChildTmp, args: &[&str]) -> (bool, Vec<Value>) {
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

/// `tls-harness serve --format json --early-data` with a generated ECDSA
/// leaf: the guard, its address and the test PKI's root, for `--cafile`.
pub fn serve(tmp: &ChildTmp) -> (Proc, String, String) {
    let mut cmd = harness(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--key-type",
        "ecdsa-p256",
        "--format",
        "json",
        "--early-data",
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
pub fn serve_lines(server: &Proc, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let what = format!("serve's JSON line {} of {n}", i + 1);
            let line = Proc::wait_line(&server.stdout, LIMIT, &what, |_| true);
            serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("serve: not a JSON line ({e}): {line:?}"))
        })
        .collect()
}

pub fn to_value(v: impl serde::Serialize) -> Value {
    serde_json::to_value(v).expect("serializes")
}

/// `values` as serde writes them, in order.
pub fn serialized<T: serde::Serialize>(values: &[T]) -> Value {
    Value::Array(values.iter().map(to_value).collect())
}

/// The first failed result of a matrix report.
pub fn failed(report: &mut Value) -> &mut Value {
    report["results"]
        .as_array_mut()
        .expect("results")
        .iter_mut()
        .find(|r| r["status"] == "fail")
        .expect("a failed result")
}
