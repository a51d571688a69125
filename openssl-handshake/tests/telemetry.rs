//! The `tracing` and `metrics` features: one event and one set of metrics
//! per finished handshake, with what the trace says, and one more when a
//! connection whose handshake succeeded fails on a fatal alert.
#![cfg(any(feature = "tracing", feature = "metrics"))]

mod common;

use openssl::ssl::SslVersion;
use openssl_handshake::{HandshakeTrace, ProtocolVersion, SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Negative};

use common::{client_ctx, connect, diagnosis, pki, server_ctx, tool};

/// One successful TLS 1.3 handshake, one that fails on the server's
/// untrusted certificate, and one whose server requires a certificate the
/// client does not have: the client's side of that handshake succeeds, and
/// the server's refusal reaches it after. Then the last again, with
/// `openssl s_server` refusing (the client's trace). Run once for the whole
/// test binary.
fn handshakes() -> &'static (common::Pair, common::Pair, common::Pair, HandshakeTrace) {
    type Run = (common::Pair, common::Pair, common::Pair, HandshakeTrace);
    static RUN: std::sync::OnceLock<Run> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        install();
        let server = server_ctx(KeyType::EcdsaP256, |b| {
            b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
        });
        let ok = connect(&server, &client_ctx(|_| {}), None);
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
        (ok, bad, refused, refused_by_s_server())
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
mod capture {
    //! A subscriber that keeps every event of target "openssl_handshake".
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    #[derive(Debug, Clone)]
    pub struct Seen {
        pub level: Level,
        pub fields: BTreeMap<String, String>,
        pub parent: Option<String>,
    }

    pub static EVENTS: Mutex<Vec<Seen>> = Mutex::new(Vec::new());
    static SPANS: Mutex<BTreeMap<u64, String>> = Mutex::new(BTreeMap::new());
    static NEXT: AtomicU64 = AtomicU64::new(1);

    struct Capture;

    struct Fields(BTreeMap<String, String>);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0.insert(
                field.name().to_owned(),
                format!("{value:?}").trim_matches('"').to_owned(),
            );
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_owned(), value.to_owned());
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, m: &Metadata<'_>) -> bool {
            m.target() == "openssl_handshake"
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let id = NEXT.fetch_add(1, Ordering::Relaxed);
            SPANS
                .lock()
                .unwrap()
                .insert(id, span.metadata().name().to_owned());
            Id::from_u64(id)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut fields = Fields(BTreeMap::new());
            event.record(&mut fields);
            let parent = event
                .parent()
                .and_then(|id| SPANS.lock().unwrap().get(&id.into_u64()).cloned());
            EVENTS.lock().unwrap().push(Seen {
                level: *event.metadata().level(),
                fields: fields.0,
                parent,
            });
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    pub fn install() {
        tracing::subscriber::set_global_default(Capture).expect("one global subscriber");
    }
}

#[cfg(feature = "tracing")]
#[test]
fn each_finished_handshake_is_one_tracing_event() {
    use tracing::Level;
    let (ok, bad, refused, by_tool) = handshakes();
    let events = capture::EVENTS.lock().unwrap().clone();
    assert_eq!(
        events.len(),
        9,
        "three handshakes, two sides, and the refused client's failure after its handshake; \
         then that client's two against s_server: {events:#?}"
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
    }
    // The server's root is not the client's: both ends' diagnoses say so.
    for side in ["client", "server"] {
        let e = find(side, "failed");
        assert_eq!(e.level, Level::WARN);
        assert_eq!(e.fields["cause"], "server_cert_untrusted_root", "{side}");
    }
    assert!(bad.client.failure().is_some() && bad.server.failure().is_some());

    // The refused client: its handshake succeeded (one info event), then the
    // server's alert failed the connection (one warn event); the server's
    // handshake itself failed.
    assert!(refused.client.succeeded() && refused.server.failure().is_some());
    let client = |outcome: &str| {
        let n = events
            .iter()
            .filter(|e| e.fields["side"] == "client" && e.fields["outcome"] == outcome)
            .count();
        (n, find("client", outcome))
    };
    assert!(by_tool.succeeded(), "{by_tool:#?}");
    let (n, _) = client("succeeded");
    assert_eq!(n, 3, "the good handshake and the two refused ones");
    let late: Vec<_> = events
        .iter()
        .filter(|e| e.fields["outcome"] == "failed_after_handshake")
        .collect();
    assert_eq!(late.len(), 2, "{events:#?}");
    for (e, trace) in late.iter().zip([&refused.client, by_tool]) {
        assert_eq!(e.fields["side"], "client");
        assert_eq!(e.level, Level::WARN);
        assert_eq!(e.parent.as_deref(), Some("tls_handshake"));
        assert_eq!(e.fields["cause"], "client_cert_required");
        assert_eq!(e.fields["alert"], "certificate_required");
        let diagnosis = trace.diagnosis().expect("diagnosed");
        assert_eq!(e.fields["reason"], diagnosis.summary);
    }
    let refusing = events.iter().filter(|e| {
        e.fields["side"] == "server"
            && e.fields["outcome"] == "failed"
            && e.fields["cause"] == "client_cert_required"
    });
    assert_eq!(refusing.count(), 1, "{events:#?}");
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
    let (ok, bad, refused, _) = handshakes();
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
    for (side, succeeded) in [("client", 3), ("server", 1)] {
        let s = suite(&ok.client);
        let labels = [
            ("side", side),
            ("version", ProtocolVersion::Tls1_3.name()),
            ("suite", s.as_str()),
            ("outcome", "succeeded"),
        ];
        let n = value("openssl_handshake_total", &labels);
        assert_eq!(n, succeeded, "{side}: {all:#?}");
        let d = [("side", side), ("outcome", "succeeded")];
        assert_eq!(value("openssl_handshake_duration_seconds", &d), succeeded);
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
    }
    // The server's failed handshake; the client's two connections that
    // failed after their handshakes succeeded.
    for (side, n) in [("client", 2), ("server", 1)] {
        let have = failures(side, "client_cert_required");
        assert_eq!(have, n, "{side}: {all:#?}");
    }
    assert!(refused.client.succeeded() && refused.server.failure().is_some());
}
