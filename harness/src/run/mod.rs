//! Runs cases: each on a client and a server thread joined by a fresh
//! transport, `jobs` cases at a time, every one under a time-out. Then
//! judges what happened against the oracle's expectation.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openssl_handshake::{Cause, Diagnosis, ProtocolVersion};
use serde::{Deserialize, Serialize};

use crate::artifacts;
use crate::case::{Case, Expectation, Role};
use crate::peer::{Peer, PeerKind, ServerControl, SideOutcome};
use crate::settings::Secs;
use crate::transport::{ClientGone, Dialer, Tap, Transport};

mod verdict;

pub use verdict::judge;
use verdict::observe;

/// The result of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The outcome matched the expectation.
    Pass,
    /// It did not.
    Fail,
    /// The library or a peer lacks something the case needs.
    Unsupported,
    /// A filter left the case out.
    Skipped,
}

impl Status {
    /// "pass", "fail", "unsupported", "skipped".
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unsupported => "unsupported",
            Status::Skipped => "skipped",
        }
    }
}

/// What a successful handshake settled on, as the client saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// Negotiated version; in JSON, OpenSSL's name.
    pub version: Option<ProtocolVersion>,
    /// Negotiated suite, OpenSSL's name.
    pub suite: Option<String>,
    /// Key-exchange group.
    pub group: Option<String>,
    /// The server's signature scheme: as the client read it, or, with an
    /// external client, as the in-process server's trace shows it written.
    /// `None` when the server did not sign (a resumption, a PSK, SRP or
    /// anonymous suite) or, with an external client, when its signature
    /// names no scheme (TLS 1.0 and 1.1).
    pub signature: Option<String>,
    /// ALPN protocol.
    pub alpn: Option<String>,
    /// The SNI name the server saw: from the in-process server's trace,
    /// or as an external server reports it. `None` when it saw none, or
    /// when an external server that does not say (Botan, a command) ran.
    pub sni: Option<String>,
    /// How the last connection resumed, when it did.
    pub resumed: Option<String>,
    /// The client's first handshake, in milliseconds; `None` when the
    /// client is an external peer, which the harness does not time.
    pub handshake_ms: Option<f64>,
    /// How the handshake ended when it failed: alert, verify error.
    pub failure: Option<String>,
}

/// Which implementation played each side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pairing {
    /// The client's implementation.
    pub client: PeerKind,
    /// The server's implementation.
    pub server: PeerKind,
}

impl Pairing {
    /// Both sides in-process: the default matrix.
    pub const INPROC: Pairing = Pairing {
        client: PeerKind::Inproc,
        server: PeerKind::Inproc,
    };

    /// The result id of `case_id` in this pairing: the case id itself for
    /// inproc with inproc, else with `@client>server` appended, so every
    /// result of a multi-peer run has its own stable id.
    pub fn result_id(self, case_id: &str) -> String {
        if self == Pairing::INPROC {
            case_id.to_string()
        } else {
            format!("{case_id}@{}>{}", self.client, self.server)
        }
    }
}

impl std::fmt::Display for Pairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} client → {} server", self.client, self.server)
    }
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// The result's stable id: the case id, with `@client>server` appended
    /// when a side is not in-process.
    pub id: String,
    /// The implementations that played the client and the server.
    #[serde(default)]
    pub pairing: Pairing,
    /// Position in the full matrix, so shards merge back in order.
    pub index: usize,
    /// pass, fail, unsupported or skipped.
    pub status: Status,
    /// Why, for every status but pass.
    pub reason: Option<String>,
    /// The case, with its configs and expectation.
    pub case: Case,
    /// What happened, for cases that ran.
    pub observed: Option<Observed>,
    /// Wall time of the case, in milliseconds.
    pub elapsed_ms: f64,
    /// Both sides' outcomes and traces, kept for failures only.
    pub sides: Option<Sides>,
    /// Why the handshake failed, from the traced side with the most
    /// specific evidence; failures only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    /// The pcapng file of a failed case's connections (`--artifacts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<PathBuf>,
    /// Why a failed case has no such file although `--artifacts` asked
    /// for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_note: Option<String>,
}

/// Both sides of a failed case, one entry per connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sides {
    /// The client's connections.
    pub client: Vec<SideOutcome>,
    /// The server's connections.
    pub server: Vec<SideOutcome>,
}

