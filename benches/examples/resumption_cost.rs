//! Runs TLS 1.2 session-id resumptions in memory, traced or not, for
//! counting instructions under callgrind, which (unlike a timer) gives the
//! same figure on a busy machine:
//!
//! ```text
//! cargo build --release -p benches --example resumption_cost
//! valgrind --tool=callgrind target/release/examples/resumption_cost traced 2000
//! valgrind --tool=callgrind target/release/examples/resumption_cost untraced 2000
//! ```
//!
//! `ci/cost-model.sh` runs both with the cache and branch simulation on
//! and prints what tracing adds per resumption.

use benches::config::{Config, Resumption};
use benches::workload::{HandshakeWorkload, Timing};
use benches::BenchError;
use testkit::pki::Pki;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let traced = match args.next().as_deref() {
        Some("traced") => true,
        Some("untraced") => false,
        _ => return Err("usage: resumption_cost traced|untraced [N] [session-id|ticket]".into()),
    };
    let n: u64 = args.next().map_or(Ok(1000), |a| a.parse())?;
    let kind = match args.next().as_deref() {
        Some("ticket") => Resumption::Tls12Ticket,
        _ => Resumption::Tls12SessionId,
    };
    let pki = Pki::generate()?;
    let mut workload = HandshakeWorkload::resumed(&pki, kind, Config::Default, traced)?;
    resume(&mut workload, n)?;
    println!("{n} {} resumptions, traced: {traced}", kind.name());
    Ok(())
}

/// The resumptions alone, out of line so that callgrind reports them
/// apart from making the PKI and the first, full handshake.
#[inline(never)]
fn resume(workload: &mut HandshakeWorkload, n: u64) -> Result<Timing, BenchError> {
    workload.run(n)
}
