//! Full handshakes per case, default against tuned, traced against
//! untraced: `handshake/<case>` groups the four side by side. Each sample
//! is the client's plus the server's time, as in `tls-harness bench`.
// A bench binary exports nothing, and criterion_group! makes an
// undocumented `pub fn benches`.
#![allow(missing_docs)]

mod common;

use benches::config::HANDSHAKES;
use benches::workload::HandshakeWorkload;
use common::{every_config, pki};
use criterion::{criterion_group, criterion_main, Criterion};

fn handshakes(c: &mut Criterion) {
    for case in &HANDSHAKES {
        every_config(c, format!("handshake/{}", case.name), |config, traced| {
            let mut w = HandshakeWorkload::full(pki(), case, config, traced).expect("workload");
            move |n| w.run(n).expect("handshakes")
        });
    }
}

criterion_group!(benches, handshakes);
criterion_main!(benches);
