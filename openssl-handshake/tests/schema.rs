//! The JSON layout of a trace against its written-down schema,
//! `schema/trace.schema.json`: the committed fixtures, traces of fresh
//! handshakes, and the round trip through `HandshakeTrace`.
//!
//! The fixtures are real traces (TLS 1.2 and 1.3, success and failure,
//! client and server). After a deliberate layout change, bump
//! `HandshakeTrace::SCHEMA_VERSION`, update the schema, and write them again with
//! `OPENSSL_HANDSHAKE_WRITE_FIXTURES=1 cargo test -p openssl-handshake --test schema`.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use openssl::ssl::{SslContextBuilder, SslVersion};
use openssl::x509::store::X509StoreBuilder;
use openssl_handshake::decode::{decode_handshake, DecodeError};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};
use serde_json::Value;
use testkit::pki::KeyType;

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")
}

fn schema() -> Value {
    let path = schema_dir().join("trace.schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema is a valid draft 2020-12 schema")
}

/// Every way `json` departs from the schema, one per line.
fn violations(validator: &jsonschema::Validator, json: &Value) -> Vec<String> {
    validator
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn assert_valid(validator: &jsonschema::Validator, name: &str, json: &Value) {
    let errors = violations(validator, json);
    assert!(
        errors.is_empty(),
        "{name} does not match trace.schema.json:\n{}",
        errors.join("\n")
    );
}

fn tls12(b: &mut SslContextBuilder, cipher: &str) {
    b.set_max_proto_version(Some(SslVersion::TLS1_2))
        .expect("max version");
    b.set_cipher_list(cipher).expect("cipher list");
}

/// Traces of real handshakes, by fixture name: each side of a TLS 1.3 and
/// a TLS 1.2 success, a TLS 1.2 handshake without a shared cipher, and a
/// TLS 1.3 client that cannot verify the server's chain.
fn fresh_traces() -> Vec<(String, HandshakeTrace)> {
    let mut traces = Vec::new();
    let mut push = |name: &str, pair: Pair| {
        traces.push((format!("tls{name}-client"), pair.client));
        traces.push((format!("tls{name}-server"), pair.server));
    };

    let server = server_ctx(KeyType::EcdsaP256, |b| {
        b.trace_handshakes(TraceOptions::default().raw_bytes(true))
            .expect("attach tracing");
    });
    push("13-success", connect(&server, &client_ctx(|_| {}), None));

    let server = server_ctx(KeyType::Rsa2048, |b| {
        tls12(b, "ECDHE-RSA-AES128-GCM-SHA256")
    });
    push("12-success", connect(&server, &client_ctx(|_| {}), None));

    let server = server_ctx(KeyType::Rsa2048, |b| tls12(b, "AES256-SHA256"));
    let client = client_ctx(|b| tls12(b, "AES128-SHA256"));
    push("12-no-shared-cipher", connect(&server, &client, None));

    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let client = client_ctx(|b| {
        b.set_cert_store(X509StoreBuilder::new().expect("store").build());
    });
    push("13-unknown-ca", connect(&server, &client, None));
    traces
}

fn fixtures() -> Vec<(String, Value)> {
    let dir = schema_dir().join("fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            (p.display().to_string(), json)
        })
        .collect()
}

#[test]
fn fresh_traces_match_the_schema() {
    let validator = validator();
    let traces = fresh_traces();
    let outcomes: Vec<(&str, bool)> = traces
        .iter()
        .map(|(name, t)| (name.as_str(), t.succeeded()))
        .collect();
    for (name, succeeded) in &outcomes {
        assert_eq!(
            *succeeded,
            name.contains("success"),
            "{name}: the handshake did not end as the case intends"
        );
    }
    let write = std::env::var_os("OPENSSL_HANDSHAKE_WRITE_FIXTURES").is_some();
    for (name, trace) in &traces {
        let json: Value = serde_json::from_str(&trace.to_json()).expect("to_json is JSON");
        assert_valid(&validator, name, &json);
        if write {
            let path = schema_dir().join("fixtures").join(format!("{name}.json"));
            std::fs::write(&path, trace.to_json() + "\n")
                .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        }
    }
}

