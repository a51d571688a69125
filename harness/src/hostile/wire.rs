//! Raw TCP conversations with the server: send chosen bytes, then read
//! what comes back until the server closes or the deadline passes.

use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::hello::CT_ALERT;

use crate::settings::Secs;

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
    /// [`Served::note`]: the server turned connections away first.
    pub retried: Option<String>,
}

impl Answer {
    /// The first plaintext alert record: (level, description).
    pub(crate) fn alert(&self) -> Option<(u8, u8)> {
        records(&self.bytes).find_map(|(ty, _, body)| match (ty, body) {
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
        let mut text = format!(
            "{alert}; {} byte(s) back; {end} after {:.2}s",
            self.bytes.len(),
            self.elapsed.as_secs_f64()
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
    let (start, retried) = (served.connected, served.note());
    let mut s = served.stream;
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
            err.to_string().contains("did not finish within 800 ms"),
            "{err}"
        );
        // The peer trickles for 10 s; the reads stop near 0.8 s.
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    /// A server at its connection limit closes new connections at accept
    /// (`serve --max-connections`) until a slot frees: a case's own
    /// connection is asked again, so the case's input reaches the server,
    /// and the answer says it had to be.
    #[test]
    fn a_connection_turned_away_at_accept_is_asked_again() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = std::thread::spawn(move || {
            for (i, stream) in listener.incoming().take(4).enumerate() {
                let mut stream = stream.expect("accept");
                if i == 3 {
                    let mut got = [0u8; 5];
                    stream.read_exact(&mut got).expect("the case's input");
                    stream.write_all(&got).expect("echo");
                }
            }
        });
        let script = Script {
            send: b"hello",
            half_close: true,
            wait: Duration::from_secs(5),
        };
        let answer = converse(addr, Duration::from_secs(5), &script).expect("served at last");
        server.join().expect("server thread");
        assert_eq!(answer.bytes, b"hello", "{}", answer.describe());
        assert_eq!(answer.end, End::Closed);
        let note = answer.retried.as_deref().unwrap_or_default();
        assert!(note.contains("turned away 3 connection(s)"), "{note}");
        assert!(answer.describe().contains(note));
    }

    /// One that turns every connection away is named for that once the
    /// time-out is spent, not judged on its closes.
    #[test]
    fn a_server_that_turns_every_connection_away_is_named() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        std::thread::spawn(move || listener.incoming().for_each(drop));
        let start = Instant::now();
        let script = Script {
            send: b"hello",
            half_close: false,
            wait: Duration::from_secs(1),
        };
        match converse(addr, Duration::from_secs(1), &script) {
            Err(e @ NotServed::TurnedAway { tries, .. }) => {
                assert!(tries > 1, "{e}");
                assert!(
                    e.to_string().contains("turned away every connection"),
                    "{e}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "bounded by the time-out"
        );
    }

    fn answer(bytes: &[u8]) -> Answer {
        Answer {
            local: None,
            bytes: bytes.to_vec(),
            end: End::Closed,
            elapsed: Duration::ZERO,
            retried: None,
        }
    }

    /// Alerts alone are an answer to a hostile peer; a ServerHello, an SSL
    /// 2.0 SERVER-HELLO or garbage is the server going on with it.
    #[test]
    fn anything_but_alerts_is_named() {
        let fatal = [21, 3, 3, 0, 2, 2, 50];
        let close_notify = [21, 3, 3, 0, 2, 1, 0];
        assert_eq!(answer(&[]).beyond_alerts(), None);
        assert_eq!(
            answer(&[fatal, close_notify].concat()).beyond_alerts(),
            None
        );
        let server_hello = [22, 3, 3, 0, 4, 2, 0, 0, 0];
        let more = answer(&[&server_hello[..], &fatal].concat()).beyond_alerts();
        assert!(more.is_some_and(|m| m.starts_with("a ServerHello")));
        let sslv2 = [0x80, 0x2e, 0x04, 0x00, 0x01];
        let more = answer(&sslv2).beyond_alerts();
        assert!(more.is_some_and(|m| m.contains("SSL 2.0 SERVER-HELLO")));
        let more = answer(&[0x80, 0x2e, 0x07, 0, 0, 0]).beyond_alerts();
        assert!(more.is_some_and(|m| m.starts_with("a record of content type 128")));
        let more = answer(&[&fatal[..], b"garbage"].concat()).beyond_alerts();
        assert_eq!(more.as_deref(), Some("7 byte(s) that are no TLS record"));
    }

    /// A warning user_canceled or close_notify before a close is a
    /// courtesy, not the alert the answer is judged by.
    #[test]
    fn courtesies_before_a_close_are_passed_over() {
        let user_canceled = [21, 3, 3, 0, 2, 1, 90];
        let close_notify = [21, 3, 3, 0, 2, 1, 0];
        let polite = answer(&[user_canceled, close_notify].concat());
        assert_eq!(polite.alert(), Some((1, 90)));
        assert_eq!(polite.alert_past_courtesies(), None);
        let fatal = [21, 3, 3, 0, 2, 2, 40];
        let then = answer(&[user_canceled, fatal].concat());
        assert_eq!(then.alert_past_courtesies(), Some((2, 40)));
    }
}
