//! The byte streams cases run over: loopback TCP on a fresh port, or an
//! in-memory pipe. Every read and write has a time-out, so a stalled peer
//! turns into an error instead of a hang.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use testkit::duplex::{self, DuplexStream};

use crate::pcap::{Capture, End, Recording};

/// How the two endpoints of a case are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// TCP over 127.0.0.1, each case on its own port chosen by the kernel.
    Tcp,
    /// A pair of in-memory pipes; no sockets.
    #[value(alias = "mem")]
    Memory,
}

impl Transport {
    /// A listener and the matching dialer. TCP binds 127.0.0.1:0, so a
    /// port is never shared between cases.
    pub fn pair(self, timeout: Duration) -> io::Result<(Listener, Dialer)> {
        match self {
            Transport::Tcp => {
                let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
                let addr = l.local_addr()?;
                Ok((Listener::Tcp(l, timeout), Dialer::Tcp(addr, timeout)))
            }
            Transport::Memory => {
                let (tx, rx) = mpsc::channel();
                Ok((Listener::Memory(rx, timeout), Dialer::Memory(tx, timeout)))
            }
        }
    }
}

/// A connected stream, TCP or in memory.
#[derive(Debug)]
pub enum Conn {
    /// A TCP stream with read and write time-outs set.
    Tcp(TcpStream),
    /// One end of an in-memory pipe.
    Memory(DuplexStream),
    /// A stream whose bytes go into a capture (see [`Tap`]).
    Recorded(Box<Recording<Conn>>),
}

impl Conn {
    /// The capture this connection's bytes go into, when it is recorded.
    pub fn capture(&self) -> Option<&Capture> {
        match self {
            Conn::Recorded(r) => Some(r.capture()),
            _ => None,
        }
    }

