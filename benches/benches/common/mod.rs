//! What the criterion benches share: the test PKI, made once per bench
//! binary, and the traced/untraced variants of a workload side by side.
// Each bench binary uses a part of it.
#![allow(dead_code)]

use std::sync::OnceLock;

use benches::config::Config;
use benches::workload::Timing;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId};
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

/// Benches the workload `run` makes for each configuration, untraced and
/// traced, as `<config>/<label>` in `group`; `run(config, traced)` returns
/// the closure that times `n` rounds.
pub fn every_config<R>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    mut run: impl FnMut(Config, bool) -> R,
) where
    R: FnMut(u64) -> Timing,
{
    for config in Config::ALL {
        for traced in [false, true] {
            let mut rounds = run(config, traced);
            group.bench_function(BenchmarkId::new(config.name(), label(traced)), |b| {
                b.iter_custom(|n| rounds(n).total())
            });
        }
    }
}
