//! A recorder installed after the contexts were traced: the descriptions
//! the contexts gave went to no recorder, and `describe_metrics` gives
//! them again. Its own test binary, as the recorder is process-wide.
#![cfg(feature = "metrics")]

mod common;

use metrics_util::debugging::DebuggingRecorder;
use metrics_util::MetricKind;
use testkit::pki::KeyType;

use common::{client_ctx, connect, server_ctx};

#[test]
fn describe_metrics_reaches_a_recorder_installed_later() {
    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let client = client_ctx(|_| {});
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().expect("one global recorder");
    // The unit and description of the duration histogram, once counted.
    let histogram = || {
        connect(&server, &client, None);
        snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .find(|(key, ..)| {
                key.kind() == MetricKind::Histogram
                    && key.key().name() == "openssl_handshake_duration_seconds"
            })
            .map(|(_, unit, description, _)| (unit, description))
            .expect("the histogram was recorded")
    };
    let (unit, description) = histogram();
    assert_eq!(
        (unit, description),
        (None, None),
        "described before install"
    );
    openssl_handshake::describe_metrics();
    let (unit, description) = histogram();
    assert_eq!(unit, Some(metrics::Unit::Seconds));
    assert!(description.is_some_and(|d| d.contains("TLS handshakes took")));
}
