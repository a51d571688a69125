//! Resumed handshakes (TLS 1.2 session id and ticket, TLS 1.3 PSK), each
//! checked to resume: `resumption/<kind>` groups default/tuned and
//! traced/untraced side by side.
// A bench binary exports nothing, and criterion_group! makes an
// undocumented `pub fn benches`.
#![allow(missing_docs)]

mod common;

use benches::config::Resumption;
use benches::workload::HandshakeWorkload;
use common::{every_config, pki};
use criterion::{criterion_group, criterion_main, Criterion};

fn resumptions(c: &mut Criterion) {
    for kind in Resumption::ALL {
        every_config(
            c,
            format!("resumption/{}", kind.name()),
            |config, traced| {
                let mut w =
                    HandshakeWorkload::resumed(pki(), kind, config, traced).expect("workload");
                move |n| w.run(n).expect("resumed handshakes")
            },
        );
    }
}

criterion_group!(benches, resumptions);
criterion_main!(benches);
