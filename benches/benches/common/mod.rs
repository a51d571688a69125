//! What the criterion benches share: the test PKI, made once per bench
//! binary, and the traced/untraced variants of a workload side by side.
// Each bench binary uses a part of it.
#![allow(dead_code)]

use std::sync::OnceLock;

use benches::config::Config;
use benches::workload::Timing;
use criterion::{BenchmarkId, Criterion};
use testkit::pki::Pki;

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| Pki::generate().expect("test PKI"))
}

/// The name of a traced or untraced variant.
pub fn label(traced: bool) -> &'static str {
    if traced {
        "traced"
    } else {
        "untraced"
    }
}

/// The group `name`: the workload `run` makes for each configuration,
/// untraced and traced, as `<config>/<label>`; `run(config, traced)`
/// returns the closure that times `n` rounds.
pub fn every_config<R>(c: &mut Criterion, name: String, mut run: impl FnMut(Config, bool) -> R)
where
    R: FnMut(u64) -> Timing,
{
    let mut group = c.benchmark_group(name);
    for config in Config::ALL {
        for traced in [false, true] {
            let mut rounds = run(config, traced);
            group.bench_function(BenchmarkId::new(config.name(), label(traced)), |b| {
                b.iter_custom(|n| rounds(n).total())
            });
        }
    }
    group.finish();
}
