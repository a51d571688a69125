//! Full handshakes per case, default against tuned, traced against
//! untraced: `handshake/<case>` groups the four side by side. Each sample
//! is the client's plus the server's time, as in `tls-harness bench`.
// A bench binary exports nothing, and criterion_group! makes an
// undocumented `pub fn benches`.
#![allow(missing_docs)]

use std::sync::OnceLock;

use benches::config::{Config, HANDSHAKES};
use benches::workload::HandshakeWorkload;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use testkit::pki::Pki;

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| Pki::generate().expect("test PKI"))
}

fn handshakes(c: &mut Criterion) {
    for case in &HANDSHAKES {
        let mut group = c.benchmark_group(format!("handshake/{}", case.name));
        for config in Config::ALL {
            for traced in [false, true] {
                let mut w = HandshakeWorkload::full(pki(), case, config, traced).expect("workload");
                let id =
                    BenchmarkId::new(config.name(), if traced { "traced" } else { "untraced" });
                group.bench_function(id, |b| {
                    b.iter_custom(|n| w.run(n).expect("handshakes").total())
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, handshakes);
criterion_main!(benches);
