//! The workloads both the criterion benches and the runner call, so the
//! two always measure the same thing.
//!
//! Client and server run on one thread over an in-memory pipe
//! ([`testkit::duplex`]), and each side's time is accumulated separately
//! around its own OpenSSL calls (creating the `SSL`, every handshake step,
//! the client's read of what follows the handshake (TLS 1.3 tickets),
//! reads, writes, close_notify and the final free). Both sides are in the
//! same process, so their sum is the cost of one connection; neither side
//! ever waits for the other. The runner also times whole slices in the
//! thread's CPU time (see `runner`). [`HandshakeWorkload::run_over_loopback`] is the loopback
//! variant with the two sides on two threads.
#![forbid(unsafe_code)]

use std::net::{TcpListener, TcpStream};
use std::ops::AddAssign;
use std::thread;
use std::time::{Duration, Instant};

use openssl::ssl::{ErrorCode, Ssl, SslConnector, SslContext, SslStream};
use testkit::duplex::{self, DuplexStream};
use testkit::pki::Pki;

use crate::config::{self, BulkSuite, Config, HandshakeCase, Resumption, Spec};
use crate::error::BenchError;
use crate::sys::{self, SavedSession};

/// The host name the client asks for and verifies.
const HOST: &str = Pki::HOST;

/// What the server sends after a priming handshake, so that a TLS 1.3
/// client reads (and keeps) the tickets that follow the handshake.
const PING: &[u8] = b"ping";
/// How long a loopback socket waits for its peer before failing.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Time spent inside each side's calls.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    /// The client's time; in bulk workloads, the sending side.
    pub client: Duration,
    /// The server's time; in bulk workloads, the receiving side.
    pub server: Duration,
}

impl Timing {
    /// Both sides together: the CPU cost of the work on one core.
    pub fn total(&self) -> Duration {
        self.client + self.server
    }

    /// In a bulk workload, the sending side's time when `send`, else the
    /// receiving side's.
    pub fn bulk_side(&self, send: bool) -> Duration {
        if send {
            self.client
        } else {
            self.server
        }
    }
}

impl AddAssign for Timing {
    fn add_assign(&mut self, rhs: Timing) {
        self.client += rhs.client;
        self.server += rhs.server;
    }
}

/// Full or resumed handshakes between one server context and one client
/// connector, each connection created, completed and freed in memory.
pub struct HandshakeWorkload {
    server: SslContext,
    client: SslConnector,
    /// The session every round offers, made by `client`.
    session: Option<SavedSession>,
    resumption: Option<Resumption>,
}

impl HandshakeWorkload {
    /// Full handshakes of `case`.
    pub fn full(
        pki: &Pki,
        case: &HandshakeCase,
        config: Config,
        traced: bool,
    ) -> Result<Self, BenchError> {
        let (server, client) = config::contexts(pki, &Spec::full(*case, config, traced))?;
        Ok(HandshakeWorkload {
            server,
            client,
            session: None,
            resumption: None,
        })
    }

    /// Resumed handshakes of `kind`. One full handshake first makes the
    /// session; for TLS 1.3 the server then sends data so that the client
    /// reads the ticket.
    pub fn resumed(
        pki: &Pki,
        kind: Resumption,
        config: Config,
        traced: bool,
    ) -> Result<Self, BenchError> {
        Self::resumed_from(pki, kind, Spec::resumed(kind, config, traced))
    }

    /// Resumed handshakes of `kind`, traced with
    /// `TraceOptions::messages(false)`: states, alerts and timings, no
    /// messages.
    pub fn resumed_states_only(
        pki: &Pki,
        kind: Resumption,
        config: Config,
    ) -> Result<Self, BenchError> {
        let spec = Spec {
            states_only: true,
            ..Spec::resumed(kind, config, true)
        };
        Self::resumed_from(pki, kind, spec)
    }

    fn resumed_from(pki: &Pki, kind: Resumption, spec: Spec<'_>) -> Result<Self, BenchError> {
        let (server, client) = config::contexts(pki, &spec)?;
        let mut timing = Timing::default();
        let (mut c, mut s) = handshake(&server, &client, None, &mut timing)?;
        exchange_ping(&mut c, &mut s)?;
        let session = SavedSession::of(c.ssl()).ok_or(BenchError::NoSession(kind.name()))?;
        close(c, s, &mut timing)?;
        Ok(HandshakeWorkload {
            server,
            client,
            session: Some(session),
            resumption: Some(kind),
        })
    }

