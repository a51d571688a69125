//! The JSON layouts of the harness's reports against their written-down
//! schemas in `schema/`: that the schemas are valid, strict and follow the
//! types, and the matrix report of real runs (the scan report and the JSON
//! Lines of `probe` and `serve`: report_schema_lines.rs).
//!
//! The schemas follow the serde attributes of the types that write the
//! reports. Each refers to `openssl-handshake/schema/trace.schema.json`
//! for the traces it carries; the test resolves that reference to the
//! copy in this checkout, and checks every trace on its own as well.
//! After a deliberate layout change, bump the report's `schema_version`
//! (`report::SCHEMA_VERSION`, `scan::SCAN_SCHEMA_VERSION`) and update its
//! schema.

mod common;
mod schema_support;

use std::collections::{BTreeMap, BTreeSet};

use clap::ValueEnum;
use common::require;
use harness::case::{Endpoint, ExpectedCauses, KeyKind, Negative, Version};
use harness::matrix::Filter;
use harness::peer::{ExternalView, PeerKind};
use harness::report::{Stopped, Summary};
use harness::run::Observed;
use harness::scan::policy::Policy;
use harness::starttls::StartTls;
use openssl_handshake::Cause;
use schema_support::*;
use serde_json::{json, Value};

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
