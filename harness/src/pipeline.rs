//! The matrix pipeline end to end: read the library, build the cases, ask
//! the oracle, filter and shard, run, and collect a [`Report`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use testkit::pki::Pki;

use crate::case::Case;
use crate::error::HarnessError;
use crate::library::Library;
use crate::matrix::{self, Filter};
use crate::oracle::Oracle;
use crate::oracle::{fit_to_pairing, linked_capabilities};
use crate::peer::botan::Botan;
use crate::peer::command::{Command, CommandSpec};
use crate::peer::external::PkiDir;
use crate::peer::gnutls::Gnutls;
use crate::peer::inproc::{expected_verify_error, Inproc};
use crate::peer::jsse::Jsse;
use crate::peer::openssl_cli::OpensslCli;
use crate::peer::rustls::Rustls;
use crate::peer::tlslite::Tlslite;
use crate::peer::{Peer, PeerKind};
use crate::report::{Report, Selection, Stopped, Summary, SCHEMA_VERSION};
use crate::run::{self, Pairing, Planned, RunOptions};
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
    /// Which cases the pairings with external peers run.
    pub external_scope: ExternalScope,
    /// The user's command peer (`--peer-cmd`), played as the `command` kind.
    pub command: Option<CommandSpec>,
    /// Where failed cases' pcapng files go (`--artifacts`).
    pub artifacts: Option<std::path::PathBuf>,
    /// Report a peer that cannot run here as unsupported cases rather than
    /// refusing to run: a CI job that names a peer must not pass without it.
    pub allow_unavailable_peers: bool,
}

/// Which cases the pairings with an external peer run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExternalScope {
    /// A representative slice, fast enough for every run (the cases
    /// `matrix::interop_subset` picks).
    #[default]
    Subset,
    /// Every case.
    Full,
}

/// The pairings a run makes from the peer kinds it was given: inproc with
/// inproc when inproc is named, then for each external kind the inproc
/// client against its server and its client against the inproc server.
pub fn pairings(peers: &[PeerKind]) -> Vec<Pairing> {
    let mut out = Vec::new();
    if peers.is_empty() || peers.contains(&PeerKind::Inproc) {
        out.push(Pairing::INPROC);
    }
    for &k in PeerKind::ALL.iter().filter(|k| k.is_external()) {
        if peers.contains(&k) {
            out.push(Pairing {
                client: PeerKind::Inproc,
                server: k,
            });
            out.push(Pairing {
                client: k,
                server: PeerKind::Inproc,
            });
        }
    }
    out
}

/// The matrix with expectations, before filtering: the library facts and
/// every case.
pub fn plan() -> Result<(Library, Vec<Case>), HarnessError> {
    let library = Library::probe()?;
    let verify = expected_verify_error;
    let cases = matrix::build(&library, &Oracle::new(&library, &verify));
    Ok((library, cases))
}

/// The matrix ready to run: the peers, and for each pairing its cases with
/// that pairing's expectations and skip reasons.
pub struct PlannedMatrix {
    /// The linked OpenSSL.
    pub library: Library,
    /// The peers of the run.
    pub peers: Vec<Arc<dyn Peer>>,
    /// Each pairing's peers and cases.
    pub pairings: Vec<PairingPlan>,
    /// The PKI files the external peers read; they live as long as this.
    _pki_dir: Option<Arc<PkiDir>>,
}

/// One pairing of a planned matrix.
pub struct PairingPlan {
    /// The client's peer.
    pub client: Arc<dyn Peer>,
    /// The server's peer.
    pub server: Arc<dyn Peer>,
    /// The cases, with this pairing's expectations and skip reasons.
    pub cases: Vec<Planned>,
}

