//! A TLS connection over OpenSSL's own socket BIO, as `s_client` and
//! `s_server` run theirs, for `probe`, `serve` and `scan`.
//!
//! The `openssl` crate's streams read through a BIO of its own, which
//! never answers `BIO_eof`: when a peer hangs up, OpenSSL sees a bare
//! system error instead of end of file, skips the decode_error alert and
//! the error state it enters on a socket, and the trace's last lines then
//! differ from what `s_client -state` prints for the same peer. Over the
//! socket BIO they are the same, and a reset stays apart from an end of
//! file (errno against `unexpected eof while reading`).
//!
//! A BIO callback bounds every read and write: before each, the socket's
//! time-out is set to what is left of the per-call limit and the deadline
//! (so a peer trickling a byte inside each time-out still ends at the
//! deadline), and after each, the bytes go to the `--pcap` capture.
//!
//! The `SSL` owns the BIO (`SSL_set_bio`); the BIO does not own the socket
//! (`BIO_NOCLOSE`), which [`SocketTls`] keeps with the callback's argument
//! and frees only after the `SSL`.

use std::io;
use std::mem::ManuallyDrop;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::os::raw::{c_char, c_int, c_long, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use foreign_types::ForeignType;
use openssl::error::ErrorStack;
use openssl::ssl::{Ssl, SslRef};
use openssl_sys::{BIO, SSL};

use crate::early_data::EarlyDataStatus;
use crate::pcap::{Capture, End};

/// `long (*BIO_callback_fn_ex)(BIO *b, int oper, const char *argp, usize
/// len, int argi, long argl, int ret, usize *processed)`.
type BioCallbackEx = unsafe extern "C" fn(
    *mut BIO,
    c_int,
    *const c_char,
    usize,
    c_int,
    c_long,
    c_int,
    *mut usize,
) -> c_long;

// openssl-sys does not declare these; as in bio.h (checked against the
// header by `the_declarations_match_ssl_h`).
extern "C" {
    fn BIO_set_callback_ex(b: *mut BIO, callback: Option<BioCallbackEx>);
    fn BIO_set_callback_arg(b: *mut BIO, arg: *mut c_char);
    fn BIO_get_callback_arg(b: *const BIO) -> *mut c_char;
}

// Nor this one; as in ssl.h (checked as above).
extern "C" {
    fn SSL_get_early_data_status(s: *const SSL) -> c_int;
}

/// ssl.h's `SSL_EARLY_DATA_REJECTED` and `SSL_EARLY_DATA_ACCEPTED`.
pub(super) const SSL_EARLY_DATA_REJECTED: c_int = 1;
pub(super) const SSL_EARLY_DATA_ACCEPTED: c_int = 2;

/// bio.h's callback operations, and `BIO_NOCLOSE`.
pub(super) const BIO_CB_READ: c_int = 0x02;
pub(super) const BIO_CB_WRITE: c_int = 0x03;
pub(super) const BIO_CB_RETURN: c_int = 0x80;
pub(super) const BIO_NOCLOSE: c_int = 0x00;
const READ_DONE: c_int = BIO_CB_READ | BIO_CB_RETURN;
const WRITE_DONE: c_int = BIO_CB_WRITE | BIO_CB_RETURN;

/// sslerr.h's reason code for end of file where a record was due.
pub(super) const SSL_R_UNEXPECTED_EOF_WHILE_READING: c_int = 294;

/// The socket, its limits and its capture: what the BIO callback reads.
struct Wire {
    tcp: TcpStream,
    io: Duration,
    deadline: Instant,
    capture: Option<(Capture, End)>,
    /// When the write under way began, for the capture's time stamp.
    write_started: u64,
    /// A wait was refused because the deadline had passed.
    expired: bool,
    /// Bytes read from the socket, whole records or not.
    received: u64,
}

/// Why a read, a write or the handshake stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// A wait ran past its per-call time-out or the deadline.
    TimedOut,
    /// The peer sent close_notify.
    CloseNotify,
    /// The peer closed the connection without close_notify.
    Eof,
    /// OpenSSL's error, or the socket's.
    Failed(String),
}

/// Gives a handshake this end stopped at one of its own limits that
/// reason, `why`. The BIO callback refused the read OpenSSL was making,
/// which the trace can only take for an end of file (a peer trickling a
/// record that never ends read as "the peer closed the connection"), or
/// the socket's time-out ended the wait, which OpenSSL takes for one to
/// retry (the trace still in progress, with no reason at all).
pub fn stopped_at_limit(trace: Option<&mut openssl_handshake::HandshakeTrace>, why: &str) {
    if let Some(t) = trace {
        t.gave_up(format!("this end stopped waiting: {why}"));
    }
}