#[test]
fn every_fixture_matches_the_schema() {
    let validator = validator();
    let fixtures = fixtures();
    let names: Vec<&str> = fixtures.iter().map(|(n, _)| n.as_str()).collect();
    for kind in ["12-success", "13-success", "12-no-shared", "13-unknown-ca"] {
        for side in ["client", "server"] {
            assert!(
                names.iter().any(|n| n.contains(kind) && n.contains(side)),
                "no {kind} {side} fixture among {names:?}"
            );
        }
    }
    for (name, json) in &fixtures {
        assert_valid(&validator, name, json);
        assert_eq!(
            json["schema_version"],
            HandshakeTrace::SCHEMA_VERSION,
            "{name}"
        );
    }
}

/// Every field path of `json` ("events[].kind..."), arrays merged.
fn paths(json: &Value, at: String, out: &mut std::collections::BTreeSet<String>) {
    match json {
        Value::Object(map) => {
            for (k, v) in map {
                paths(v, format!("{at}.{k}"), out);
            }
        }
        Value::Array(items) => {
            for v in items {
                paths(v, format!("{at}[]"), out);
            }
        }
        _ => {
            out.insert(at);
        }
    }
}

/// The fixtures hold what this build writes: a fresh trace of each has
/// the same fields (its randoms, times and dates differ), so a field the
/// decoder gained or lost fails here until they are written again.
#[test]
fn the_fixtures_have_the_fields_fresh_traces_have() {
    let fresh = fresh_traces();
    for (path, json) in fixtures() {
        let (_, trace) = fresh
            .iter()
            .find(|(name, _)| path.ends_with(&format!("{name}.json")))
            .unwrap_or_else(|| panic!("no fresh trace for {path}"));
        let now: Value = serde_json::from_str(&trace.to_json()).expect("JSON");
        let (mut want, mut have) = Default::default();
        paths(&now, String::new(), &mut want);
        paths(&json, String::new(), &mut have);
        let missing: Vec<&String> = want.difference(&have).collect();
        let extra: Vec<&String> = have.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{path} is stale (rewrite the fixtures: see the top of this file): \
             missing {missing:?}, no longer written {extra:?}"
        );
    }
}

/// A fixture read into a `HandshakeTrace` and written again is the same
/// JSON, durations included, and a fresh trace survives its own JSON.
#[test]
fn traces_round_trip_through_json() {
    for (name, json) in fixtures() {
        let trace: HandshakeTrace = serde_json::from_value(json.clone())
            .unwrap_or_else(|e| panic!("{name} does not deserialize: {e}"));
        let again: Value = serde_json::from_str(&trace.to_json()).expect("JSON");
        assert_eq!(again, json, "{name} changed in the round trip");
    }
    for (name, trace) in fresh_traces() {
        let back = HandshakeTrace::from_json(&trace.to_json()).expect("deserializes");
        assert_eq!(back, trace, "{name} changed in the round trip");
        // The outcome's name is JSON's status.
        let json: Value = serde_json::from_str(&trace.to_json()).expect("JSON");
        assert_eq!(json["outcome"]["status"], trace.outcome.name(), "{name}");
    }
}

/// The optional fields a trace carries only when set match the schema too.
#[test]
fn a_tagged_trace_matches_the_schema() {
    let (_, mut trace) = fresh_traces().swap_remove(0);
    trace.tag = Some("203.0.113.7:50412".to_owned());
    let json: Value = serde_json::from_str(&trace.to_json()).expect("JSON");
    assert_eq!(json["tag"], "203.0.113.7:50412");
    assert_valid(&validator(), "a tagged trace", &json);
}

/// Durations are integers of microseconds under names that say so, and
/// states go by their ssl.h names.
#[test]
fn durations_are_microseconds_and_states_are_names() {
    let (_, trace) = fresh_traces()
        .into_iter()
        .find(|(n, _)| n == "tls13-success-client")
        .expect("the TLS 1.3 client");
    let json: Value = serde_json::from_str(&trace.to_json()).expect("JSON");
    let duration = trace.duration.expect("a finished handshake has a duration");
    assert_eq!(
        json["duration_us"].as_u64(),
        Some(duration.as_micros() as u64)
    );
    let events = json["events"].as_array().expect("events");
    for (event, recorded) in events.iter().zip(&trace.events) {
        assert_eq!(
            event["at_us"].as_u64(),
            Some(recorded.at.as_micros() as u64)
        );
    }
    let first_state = events
        .iter()
        .find(|e| e["kind"]["type"] == "state")
        .expect("a state change");
    assert_eq!(first_state["kind"]["state"], "TLS_ST_BEFORE");
}

