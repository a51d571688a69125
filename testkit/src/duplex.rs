//! An in-memory duplex stream: two connected ends, each [`Read`] and
//! [`Write`], so both sides of a TLS connection can run without a socket.
//!
//! - **Reads** take what is buffered. With nothing buffered they return
//!   [`io::ErrorKind::WouldBlock`] at once, as a non-blocking socket does, so
//!   one thread can drive both sides of a handshake (OpenSSL turns it into
//!   `WANT_READ`). After [`DuplexStream::set_read_timeout`] they wait for
//!   bytes instead, up to the time-out, then fail with
//!   [`io::ErrorKind::TimedOut`]: for two ends on two threads.
//! - **Writes** never block; the buffer grows as needed.
//! - **Dropping an end** closes the connection: the other end reads what is
//!   left, then end of file (`Ok(0)`), and its writes fail with
//!   [`io::ErrorKind::BrokenPipe`].
//!
//! ```
//! use std::io::{ErrorKind, Read, Write};
//!
//! let (mut client, mut server) = testkit::duplex::pair();
//! client.write_all(b"hello")?;
//! let mut buf = [0u8; 8];
//! assert_eq!(server.read(&mut buf)?, 5);
//! assert_eq!(server.read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
//! drop(client);
//! assert_eq!(server.read(&mut buf)?, 0);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Two connected ends: what one writes, the other reads.
pub fn pair() -> (DuplexStream, DuplexStream) {
    let (a_to_b, b_to_a) = (Arc::new(Pipe::default()), Arc::new(Pipe::default()));
    let end = |rx, tx| DuplexStream {
        rx,
        tx,
        read_timeout: None,
        written: None,
    };
    (end(b_to_a.clone(), a_to_b.clone()), end(a_to_b, b_to_a))
}

/// One end of an in-memory connection made by [`pair`].
#[derive(Debug)]
pub struct DuplexStream {
    rx: Arc<Pipe>,
    tx: Arc<Pipe>,
    read_timeout: Option<Duration>,
    /// Every byte written since [`DuplexStream::record_writes`].
    written: Option<Vec<u8>>,
}

impl DuplexStream {
    /// How long a read waits for bytes: `None` (the default) not at all,
    /// returning [`io::ErrorKind::WouldBlock`]; `Some(t)` up to `t`, then
    /// [`io::ErrorKind::TimedOut`].
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read_timeout = timeout;
    }

    /// Keeps a copy of every byte this end writes from now on, for
    /// [`DuplexStream::written`]: the wire as this side sent it.
    pub fn record_writes(&mut self) {
        self.written.get_or_insert_with(Vec::new);
    }

    /// What this end wrote since [`DuplexStream::record_writes`]; empty if
    /// it was never called.
    pub fn written(&self) -> &[u8] {
        self.written.as_deref().unwrap_or_default()
    }

    /// Drops the bytes both directions have already delivered and returns
    /// the spare capacity, so that a memory measurement between records
    /// counts what the TLS library holds, not this stream's buffers.
    pub fn shrink_buffers(&self) {
        for pipe in [&self.rx, &self.tx] {
            let mut b = pipe.lock();
            let read = b.read;
            b.data.drain(..read);
            b.read = 0;
            b.data.shrink_to_fit();
        }
    }
}

impl Read for DuplexStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let deadline = self.read_timeout.map(|t| Instant::now() + t);
        let mut b = self.rx.lock();
        loop {
            let available = &b.data[b.read..];
            if !available.is_empty() || buf.is_empty() {
                let n = buf.len().min(available.len());
                buf[..n].copy_from_slice(&available[..n]);
                b.read += n;
                if b.read == b.data.len() {
                    // Keeps the capacity: the next record reuses it.
                    b.data.clear();
                    b.read = 0;
                }
                return Ok(n);
            }
            if b.closed {
                return Ok(0);
            }
            let Some(deadline) = deadline else {
                return Err(io::ErrorKind::WouldBlock.into());
            };
            let now = Instant::now();
            if now >= deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "read timed out"));
            }
            b.waiting += 1;
            b = self
                .rx
                .ready
                .wait_timeout(b, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
            b.waiting -= 1;
        }
    }
}