/// One TLS connection over a TCP socket, driven through OpenSSL's socket BIO.
pub struct SocketTls {
    ssl: ManuallyDrop<Ssl>,
    /// The callback's argument, owned here (from `Box::into_raw`) and
    /// freed after the SSL, whose BIO calls back with it until freed
    /// (BIO_CB_FREE). Held as a pointer, not a Box, because the callback
    /// reaches it through C while an SSL call runs; Rust code touches it
    /// only between calls.
    wire: NonNull<Wire>,
}

impl Drop for SocketTls {
    fn drop(&mut self) {
        // SAFETY: the SSL is dropped once, here, before the wire its BIO
        // points to; the wire came from Box::into_raw and is freed once.
        unsafe {
            ManuallyDrop::drop(&mut self.ssl);
            drop(Box::from_raw(self.wire.as_ptr()));
        }
    }
}

impl SocketTls {
    /// `ssl` over `tcp`, each wait at most `io` and none past `deadline`,
    /// its bytes recorded into `capture` as `end`.
    pub fn new(
        ssl: Ssl,
        tcp: TcpStream,
        io: Duration,
        deadline: Instant,
        capture: Option<(Capture, End)>,
    ) -> Result<Self, ErrorStack> {
        let fd = tcp.as_raw_fd();
        // SAFETY: the descriptor stays open as long as the wire's
        // TcpStream, which is freed after the SSL that owns the BIO (see
        // Drop); BIO_NOCLOSE leaves closing it to the TcpStream.
        let bio = unsafe { openssl_sys::BIO_new_socket(fd, BIO_NOCLOSE) };
        if bio.is_null() {
            return Err(ErrorStack::get());
        }
        let wire = NonNull::from(Box::leak(Box::new(Wire {
            tcp,
            io,
            deadline,
            capture,
            write_started: 0,
            expired: false,
            received: 0,
        })));
        // SAFETY: `bio` is a fresh BIO; the callback has bio.h's signature
        // (checked by the declaration test) and its argument, the wire,
        // lives at a fixed address until after the BIO is freed (Drop).
        // SSL_set_bio takes the one reference for both directions.
        unsafe {
            BIO_set_callback_arg(bio, wire.as_ptr().cast::<c_char>());
            BIO_set_callback_ex(bio, Some(on_bio));
            openssl_sys::SSL_set_bio(ssl.as_ptr(), bio, bio);
        }
        Ok(SocketTls {
            ssl: ManuallyDrop::new(ssl),
            wire,
        })
    }

    /// The wire, between SSL calls (never held across one).
    fn wire(&mut self) -> &mut Wire {
        // SAFETY: the wire lives until Drop; `&mut self` means no SSL call,
        // and so no callback, is running.
        unsafe { self.wire.as_mut() }
    }

    /// Bytes read from the peer so far, a record's first bytes included
    /// before OpenSSL has the whole header.
    pub fn bytes_received(&mut self) -> u64 {
        self.wire().received
    }

    /// The connection, for its trace and what it negotiated.
    pub fn ssl(&self) -> &SslRef {
        &self.ssl
    }

    /// The socket.
    pub fn tcp(&self) -> &TcpStream {
        // SAFETY: as in `wire`: `&self` excludes a running SSL call, which
        // needs `&mut self`.
        unsafe { &self.wire.as_ref().tcp }
    }

