//! The `tracing` and `metrics` features: one event and one set of metrics
//! per finished handshake, with what the trace says, and one more when a
//! connection whose handshake succeeded fails on a fatal alert.
#![cfg(any(feature = "tracing", feature = "metrics"))]

mod common;

use openssl::ssl::{Ssl, SslContext, SslStream, SslVersion};
use openssl_handshake::{
    HandshakeTrace, ProtocolVersion, SslContextBuilderExt, SslRefExt, TraceOptions,
};
use testkit::duplex::DuplexStream;
use testkit::pki::{KeyType, Negative};

use common::{client_ctx, client_ssl, connect, diagnosis, pki, server_ctx, tool};

/// What the test binary's handshakes did, run once for all its tests.
struct Run {
    /// One successful TLS 1.3 handshake.
    ok: common::Pair,
    /// One successful TLS 1.2 handshake with DHE in ffdhe2048, a group
    /// OpenSSL does not name.
    dhe: common::Pair,
    /// One that fails on the server's untrusted certificate.
    bad: common::Pair,
    /// One whose server requires a certificate the client does not have:
    /// the client's side of that handshake succeeds, and the server's
    /// refusal reaches it after.
    refused: common::Pair,
    /// The last again, with `openssl s_server` refusing (the client's trace).
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    by_tool: HandshakeTrace,
    /// Whether both spans of a handshake in memory had closed while both
    /// of its `SSL`s were still alive (`None` without `tracing`).
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    spans_closed_at_end: Option<bool>,
}

fn handshakes() -> &'static Run {
    static RUN: std::sync::OnceLock<Run> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        install();
        let server = server_ctx(KeyType::EcdsaP256, |b| {
            b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
        });
        let ok = connect(&server, &client_ctx(|_| {}), None);
        let dhe_server = server_ctx(KeyType::Rsa2048, |b| {
            b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
            b.set_cipher_list("DHE-RSA-AES128-GCM-SHA256").unwrap();
            b.set_tmp_dh(&common::ffdhe2048()).unwrap();
        });
        let dhe = connect(&dhe_server, &client_ctx(|_| {}), None);
        let mut b =
            openssl::ssl::SslContext::builder(openssl::ssl::SslMethod::tls_server()).unwrap();
        pki()
            .negative(Negative::UntrustedRoot)
            .install(&mut b)
            .unwrap();
        b.trace_handshakes(TraceOptions::default()).unwrap();
        let bad = connect(&b.build(), &client_ctx(|_| {}), None);
        let demanding = server_ctx(KeyType::Rsa2048, |b| {
            diagnosis::tls13(b);
            diagnosis::require_client_cert(b);
        });
        let refused = diagnosis::pair(&demanding, &client_ctx(|_| {}), "localhost");
        let by_tool = refused_by_s_server();
        // The connections in memory: the server tags each in its
        // servername callback, after the handshake's span has opened.
        let tagging = server_ctx(KeyType::EcdsaP256, |b| {
            b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
            b.set_servername_callback(|ssl, _| {
                ssl.set_trace_tag(IN_MEMORY_SERVER)
                    .map_err(|_| openssl::ssl::SniError::ALERT_FATAL)
            });
        });
        let spans_closed_at_end = spans_closed_while_alive(&tagging);
        abandon_halfway(&tagging);
        Run {
            ok,
            dhe,
            bad,
            refused,
            by_tool,
            spans_closed_at_end,
        }
    })
}

/// A client without a certificate against `openssl s_server` requiring
/// one at TLS 1.3.
fn refused_by_s_server() -> HandshakeTrace {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = pki().write_pem(dir.path()).expect("PEM files");
    let args = [
        "-naccept",
        "1",
        "-tls1_3",
        "-Verify",
        "1",
        "-verify_return_error",
    ];
    let (child, _out, port) = tool::s_server(files.server(KeyType::Rsa2048), &args);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let trace = diagnosis::traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    child.finish();
    trace
}

type Ends = (SslStream<DuplexStream>, SslStream<DuplexStream>);

/// The tags of the connections made in memory; the others have none.
const IN_MEMORY_CLIENT: &str = "in-memory client";
const IN_MEMORY_SERVER: &str = "in-memory server";