impl Write for DuplexStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut b = self.tx.lock();
        if b.closed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the other end is closed",
            ));
        }
        // A reader that never quite catches up would otherwise keep every
        // delivered byte; moving the rest down is cheap once half is read.
        if b.read >= COMPACT_AFTER && b.read * 2 >= b.data.len() {
            let read = b.read;
            b.data.drain(..read);
            b.read = 0;
        }
        b.data.extend_from_slice(buf);
        // Waking costs a system call; only a reader with a time-out waits.
        if b.waiting > 0 {
            self.tx.ready.notify_all();
        }
        drop(b);
        if let Some(w) = &mut self.written {
            w.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        for pipe in [&self.tx, &self.rx] {
            pipe.lock().closed = true;
            pipe.ready.notify_all();
        }
    }
}

/// Delivered bytes kept at the front of a buffer before a write compacts it.
const COMPACT_AFTER: usize = 64 * 1024;

/// One direction: bytes written and not yet read.
#[derive(Debug, Default)]
struct Pipe {
    state: Mutex<Buffer>,
    ready: Condvar,
}

#[derive(Debug, Default)]
struct Buffer {
    data: Vec<u8>,
    /// How much of `data` the reader has taken.
    read: usize,
    /// Either end was dropped.
    closed: bool,
    /// Readers waiting in [`Condvar::wait_timeout`].
    waiting: usize,
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, Buffer> {
        // Each critical section leaves the buffer consistent, even one a
        // panic ended, so a poisoned lock is safe to go on with.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn bytes_cross_in_both_directions_in_order() {
        let (mut a, mut b) = pair();
        a.write_all(b"one ").unwrap();
        a.write_all(b"two").unwrap();
        b.write_all(b"back").unwrap();
        let mut buf = [0u8; 5];
        assert_eq!(b.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf, b"one t");
        let mut rest = [0u8; 16];
        assert_eq!(b.read(&mut rest).unwrap(), 2);
        assert_eq!(&rest[..2], b"wo");
        assert_eq!(a.read(&mut rest).unwrap(), 4);
        assert_eq!(&rest[..4], b"back");
    }

    #[test]
    fn an_empty_read_would_block_and_a_closed_one_ends() {
        let (mut a, mut b) = pair();
        let mut buf = [0u8; 4];
        let err = b.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        a.write_all(b"last").unwrap();
        drop(a);
        assert_eq!(b.read(&mut buf).unwrap(), 4, "bytes sent before the close");
        assert_eq!(b.read(&mut buf).unwrap(), 0);
        let err = b.write(b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_read_with_a_timeout_waits_for_the_writer_or_times_out() {
        let (mut a, mut b) = pair();
        b.set_read_timeout(Some(Duration::from_secs(10)));
        let writer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            a.write_all(b"late").unwrap();
            a
        });
        let mut buf = [0u8; 8];
        assert_eq!(b.read(&mut buf).unwrap(), 4);
        let _a = writer.join().unwrap();
        b.set_read_timeout(Some(Duration::from_millis(20)));
        let err = b.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn a_waiting_reader_sees_the_close() {
        let (a, mut b) = pair();
        b.set_read_timeout(Some(Duration::from_secs(10)));
        let closer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            drop(a);
        });
        assert_eq!(b.read(&mut [0u8; 4]).unwrap(), 0);
        closer.join().unwrap();
    }

    #[test]
    fn recorded_writes_keep_what_the_reader_took() {
        let (mut a, mut b) = pair();
        a.write_all(b"before").unwrap();
        a.record_writes();
        a.write_all(b"kept ").unwrap();
        b.read_exact(&mut [0u8; 6 + 5]).unwrap();
        a.write_all(b"too").unwrap();
        assert_eq!(a.written(), b"kept too");
        assert_eq!(b.written(), b"");
    }

    #[test]
    fn a_lagging_reader_does_not_keep_delivered_bytes() {
        let (mut a, mut b) = pair();
        let chunk = vec![7u8; 1024];
        let mut buf = vec![0u8; 1000];
        for _ in 0..1000 {
            a.write_all(&chunk).unwrap();
            b.read_exact(&mut buf).unwrap();
        }
        let b_state = a.tx.lock();
        assert!(
            b_state.data.len() < 4 * COMPACT_AFTER,
            "{}",
            b_state.data.len()
        );
        assert_eq!(b_state.data.len() - b_state.read, 1000 * (1024 - 1000));
    }

    #[test]
    fn shrinking_keeps_unread_bytes() {
        let (mut a, mut b) = pair();
        a.write_all(b"abcdef").unwrap();
        b.read_exact(&mut [0u8; 2]).unwrap();
        a.shrink_buffers();
        let mut rest = [0u8; 4];
        b.read_exact(&mut rest).unwrap();
        assert_eq!(&rest, b"cdef");
        a.shrink_buffers();
        assert_eq!(a.tx.lock().data.capacity(), 0);
    }
}