    /// Moves the deadline, as the connection enters another phase.
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.wire().deadline = deadline;
    }

    /// `SSL_connect`.
    pub fn connect(&mut self) -> Result<(), Stop> {
        // SAFETY: the SSL is live and owned by `self`.
        self.call(|ssl| unsafe { openssl_sys::SSL_connect(ssl) })
            .map(drop)
    }

    /// `SSL_accept`.
    pub fn accept(&mut self) -> Result<(), Stop> {
        // SAFETY: the SSL is live and owned by `self`.
        self.call(|ssl| unsafe { openssl_sys::SSL_accept(ssl) })
            .map(drop)
    }

    /// A renegotiation this client asks for (`SSL_renegotiate`, then
    /// `SSL_do_handshake`), on a TLS 1.2-or-older connection whose
    /// handshake is done. `Err(Failed)` when OpenSSL will not start one
    /// (TLS 1.3) or the server refuses it.
    pub fn renegotiate(&mut self) -> Result<(), Stop> {
        // SAFETY: the SSL is live and owned by `self`; SSL_renegotiate
        // only sets flags on it.
        if unsafe { super::SSL_renegotiate(self.ssl.as_ptr()) } != 1 {
            return Err(Stop::Failed(crate::settings::reasons(&ErrorStack::get())));
        }
        // SAFETY: the SSL is live and owned by `self`.
        self.call(|ssl| unsafe { openssl_sys::SSL_do_handshake(ssl) })
            .map(drop)
    }

    /// `SSL_write_early_data` of all of `buf`, before the handshake: the
    /// ClientHello goes first, then `buf` as early data, and
    /// [`connect`](Self::connect) finishes the handshake. The session
    /// offered must allow at least `buf.len()` bytes.
    pub fn write_early_data(&mut self, mut buf: &[u8]) -> Result<(), Stop> {
        while !buf.is_empty() {
            let mut written = 0usize;
            let (ptr, len, out) = (buf.as_ptr().cast(), buf.len(), &mut written as *mut usize);
            // SAFETY: `buf` holds `len` readable bytes and `out` is a live
            // usize for the call; the SSL is live and owned by `self`.
            self.call(|ssl| unsafe { openssl_sys::SSL_write_early_data(ssl, ptr, len, out) })?;
            buf = buf.get(written..).unwrap_or_default();
        }
        Ok(())
    }

    /// `SSL_read_early_data` into `buf`, before the handshake: `Some(n)`
    /// for early data read, `None` once there is no more (none was sent,
    /// the server rejected it, or its end came), after which
    /// [`accept`](Self::accept) finishes the handshake.
    pub fn read_early_data(&mut self, buf: &mut [u8]) -> Result<Option<usize>, Stop> {
        let mut read = 0usize;
        let (ptr, len, out) = (buf.as_mut_ptr().cast(), buf.len(), &mut read as *mut usize);
        // SAFETY: `buf` holds `len` writable bytes and `out` is a live usize
        // for the call; the SSL is live and owned by `self`.
        let r = self.call(|ssl| unsafe { openssl_sys::SSL_read_early_data(ssl, ptr, len, out) })?;
        Ok((r == openssl_sys::SSL_READ_EARLY_DATA_SUCCESS).then_some(read))
    }

    /// What became of the connection's early data, once its handshake is done.
    pub fn early_data_status(&self) -> EarlyDataStatus {
        // SAFETY: the SSL is live and owned by `self`; the call only reads it.
        match unsafe { SSL_get_early_data_status(self.ssl.as_ptr()) } {
            SSL_EARLY_DATA_ACCEPTED => EarlyDataStatus::Accepted,
            SSL_EARLY_DATA_REJECTED => EarlyDataStatus::Rejected,
            _ => EarlyDataStatus::NotSent,
        }
    }

    /// `SSL_read` into `buf`: the bytes read, at least one.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Stop> {
        self.read_with(openssl_sys::SSL_read, buf)
    }

    /// `SSL_peek` into `buf`: processes what arrives (tickets, alerts)
    /// without consuming application data.
    pub fn peek(&mut self, buf: &mut [u8]) -> Result<usize, Stop> {
        self.read_with(openssl_sys::SSL_peek, buf)
    }

    /// `SSL_read` or `SSL_peek` (one signature) into `buf`.
    fn read_with(
        &mut self,
        op: unsafe extern "C" fn(*mut SSL, *mut c_void, c_int) -> c_int,
        buf: &mut [u8],
    ) -> Result<usize, Stop> {
        let len = c_int::try_from(buf.len()).unwrap_or(c_int::MAX);
        let ptr = buf.as_mut_ptr().cast();
        // SAFETY: `buf` holds at least `len` writable bytes for the call.
        let n = self.call(|ssl| unsafe { op(ssl, ptr, len) })?;
        // A successful call returns a positive count.
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// `SSL_write` of all of `buf`.
    pub fn write_all(&mut self, mut buf: &[u8]) -> Result<(), Stop> {
        while !buf.is_empty() {
            let len = c_int::try_from(buf.len()).unwrap_or(c_int::MAX);
            let ptr = buf.as_ptr().cast();
            // SAFETY: `buf` holds at least `len` readable bytes for the call.
            let n = self.call(|ssl| unsafe { openssl_sys::SSL_write(ssl, ptr, len) })?;
            buf = buf
                .get(usize::try_from(n).unwrap_or(0)..)
                .unwrap_or_default();
        }
        Ok(())
    }

    /// Sends close_notify without waiting for the peer's, as `s_client`
    /// does at the end of its input.
    pub fn shutdown(&mut self) {
        // SAFETY: the SSL is live and owned by `self`.
        let _ = self.call(|ssl| unsafe { openssl_sys::SSL_shutdown(ssl) });
    }

    /// Runs one OpenSSL I/O call; a positive return is its result.
    fn call(&mut self, f: impl FnOnce(*mut SSL) -> c_int) -> Result<c_int, Stop> {
        // SSL_get_error reads the thread's queue, which must start empty.
        // SAFETY: no arguments; clears this thread's error queue.
        unsafe { openssl_sys::ERR_clear_error() };
        self.wire().expired = false;
        let ret = f(self.ssl.as_ptr());
        if ret > 0 {
            return Ok(ret);
        }
        let os = io::Error::last_os_error();
        // SAFETY: the SSL is live; `ret` is what the call just returned.
        let code = unsafe { openssl_sys::SSL_get_error(self.ssl.as_ptr(), ret) };
        let errors = ErrorStack::get();
        Err(if self.wire().expired {
            Stop::TimedOut
        } else {
            match code {
                openssl_sys::SSL_ERROR_ZERO_RETURN => Stop::CloseNotify,
                openssl_sys::SSL_ERROR_WANT_READ | openssl_sys::SSL_ERROR_WANT_WRITE => {
                    Stop::TimedOut
                }
                openssl_sys::SSL_ERROR_SYSCALL if errors.errors().is_empty() => {
                    match os.raw_os_error() {
                        Some(0) | None => Stop::Eof,
                        Some(_) => Stop::Failed(os.to_string()),
                    }
                }
                _ if errors
                    .errors()
                    .iter()
                    .any(|e| e.reason_code() == SSL_R_UNEXPECTED_EOF_WHILE_READING) =>
                {
                    Stop::Eof
                }
                // OpenSSL's reasons, not its source files.
                _ => Stop::Failed(crate::settings::reasons(&errors)),
            }
        })
    }
}

