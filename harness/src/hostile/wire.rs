//! Raw TCP conversations with the server: send chosen bytes, then read
//! what comes back until the server closes or the deadline passes.

use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::hello::CT_ALERT;

use crate::settings::Secs;

/// The content type every TLS 1.3 record after the ServerHello carries.
const CT_APPLICATION_DATA: u8 = 23;
/// TLS 1.3's version in supported_versions.
const TLS13: u16 = 0x0304;

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
    /// From the last byte sent to the end, or from the connect when
    /// nothing was sent (`after_send` false).
    pub elapsed: Duration,
    pub after_send: bool,
    /// [`Served::note`]: the server turned connections away first.
    pub retried: Option<String>,
}

impl Answer {
    /// The first plaintext alert record: (level, description).
    pub(crate) fn alert(&self) -> Option<(u8, u8)> {
        self.alerts().next()
    }

    /// Every plaintext alert record, in order: (level, description).
    fn alerts(&self) -> impl Iterator<Item = (u8, u8)> + '_ {
        records(&self.bytes).filter_map(|(ty, _, body)| match (ty, body) {
            (CT_ALERT, [level, desc]) => Some((*level, *desc)),
            _ => None,
        })
    }

    /// The first plaintext alert record that is not a courtesy before a
    /// close: a warning user_canceled (90) or close_notify (0), which a
    /// server giving up on a handshake may send (RFC 8446 section 6.1).
    pub(crate) fn alert_past_courtesies(&self) -> Option<(u8, u8)> {
        records(&self.bytes).find_map(|(ty, _, body)| match (ty, body) {
            (CT_ALERT, [1, 0 | 90]) => None,
            (CT_ALERT, [level, desc]) => Some((*level, *desc)),
            _ => None,
        })
    }

    /// What the server sent besides alert records, when it sent more than
    /// alerts: a handshake record (a ServerHello: it went on with the
    /// hello), another record, or bytes that are no TLS record at all.
    pub(crate) fn beyond_alerts(&self) -> Option<String> {
        // An SSL 2.0 SERVER-HELLO: a two-byte header with its top bit set,
        // then message type 4.
        if let [first, _, 4, ..] = self.bytes[..] {
            if first & 0x80 != 0 {
                return Some("an SSL 2.0 SERVER-HELLO: it answered in SSL 2.0".into());
            }
        }
        let mut whole = 0;
        for (ty, _, body) in records(&self.bytes) {
            whole += 5 + body.len();
            match ty {
                CT_ALERT if body.len() == 2 => {}
                CT_ALERT => {
                    return Some(format!(
                        "an alert record of {} byte(s) where an alert is 2 (alerts coalesced \
                         into one record, which RFC 8446 section 5.1 forbids, or a malformed one)",
                        body.len()
                    ))
                }
                22 => {
                    let what = match body.first() {
                        Some(2) => "a ServerHello".to_owned(),
                        Some(t) => format!("a handshake message of type {t}"),
                        None => "an empty handshake record".to_owned(),
                    };
                    return Some(format!("{what}: it went on with the handshake"));
                }
                _ => return Some(format!("a record of content type {ty}, not an alert")),
            }
        }
        let rest = self.bytes.len() - whole;
        (rest > 0).then(|| format!("{rest} byte(s) that are no TLS record"))
    }

    /// Whether the answer is a TLS 1.3 ServerHello and its flight ending
    /// in an encrypted record of an alert's size. After a TLS 1.3
    /// ServerHello every record is encrypted as application data (type
    /// 23, RFC 8446 section 5.2): an alert's holds its 2 bytes, the inner
    /// content type and the AEAD tag (16 bytes, or 8 for CCM_8), shorter
    /// than any encrypted handshake message.
    pub(crate) fn ends_in_encrypted_alert(&self) -> bool {
        let tls13 = matches!(
            super::fingerprint::answer_in(&self.bytes),
            Some(super::fingerprint::Answer::ServerHello {
                version: TLS13,
                hello_retry_request: false,
                ..
            })
        );
        tls13
            && records(&self.bytes).last().is_some_and(|(ty, _, body)| {
                ty == CT_APPLICATION_DATA && [11, 19].contains(&body.len())
            })
    }

    /// A short description: how many bytes, which alert, how it ended.
    pub(crate) fn describe(&self) -> String {
        // Every alert: a courtesy warning can come before the fatal one.
        let alerts: Vec<String> = self
            .alerts()
            .map(|(l, d)| format!("{} {}", level_name(l), alert_name(d)))
            .collect();
        let alert = match self.alert() {
            Some(_) => alerts.join(", then "),
            None if self.ends_in_encrypted_alert() => "no plaintext alert, but an encrypted \
                 record of an alert's size last (likely an alert, unreadable without the keys)"
                .into(),
            None => "no alert".into(),
        };
        let end = match self.end {
            End::Closed => "closed",
            End::Reset => "reset",
            End::StillOpen => "still open",
        };
        let mut text = format!(
            "{alert}; {} byte(s) back; {end} {:.2}s after {}",
            self.bytes.len(),
            self.elapsed.as_secs_f64(),
            if self.after_send {
                "the last byte sent"
            } else {
                "the connect"
            }
        );
        if let Some(note) = &self.retried {
            text = format!("{text} ({note})");
        }
        text
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
pub(crate) fn converse(
    addr: SocketAddr,
    timeout: Duration,
    script: &Script,
) -> Result<Answer, NotServed> {
    let served = connect_served(addr, timeout)?;
    let retried = served.note();
    let mut s = served.stream;
    let local = s.local_addr().ok();
    // A server that rejects the first bytes may close before the rest is
    // written; the write error is then part of the answer, not a failure.
    let _ = s.write_all(script.send).and_then(|_| s.flush());
    if script.half_close {
        let _ = s.shutdown(Shutdown::Write);
    }
    // Timed from the last byte sent, so that the figure is the server's,
    // not the turn-away glance's before it; with nothing sent, from the
    // connect, when the server's idle time began.
    let after_send = !script.send.is_empty();
    let start = if after_send {
        Instant::now()
    } else {
        served.connected
    };
    let (bytes, end) = read_until_close(&mut s, start + script.wait);
    Ok(Answer {
        local,
        bytes,
        end,
        elapsed: start.elapsed(),
        after_send,
        retried,
    })
}

/// How long a fresh connection is watched for the server turning it away.
pub(crate) const TURN_AWAY_GLANCE: Duration = Duration::from_millis(50);

/// How long to wait before asking again a server that turned a
/// connection away.
pub(crate) const RETRY_AFTER: Duration = Duration::from_millis(250);

/// A connection the server did not turn away, and how many it did first.
#[derive(Debug)]
pub(crate) struct Served {
    pub stream: TcpStream,
    /// When the connection that was kept was made.
    pub connected: Instant,
    /// Connections the server closed or reset at once before this one.
    pub turned_away: u32,
    /// How long those tries took.
    pub waited: Duration,
}

impl Served {
    /// What the case's text says when connections had to be retried.
    pub(crate) fn note(&self) -> Option<String> {
        (self.turned_away > 0).then(|| retried_note(self.turned_away, self.waited))
    }
}

pub(crate) fn retried_note(turned_away: u32, waited: Duration) -> String {
    format!(
        "the server had turned away {turned_away} connection(s) at once over {:.2}s first, \
         so it was asked again",
        waited.as_secs_f64()
    )
}

/// Why no connection the server would read from could be made.
#[derive(Debug)]
pub(crate) enum NotServed {
    /// The connect itself failed: nothing listens, no route, a time-out.
    Connect(io::Error),
    /// Every connection was closed or reset at once, before anything was
    /// sent, until the time-out was spent.
    TurnedAway { tries: u32, over: Duration },
}

impl std::fmt::Display for NotServed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotServed::Connect(e) => write!(f, "could not connect: {e}"),
            NotServed::TurnedAway { tries, over } => write!(
                f,
                "the server turned away every connection for {:.2}s ({tries} tries, each closed \
                 or reset before anything was sent, as at a connection limit), so nothing was \
                 sent to it",
                over.as_secs_f64()
            ),
        }
    }
}

