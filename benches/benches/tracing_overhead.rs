//! What tracing costs: the same workload traced (messages on) and
//! untraced, side by side in one group each. The groups match the
//! issue's targets: a full TLS 1.3 handshake, and 16 KiB bulk send and
//! receive with TLS 1.3 AES-128-GCM. Criterion runs one variant's
//! samples after the other's; `tls-harness bench` interleaves them.
// A bench binary exports nothing, and criterion_group! makes an
// undocumented `pub fn benches`.
#![allow(missing_docs)]

mod common;

use benches::config::{Config, BULK_SUITES, HANDSHAKES};
use benches::workload::{BulkContexts, HandshakeWorkload};
use common::{label, pki};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn overhead(c: &mut Criterion) {
    let case = HANDSHAKES
        .iter()
        .find(|c| c.name == "tls13-ecdsa-p256-x25519")
        .expect("case");
    let mut group = c.benchmark_group("tracing_overhead/tls13-handshake");
    for traced in [false, true] {
        let mut w =
            HandshakeWorkload::full(pki(), case, Config::Default, traced).expect("workload");
        group.bench_function(label(traced), |b| {
            b.iter_custom(|n| w.run(n).expect("handshakes").total())
        });
    }
    group.finish();

    let suite = BULK_SUITES
        .iter()
        .find(|s| s.name == "tls13-aes128gcm")
        .expect("suite");
    let size = 16 * 1024;
    for (side, send) in [("send", true), ("receive", false)] {
        let mut group = c.benchmark_group(format!("tracing_overhead/bulk-16KiB-{side}"));
        group.throughput(Throughput::Bytes(size as u64));
        for traced in [false, true] {
            let contexts =
                BulkContexts::new(pki(), suite, Config::Default, traced).expect("contexts");
            // A fresh connection per sample, its handshake outside the
            // timed calls: where one long-lived connection's buffers land
            // moves AES-GCM throughput by up to 10 %, which would be
            // measured as the cost of tracing (see runner.rs).
            group.bench_function(label(traced), |b| {
                b.iter_custom(|n| {
                    let mut w = contexts.connect(size).expect("connection");
                    w.run(n).expect("bulk").bulk_side(send)
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, overhead);
criterion_main!(benches);