impl Sides {
    /// Whether a side never got as far as a connection (see
    /// [`SideOutcome::setup_failed`](crate::peer::SideOutcome::setup_failed)).
    pub fn setup_failed(&self) -> bool {
        self.client
            .iter()
            .chain(&self.server)
            .any(|o| o.setup_failed)
    }

    /// The diagnosis of the traced connection with the most specific
    /// cause; the server's first on a tie, as it sees the client's offer
    /// against its own configuration.
    pub fn diagnosis(&self) -> Option<Diagnosis> {
        self.server
            .iter()
            .chain(&self.client)
            .filter_map(|o| o.trace.as_ref()?.diagnosis())
            .enumerate()
            .max_by_key(|(i, d)| (specificity(d.cause), std::cmp::Reverse(*i)))
            .map(|(_, d)| d)
    }
}

/// Causes that only say how the connection ended rank below those that
/// name what was wrong.
fn specificity(cause: Cause) -> u8 {
    match cause {
        Cause::Unknown => 0,
        Cause::PeerClosed | Cause::ClosedBeforeHello | Cause::TimedOut => 1,
        Cause::HelloRefused | Cause::UnexpectedMessage => 2,
        _ => 3,
    }
}

/// One case to run, with the filter's verdict.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Position in the full matrix.
    pub index: usize,
    /// The case.
    pub case: Case,
    /// `Some(reason)` when a filter left it out.
    pub skip: Option<String>,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// TCP or memory.
    pub transport: Transport,
    /// Cases run at the same time.
    pub jobs: usize,
    /// The limit on each read, write and accept; a case as a whole gets
    /// a few of these.
    pub io_timeout: Duration,
    /// Show a progress bar.
    pub progress: bool,
    /// Where failed cases' pcapng files go; connections are only
    /// recorded when this is set.
    pub artifacts: Option<PathBuf>,
}

/// Runs the planned cases with `client` and `server` peers, in parallel,
/// and returns the results in plan order.
pub fn run(
    plan: Vec<Planned>,
    client: Arc<dyn Peer>,
    server: Arc<dyn Peer>,
    opts: &RunOptions,
) -> Vec<CaseResult> {
    let total = plan.len();
    let bar = progress_bar(
        opts.progress,
        plan.iter().filter(|p| p.skip.is_none()).count(),
    );
    let plan = Arc::new(plan);
    let next = Arc::new(AtomicUsize::new(0));
    let results: Arc<Mutex<Vec<Option<CaseResult>>>> = Arc::new(Mutex::new(vec![None; total]));
    let jobs = opts.jobs.clamp(1, total.max(1));
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let (plan, next, results) = (plan.clone(), next.clone(), results.clone());
            let (client, server, opts, bar) =
                (client.clone(), server.clone(), opts.clone(), bar.clone());
            std::thread::spawn(move || loop {
                // A stopped run starts no more cases; they are reported below.
                if crate::interrupt::received().is_some() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = plan.get(i) else { break };
                let r = stopped_while_running(run_one(p, &client, &server, &opts));
                if let Some(bar) = &bar {
                    if p.skip.is_none() {
                        bar.set_message(p.case.id.clone());
                        bar.inc(1);
                    }
                }
                lock(&results)[i] = Some(r);
            })
        })
        .collect();
    for w in workers {
        // A worker only panics on a harness bug; its cases are then
        // reported below as failed rather than lost.
        let _ = w.join();
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let slots = std::mem::take(&mut *lock(&results));
    slots
        .into_iter()
        .zip(plan.iter())
        .map(|(r, p)| {
            let pairing = pairing_of(client.as_ref(), server.as_ref());
            r.or_else(|| decided(p, pairing)).unwrap_or_else(|| {
                match crate::interrupt::received() {
                    Some(signal) => unobserved(
                        p,
                        pairing,
                        Status::Skipped,
                        Some(format!("not run: {signal} stopped the run first")),
                    ),
                    None => unobserved(
                        p,
                        pairing_of(client.as_ref(), server.as_ref()),
                        Status::Fail,
                        Some(
                            "the harness crashed while running this case; run it alone to see why"
                                .into(),
                        ),
                    ),
                }
            })
        })
        .collect()
}

/// A failure that ended after a signal: the signal killed the peers'
/// processes and cut the wait for the sides short, so the case's own
/// result is not known.
fn stopped_while_running(mut r: CaseResult) -> CaseResult {
    if let (Some(signal), Status::Fail) = (crate::interrupt::received(), r.status) {
        r.status = Status::Skipped;
        r.reason = Some(format!(
            "not known: {signal} stopped the run while this case ran"
        ));
    }
    r
}