/// Builds the peers and works out every pairing's expectations from their
/// declarations, without running anything.
pub fn plan_matrix(opts: &MatrixOptions) -> Result<PlannedMatrix, HarnessError> {
    let (library, cases) = plan()?;
    opts.filter.check(&cases, &library)?;
    let planned: Vec<Planned> = cases
        .into_iter()
        .enumerate()
        .filter(|(_, c)| {
            opts.shard
                .is_none_or(|(k, n)| matrix::shard_of(&c.id, n) == k)
        })
        .map(|(index, case)| Planned {
            index,
            skip: opts.filter.skip_reason(&case, &library),
            case,
        })
        .collect();
    // One PKI for the whole run: generating keys is the slow part. The
    // external peers read the same PKI from PEM files.
    let pki = Arc::new(Pki::generate()?);
    let pairings = pairings(&opts.peers);
    let pki_dir = if pairings
        .iter()
        .any(|p| p.client.is_external() || p.server.is_external())
    {
        // Kept beside the failures' captures, so that the command lines the
        // report gives for external peers can be run again.
        Some(Arc::new(PkiDir::write(&pki, opts.artifacts.as_deref())?))
    } else {
        None
    };
    let mut peers: Vec<Arc<dyn Peer>> = Vec::new();
    for kind in PeerKind::ALL {
        let wanted = pairings
            .iter()
            .any(|p| p.client == kind || p.server == kind);
        let peer: Arc<dyn Peer> = match (kind, &pki_dir) {
            _ if !wanted => continue,
            (PeerKind::Inproc, _) => Arc::new(Inproc::with_library(pki.clone(), &library)),
            (PeerKind::OpensslCli, Some(dir)) => Arc::new(OpensslCli::new(dir.clone())),
            (PeerKind::GnutlsCli, Some(dir)) => {
                // gnutls-serv's SRP files (srptool) only when a case needs them.
                let srp = planned
                    .iter()
                    .any(|p| p.skip.is_none() && p.case.client.srp.is_some());
                Arc::new(Gnutls::new(dir.clone(), library.suites.clone(), srp))
            }
            (PeerKind::Botan, Some(dir)) => {
                Arc::new(Botan::new(dir.clone(), library.suites.clone()))
            }
            (PeerKind::Command, Some(dir)) => match &opts.command {
                Some(spec) => Arc::new(Command::new(
                    spec,
                    dir.clone(),
                    linked_capabilities(&library),
                )),
                None => {
                    return Err(HarnessError::Usage(
                        "--peers command needs --peer-cmd NAME=TEMPLATE".into(),
                    ))
                }
            },
            (PeerKind::Tlslite, Some(dir)) => {
                Arc::new(Tlslite::new(dir.clone(), library.suites.clone()))
            }
            (PeerKind::Jsse, Some(dir)) => Arc::new(Jsse::new(dir.clone(), library.suites.clone())),
            (PeerKind::Rustls, _) => Arc::new(Rustls::new(pki.clone(), library.suites.clone())),
            // pki_dir exists whenever an external kind is wanted.
            (_, None) => continue,
        };
        peers.push(peer);
    }
    if !opts.allow_unavailable_peers {
        for p in &peers {
            if let Some(reason) = p.capabilities().unavailable() {
                let peer = match (p.kind(), &opts.command) {
                    (PeerKind::Command, Some(c)) => format!("--peer-cmd {}", c.name),
                    (kind, _) => format!("--peers {kind}"),
                };
                return Err(HarnessError::PeerUnavailable { peer, reason });
            }
        }
    }
    let find = |k: PeerKind| peers.iter().find(|p| p.kind() == k).cloned();
    let verify = expected_verify_error;
    let oracle = Oracle::new(&library, &verify);
    let mut out = Vec::new();
    for pairing in &pairings {
        let (Some(client), Some(server)) = (find(pairing.client), find(pairing.server)) else {
            continue;
        };
        let external = pairing.client.is_external() || pairing.server.is_external();
        let (client_caps, server_caps) = (client.capabilities(), server.capabilities());
        let this = Pairing {
            client: client.kind(),
            server: server.kind(),
        };
        let plan: Vec<Planned> = planned
            .iter()
            .map(|p| {
                let mut p = p.clone();
                p.case = fit_to_pairing(&p.case, &client_caps, &server_caps);
                p.case.expect = oracle.expect_between(&p.case, &client_caps, &server_caps);
                let named = opts.filter.cases.is_some();
                if p.skip.is_none() && !opts.filter.wants_result(&this.result_id(&p.case.id)) {
                    p.skip = Some("left out by --case (another pairing)".into());
                }
                if external
                    && p.skip.is_none()
                    && !named
                    && opts.external_scope == ExternalScope::Subset
                    && !matrix::interop_subset(&p.case, &library)
                {
                    p.skip = Some(
                        "outside the interop subset that external pairings run (--external-scope full runs every case)".into(),
                    );
                }
                p
            })
            .collect();
        out.push(PairingPlan {
            client,
            server,
            cases: plan,
        });
    }
    // A --case whose pairing is not in this run would run nothing. A
    // shard holds some cases only, so only a whole run can tell.
    let whole = opts.shard.is_none();
    for id in opts.filter.cases.iter().flatten().filter(|_| whole) {
        let played = out.iter().any(|p| {
            let this = Pairing {
                client: p.client.kind(),
                server: p.server.kind(),
            };
            p.cases.iter().any(|c| this.result_id(&c.case.id) == *id)
        });
        if let Some(case) = id.strip_suffix("@inproc>inproc").filter(|_| !played) {
            return Err(HarnessError::Usage(format!(
                "--case {id}: the in-process pair's results carry no @ part; give --case {case}"
            )));
        }
        if !played {
            return Err(HarnessError::Usage(format!(
                "--case {id}: no pairing of this run plays it; name its peers in --peers \
                 (the part after @ is client>server; no @ is inproc with inproc)"
            )));
        }
    }
    Ok(PlannedMatrix {
        library,
        peers,
        pairings: out,
        _pki_dir: pki_dir,
    })
}