    /// Runs `n` full handshakes over loopback TCP instead of in memory,
    /// server on its own thread, each side's time wall-clock, waits
    /// included. A resumption workload's session is not offered.
    pub fn run_over_loopback(&self, n: u64) -> Result<Timing, BenchError> {
        tcp_handshakes(self.server.clone(), &self.client, n)
    }

    /// One handshake, then one read on the client, so that it processes
    /// (and a traced client records) the TLS 1.3 tickets the server sent
    /// with its last flight, as a client that reads any data does.
    fn connection(
        &self,
        timing: &mut Timing,
    ) -> Result<(SslStream<DuplexStream>, SslStream<DuplexStream>), BenchError> {
        let (mut c, s) = handshake(&self.server, &self.client, self.session.as_ref(), timing)?;
        let start = Instant::now();
        read_tickets(&mut c)?;
        timing.client += start.elapsed();
        Ok((c, s))
    }

    /// Runs `n` handshakes. A resumption workload checks on both sides
    /// that every one of them resumed, and fails otherwise.
    pub fn run(&mut self, n: u64) -> Result<Timing, BenchError> {
        let mut timing = Timing::default();
        for round in 0..n {
            let (c, s) = self.connection(&mut timing)?;
            if let Some(kind) = self.resumption {
                if !c.ssl().session_reused() || !s.ssl().session_reused() {
                    return Err(BenchError::NotResumed {
                        case: kind.name(),
                        round,
                    });
                }
            }
            close(c, s, &mut timing)?;
        }
        Ok(timing)
    }
}

/// Application data one way, client to server, over an established
/// connection: the client's time is encryption (send), the server's is
/// decryption (receive).
pub struct BulkWorkload {
    client: SslStream<DuplexStream>,
    server: SslStream<DuplexStream>,
    payload: Vec<u8>,
    buf: Vec<u8>,
}

/// The two contexts bulk connections of one suite come from. Built once
/// and kept: a client context loads the system's CA store, which takes
/// tens of milliseconds, far longer than a batch of records.
pub struct BulkContexts {
    server: SslContext,
    client: SslConnector,
}

impl BulkContexts {
    /// Contexts negotiating `suite`.
    pub fn new(
        pki: &Pki,
        suite: &BulkSuite,
        config: Config,
        traced: bool,
    ) -> Result<Self, BenchError> {
        let (server, client) = config::contexts(pki, &Spec::bulk(suite, config, traced))?;
        Ok(BulkContexts { server, client })
    }

    /// A fresh connection, writing `size` bytes per `SSL_write`.
    pub fn connect(&self, size: usize) -> Result<BulkWorkload, BenchError> {
        let (mut c, mut s) = handshake(&self.server, &self.client, None, &mut Timing::default())?;
        // Drains the tickets so that every round reads application data only.
        exchange_ping(&mut c, &mut s)?;
        Ok(BulkWorkload {
            client: c,
            server: s,
            payload: (0..size).map(|i| i as u8).collect(),
            buf: vec![0; 16 * 1024],
        })
    }
}

impl BulkWorkload {
    /// A connection negotiating `suite`, writing `size` bytes per
    /// `SSL_write`, from contexts of its own.
    pub fn new(
        pki: &Pki,
        suite: &BulkSuite,
        config: Config,
        traced: bool,
        size: usize,
    ) -> Result<Self, BenchError> {
        BulkContexts::new(pki, suite, config, traced)?.connect(size)
    }

    /// The negotiated suite's OpenSSL name, to check the case.
    pub fn suite_name(&self) -> Option<&'static str> {
        self.client.ssl().current_cipher().map(|c| c.name())
    }

    /// Sends `n` writes of the configured size and receives them all.
    pub fn run(&mut self, n: u64) -> Result<Timing, BenchError> {
        let mut timing = Timing::default();
        let size = self.payload.len();
        for _ in 0..n {
            let start = Instant::now();
            let mut sent = 0;
            while sent < size {
                sent += self
                    .client
                    .ssl_write(&self.payload[sent..])
                    .map_err(|e| BenchError::tls("bulk write", e))?;
            }
            timing.client += start.elapsed();
            let start = Instant::now();
            let mut received = 0;
            while received < size {
                match self.server.ssl_read(&mut self.buf) {
                    Ok(0) => return Err(BenchError::Stalled("bulk read")),
                    Ok(k) => received += k,
                    Err(e) => return Err(BenchError::tls("bulk read", e)),
                }
            }
            timing.server += start.elapsed();
        }
        Ok(timing)
    }
}