/// The result of `p` before anything of it is observed.
fn unobserved(p: &Planned, pairing: Pairing, status: Status, reason: Option<String>) -> CaseResult {
    CaseResult {
        id: pairing.result_id(&p.case.id),
        pairing,
        index: p.index,
        status,
        reason,
        case: p.case.clone(),
        observed: None,
        elapsed_ms: 0.0,
        sides: None,
        diagnosis: None,
        artifact: None,
        artifact_note: None,
    }
}

fn pairing_of(client: &dyn Peer, server: &dyn Peer) -> Pairing {
    Pairing {
        client: client.kind(),
        server: server.kind(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Results are written whole, so a poisoned lock still holds whole results.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn progress_bar(wanted: bool, len: usize) -> Option<indicatif::ProgressBar> {
    if !wanted {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {wide_msg}")
    {
        bar.set_style(style);
    }
    Some(bar)
}

/// Runs one planned case.
pub fn run_one(
    p: &Planned,
    client: &Arc<dyn Peer>,
    server: &Arc<dyn Peer>,
    opts: &RunOptions,
) -> CaseResult {
    let case = &p.case;
    let pairing = pairing_of(client.as_ref(), server.as_ref());
    if let Some(result) = decided(p, pairing) {
        return result;
    }
    let mut result = unobserved(p, pairing, Status::Skipped, None);
    let recorded = opts
        .artifacts
        .as_ref()
        .and_then(|_| artifacts::recorded_side(pairing))
        .map(|role| (role, Tap::default()));
    let start = Instant::now();
    let (client_out, server_out) = pair(
        case,
        client.clone(),
        server.clone(),
        opts,
        recorded.as_ref().map(|(r, t)| (*r, t)),
    );
    result.elapsed_ms = start.elapsed().as_secs_f64() * 1e3;
    result.observed = Some(observe(&client_out, &server_out));
    match judge(case, &client_out, &server_out) {
        Ok(()) => result.status = Status::Pass,
        Err(reason) => {
            result.status = Status::Fail;
            result.reason = Some(reason);
            let sides = Sides {
                client: client_out,
                server: server_out,
            };
            result.diagnosis = sides.diagnosis();
            result.sides = Some(sides);
            if let Some(dir) = &opts.artifacts {
                artifacts::save(&mut result, dir, recorded.as_ref().map(|(_, t)| t));
            }
        }
    }
    result
}

/// The result of a case that does not run: left out by a filter, or one
/// its peers cannot play.
fn decided(p: &Planned, pairing: Pairing) -> Option<CaseResult> {
    if p.skip.is_some() {
        return Some(unobserved(p, pairing, Status::Skipped, p.skip.clone()));
    }
    match &p.case.expect {
        Expectation::Unsupported { reason } => Some(unobserved(
            p,
            pairing,
            Status::Unsupported,
            Some(reason.clone()),
        )),
        _ => None,
    }
}

/// Side threads still running, cases' and those left behind by one.
static SIDES_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Runs one side of a case on a thread of its own, counted in
/// [`SIDES_RUNNING`] until it ends, however it ends.
fn side_thread(f: impl FnOnce() + Send + 'static) {
    struct Running;
    impl Drop for Running {
        fn drop(&mut self) {
            SIDES_RUNNING.fetch_sub(1, Ordering::SeqCst);
        }
    }
    SIDES_RUNNING.fetch_add(1, Ordering::SeqCst);
    let running = Running;
    std::thread::spawn(move || {
        let _running = running;
        f();
    });
}

/// Waits, at most `limit`, for the side threads a run left behind (see
/// `pair`) to end, so that what they hold (the test PKI's directory) is
/// freed. Call it once the run is over and their peers' processes are
/// killed ([`crate::peer::process::kill_live_groups`]); returns whether
/// they all ended.
pub fn wait_for_sides(limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while SIDES_RUNNING.load(Ordering::SeqCst) > 0 {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// How a side the case's own deadline ended is described, after its role.
pub(crate) const CASE_DEADLINE: &str = "did not finish within the case's";

/// The most a case may take in all: each connection's steps, each bounded
/// by the per-operation time-out, plus one for setting up. The case ends
/// then, whatever its sides are still doing.
pub fn case_limit(io_timeout: Duration, connections: usize) -> Duration {
    io_timeout * (connections as u32 + 2)
}

/// Runs the client and the server each on a thread of its own, and waits
/// for both until the case's deadline. A side that is still busy then is
/// left behind (its own time-outs end it) and reported as timed out, so a
/// stalled peer can't stretch the case.
/// With `recorded`, that side's connections go into the tap.
fn pair(
    case: &Case,
    client: Arc<dyn Peer>,
    server: Arc<dyn Peer>,
    opts: &RunOptions,
    recorded: Option<(Role, &Tap)>,
) -> (Vec<SideOutcome>, Vec<SideOutcome>) {
    let tap_of = |role: Role| recorded.filter(|(r, _)| *r == role).map(|(_, t)| t.clone());
    let (client_tap, server_tap) = (tap_of(Role::Client), tap_of(Role::Server));
    let connections = if case.resume.is_some() { 2 } else { 1 };
    let deadline = Instant::now() + case_limit(opts.io_timeout, connections);
    let (ctx, crx) = mpsc::channel();
    let (stx, srx) = mpsc::channel();
    let client_gone = ClientGone::default();
    if server.binds_own_port() {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        let ctl = ServerControl {
            ready: ready_tx,
            client_done: done_rx,
            io_timeout: opts.io_timeout,
        };
        let c = case.clone();
        side_thread(move || {
            // The receiver is gone only if the case already timed out.
            let _ = stx.send(server.serve_own_port(&c, connections, ctl));
        });
        let c = case.clone();
        let io_timeout = opts.io_timeout;
        side_thread(move || {
            let out = match ready_rx.recv_timeout(io_timeout * 2) {
                Ok(addr) => {
                    let mut dialer = Dialer::Tcp(addr, io_timeout);
                    if let Some(tap) = &client_tap {
                        dialer = dialer.recorded(tap);
                    }
                    client.connect(&c, dialer, connections)
                }
                // The server failed to start; its own outcome says why.
                Err(_) => Vec::new(),
            };
            let _ = done_tx.send(out.len());
            let _ = ctx.send(out);
        });
    } else {
        let transport = if client.kind().is_external() {
            // Another implementation reaches us over TCP.
            Transport::Tcp
        } else {
            opts.transport
        };
        let (mut listener, mut dialer) = match transport.pair(opts.io_timeout) {
            Ok(p) => p,
            Err(e) => {
                let o = SideOutcome::broken(
                    Role::Server,
                    format!("could not open the transport: {e}"),
                    false,
                );
                return (Vec::new(), vec![o]);
            }
        };
        if let Some(tap) = &server_tap {
            listener = listener.recorded(tap);
        }
        listener = listener.unless_gone(&client_gone);
        if let Some(tap) = &client_tap {
            dialer = dialer.recorded(tap);
        }
        let c = case.clone();
        side_thread(move || {
            let _ = stx.send(server.serve(&c, listener, connections));
        });
        let c = case.clone();
        side_thread(move || {
            let _ = ctx.send(client.connect(&c, dialer, connections));
        });
    }
    let limit = case_limit(opts.io_timeout, connections);
    // The harness gives up on a side that has not reported by then.
    let late = |role: Role| {
        vec![SideOutcome::broken(
            role,
            format!("time-out: the {role} {CASE_DEADLINE} {}", Secs(limit)),
            true,
        )]
    };
    let mut client_out = until(&crx, deadline).unwrap_or_else(|| late(Role::Client));
    client_gone.set();
    let server_out = until(&srx, deadline).unwrap_or_else(|| late(Role::Server));
    // An external client that ended without ever connecting never got as
    // far as the case: its command failed, or does not use {port}.
    if client_gone.never_connected() {
        for c in client_out.iter_mut().filter(|c| c.external.is_some()) {
            c.setup_failed = true;
            let never = "it ended without connecting to the server";
            c.error = Some(
                c.error
                    .take()
                    .map_or(never.into(), |e| format!("{e}; {never}")),
            );
        }
    }
    (client_out, server_out)
}

/// What `rx` receives by `deadline`, unless a signal stops the run first.
fn until<T>(rx: &Receiver<T>, deadline: Instant) -> Option<T> {
    // A tenth of a second is soon enough to notice a signal.
    const GLANCE: Duration = Duration::from_millis(100);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(GLANCE)) {
            Ok(v) => return Some(v),
            Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => {
                if left <= GLANCE || crate::interrupt::received().is_some() {
                    return None;
                }
            }
        }
    }
}
