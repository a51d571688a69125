//! Bulk transfer, untraced, default configuration: `bulk/send/<size>`
//! and `bulk/receive/<size>` put every suite side by side, with
//! criterion's throughput in bytes. The raw AEAD limit of each cipher is
//! in `bulk/raw-aead/encrypt` and `bulk/raw-aead/decrypt`.
// A bench binary exports nothing, and criterion_group! makes an
// undocumented `pub fn benches`.
#![allow(missing_docs)]

mod common;

use benches::config::{Cipher, Config, BULK_SIZES, BULK_SUITES};
use benches::limit::{self, Sealer};
use benches::workload::BulkContexts;
use common::pki;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn bulk(c: &mut Criterion) {
    for size in BULK_SIZES {
        for (side, send) in [("send", true), ("receive", false)] {
            let mut group = c.benchmark_group(format!("bulk/{side}/{size}"));
            group.throughput(Throughput::Bytes(size as u64));
            for suite in &BULK_SUITES {
                let contexts =
                    BulkContexts::new(pki(), suite, Config::Default, false).expect("contexts");
                // A fresh connection per sample, as in tracing_overhead.rs:
                // one long-lived connection would measure where its buffers
                // landed as much as the suite.
                group.bench_function(BenchmarkId::from_parameter(suite.name), |b| {
                    b.iter_custom(|n| {
                        let mut w = contexts.connect(size).expect("connection");
                        w.run(n).expect("bulk").bulk_side(send)
                    })
                });
            }
            group.finish();
        }
    }
    let ciphers = [
        Cipher::Aes128Gcm,
        Cipher::Aes256Gcm,
        Cipher::Chacha20Poly1305,
        Cipher::Aes128CbcSha1,
    ];
    for (side, encrypt) in [("encrypt", true), ("decrypt", false)] {
        let mut group = c.benchmark_group(format!("bulk/raw-aead/{side}"));
        group.throughput(Throughput::Bytes(limit::RECORD as u64));
        for cipher in ciphers {
            let mut s = Sealer::new(cipher).expect("cipher");
            group.bench_function(BenchmarkId::from_parameter(format!("{cipher:?}")), |b| {
                b.iter(|| if encrypt { s.seal() } else { s.open() }.expect("record"))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bulk);
criterion_main!(benches);