/// Runs the matrix and returns its report.
pub fn run_matrix(opts: &MatrixOptions) -> Result<Report, HarnessError> {
    let start = Instant::now();
    let m = plan_matrix(opts)?;
    // From here a signal stops the run with a report (when the program
    // handles signals: `interrupt::install`). Before, nothing has run, and
    // one that cut a peer's version check short must not read as that
    // peer's fault: it ends the program at once.
    crate::interrupt::stop_gently();
    let run_opts = RunOptions {
        transport: opts.transport,
        jobs: opts.jobs,
        io_timeout: opts.io_timeout,
        progress: opts.progress,
        artifacts: opts.artifacts.clone(),
    };
    let mut results = Vec::new();
    let mut left_out = 0;
    for p in &m.pairings {
        left_out += p.cases.iter().filter(|c| c.skip.is_some()).count();
        results.extend(run::run(
            p.cases.clone(),
            p.client.clone(),
            p.server.clone(),
            &run_opts,
        ));
    }
    let (library, peers) = (&m.library, &m.peers);
    // Matrix order, each case's pairings together: the order `merge` restores.
    results.sort_by(|a, b| a.index.cmp(&b.index).then_with(|| a.id.cmp(&b.id)));
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: "tls-harness".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        openssl: library.version_text.clone(),
        peers: peers.iter().map(|p| p.describe()).collect(),
        transport: match opts.transport {
            Transport::Tcp => "tcp".into(),
            Transport::Memory => "memory".into(),
        },
        jobs: opts.jobs,
        shard: opts.shard.map(|(k, n)| [k, n]),
        selection: Some(Selection {
            filter: opts.filter.clone(),
            external_scope: match opts.external_scope {
                ExternalScope::Subset => "subset".into(),
                ExternalScope::Full => "full".into(),
            },
            timeout_ms: u64::try_from(opts.io_timeout.as_millis()).unwrap_or(u64::MAX),
        }),
        wall_ms: 0.0,
        summary: Summary::default(),
        results,
        stopped: None,
    };
    report.recount();
    // What a signal left without a result is skipped beyond the filters'.
    report.stopped = crate::interrupt::received().map(|signal| Stopped {
        signal: signal.into(),
        cases_left: report.summary.skipped.saturating_sub(left_out),
    });
    report.wall_ms = start.elapsed().as_secs_f64() * 1e3;
    Ok(report)
}