/// A client and a server on `server` in memory, on this thread, each
/// having taken `steps` turns (or finished).
fn in_memory(server: &SslContext, steps: usize) -> Ends {
    let (c, s) = testkit::duplex::pair();
    let mut ssl = client_ssl(&client_ctx(|_| {}), "localhost");
    ssl.set_trace_tag(IN_MEMORY_CLIENT).expect("tag");
    let mut client = SslStream::new(ssl, c).expect("client stream");
    let mut server = SslStream::new(Ssl::new(server).expect("server ssl"), s).expect("stream");
    for _ in 0..steps {
        let done = [client.connect().is_ok(), server.accept().is_ok()];
        if done == [true, true] {
            break;
        }
    }
    (client, server)
}

/// A handshake that finishes while its connection lives on: its spans
/// must close with it, not with the connection.
fn spans_closed_while_alive(server: &SslContext) -> Option<bool> {
    let ends = in_memory(server, 10);
    assert!(ends.0.ssl().is_init_finished() && ends.1.ssl().is_init_finished());
    #[cfg(feature = "tracing")]
    let closed = Some(capture::last_parents_closed(2));
    #[cfg(not(feature = "tracing"))]
    let closed = None;
    drop(ends);
    closed
}

/// A connection dropped halfway, as a time-out drops it: the server has
/// written its flight and waits for the client's; no hook is set.
fn abandon_halfway(server: &SslContext) {
    let (client, server) = in_memory(server, 1);
    assert!(server.ssl().is_server() && !server.ssl().is_init_finished());
    drop((server, client));
}

fn install() {
    #[cfg(feature = "tracing")]
    capture::install();
    #[cfg(feature = "metrics")]
    metrics_capture::install();
}

fn suite(t: &HandshakeTrace) -> String {
    let n = t.negotiated.as_ref().expect("negotiated");
    n.cipher_iana.clone().unwrap_or_default()
}

#[cfg(feature = "tracing")]
#[path = "telemetry/capture.rs"]
mod capture;

