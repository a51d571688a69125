//! The in-process traced server the suite can start for itself.
//!
//! It is shaped like a small production service: one thread accepts, a
//! fixed pool of workers runs the handshakes, and every accepted socket
//! gets a read and write time-out and the whole connection four of them,
//! so an idle, stalled or trickling peer costs a worker for at most that
//! long. Each connection leaves a
//! [`ConnectionRecord`] with the server-side trace, keyed by the peer's
//! address so that a case can find the record of its own connection.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use openssl::ssl::{HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Pki};

use super::wire::Deadlined;
use super::{Cause, HostileError};

/// How the in-process server is set up.
#[derive(Debug, Clone)]
pub struct InProcessOptions {
    /// The type of the generated server certificate.
    pub key_type: KeyType,
    /// Read and write time-out on every accepted socket: how long an idle
    /// peer can hold a worker.
    pub read_timeout: Duration,
    /// Worker threads running handshakes.
    pub workers: usize,
}

impl Default for InProcessOptions {
    /// ECDSA P-256, 2 s time-out, 32 workers.
    fn default() -> Self {
        InProcessOptions {
            key_type: KeyType::EcdsaP256,
            read_timeout: Duration::from_secs(2),
            workers: 32,
        }
    }
}

/// What the server saw on one connection.
#[derive(Debug, Clone)]
pub struct ConnectionRecord {
    /// The client's address.
    pub peer: SocketAddr,
    /// `SSL_accept` succeeded.
    pub handshake_ok: bool,
    /// The server-side trace, read when the connection ended, so it also
    /// holds what happened after the handshake (a refused renegotiation).
    pub trace: Option<HandshakeTrace>,
    /// What went wrong, when something did.
    pub error: Option<String>,
}

/// A traced TLS server on 127.0.0.1, stopped and joined when dropped.
pub struct TracedServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    records: Mutex<Vec<ConnectionRecord>>,
    /// Every trace the completion hook was given.
    hooked: Mutex<Vec<HandshakeTrace>>,
}