/// The schema can fail: a renamed field, a duration in another unit, an
/// unknown event type and a state that is not a name are each rejected.
#[test]
fn the_schema_rejects_what_the_layout_does_not_allow() {
    let validator = validator();
    let (name, good) = fixtures().into_iter().next().expect("a fixture");
    assert_valid(&validator, &name, &good);
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 5] = [
        ("duration renamed", |j| {
            let d = j["duration_us"].take();
            j["duration"] = d;
        }),
        ("duration as a float of seconds", |j| {
            j["duration_us"] = serde_json::json!(0.0021);
        }),
        ("event at as {secs, nanos}", |j| {
            j["events"][0]["at_us"] = serde_json::json!({"secs": 0, "nanos": 1000});
        }),
        ("unknown event type", |j| {
            j["events"][0]["kind"] = serde_json::json!({"type": "teleport"});
        }),
        ("state as a number", |j| {
            let states = j["events"].as_array_mut().expect("events");
            let state = states
                .iter_mut()
                .find(|e| e["kind"]["type"] == "state")
                .expect("a state change");
            state["kind"]["state"] = serde_json::json!(12);
        }),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(
            !violations(&validator, &bad).is_empty(),
            "the schema accepted a trace with {what}"
        );
    }
}

/// A decode error is a typed object in JSON, which the schema describes.
#[test]
fn decode_errors_match_the_schema() {
    let errors: Vec<DecodeError> = [
        &[1u8, 0][..],                        // truncated header
        &[1, 0, 0, 9, 3, 3][..],              // length mismatch
        &[11, 0, 0, 6, 0, 0, 3, 0, 0, 0][..], // an empty certificate entry
    ]
    .iter()
    .map(|bytes| decode_handshake(bytes, false).expect_err("malformed on purpose"))
    .collect();
    let kinds: Vec<Value> = errors
        .iter()
        .map(|e| serde_json::to_value(e).expect("serializes")["kind"].clone())
        .collect();
    assert_eq!(kinds, ["truncated", "length_mismatch", "malformed"]);
    let schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": schema()["$defs"].clone(),
        "$ref": "#/$defs/decode_error",
    });
    let validator = jsonschema::draft202012::new(&schema).expect("schema");
    for e in &errors {
        let json = serde_json::to_value(e).expect("serializes");
        assert_valid(&validator, &e.to_string(), &json);
        let back: DecodeError = serde_json::from_value(json).expect("deserializes");
        assert_eq!(&back, e);
    }
    assert!(
        !violations(&validator, &serde_json::json!("a string")).is_empty(),
        "a decode error as a plain string is not the layout"
    );
}

/// The fields a trace carries only sometimes: a server that refused a
/// renegotiation has `renegotiations_refused`, which the schema allows
/// (and which is left out of other traces).
#[test]
fn a_refused_renegotiation_matches_the_schema() {
    use common::diagnosis::{renegotiate, rsa, traced_client, traced_server};
    use std::io::Read;
    let server = server_ctx_with(rsa(), |b| {
        tls12(b, "ECDHE-RSA-AES128-GCM-SHA256");
        b.set_options(openssl::ssl::SslOptions::NO_RENEGOTIATION);
    });
    let (addr, server) = traced_server(&server);
    let client = client_ctx(|b| tls12(b, "ECDHE-RSA-AES128-GCM-SHA256"));
    let _ = traced_client(&client, addr, "localhost", |tls| {
        renegotiate(tls);
        let _ = tls.do_handshake();
        let _ = tls.read(&mut [0u8; 16]);
    });
    let trace = server.join().expect("server thread");
    let json: Value = serde_json::from_str(&trace.to_json()).expect("to_json is JSON");
    assert_eq!(json["renegotiations_refused"], 1, "{json:#}");
    assert_eq!(trace.handshakes_completed(), 1);
    assert_valid(&validator(), "a refused renegotiation", &json);
}