/// The BIO callback: bounds each wait before it, records the bytes after.
unsafe extern "C" fn on_bio(
    bio: *mut BIO,
    oper: c_int,
    argp: *const c_char,
    _len: usize,
    _argi: c_int,
    _argl: c_long,
    ret: c_int,
    processed: *mut usize,
) -> c_long {
    // SAFETY: the argument is the `Wire` set in `SocketTls::new`, alive
    // until after this BIO is freed; OpenSSL calls back on the thread
    // driving the SSL, which holds `&mut SocketTls`, and nothing else
    // touches the wire during the call.
    let wire = unsafe { BIO_get_callback_arg(bio).cast::<Wire>().as_mut() };
    let Some(wire) = wire else {
        return c_long::from(ret);
    };
    let result = panic::catch_unwind(AssertUnwindSafe(|| match oper {
        BIO_CB_READ | BIO_CB_WRITE => before(wire, oper == BIO_CB_READ),
        READ_DONE | WRITE_DONE => {
            if ret > 0 && !processed.is_null() && !argp.is_null() {
                // SAFETY: after a successful read or write, `argp` is the
                // buffer and `*processed` the bytes moved through it.
                let bytes = unsafe { std::slice::from_raw_parts(argp.cast::<u8>(), *processed) };
                if oper == READ_DONE {
                    wire.received += bytes.len() as u64;
                }
                if let Some((c, end)) = &wire.capture {
                    if oper == READ_DONE {
                        c.received(*end, bytes);
                    } else {
                        c.sent(*end, bytes, wire.write_started);
                    }
                }
            }
            c_long::from(ret)
        }
        _ => c_long::from(ret),
    }));
    result.unwrap_or(-1)
}

/// Before a read or write: the socket's time-out for it, or a refusal
/// (which OpenSSL returns as the call's failure) once the deadline passed.
fn before(wire: &mut Wire, read: bool) -> c_long {
    if !read && wire.capture.is_some() {
        wire.write_started = crate::pcap::now_us();
    }
    let left = wire.deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        wire.expired = true;
        return -1;
    }
    let wait = Some(left.min(wire.io));
    let set = if read {
        wire.tcp.set_read_timeout(wait)
    } else {
        wire.tcp.set_write_timeout(wait)
    };
    match set {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

/// Application data as a stream: close_notify and end of file read as 0.
impl io::Read for SocketTls {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match SocketTls::read(self, buf) {
            Ok(n) => Ok(n),
            Err(Stop::CloseNotify | Stop::Eof) => Ok(0),
            Err(stop) => Err(stop.into()),
        }
    }
}

impl io::Write for SocketTls {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf).map_err(io::Error::from)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl From<Stop> for io::Error {
    fn from(stop: Stop) -> Self {
        match stop {
            Stop::TimedOut => io::Error::new(io::ErrorKind::TimedOut, "time-out"),
            Stop::CloseNotify | Stop::Eof => io::ErrorKind::UnexpectedEof.into(),
            Stop::Failed(e) => io::Error::other(e),
        }
    }
}
