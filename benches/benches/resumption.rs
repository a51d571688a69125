//! Resumed handshakes (TLS 1.2 session id and ticket, TLS 1.3 PSK), each
//! checked to resume: `resumption/<kind>` groups default/tuned and
//! traced/untraced side by side.
// A bench binary exports nothing, and criterion_group! makes an
// undocumented `pub fn benches`.
#![allow(missing_docs)]

use std::sync::OnceLock;

use benches::config::{Config, Resumption};
use benches::workload::HandshakeWorkload;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use testkit::pki::Pki;

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| Pki::generate().expect("test PKI"))
}

fn resumptions(c: &mut Criterion) {
    for kind in Resumption::ALL {
        let mut group = c.benchmark_group(format!("resumption/{}", kind.name()));
        for config in Config::ALL {
            for traced in [false, true] {
                let mut w =
                    HandshakeWorkload::resumed(pki(), kind, config, traced).expect("workload");
                let id =
                    BenchmarkId::new(config.name(), if traced { "traced" } else { "untraced" });
                group.bench_function(id, |b| {
                    b.iter_custom(|n| w.run(n).expect("resumed handshakes").total())
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, resumptions);
criterion_main!(benches);