/// A message whose extensions break their format keeps its body and
/// names them in `extension_problems`, which the schema describes: a
/// server's trace of a ClientHello repeating an unknown extension (which
/// OpenSSL answers), and the malformed kind from the decoder.
#[test]
fn extension_problems_match_the_schema() {
    use common::diagnosis::{client_hello_bytes, rsa, server_trace_of_bytes};
    use common::hello::with_extension;
    let unknown = [0x12, 0x34, 0, 0];
    let hello = with_extension(&with_extension(&client_hello_bytes(), &unknown), &unknown);
    let trace = server_trace_of_bytes(&server_ctx_with(rsa(), |_| {}), &hello);
    let json: Value = serde_json::from_str(&trace.to_json()).expect("to_json is JSON");
    let validator = validator();
    assert_valid(&validator, "a hello with a repeated extension", &json);
    let events = json["events"].as_array().expect("events");
    let at = events
        .iter()
        .position(|e| e["kind"].get("extension_problems").is_some())
        .expect("a message with extension problems");
    let message = &events[at]["kind"];
    assert_eq!(
        message["extension_problems"],
        serde_json::json!([{"extension": 0x1234, "kind": "repeated"}])
    );
    assert!(message["body"]["ClientHello"].is_object(), "{message:#}");
    assert!(message["decode_error"].is_null(), "{message:#}");

    // An ALPN list of 3 bytes holding a name that says 5 (a default
    // client sends no ALPN).
    let lie = with_extension(&client_hello_bytes(), &[0, 16, 0, 5, 0, 3, 5, b'h', b'2']);
    let decoded = decode_handshake(&lie[5..], false).expect("decodes around the extension");
    let problems = serde_json::to_value(&decoded.extension_problems).expect("serializes");
    assert_eq!(problems[0]["kind"], "malformed", "{problems}");
    let mut with_malformed = json.clone();
    with_malformed["events"][at]["kind"]["extension_problems"] = problems;
    assert_valid(&validator, "a malformed extension", &with_malformed);

    // A pre_shared_key (41) before another extension: misplaced.
    let identity = [&[0, 16][..], &[0x49; 16], &[0, 0, 0, 1]].concat();
    let binders = [&[0, 33, 32][..], &[0x42; 32]].concat();
    let psk = [&[0, 41, 0, 59, 0, 22][..], &identity, &binders].concat();
    let misplaced = with_extension(&with_extension(&client_hello_bytes(), &psk), &unknown[..]);
    let decoded = decode_handshake(&misplaced[5..], false).expect("decodes");
    let problems = serde_json::to_value(&decoded.extension_problems).expect("serializes");
    assert_eq!(problems[0]["kind"], "misplaced", "{problems}");
    let mut with_misplaced = json.clone();
    with_misplaced["events"][at]["kind"]["extension_problems"] = problems;
    assert_valid(&validator, "a misplaced extension", &with_misplaced);

    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 3] = [
        ("an empty list", |p| *p = serde_json::json!([])),
        ("an unknown kind", |p| p[0]["kind"] = "teleport".into()),
        ("a malformed one without its reason", |p| {
            p[0] = serde_json::json!({"extension": 11, "kind": "malformed"});
        }),
    ];
    for (what, mutate) in mutations {
        let mut bad = with_malformed.clone();
        mutate(&mut bad["events"][at]["kind"]["extension_problems"]);
        assert!(
            !violations(&validator, &bad).is_empty(),
            "the schema accepted {what}"
        );
    }
}

/// The fields a decoded hello may carry beyond the fixtures' (a
/// HelloRetryRequest's cookie, a TLS 1.2 server's acknowledgement of
/// status_request, max_fragment_length), set on a fixture's ServerHello:
/// each is in the schema, with its type.
#[test]
fn optional_hello_fields_match_the_schema() {
    let validator = validator();
    let (name, mut json) = fixtures()
        .into_iter()
        .find(|(n, _)| n.contains("tls13-success-client"))
        .expect("the TLS 1.3 client fixture");
    let events = json["events"].as_array_mut().expect("events");
    let hello = events
        .iter_mut()
        .find_map(|e| e.pointer_mut("/kind/body/ServerHello"))
        .expect("a ServerHello in the fixture");
    hello["cookie_len"] = 120.into();
    hello["status_request_ack"] = true.into();
    hello["max_fragment_length"] = 2.into();
    assert_valid(&validator, &name, &json);
    let mut bad = json.clone();
    let events = bad["events"].as_array_mut().expect("events");
    let hello = events
        .iter_mut()
        .find_map(|e| e.pointer_mut("/kind/body/ServerHello"))
        .expect("a ServerHello");
    hello["cookie_len"] = "120".into();
    assert!(
        !violations(&validator, &bad).is_empty(),
        "the schema accepted a cookie_len that is no number"
    );
}