/// A poisoned lock only means a thread panicked while pushing a record;
/// the vector is still valid, so keep using it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TracedServer {
    /// Generates a PKI, builds the traced context and starts listening on
    /// 127.0.0.1 with a port the kernel picks.
    pub fn start(opts: &InProcessOptions) -> Result<TracedServer, HostileError> {
        fn server_err(e: impl Into<Cause>) -> HostileError {
            HostileError::Server(e.into())
        }
        let shared = Arc::new(Shared::default());
        let pki = Pki::generate().map_err(server_err)?;
        let mut b = SslContextBuilder::new(SslMethod::tls_server()).map_err(server_err)?;
        let hooked = shared.clone();
        b.trace_handshakes(
            TraceOptions::default().on_complete(move |t| lock(&hooked.hooked).push(t.clone())),
        )
        .map_err(server_err)?;
        pki.server(opts.key_type)
            .install(&mut b)
            .map_err(server_err)?;
        let ctx = b.build();

        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(server_err)?;
        let addr = listener.local_addr().map_err(server_err)?;
        // Polled, so that dropping the server can stop the accept loop.
        listener.set_nonblocking(true).map_err(server_err)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<TcpStream>();
        let rx = Arc::new(Mutex::new(rx));
        let mut threads = Vec::new();
        for _ in 0..opts.workers.max(1) {
            let (rx, ctx, shared) = (rx.clone(), ctx.clone(), shared.clone());
            let timeout = opts.read_timeout;
            threads.push(std::thread::spawn(move || {
                worker(&rx, &ctx, &shared, timeout)
            }));
        }
        let stop_accept = stop.clone();
        threads.push(std::thread::spawn(move || {
            while !stop_accept.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => {
                        if tx.send(s).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    // A connection reset before accept() returns it, or
                    // running out of descriptors: keep serving.
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
            // Dropping `tx` here ends the workers once the queue is empty.
        }));
        Ok(TracedServer {
            addr,
            stop,
            shared,
            threads,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every connection record so far.
    pub fn records(&self) -> Vec<ConnectionRecord> {
        lock(&self.shared.records).clone()
    }

    /// How many records there are so far.
    pub fn record_count(&self) -> usize {
        lock(&self.shared.records).len()
    }

    /// How many traces the completion hook has been given so far.
    pub fn hook_count(&self) -> usize {
        lock(&self.shared.hooked).len()
    }

    /// The record of the connection from `peer`, waiting up to `wait` for
    /// the server to finish with it.
    pub fn record_for(&self, peer: SocketAddr, wait: Duration) -> Option<ConnectionRecord> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(r) = lock(&self.shared.records)
                .iter()
                .find(|r| r.peer == peer)
                .cloned()
            {
                return Some(r);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The record and trace of the connection from `local`, waiting up to
    /// `wait`. When either is missing, says so in `problems` and returns
    /// the short account the report gives instead.
    pub(crate) fn traced(
        &self,
        local: Option<SocketAddr>,
        wait: Duration,
        problems: &mut Vec<String>,
    ) -> Result<(ConnectionRecord, HandshakeTrace), String> {
        let Some(mut rec) = local.and_then(|l| self.record_for(l, wait)) else {
            problems.push("the in-process server left no record of the connection".into());
            return Err("no record".into());
        };
        let Some(trace) = rec.trace.take() else {
            problems.push(format!(
                "no trace was recorded for the connection ({})",
                rec.error.as_deref().unwrap_or("no error")
            ));
            return Err("no trace".into());
        };
        Ok((rec, trace))
    }
}

impl Drop for TracedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Each worker is in a handshake bounded by its socket time-out, or
        // waiting on a queue whose sender the accept thread drops.
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn worker(rx: &Mutex<Receiver<TcpStream>>, ctx: &SslContext, shared: &Shared, timeout: Duration) {
    loop {
        // The guard is dropped at the end of the statement, so the next
        // worker can wait while this one handles its connection.
        let next = lock(rx).recv();
        let Ok(stream) = next else { return };
        let record = handle(stream, ctx, timeout);
        lock(&shared.records).push(record);
    }
}

/// Runs one connection: the handshake, then read until the client closes
/// (as `tls-harness serve` does), bounded in time.
fn handle(stream: TcpStream, ctx: &SslContext, timeout: Duration) -> ConnectionRecord {
    let peer = stream
        .peer_addr()
        .unwrap_or_else(|_| SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
    let broken = |error: String| ConnectionRecord {
        peer,
        handshake_ok: false,
        trace: None,
        error: Some(error),
    };
    // The accepted socket must block with time-outs, whatever the
    // listener's mode.
    let setup = stream
        .set_nonblocking(false)
        .and_then(|_| stream.set_read_timeout(Some(timeout)))
        .and_then(|_| stream.set_write_timeout(Some(timeout)));
    if let Err(e) = setup {
        return broken(format!("socket set-up: {e}"));
    }
    let ssl = match Ssl::new(ctx) {
        Ok(ssl) => ssl,
        Err(e) => return broken(format!("SSL_new: {e}")),
    };
    // The whole connection, handshake included, has a deadline: a client
    // that sends a byte now and then, or keeps talking, can hold a worker
    // only so long.
    match ssl.accept(Deadlined::new(stream, timeout)) {
        Ok(mut s) => {
            let mut buf = [0u8; 4096];
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            let _ = s.shutdown();
            ConnectionRecord {
                peer,
                handshake_ok: true,
                trace: openssl_handshake::trace(s.ssl()),
                error: None,
            }
        }
        Err(HandshakeError::Failure(mid)) => ConnectionRecord {
            peer,
            handshake_ok: false,
            trace: openssl_handshake::trace(mid.ssl()),
            error: Some(mid.error().to_string()),
        },
        Err(HandshakeError::WouldBlock(mid)) => ConnectionRecord {
            peer,
            handshake_ok: false,
            trace: openssl_handshake::trace(mid.ssl()),
            error: Some(format!(
                "time-out after {:?} waiting for the client",
                timeout
            )),
        },
        Err(HandshakeError::SetupFailure(e)) => broken(format!("handshake set-up: {e}")),
    }
}
