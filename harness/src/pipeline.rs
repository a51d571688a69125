//! The matrix pipeline end to end: read the library, build the cases, ask
//! the oracle, filter and shard, run, and collect a [`Report`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl_handshake::pki::Pki;

use crate::case::Case;
use crate::error::HarnessError;
use crate::library::Library;
use crate::matrix::{self, Filter};
use crate::oracle::Oracle;
use crate::peer::inproc::{expected_verify_error, Inproc};
use crate::peer::{Peer, PeerKind};
use crate::report::{Report, Summary, SCHEMA_VERSION};
use crate::run::{self, Planned, RunOptions};
use crate::transport::Transport;

/// Everything `tls-harness matrix` can be told.
#[derive(Debug, Clone)]
pub struct MatrixOptions {
    /// Which cases run; the rest are skipped.
    pub filter: Filter,
    /// Peer kinds to pair.
    pub peers: Vec<PeerKind>,
    /// TCP or memory.
    pub transport: Transport,
    /// Cases at once.
    pub jobs: usize,
    /// `(k, n)`: run only shard k of n.
    pub shard: Option<(u32, u32)>,
    /// Per-operation time-out.
    pub io_timeout: Duration,
    /// Show a progress bar.
    pub progress: bool,
}

/// The matrix with expectations, before filtering: the library facts and
/// every case.
pub fn plan() -> Result<(Library, Vec<Case>), HarnessError> {
    let library = Library::probe()?;
    let verify = expected_verify_error;
    let cases = matrix::build(&library, &Oracle::new(&library, &verify));
    Ok((library, cases))
}

/// Runs the matrix and returns its report.
pub fn run_matrix(opts: &MatrixOptions) -> Result<Report, HarnessError> {
    let start = Instant::now();
    let (library, cases) = plan()?;
    let planned: Vec<Planned> = cases
        .into_iter()
        .enumerate()
        .filter(|(_, c)| {
            opts.shard
                .map_or(true, |(k, n)| matrix::shard_of(&c.id, n) == k)
        })
        .map(|(index, case)| Planned {
            index,
            skip: opts.filter.skip_reason(&case, &library),
            case,
        })
        .collect();
    // One PKI for the whole run: generating keys is the slow part.
    let pki = Arc::new(Pki::generate().map_err(|e| HarnessError::Pki(e.to_string()))?);
    let peer: Arc<dyn Peer> = match opts.peers.first().copied().unwrap_or(PeerKind::Inproc) {
        PeerKind::Inproc => Arc::new(Inproc::new(pki)),
    };
    let run_opts = RunOptions {
        transport: opts.transport,
        jobs: opts.jobs,
        io_timeout: opts.io_timeout,
        progress: opts.progress,
    };
    let results = run::run(planned, peer.clone(), peer.clone(), &run_opts);
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: "tls-harness".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        openssl: library.version_text.clone(),
        peers: vec![peer.describe()],
        transport: match opts.transport {
            Transport::Tcp => "tcp".into(),
            Transport::Memory => "memory".into(),
        },
        jobs: opts.jobs,
        shard: opts.shard.map(|(k, n)| [k, n]),
        wall_ms: 0.0,
        summary: Summary::default(),
        results,
    };
    report.recount();
    report.wall_ms = start.elapsed().as_secs_f64() * 1e3;
    Ok(report)
}