#[cfg(feature = "tracing")]
#[test]
fn each_finished_handshake_is_one_tracing_event() {
    use tracing::Level;
    let Run {
        ok,
        dhe,
        bad,
        refused,
        by_tool,
        spans_closed_at_end,
    } = handshakes();
    let events = capture::EVENTS.lock().unwrap().clone();
    assert_eq!(
        events.len(),
        15,
        "four handshakes, two sides, and the refused client's failure after its handshake; \
         then that client's two against s_server; then two handshakes in memory, one \
         finished and one dropped halfway, two sides each: {events:#?}"
    );
    let find = |side: &str, outcome: &str| {
        events
            .iter()
            .find(|e| e.fields["side"] == side && e.fields["outcome"] == outcome)
            .unwrap_or_else(|| panic!("no {side} {outcome} event in {events:#?}"))
    };
    for (side, trace) in [("client", &ok.client), ("server", &ok.server)] {
        let e = find(side, "succeeded");
        assert_eq!(e.level, Level::INFO);
        assert_eq!(e.parent.as_deref(), Some("tls_handshake"));
        assert_eq!(
            e.fields["version"].parse::<ProtocolVersion>(),
            Ok(ProtocolVersion::Tls1_3)
        );
        assert_eq!(e.fields["suite"], suite(trace));
        assert_eq!(
            e.fields["group"],
            trace.negotiated.as_ref().unwrap().group.clone().unwrap()
        );
        let us: u128 = e.fields["duration_us"].parse().unwrap();
        assert_eq!(us, trace.duration.unwrap().as_micros());
        assert_eq!(e.fields["resumed"], "false");
        // The name the client asked for, on both sides.
        assert_eq!(e.fields["sni"], "localhost");
        // One type per field, whichever event carries it.
        for (field, kind) in [
            ("side", "str"),
            ("version", "str"),
            ("duration_us", "u64"),
            ("resumed", "bool"),
        ] {
            assert_eq!(e.kinds[field], kind, "{field}");
        }
    }
    // OpenSSL names no DHE group; the event has it from the
    // ServerKeyExchange, on both sides, as the traces do.
    for (side, trace) in [("client", &dhe.client), ("server", &dhe.server)] {
        let e = events
            .iter()
            .find(|e| e.fields["side"] == side && e.fields.get("suite") == Some(&suite(trace)))
            .unwrap_or_else(|| panic!("no {side} DHE event in {events:#?}"));
        assert_eq!(e.fields["group"], "ffdhe2048", "{side}");
        assert_eq!(
            trace.negotiated.as_ref().unwrap().group.as_deref(),
            Some("ffdhe2048")
        );
    }
    assert_eq!(
        *spans_closed_at_end,
        Some(true),
        "a handshake's span closes when it ends, not with its connection"
    );
    // The server's root is not the client's: both ends' diagnoses say so.
    // A client refusing the server's certificate reads it, so the client's
    // event has what was agreed; nothing is left empty.
    for side in ["client", "server"] {
        let e = events
            .iter()
            .find(|e| {
                e.fields["side"] == side
                    && e.fields.get("cause").map(String::as_str)
                        == Some("server_cert_untrusted_root")
            })
            .unwrap_or_else(|| panic!("no {side} untrusted-root event in {events:#?}"));
        assert_eq!(e.level, Level::WARN);
        assert_eq!(e.fields["outcome"], "failed");
        assert_eq!(e.kinds["reason"], "str");
        assert!(e.fields.values().all(|v| !v.is_empty()), "{e:#?}");
        // The event's text says the handshake failed; its reason goes on
        // from there rather than saying so again.
        let trace = if side == "client" {
            &bad.client
        } else {
            &bad.server
        };
        let failure = trace.failure().expect("failed");
        assert_eq!(e.fields["reason"], failure.detail().to_string());
        assert!(e.fields["reason"].starts_with("after \""), "{e:#?}");
        assert_eq!(
            format!("handshake failed {}", e.fields["reason"]),
            failure.to_string()
        );
    }
    assert!(bad.client.failure().is_some() && bad.server.failure().is_some());

    // Dropped halfway without a hook: both ends still report the failure.
    for side in ["client", "server"] {
        let n = events
            .iter()
            .filter(|e| {
                e.fields["side"] == side
                    && e.fields.get("cause").map(String::as_str) == Some("timed_out")
            })
            .count();
        assert_eq!(n, 1, "{side}: {events:#?}");
    }
    let client_abandoned = events
        .iter()
        .find(|e| {
            e.fields["side"] == "client"
                && e.fields.get("cause").map(String::as_str) == Some("timed_out")
        })
        .expect("found above");
    assert!(
        !client_abandoned.fields.contains_key("version"),
        "a client that never read a ServerHello agreed nothing: {client_abandoned:#?}"
    );

    // The connections in memory carry their tags, in the event and in its
    // span (the server's, set during the handshake, recorded on the span
    // as it ends); the others have none.
    let tagged: Vec<_> = events
        .iter()
        .filter(|e| e.fields.contains_key("tag"))
        .collect();
    assert_eq!(tagged.len(), 4, "two in memory, two sides: {tagged:#?}");
    for e in tagged {
        let want = match e.fields["side"].as_str() {
            "client" => IN_MEMORY_CLIENT,
            _ => IN_MEMORY_SERVER,
        };
        assert_eq!(e.fields["tag"], want, "{e:#?}");
        assert_eq!(e.kinds["tag"], "str");
        assert_eq!(e.parent_fields.get("tag").map(String::as_str), Some(want));
        // Once: tracing-subscriber's fmt shows a span's field as often as
        // it was given.
        assert_eq!(e.parent_tags_given, 1, "{e:#?}");
    }

    // The refused client: its handshake succeeded (one info event), then the
    // server's alert failed the connection (one warn event); the server's
    // handshake itself failed.
    assert!(refused.client.succeeded() && refused.server.failure().is_some());
    assert!(by_tool.succeeded(), "{by_tool:#?}");
    let succeeded = events
        .iter()
        .filter(|e| e.fields["side"] == "client" && e.fields["outcome"] == "succeeded")
        .count();
    assert_eq!(
        succeeded, 5,
        "the good handshake, the DHE one, the two refused ones, the one in memory"
    );
    let late: Vec<_> = events
        .iter()
        .filter(|e| e.fields["outcome"] == "failed_after_handshake")
        .collect();
    assert_eq!(late.len(), 2, "{events:#?}");
    for (e, trace) in late.iter().zip([&refused.client, by_tool]) {
        assert_eq!(e.fields["side"], "client");
        assert_eq!(e.level, Level::WARN);
        assert_eq!(
            e.parent, None,
            "the handshake's span has closed; the event goes to the current span"
        );
        assert_eq!(e.fields["cause"], "client_cert_required");
        assert_eq!(e.fields["alert"], "certificate_required");
        let diagnosis = trace.diagnosis().expect("diagnosed");
        // OpenSSL's words in `reason` (for the alert heard, those of its
        // error 0A00045C, as `openssl errstr` prints them), the
        // diagnosis's in `summary`, as in a `failed` event.
        assert_eq!(trace.late_alert_reason, None, "no alert was sent");
        assert_eq!(
            e.fields.get("reason").map(String::as_str),
            Some("tlsv13 alert certificate required"),
            "{e:#?}"
        );
        assert_eq!(e.fields["summary"], diagnosis.summary);
        assert_eq!(e.fields["fault"], diagnosis.fault.to_string());
        assert_eq!(e.kinds["side"], "str");
        assert_eq!(e.kinds["summary"], "str");
    }
    let refusing: Vec<_> = events
        .iter()
        .filter(|e| {
            e.fields["side"] == "server"
                && e.fields["outcome"] == "failed"
                && e.fields.get("cause").map(String::as_str) == Some("client_cert_required")
        })
        .collect();
    assert_eq!(refusing.len(), 1, "{events:#?}");
    let diagnosis = refused.server.diagnosis().expect("diagnosed");
    assert_eq!(refusing[0].fields["summary"], diagnosis.summary);
    assert_eq!(refusing[0].fields["fault"], "client");
}

