//! Raw TCP conversations with the server: send chosen bytes, then read
//! what comes back until the server closes or the deadline passes.

use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::hello::CT_ALERT;

/// How a conversation ended, seen from the hostile client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// The server closed the connection (end of file).
    Closed,
    /// The server's kernel reset the connection, which Linux does when a
    /// socket is closed with unread input: still a close by the server.
    Reset,
    /// The deadline passed with the connection still open.
    StillOpen,
}

impl End {
    /// Whether the server ended the connection.
    pub fn closed(self) -> bool {
        matches!(self, End::Closed | End::Reset)
    }
}

/// What the server sent back on one connection.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub local: Option<SocketAddr>,
    pub bytes: Vec<u8>,
    pub end: End,
    pub elapsed: Duration,
}

impl Answer {
    /// The first plaintext alert record: (level, description).
    pub(crate) fn alert(&self) -> Option<(u8, u8)> {
        records(&self.bytes).find_map(|(ty, _, body)| match (ty, body) {
            (CT_ALERT, [level, desc]) => Some((*level, *desc)),
            _ => None,
        })
    }

    /// A short description: how many bytes, which alert, how it ended.
    pub(crate) fn describe(&self) -> String {
        let alert = match self.alert() {
            Some((l, d)) => format!("{} {}", level_name(l), alert_name(d)),
            None => "no alert".into(),
        };
        let end = match self.end {
            End::Closed => "closed",
            End::Reset => "reset",
            End::StillOpen => "still open",
        };
        format!(
            "{alert}; {} byte(s) back; {end} after {:.2}s",
            self.bytes.len(),
            self.elapsed.as_secs_f64()
        )
    }
}

/// What the hostile client does after connecting.
pub(crate) struct Script<'a> {
    /// Bytes to send at once.
    pub send: &'a [u8],
    /// Shut down the sending side afterwards (the server reads end of file).
    pub half_close: bool,
    /// How long to wait for the server to answer and close.
    pub wait: Duration,
}

/// Connects, plays `script` and collects the answer. Only a failure to
/// connect is an error; anything the server does afterwards is an answer.
pub(crate) fn converse(addr: SocketAddr, timeout: Duration, script: &Script) -> io::Result<Answer> {
    let start = Instant::now();
    let mut s = connect(addr, timeout)?;
    let local = s.local_addr().ok();
    // A server that rejects the first bytes may close before the rest is
    // written; the write error is then part of the answer, not a failure.
    let _ = s.write_all(script.send).and_then(|_| s.flush());
    if script.half_close {
        let _ = s.shutdown(Shutdown::Write);
    }
    let (bytes, end) = read_until_close(&mut s, start + script.wait);
    Ok(Answer {
        local,
        bytes,
        end,
        elapsed: start.elapsed(),
    })
}

/// A TCP connection with every wait bounded by `timeout`.
pub(crate) fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// The time a whole TLS exchange (handshakes, a write, the close) gets, in
/// time-outs: a per-read time-out alone lets a peer that sends a byte now
/// and then hold a handshake for ever.
pub(crate) const EXCHANGE_TIME_OUTS: u32 = 4;

/// A socket whose every read and write also ends at a deadline for the
/// whole exchange; past it they fail with [`io::ErrorKind::TimedOut`].
#[derive(Debug)]
pub(crate) struct Deadlined {
    stream: TcpStream,
    per_wait: Duration,
    deadline: Instant,
    within: Duration,
}

impl Deadlined {
    /// `stream`, each wait bounded by `per_wait` and all of them by
    /// [`EXCHANGE_TIME_OUTS`] times it from now.
    pub(crate) fn new(stream: TcpStream, per_wait: Duration) -> Self {
        let within = per_wait.saturating_mul(EXCHANGE_TIME_OUTS);
        Deadlined {
            stream,
            per_wait,
            deadline: Instant::now() + within,
            within,
        }
    }

