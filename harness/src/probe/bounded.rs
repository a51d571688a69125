//! A TCP stream with two limits on every wait, for `probe`, `serve` and
//! `scan`, and the diagnosis of a handshake those limits ended.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::pcap::{Capture, End};

/// A TCP stream whose every read and write waits at most the per-call
/// time-out, and never past the deadline. A peer that trickles a byte
/// inside each time-out still ends at the deadline. Setting the socket's
/// time-out before each call costs a system call, which a tracing tool
/// can afford; it is what lets one blocking thread enforce both limits.
#[derive(Debug)]
pub struct Bounded {
    tcp: TcpStream,
    io: Duration,
    /// When waiting ends; moved on as the connection goes from one phase
    /// to the next.
    pub deadline: Instant,
    /// Where the bytes each way go, for `--pcap`.
    capture: Option<(Capture, End)>,
}

impl Bounded {
    /// `tcp`, with `io` per call and `deadline` for all of them.
    pub fn new(tcp: TcpStream, io: Duration, deadline: Instant) -> Self {
        Bounded {
            tcp,
            io,
            deadline,
            capture: None,
        }
    }

    /// Records every byte read and written into `capture`, as its `end`.
    pub fn recording(mut self, capture: Option<&Capture>, end: End) -> Self {
        self.capture = capture.map(|c| (c.clone(), end));
        self
    }

    /// The socket.
    pub fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    fn wait(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection's deadline passed",
            ));
        }
        Ok(left.min(self.io))
    }
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wait = self.wait()?;
        self.tcp.set_read_timeout(Some(wait))?;
        let n = self.tcp.read(buf)?;
        if let Some((c, end)) = &self.capture {
            c.received(*end, &buf[..n]);
        }
        Ok(n)
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let wait = self.wait()?;
        self.tcp.set_write_timeout(Some(wait))?;
        let n = self.tcp.write(buf)?;
        if let Some((c, end)) = &self.capture {
            c.sent(*end, &buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}