#[cfg(feature = "metrics")]
mod metrics_capture {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
    use std::sync::OnceLock;

    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();

    pub fn install() {
        let recorder = DebuggingRecorder::new();
        SNAPSHOTTER.get_or_init(|| recorder.snapshotter());
        recorder.install().expect("one global recorder");
    }

    /// Sorted (key, value) label pairs.
    pub type Labels = Vec<(String, String)>;

    /// (metric name, labels, counter value or histogram count).
    pub fn metrics() -> Vec<(String, Labels, u64)> {
        let snapshot = SNAPSHOTTER.get().expect("installed").snapshot();
        snapshot
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let (_, key) = key.into_parts();
                let mut labels: Labels = key
                    .labels()
                    .map(|l| (l.key().to_owned(), l.value().to_owned()))
                    .collect();
                labels.sort();
                let n = match value {
                    DebugValue::Counter(n) => n,
                    DebugValue::Histogram(v) => v.len() as u64,
                    DebugValue::Gauge(_) => 0,
                };
                (key.name().to_owned(), labels, n)
            })
            .collect()
    }
}

#[cfg(feature = "metrics")]
#[test]
fn each_finished_handshake_is_counted() {
    let Run {
        ok,
        dhe,
        bad,
        refused,
        ..
    } = handshakes();
    let all = metrics_capture::metrics();
    let value = |name: &str, labels: &[(&str, &str)]| -> u64 {
        let mut want: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        want.sort();
        all.iter()
            .filter(|(n, l, _)| n == name && *l == want)
            .map(|(_, _, v)| *v)
            .sum()
    };
    // The refused client's handshake itself succeeded, with the same suite
    // as the good one.
    assert_eq!(suite(&refused.client), suite(&ok.client));
    // The good one, the refused client's two, the one in memory.
    for (side, succeeded) in [("client", 4), ("server", 2)] {
        let s = suite(&ok.client);
        let labels = [
            ("side", side),
            ("version", ProtocolVersion::Tls1_3.name()),
            ("suite", s.as_str()),
            ("resumed", "false"),
            ("outcome", "succeeded"),
        ];
        let n = value("openssl_handshake_total", &labels);
        assert_eq!(n, succeeded, "{side}: {all:#?}");
        // The TLS 1.2 DHE handshake is timed too.
        let d = [("side", side), ("outcome", "succeeded")];
        assert_eq!(
            value("openssl_handshake_duration_seconds", &d),
            succeeded + 1
        );
    }
    for side in ["client", "server"] {
        let s = suite(&dhe.client);
        let labels = [
            ("side", side),
            ("version", ProtocolVersion::Tls1_2.name()),
            ("suite", s.as_str()),
            ("resumed", "false"),
            ("outcome", "succeeded"),
        ];
        assert_eq!(value("openssl_handshake_total", &labels), 1, "{side}");
    }
    assert!(bad.client.failure().is_some());
    let failures = |side: &str, cause: &str| {
        value(
            "openssl_handshake_failures_total",
            &[("side", side), ("cause", cause)],
        )
    };
    for side in ["client", "server"] {
        let n = failures(side, "server_cert_untrusted_root");
        assert_eq!(n, 1, "{side}: {all:#?}");
        // Dropped halfway, with no hook set.
        assert_eq!(failures(side, "timed_out"), 1, "{side}: {all:#?}");
    }
    // The server's failed handshake; the client's two connections that
    // failed after their handshakes succeeded.
    for (side, n) in [("client", 2), ("server", 1)] {
        let have = failures(side, "client_cert_required");
        assert_eq!(have, n, "{side}: {all:#?}");
    }
    assert!(refused.client.succeeded() && refused.server.failure().is_some());
}