/// Heap bytes held per established connection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryUse {
    /// Client side, bytes per connection.
    pub client: f64,
    /// Server side, bytes per connection.
    pub server: f64,
}

/// Opens `n` connections of `case`, each having exchanged one small
/// record after the handshake, and measures the heap they hold: the bytes
/// freed by dropping every client, then every server (see
/// [`heap_freed_by_dropping`]). Context-wide and
/// per-thread state (the server's session cache, the Certificate
/// messages a trace shares between connections) is not per connection
/// and is not counted.
pub fn memory_per_connection(
    pki: &Pki,
    case: HandshakeCase,
    config: Config,
    traced: bool,
    n: usize,
) -> Result<MemoryUse, BenchError> {
    let spec = Spec::full(case, config, traced);
    let (server, client) = config::contexts(pki, &spec)?;
    // One connection first, so that lazily allocated global state (ex_data
    // indexes, error strings, shared Certificate messages) is not charged
    // to the measured ones.
    let (c, s) = handshake(&server, &client, None, &mut Timing::default())?;
    close(c, s, &mut Timing::default())?;
    // The same for the first thread spawned, which leaves state behind.
    heap_freed_by_dropping(Vec::<u8>::new())?;
    let mut clients = Vec::with_capacity(n);
    let mut servers = Vec::with_capacity(n);
    for _ in 0..n {
        let (mut c, mut s) = handshake(&server, &client, None, &mut Timing::default())?;
        exchange_ping(&mut c, &mut s)?;
        c.get_ref().shrink_buffers();
        clients.push(c);
        servers.push(s);
    }
    let per = |bytes: usize| bytes as f64 / n as f64;
    Ok(MemoryUse {
        client: per(heap_freed_by_dropping(clients)?),
        server: per(heap_freed_by_dropping(servers)?),
    })
}

/// Heap bytes (glibc `mallinfo2`, all arenas) freed by dropping
/// `values`. They are dropped on a thread of their own that then exits:
/// glibc keeps up to 7 freed chunks per size class in the freeing
/// thread's cache (tcache), where `mallinfo2` still counts them as in
/// use, until that thread exits and returns them. Dropped on the calling
/// thread, a few chunks per size class would go uncounted.
pub fn heap_freed_by_dropping<T: Send + 'static>(values: Vec<T>) -> Result<usize, BenchError> {
    let before = sys::heap_in_use();
    thread::spawn(move || drop(values))
        .join()
        .map_err(|_| BenchError::DropThread)?;
    Ok(before.saturating_sub(sys::heap_in_use()))
}

/// `n` full handshakes over loopback TCP, server on its own thread. Each
/// connection ends with the server sending one byte, which the client
/// reads, so that TLS 1.3 tickets are not written to a closed socket.
/// Times are wall-clock per side, including the waits.
fn tcp_handshakes(server: SslContext, client: &SslConnector, n: u64) -> Result<Timing, BenchError> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server_side = thread::spawn(move || -> Result<Duration, BenchError> {
        let mut spent = Duration::ZERO;
        for _ in 0..n {
            let (tcp, _) = listener.accept()?;
            let start = Instant::now();
            let tcp = with_timeouts(tcp)?;
            let mut tls = Ssl::new(&server)?
                .accept(tcp)
                .map_err(|e| BenchError::tls("loopback accept", e))?;
            tls.ssl_write(b"k")
                .map_err(|e| BenchError::tls("loopback write", e))?;
            drop(tls);
            spent += start.elapsed();
        }
        Ok(spent)
    });
    let client_side = || -> Result<Duration, BenchError> {
        let mut spent = Duration::ZERO;
        let mut one = [0u8; 1];
        for _ in 0..n {
            let start = Instant::now();
            let tcp = with_timeouts(TcpStream::connect(addr)?)?;
            let mut tls = client
                .connect(HOST, tcp)
                .map_err(|e| BenchError::tls("loopback connect", e))?;
            tls.ssl_read(&mut one)
                .map_err(|e| BenchError::tls("loopback read", e))?;
            drop(tls);
            spent += start.elapsed();
        }
        Ok(spent)
    };
    let client_spent = client_side();
    if client_spent.is_err() {
        // The server may be waiting in accept for a connection that will
        // not come; one closed at once ends the wait (its handshake then
        // fails on end of file), so the join below cannot hang.
        let _ = TcpStream::connect(addr);
    }
    let server_spent = server_side.join().map_err(|_| BenchError::ServerThread)?;
    Ok(Timing {
        client: client_spent?,
        server: server_spent?,
    })
}