    /// Closes this end for sending, then reads and drops what the peer
    /// still sends until it closes too or `within` has passed.
    ///
    /// A TCP socket closed with bytes unread answers them with a reset,
    /// and a peer that gets the reset before it reads this end's last
    /// bytes loses them: a fatal alert sent as the handshake failed (a
    /// TLS 1.3 client has finished, and sent data, by the time the server
    /// refuses its certificate). In-memory pipes keep what was written.
    pub fn linger(&mut self, within: Duration) {
        if self
            .tcp()
            .is_none_or(|s| s.shutdown(Shutdown::Write).is_err())
        {
            return;
        }
        let deadline = Instant::now() + within;
        // Read through `self`, so that a recorded connection's capture
        // holds what the peer sent.
        let mut sink = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let timed = |s: &mut TcpStream| s.set_read_timeout(Some(left)).is_ok();
            if left.is_zero() || !self.tcp().is_some_and(timed) {
                return;
            }
            if matches!(self.read(&mut sink), Ok(0) | Err(_)) {
                return;
            }
        }
    }

    fn tcp(&mut self) -> Option<&mut TcpStream> {
        match self {
            Conn::Tcp(s) => Some(s),
            Conn::Recorded(r) => r.get_mut().tcp(),
            Conn::Memory(_) => None,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Memory(s) => s.read(buf),
            Conn::Recorded(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Memory(s) => s.write(buf),
            Conn::Recorded(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.flush(),
            Conn::Memory(s) => s.flush(),
            Conn::Recorded(s) => s.flush(),
        }
    }
}

/// The server end: hands out accepted connections.
#[derive(Debug)]
pub enum Listener {
    /// A bound loopback listener and the time-out for each operation.
    Tcp(TcpListener, Duration),
    /// Receives the server ends of in-memory pipes.
    Memory(Receiver<DuplexStream>, Duration),
    /// Records every accepted connection into the tap.
    Recorded(Box<Listener>, Tap),
    /// Stops waiting once the client side is gone (see [`ClientGone`]).
    Watched(Box<Listener>, ClientGone),
}

/// Ends a server's wait for a connection once its client has finished
/// without making one: a client command that failed before connecting
/// (a typo, a missing file) would otherwise hold the case for the whole
/// time-out. A connection already made is accepted first.
#[derive(Debug, Clone, Default)]
pub struct ClientGone {
    gone: Arc<AtomicBool>,
    ended_a_wait: Arc<AtomicBool>,
    connected: Arc<AtomicBool>,
}

impl ClientGone {
    /// The client side has finished.
    pub fn set(&self) {
        self.gone.store(true, Ordering::Relaxed);
    }

    /// Whether the client finished without ever connecting: a wait for
    /// its first connection ended because it was gone.
    pub fn never_connected(&self) -> bool {
        self.ended_a_wait.load(Ordering::Relaxed) && !self.connected.load(Ordering::Relaxed)
    }

    /// Whether a wait ends here, noting that it did.
    fn ends_wait(&self) -> bool {
        let gone = self.gone.load(Ordering::Relaxed);
        if gone {
            self.ended_a_wait.store(true, Ordering::Relaxed);
        }
        gone
    }
}

impl Listener {
    /// This listener, its connections recorded into `tap`.
    pub fn recorded(self, tap: &Tap) -> Listener {
        Listener::Recorded(Box::new(self), tap.clone())
    }

    /// This listener, giving up its wait once `gone` is set.
    pub fn unless_gone(self, gone: &ClientGone) -> Listener {
        Listener::Watched(Box::new(self), gone.clone())
    }

    /// Whether connections are recorded.
    pub fn is_recorded(&self) -> bool {
        match self {
            Listener::Recorded(..) => true,
            Listener::Watched(inner, _) => inner.is_recorded(),
            _ => false,
        }
    }

    /// Waits for the next connection, at most the time-out.
    pub fn accept(&self) -> io::Result<Conn> {
        self.accept_unless(None)
    }

    fn accept_unless(&self, gone: Option<&ClientGone>) -> io::Result<Conn> {
        // How often a wait for an in-memory connection looks whether the
        // client is gone.
        const GLANCE: Duration = Duration::from_millis(10);
        let ended = || gone.is_some_and(ClientGone::ends_wait);
        let client_gone = || {
            io::Error::new(
                io::ErrorKind::NotConnected,
                "the client ended without connecting",
            )
        };
        match self {
            Listener::Watched(inner, g) => {
                let conn = inner.accept_unless(Some(g))?;
                g.connected.store(true, Ordering::Relaxed);
                Ok(conn)
            }
            Listener::Recorded(inner, tap) => Ok(tap.wrap(inner.accept_unless(gone)?, End::Server)),
            Listener::Tcp(l, timeout) => {
                // std has no accept time-out; poll a non-blocking listener.
                l.set_nonblocking(true)?;
                let deadline = Instant::now() + *timeout;
                loop {
                    match l.accept() {
                        Ok((s, _)) => {
                            s.set_nonblocking(false)?;
                            return tcp_conn(s, *timeout);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            if ended() {
                                return Err(client_gone());
                            }
                            if Instant::now() >= deadline {
                                return Err(timed_out("accept"));
                            }
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Listener::Memory(rx, timeout) => {
                let deadline = Instant::now() + *timeout;
                loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let wait = if gone.is_some() {
                        left.min(GLANCE)
                    } else {
                        left
                    };
                    match rx.recv_timeout(wait) {
                        Ok(s) => return Ok(Conn::Memory(s)),
                        Err(RecvTimeoutError::Timeout) if ended() => return Err(client_gone()),
                        Err(RecvTimeoutError::Timeout) if left <= wait => {
                            return Err(timed_out("accept"))
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => {
                            return Err(io::Error::new(
                                io::ErrorKind::ConnectionAborted,
                                "the client side went away before connecting",
                            ))
                        }
                    }
                }
            }
        }
    }
}

/// The client end: opens connections to the listener.
#[derive(Debug, Clone)]
pub enum Dialer {
    /// The listener's address and the time-out for each operation.
    Tcp(SocketAddr, Duration),
    /// Sends server ends of new pipes to the listener.
    Memory(Sender<DuplexStream>, Duration),
    /// Records every connection it opens into the tap.
    Recorded(Box<Dialer>, Tap),
}

impl Dialer {
    /// This dialer, its connections recorded into `tap`.
    pub fn recorded(self, tap: &Tap) -> Dialer {
        Dialer::Recorded(Box::new(self), tap.clone())
    }

    /// Whether connections are recorded.
    pub fn is_recorded(&self) -> bool {
        matches!(self, Dialer::Recorded(..))
    }

    /// Opens a connection.
    pub fn dial(&self) -> io::Result<Conn> {
        match self {
            Dialer::Recorded(inner, tap) => Ok(tap.wrap(inner.dial()?, End::Client)),
            Dialer::Tcp(addr, timeout) => {
                tcp_conn(TcpStream::connect_timeout(addr, *timeout)?, *timeout)
            }
            Dialer::Memory(tx, timeout) => {
                let (a, b) = memory_pair(*timeout);
                tx.send(b).map_err(|_| {
                    io::Error::new(io::ErrorKind::ConnectionRefused, "the server side is gone")
                })?;
                Ok(Conn::Memory(a))
            }
        }
    }
}

fn tcp_conn(s: TcpStream, timeout: Duration) -> io::Result<Conn> {
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    // Handshake flights are small; don't let Nagle hold them back.
    s.set_nodelay(true)?;
    Ok(Conn::Tcp(s))
}

/// Records the connections of one case (`matrix --artifacts`), one
/// [`Capture`] each, in the order they opened. In-memory connections have
/// no addresses, so they get loopback ones: the client 127.0.0.1 on a port
/// of its own, the server 127.0.0.2:443.
#[derive(Debug, Clone, Default)]
pub struct Tap {
    captures: Arc<Mutex<Vec<Capture>>>,
}

/// The server port of in-memory connections in a capture.
pub const MEMORY_SERVER_PORT: u16 = 443;

impl Tap {
    /// The captures so far.
    pub fn captures(&self) -> Vec<Capture> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Capture>> {
        // Captures are pushed whole, so a poisoned list is still whole.
        self.captures.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wrap(&self, conn: Conn, end: End) -> Conn {
        let mut captures = self.lock();
        let tcp = match &conn {
            Conn::Tcp(s) => s.local_addr().and_then(|l| Ok((l, s.peer_addr()?))).ok(),
            _ => None,
        };
        let (client, server) = match (tcp, end) {
            (Some((local, peer)), End::Client) => (local, peer),
            (Some((local, peer)), End::Server) => (peer, local),
            (None, _) => (
                SocketAddr::from(([127, 0, 0, 1], 49152 + captures.len() as u16)),
                SocketAddr::from(([127, 0, 0, 2], MEMORY_SERVER_PORT)),
            ),
        };
        let capture = Capture::new(client, server);
        captures.push(capture.clone());
        Conn::Recorded(Box::new(capture.record(conn, end)))
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

/// Two connected in-memory ends whose reads wait for data, the other end's
/// drop (end of file), or the time-out.
fn memory_pair(timeout: Duration) -> (DuplexStream, DuplexStream) {
    let (mut a, mut b) = duplex::pair();
    a.set_read_timeout(Some(timeout));
    b.set_read_timeout(Some(timeout));
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_pipe_carries_bytes_and_times_out() {
        let (mut a, mut b) = memory_pair(Duration::from_millis(50));
        a.write_all(b"ping").expect("write");
        let mut buf = [0u8; 8];
        assert_eq!(b.read(&mut buf).expect("read"), 4);
        assert_eq!(&buf[..4], b"ping");
        let err = b.read(&mut buf).expect_err("nothing to read");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(a);
        assert_eq!(b.read(&mut buf).expect("eof"), 0);
    }

    /// A server that closes on bytes it never read resets the connection;
    /// one that lingers ends it in order, after its last bytes.
    #[test]
    fn linger_ends_a_connection_without_a_reset() {
        for lingering in [false, true] {
            let (listener, dialer) = Transport::Tcp.pair(Duration::from_secs(5)).expect("bind");
            let mut client = dialer.dial().expect("dial");
            client.write_all(b"never read").expect("write");
            let server = std::thread::spawn(move || {
                let mut conn = listener.accept().expect("accept");
                let Conn::Tcp(tcp) = &conn else {
                    unreachable!("a TCP listener")
                };
                // The client's bytes are there before the server closes.
                tcp.peek(&mut [0u8; 1]).expect("peek");
                conn.write_all(b"last").expect("write");
                if lingering {
                    conn.linger(Duration::from_secs(5));
                }
            });
            let mut last = [0u8; 4];
            client
                .read_exact(&mut last)
                .expect("the server's last bytes");
            assert_eq!(&last, b"last");
            let end = client.read(&mut [0u8; 8]);
            drop(client);
            server.join().expect("server thread");
            match (lingering, end) {
                (true, Ok(0)) => {}
                (false, Err(e)) if e.kind() == io::ErrorKind::ConnectionReset => {}
                (_, other) => panic!("lingering {lingering}: {other:?}"),
            }
        }
    }

    #[test]
    fn tcp_pair_uses_a_fresh_port_and_accept_times_out() {
        let (l1, d1) = Transport::Tcp
            .pair(Duration::from_millis(50))
            .expect("bind");
        let (_l2, d2) = Transport::Tcp
            .pair(Duration::from_millis(50))
            .expect("bind");
        match (&d1, &d2) {
            (Dialer::Tcp(a, _), Dialer::Tcp(b, _)) => assert_ne!(a.port(), b.port()),
            _ => panic!("tcp dialers expected"),
        }
        let err = l1.accept().expect_err("nobody connects");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
