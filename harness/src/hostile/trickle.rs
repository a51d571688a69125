//! The trickle case: one client connects and sends nothing, another sends
//! a genuine ClientHello one byte at a time, each byte inside the server's
//! read time-out; meanwhile a well-behaved client must be served. A server
//! that handles one connection at a time can serve it only after it has
//! dropped the other two, so the check is on order, not on speed: the good
//! handshake must complete while the trickling connection is still open.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::hello::ClientHello;
use super::rng::Rng;
use super::suite::{good_client_context, resolve, Observed, Spec, Suite};
use super::{wire, CaseResult, Expected, HostileError, HostileOptions};

use crate::settings::Secs;

/// Runs the trickle case alone against a listening server.
pub fn run(target: &str, opts: &HostileOptions) -> Result<CaseResult, HostileError> {
    let mut suite = Suite {
        addr: resolve(target, opts.timeout)?,
        opts,
        server: None,
        hello: ClientHello::capture(None)?,
        good: good_client_context().map_err(|e| HostileError::Capture(e.into()))?,
        rng: Rng(opts.seed),
        idle_limit: opts.idle_limit.unwrap_or(Duration::from_secs(12)),
        idle_closed_after: None,
        stopped_after: None,
        stop: super::suite::Stop::Serving,
        last_run: None,
    };
    Ok(trickle(&mut suite))
}

/// The case, as the suite runs it.
pub(super) fn trickle(s: &mut Suite) -> CaseResult {
    // Well inside the server's read time-out: the idle limit exceeds it,
    // and slowloris, which ran first, saw when it closed an idle peer.
    let read_timeout = s
        .idle_closed_after
        .unwrap_or(s.idle_limit)
        .min(s.idle_limit);
    let interval = (read_timeout / 4).max(Duration::from_millis(50));
    let spec = Spec {
        id: "trickle",
        sends: format!(
            "an idle connection, and a ClientHello trickled one byte every {}; \
             a good client connects meanwhile",
            Secs(interval)
        ),
        expected: Expected::ServerSurvives,
        why:
            "each connection needs its own time-outs and its own worker: a trickling client resets \
              every read time-out and only a deadline on the whole handshake ends it, so a server \
              that serves one connection at a time (or lets slow clients fill its pool) keeps the \
              good client waiting until it drops the slow ones",
    };
    let mut result = s.case(spec, |s, _| body(s, interval));
    result.expected_text = "the good client's handshake completes while the trickling \
                            connection is still open; the server keeps serving"
        .into();
    result
}

fn body(s: &mut Suite, interval: Duration) -> Observed {
    let timeout = s.opts.timeout;
    let mut problems = Vec::new();
    let fail = Observed::failed;
    let idle = match wire::connect_served(s.addr, timeout) {
        Ok(t) => t,
        Err(e) => return Observed::unsent(format!("the idle client: {e}")),
    };
    let mut retried: Vec<String> = idle
        .note()
        .map(|n| format!("idle client: {n}"))
        .into_iter()
        .collect();
    let idle = idle.stream;
    // Turned away while the idle client is open is the server's limit
    // meeting slow clients: a failure, named as such.
    let trickling = match wire::connect_served(s.addr, timeout) {
        Ok(t) => t,
        Err(e) => {
            return fail(format!(
                "the trickling client, with the idle one connected: {e}"
            ))
        }
    };
    retried.extend(trickling.note().map(|n| format!("trickling client: {n}")));
    let trickler = match Trickler::start(trickling.stream, s.hello.record(), interval) {
        Ok(t) => t,
        Err(e) => {
            return fail(format!(
                "the trickling client's socket could not be cloned: {e}"
            ))
        }
    };
    // The server is in the middle of the trickled ClientHello once two
    // bytes are out.
    trickler.wait_for_bytes(2, interval * 4);

    let good = s.good_handshake();
    let (trickler_open, idle_open) = (trickler.still_open(), still_open(&idle));
    let sent = trickler.sent();
    let (idle_local, trickler_local) = (idle.local_addr().ok(), trickler.local);
    drop(idle);
    trickler.stop();

    let mut actual = match &good {
        Ok(desc) => format!("the good client completed ({desc})"),
        Err(e) => format!("the good client failed: {e}"),
    };
    actual += &format!(
        "; then the trickling connection was {} after {sent} byte(s), the idle one {}",
        if trickler_open {
            "still open"
        } else {
            "closed"
        },
        if idle_open { "still open" } else { "closed" },
    );
    if !retried.is_empty() {
        actual += &format!(" ({})", retried.join("; "));
    }
    if let Err(e) = &good {
        problems.push(format!(
            "a good client was not served while the slow clients were connected: {e}"
        ));
    } else if !trickler_open {
        problems.push(
            "the server had closed the trickling connection before it served the good client"
                .into(),
        );
    }
    let trace = s.server.map(|server| {
        let mut notes = Vec::new();
        for (what, local) in [("idle", idle_local), ("trickling", trickler_local)] {
            let record = local.and_then(|l| server.record_for(l, timeout));
            match record {
                Some(r) if r.trace.as_ref().is_some_and(|t| t.succeeded()) || r.handshake_ok => {
                    problems.push(format!("the {what} connection is traced as a handshake"));
                    notes.push(format!("{what}: handshake succeeded?"));
                }
                Some(r) => notes.push(format!(
                    "{what}: no handshake ({})",
                    r.error.as_deref().unwrap_or("no error recorded")
                )),
                None => {
                    problems.push(format!(
                        "the server left no record of the {what} connection"
                    ));
                    notes.push(format!("{what}: no record"));
                }
            }
        }
        notes.join("; ")
    });
    Observed {
        actual,
        problems,
        trace,
        not_applicable: false,
        not_run: false,
        unsent: false,
    }
}

/// Whether the server still holds `tcp` open: nothing to read yet, and no
/// end of file or reset.
fn still_open(tcp: &TcpStream) -> bool {
    if tcp
        .set_read_timeout(Some(Duration::from_millis(1)))
        .is_err()
    {
        return false;
    }
    match tcp.peek(&mut [0u8; 1]) {
        Err(e) => matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        // An answer (an alert) mid-ClientHello also means it is over.
        Ok(_) => false,
    }
}

/// A client that writes its bytes one at a time on its own thread.
struct Trickler {
    tcp: TcpStream,
    local: Option<SocketAddr>,
    sent: Arc<AtomicUsize>,
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Trickler {
    /// Starts writing `bytes` to `tcp`, one every `interval`.
    fn start(tcp: TcpStream, bytes: Vec<u8>, interval: Duration) -> io::Result<Trickler> {
        let mut writer = tcp.try_clone()?;
        let sent = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = mpsc::channel::<()>();
        let count = sent.clone();
        let thread = std::thread::spawn(move || {
            for b in bytes {
                if writer.write_all(&[b]).is_err() {
                    return;
                }
                count.fetch_add(1, Ordering::Release);
                match stopped.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            }
            // All sent: wait to be stopped, holding the connection.
            let _ = stopped.recv();
        });
        Ok(Trickler {
            local: tcp.local_addr().ok(),
            tcp,
            sent,
            stop,
            thread,
        })
    }

    fn sent(&self) -> usize {
        self.sent.load(Ordering::Acquire)
    }

    fn wait_for_bytes(&self, n: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.sent() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn still_open(&self) -> bool {
        still_open(&self.tcp)
    }

    /// Stops the writes and closes the connection.
    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}