/// A connection for a case's own input: [`connect`], then a short look
/// for the server turning it away. A TLS server never closes a fresh
/// connection before the client has sent anything except to turn it away
/// (at its connection limit, say), and a case judged on that close would
/// judge the limit, not the input. Such a server is asked again every
/// [`RETRY_AFTER`] until `timeout` is spent.
pub(crate) fn connect_served(addr: SocketAddr, timeout: Duration) -> Result<Served, NotServed> {
    let start = Instant::now();
    let mut turned_away = 0u32;
    loop {
        let stream = connect(addr, timeout).map_err(NotServed::Connect)?;
        let connected = Instant::now();
        if !turns_away(&stream) {
            stream
                .set_read_timeout(Some(timeout))
                .map_err(NotServed::Connect)?;
            return Ok(Served {
                stream,
                connected,
                turned_away,
                waited: connected - start,
            });
        }
        turned_away += 1;
        if start.elapsed() + RETRY_AFTER >= timeout {
            return Err(NotServed::TurnedAway {
                tries: turned_away,
                over: start.elapsed(),
            });
        }
        std::thread::sleep(RETRY_AFTER);
    }
}

/// Whether the server ends `stream` within [`TURN_AWAY_GLANCE`] of the
/// connect, with nothing sent: an end of file or a reset. Bytes it sends
/// first (a greeting) are left unread.
fn turns_away(stream: &TcpStream) -> bool {
    if stream.set_read_timeout(Some(TURN_AWAY_GLANCE)).is_err() {
        return true;
    }
    match stream.peek(&mut [0u8; 1]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
        ),
    }
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
    /// Bytes read so far: none means the peer never answered.
    received: usize,
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
            received: 0,
        }
    }

    /// How many bytes the peer has sent so far.
    pub(crate) fn received(&self) -> usize {
        self.received
    }

    /// Sets each wait's time-out to `per_wait`; returns the one it had.
    pub(crate) fn set_per_wait(&mut self, per_wait: Duration) -> Duration {
        std::mem::replace(&mut self.per_wait, per_wait)
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
                "the exchange did not finish within {} ({EXCHANGE_TIME_OUTS} times the {} \
                 time-out)",
                Secs(self.within),
                Secs(self.per_wait)
            ),
        )
    }
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.bound(TcpStream::set_read_timeout)?;
        let r = self.stream.read(buf);
        if let Ok(n) = r {
            self.received += n;
        }
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

/// Why a client handshake over a [`Deadlined`] socket failed: its
/// read time-out passing shows as "would block", which here means silence,
/// and the exchange's deadline as an I/O error that says so.
pub(crate) fn handshake_error<S: std::fmt::Debug>(
    e: openssl::ssl::HandshakeError<S>,
    timeout: Duration,
) -> String {
    match e {
        openssl::ssl::HandshakeError::WouldBlock(_) => format!(
            "the server stopped answering ({} read time-out)",
            Secs(timeout)
        ),
        openssl::ssl::HandshakeError::Failure(ref mid)
            if mid
                .error()
                .io_error()
                .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut) =>
        {
            mid.error()
                .io_error()
                .map_or_else(String::new, |io| io.to_string())
        }
        e => e.to_string(),
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
mod tests;