/// A loopback socket that gives up on a peer silent for [`IO_TIMEOUT`],
/// with Nagle off as a handshake's small writes want.
fn with_timeouts(tcp: TcpStream) -> Result<TcpStream, BenchError> {
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(IO_TIMEOUT))?;
    tcp.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(tcp)
}

/// Creates both `SSL`s and drives them to the end of the handshake,
/// alternating sides, adding each side's time to `timing`.
fn handshake(
    server: &SslContext,
    client: &SslConnector,
    session: Option<&SavedSession>,
    timing: &mut Timing,
) -> Result<(SslStream<DuplexStream>, SslStream<DuplexStream>), BenchError> {
    let (client_io, server_io) = duplex::pair();

    let start = Instant::now();
    let mut ssl = client.configure()?.into_ssl(HOST)?;
    if let Some(session) = session {
        session.offer(&mut ssl)?;
    }
    let mut c = SslStream::new(ssl, client_io)?;
    timing.client += start.elapsed();

    let start = Instant::now();
    let mut s = SslStream::new(Ssl::new(server)?, server_io)?;
    timing.server += start.elapsed();

    let (mut client_done, mut server_done) = (false, false);
    // A TLS 1.2 full handshake takes the most turns: four.
    for _ in 0..8 {
        if !client_done {
            let start = Instant::now();
            client_done = step(c.connect(), "client handshake")?;
            timing.client += start.elapsed();
        }
        if !server_done {
            let start = Instant::now();
            server_done = step(s.accept(), "server handshake")?;
            timing.server += start.elapsed();
        }
        if client_done && server_done {
            return Ok((c, s));
        }
    }
    Err(BenchError::Stalled("handshake"))
}

/// Sends close_notify from both sides and frees both `SSL`s. Without
/// close_notify, `SSL_free` treats the connection as failed and removes
/// its session from the server's cache, so session-id resumption would
/// never hit.
fn close(
    mut c: SslStream<DuplexStream>,
    mut s: SslStream<DuplexStream>,
    timing: &mut Timing,
) -> Result<(), BenchError> {
    // Both close_notify alerts go out before either end is dropped: a
    // write to a dropped end fails.
    let start = Instant::now();
    c.shutdown()
        .map_err(|e| BenchError::tls("client close_notify", e))?;
    timing.client += start.elapsed();
    let start = Instant::now();
    s.shutdown()
        .map_err(|e| BenchError::tls("server close_notify", e))?;
    timing.server += start.elapsed();
    let start = Instant::now();
    drop(c);
    timing.client += start.elapsed();
    let start = Instant::now();
    drop(s);
    timing.server += start.elapsed();
    Ok(())
}

/// Whether a handshake step finished; waiting for the peer is not an error.
fn step(result: Result<(), openssl::ssl::Error>, during: &'static str) -> Result<bool, BenchError> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.code() == ErrorCode::WANT_READ => Ok(false),
        Err(e) => Err(BenchError::tls(during, e)),
    }
}

/// Reads on the client until it would block: that processes whatever
/// the server sent after the handshake (TLS 1.3 tickets; nothing in TLS
/// 1.2). Application data is an error: the workloads send none.
fn read_tickets(c: &mut SslStream<DuplexStream>) -> Result<(), BenchError> {
    let mut buf = [0u8; 16];
    match c.ssl_read(&mut buf) {
        Err(e) if e.code() == ErrorCode::WANT_READ => Ok(()),
        Err(e) => Err(BenchError::tls("client ticket read", e)),
        Ok(_) => Err(BenchError::Stalled("unexpected data after the handshake")),
    }
}

/// The server writes [`PING`] and the client reads it, processing any
/// TLS 1.3 tickets queued before it.
fn exchange_ping(
    c: &mut SslStream<DuplexStream>,
    s: &mut SslStream<DuplexStream>,
) -> Result<(), BenchError> {
    s.ssl_write(PING)
        .map_err(|e| BenchError::tls("server write", e))?;
    let mut buf = [0u8; 16];
    let mut got = 0;
    while got < PING.len() {
        match c.ssl_read(&mut buf) {
            Ok(0) => return Err(BenchError::Stalled("ping")),
            Ok(k) => got += k,
            Err(e) => return Err(BenchError::tls("client read", e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