    /// The wait's time-out: the shorter of `per_wait` and what is left.
    fn bound(&self, set: fn(&TcpStream, Option<Duration>) -> io::Result<()>) -> io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.passed());
        }
        set(&self.stream, Some(self.per_wait.min(left)))
    }

    /// A wait that timed out at the deadline says so, not "would block".
    fn settle<T>(&self, r: io::Result<T>) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() >= self.deadline => {
                Err(self.passed())
            }
            r => r,
        }
    }

    fn passed(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the exchange did not finish within {:.1} s ({EXCHANGE_TIME_OUTS} times the \
                 {:.1} s time-out)",
                self.within.as_secs_f64(),
                self.per_wait.as_secs_f64()
            ),
        )
    }
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.bound(TcpStream::set_read_timeout)?;
        let r = self.stream.read(buf);
        self.settle(r)
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bound(TcpStream::set_write_timeout)?;
        let r = self.stream.write(buf);
        self.settle(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Reads until end of file, a reset, or `deadline`.
pub(crate) fn read_until_close(s: &mut TcpStream, deadline: Instant) -> (Vec<u8>, End) {
    let mut bytes = Vec::new();
    let end = match read_until(s, &mut bytes, deadline, |_| None::<Infallible>) {
        Ok(never) => match never {},
        Err(end) => end,
    };
    (bytes, end)
}

/// Reads into `bytes` until `done` finds what it waits for in them, the
/// stream ends, or `deadline` ([`End::StillOpen`]).
pub(crate) fn read_until<T>(
    s: &mut TcpStream,
    bytes: &mut Vec<u8>,
    deadline: Instant,
    done: impl Fn(&[u8]) -> Option<T>,
) -> Result<T, End> {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(t) = done(bytes) {
            return Ok(t);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(End::StillOpen);
        }
        // Short slices keep the deadline exact whatever the socket's own
        // time-out is.
        let slice = (deadline - now).clamp(Duration::from_millis(1), Duration::from_millis(200));
        if s.set_read_timeout(Some(slice)).is_err() {
            return Err(End::Reset);
        }
        match s.read(&mut buf) {
            Ok(0) => return Err(End::Closed),
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return Err(End::Reset),
        }
    }
}

/// The complete records in `bytes`, as (content type, version, body).
pub(crate) fn records(mut bytes: &[u8]) -> impl Iterator<Item = (u8, u16, &[u8])> {
    std::iter::from_fn(move || {
        let header = bytes.get(..5)?;
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let body = bytes.get(5..5 + len)?;
        let rec = (header[0], u16::from_be_bytes([header[1], header[2]]), body);
        bytes = &bytes[5 + len..];
        Some(rec)
    })
}

/// "warning" or "fatal", or the number.
pub(crate) fn level_name(level: u8) -> String {
    match level {
        1 => "warning".into(),
        2 => "fatal".into(),
        n => format!("level {n}"),
    }
}

/// The RFC name of an alert description, with its number.
pub(crate) fn alert_name(desc: u8) -> String {
    let name = openssl_handshake::Alert::name_of(desc).unwrap_or("alert");
    format!("{name}({desc})")
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    /// A peer that answers every wait in time, a byte at a time, is still
    /// cut off at the exchange's deadline.
    #[test]
    fn a_trickling_peer_meets_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            let (mut peer, _) = listener.accept().expect("accept");
            for _ in 0..200 {
                if peer.write_all(b"x").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let per_wait = Duration::from_millis(200);
        let mut s = Deadlined::new(connect(addr, per_wait).expect("connect"), per_wait);
        let start = Instant::now();
        let mut buf = [0u8; 16];
        let err = loop {
            match s.read(&mut buf) {
                Ok(n) => assert!(n > 0, "the peer does not close"),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(
            err.to_string().contains("did not finish within 0.8 s"),
            "{err}"
        );
        // The peer trickles for 10 s; the reads stop near 0.8 s.
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
