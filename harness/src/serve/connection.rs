//! One connection of `serve`: its handshake and the reads after it, each
//! bounded by the connection's own limits.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime};

use openssl::ssl::{Ssl, SslContext};
use openssl_handshake::{AlertLevel, Diagnosis, HandshakeTrace};
use serde::Serialize;

use crate::case::Role;
use crate::early_data::EarlyData;
use crate::ffi::socket_tls::{stopped_at_limit, SocketTls, Stop};
use crate::pcap::{self, Capture, End, PcapFile};
use crate::probe::{json_line, rfc3339};
use crate::settings::Secs;

/// The time-outs every connection gets.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Each read and each write.
    pub io: Duration,
    /// The whole handshake, counted from accept: a client that trickles
    /// its ClientHello a byte at a time, each within `io`, still ends here.
    pub handshake: Duration,
    /// The whole connection, counted from accept.
    pub connection: Duration,
}

/// What each connection does besides its handshake.
#[derive(Debug, Clone, Default)]
pub struct Conduct {
    /// Answer an HTTP request with the connection's trace (`--www`).
    pub www: bool,
    /// Read TLS 1.3 early data before finishing the handshake, as
    /// `s_server -early_data` does (`--early-data`).
    pub early_data: bool,
    /// The protocols this server accepts (`--alpn`), which OpenSSL cannot
    /// report, for a diagnosis that refuses the client's.
    pub alpn: Vec<String>,
}

/// What `serve` reports about one connection when it ends.
#[derive(Debug, Clone)]
pub struct ConnectionReport {
    /// The client's address.
    pub peer: SocketAddr,
    /// When it was accepted (wall clock).
    pub accepted: SystemTime,
    /// When it ended.
    pub ended: SystemTime,
    /// `SSL_accept` succeeded.
    pub handshake_ok: bool,
    /// The server-side trace, taken after the close, so it also holds the
    /// alerts (close_notify) that followed the handshake.
    pub trace: Option<HandshakeTrace>,
    /// Why the handshake failed, or why the connection was not served.
    pub error: Option<String>,
    /// How a connection whose handshake succeeded ended: which side closed
    /// it and why, so an idle client this server dropped at `--timeout` is
    /// told from one that hung up.
    pub closed: Option<Closed>,
    /// The failure's diagnosis: from the server's trace, or a time-out of
    /// the connection's own.
    pub diagnosis: Option<Diagnosis>,
    /// With `--early-data`: the early data read and what became of it,
    /// also when the handshake failed (early data past this server's
    /// limit fails it).
    pub early_data: Option<EarlyData>,
    /// With `--pcap`: that the capture was cut, and where.
    pub pcap_note: Option<String>,
}

impl ConnectionReport {
    /// Whether the connection succeeded: its handshake did, and no fatal
    /// alert (sent or heard; one after a successful handshake can only
    /// come later) ended it.
    pub fn connection_ok(&self) -> bool {
        self.handshake_ok && self.fatal_after_handshake().is_none()
    }

    /// The fatal alert that ended a connection whose handshake succeeded.
    fn fatal_after_handshake(&self) -> Option<&openssl_handshake::Alert> {
        if !self.handshake_ok {
            return None;
        }
        self.trace
            .as_ref()?
            .alerts()
            .find(|a| a.level == AlertLevel::Fatal)
    }

    /// A connection closed at accept because `open` connections, the
    /// limit, were already being served.
    pub fn refused(peer: SocketAddr, open: usize) -> Self {
        let now = SystemTime::now();
        ConnectionReport {
            peer,
            accepted: now,
            ended: now,
            handshake_ok: false,
            trace: None,
            error: Some(format!("refused: {}", refusal(open))),
            closed: None,
            diagnosis: None,
            early_data: None,
            pcap_note: None,
        }
    }

    /// What ended a failed connection: its error, or the fatal alert that
    /// closed it after a handshake that succeeded.
    pub fn failure(&self) -> Option<String> {
        self.error.clone().or_else(|| self.ended_by())
    }

    /// The fatal alert that ended a connection whose handshake succeeded:
    /// its name and who sent it ("the client sent fatal alert
    /// handshake_failure"), as the summary and JSON give it.
    pub fn ended_by(&self) -> Option<String> {
        let a = self.fatal_after_handshake()?;
        let who = match a.direction {
            openssl_handshake::Direction::Read => "the client",
            openssl_handshake::Direction::Write => "this server",
        };
        Some(format!(
            "after the handshake, {who} ended the connection with fatal alert {} ({})",
            a.name, a.description
        ))
    }

    /// This server's own limit, when one ended a connection whose
    /// handshake succeeded: what the summary adds, as the peer did not
    /// choose that end.
    pub fn closed_at_limit(&self) -> Option<&Closed> {
        self.closed
            .as_ref()
            .filter(|c| matches!(c, Closed::Idle(_) | Closed::ConnectionLimit(_)))
    }

    /// The report as one line of JSON (JSON Lines): when it was accepted
    /// (`timestamp`, as probe's lines) and when it ended, the peer,
    /// whether the connection succeeded (as `--once` judges it) and its
    /// handshake did, why not and its diagnosis, how it was closed, and
    /// the trace.
    pub fn json_line(&self) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            timestamp: String,
            ended: String,
            peer: String,
            succeeded: bool,
            handshake_succeeded: bool,
            error: Option<&'a str>,
            closed: Option<String>,
            diagnosis: Option<&'a Diagnosis>,
            early_data: Option<&'a EarlyData>,
            trace: Option<&'a HandshakeTrace>,
        }
        json_line(&Line {
            timestamp: rfc3339(self.accepted),
            ended: rfc3339(self.ended),
            peer: self.peer.to_string(),
            succeeded: self.connection_ok(),
            handshake_succeeded: self.handshake_ok,
            error: self.failure().as_deref(),
            closed: self.closed.as_ref().map(Closed::to_string),
            diagnosis: self.diagnosis.as_ref(),
            early_data: self.early_data.as_ref(),
            trace: self.trace.as_ref(),
        })
    }
}

/// Serves one accepted connection: the handshake, then, like `s_server`,
/// reads what the client sends until it closes, then close_notify. With
/// `www`, an HTTP request (which may have come as early data) is answered
/// with the trace instead, and the connection closed after it. With `pcap`, the connection is appended to
/// it when it ends.
pub(super) fn handle(
    tcp: TcpStream,
    peer: SocketAddr,
    accepted: SystemTime,
    ctx: &SslContext,
    limits: Limits,
    pcap: Option<&PcapFile>,
    conduct: &Conduct,
) -> ConnectionReport {
    let capture = pcap.and_then(|_| Some(Capture::new(peer, tcp.local_addr().ok()?)));
    let mut report = serve_one(tcp, peer, accepted, ctx, limits, conduct, capture.as_ref());
    report.diagnosis = report.diagnosis.map(|d| d.with_server_alpn(&conduct.alpn));
    if let (Some(file), Some(c)) = (pcap, &capture) {
        report.pcap_note = c.cut_note();
        if let Err(e) = file.append(c) {
            let note = format!("writing {}: {e}", file.path().display());
            report.error = Some(match report.error.take() {
                Some(err) => format!("{err}; {note}"),
                None => note,
            });
        }
    }
    report
}

fn serve_one(
    tcp: TcpStream,
    peer: SocketAddr,
    accepted: SystemTime,
    ctx: &SslContext,
    limits: Limits,
    conduct: &Conduct,
    capture: Option<&Capture>,
) -> ConnectionReport {
    let start = Instant::now();
    let mut report = ConnectionReport {
        peer,
        accepted,
        ended: accepted,
        handshake_ok: false,
        trace: None,
        error: None,
        closed: None,
        diagnosis: None,
        early_data: None,
        pcap_note: None,
    };
    let mut timed_out = None;
    let finish = |mut r: ConnectionReport, timed_out: Option<String>| {
        r.ended = SystemTime::now();
        r.diagnosis = match timed_out {
            Some(why) => Some(openssl_handshake::Diagnosis::timed_out(
                r.trace.as_ref(),
                &why,
            )),
            None => r.trace.as_ref().and_then(|t| t.diagnosis()),
        };
        r
    };
    // Accepted from a polled listener: the socket itself must block, with
    // the time-outs that SocketTls sets before each call.
    if let Err(e) = tcp.set_nonblocking(false) {
        report.error = Some(format!("socket set-up: {e}"));
        return finish(report, None);
    }
    let _ = tcp.set_nodelay(true);
    let mut ssl = match Ssl::new(ctx) {
        Ok(ssl) => ssl,
        Err(e) => {
            report.error = Some(format!("SSL_new: {e}"));
            return finish(report, None);
        }
    };
    if let Some(c) = capture {
        if let Err(e) = pcap::attach(&mut ssl, c) {
            report.error = Some(format!("keeping the key log for --pcap: {e}"));
            return finish(report, None);
        }
    }
    let recording = capture.map(|c| (c.clone(), End::Server));
    let mut s = match SocketTls::new(ssl, tcp, limits.io, start + limits.handshake, recording) {
        Ok(s) => s,
        Err(e) => {
            report.error = Some(format!("socket BIO: {e}"));
            return finish(report, None);
        }
    };
    // The early data, its first bytes kept for --www.
    let mut early = (Vec::new(), 0u64);
    let handshake = match conduct.early_data {
        true => read_early_data(&mut s, &mut early),
        false => Ok(()),
    };
    let handshake = handshake.and_then(|()| s.accept());
    // Also when the handshake failed: early data past this server's limit
    // fails it after OpenSSL accepted some.
    report.early_data = conduct.early_data.then(|| EarlyData {
        status: s.early_data_status(),
        bytes: early.1,
        counted_by: Role::Server,
        failed_after: false,
    });
    match handshake {
        Ok(()) => {
            report.handshake_ok = true;
            s.set_deadline(start + limits.connection);
            // An answered request ends the connection from this side, as
            // `s_server -www` does; the client's close_notify is then read.
            let answered = conduct.www && matches!(super::www::answer(&mut s, &early.0), Ok(true));
            if answered {
                s.shutdown();
            }
            let mut buf = [0u8; 16 * 1024];
            let stop = loop {
                if let Err(stop) = s.read(&mut buf) {
                    break stop;
                }
            };
            if !answered {
                s.shutdown();
            }
            report.closed = Some(Closed::after(&stop, answered, start, limits));
            report.trace = openssl_handshake::trace(s.ssl());
        }
        Err(stop) => {
            report.trace = openssl_handshake::trace(s.ssl());
            // Only a wait this end refused makes the trace's own reason wrong.
            let refused_wait = stop == Stop::TimedOut;
            // Why the handshake ended, and whether one of the limits ended it.
            let (error, limit) = if Instant::now() >= start + limits.handshake {
                let why = format!(
                    "the handshake did not finish within {} (--handshake-timeout)",
                    Secs(limits.handshake)
                );
                (why.clone(), Some(why))
            } else if stop == Stop::TimedOut {
                let why = crate::stall::stalled(
                    Role::Client,
                    report.trace.as_ref(),
                    limits.io,
                    s.bytes_received(),
                );
                (why.clone(), Some(why))
            } else {
                let other = match report.trace.as_ref().and_then(|t| t.failure()) {
                    Some(f) => f.to_string(),
                    None => io::Error::from(stop).to_string(),
                };
                (other, None)
            };
            if let (true, Some(why)) = (refused_wait, &limit) {
                stopped_at_limit(report.trace.as_mut(), why);
            }
            report.error = Some(error);
            timed_out = limit;
        }
    }
    finish(report, timed_out)
}

/// Reads the client's early data, if it sends any the server takes, until
/// its end: into `early`, its first [`super::www::MAX_HEAD`] bytes and
/// the count of all. The handshake is then finished by `SSL_accept`.
fn read_early_data(s: &mut SocketTls, early: &mut (Vec<u8>, u64)) -> Result<(), Stop> {
    let mut buf = [0u8; 16 * 1024];
    while let Some(n) = s.read_early_data(&mut buf)? {
        let keep = n.min(super::www::MAX_HEAD.saturating_sub(early.0.len()));
        early.0.extend_from_slice(&buf[..keep]);
        early.1 += n as u64;
    }
    Ok(())
}

/// How a connection whose handshake succeeded ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Closed {
    /// The client closed it, with close_notify or (`false`) without.
    ByClient {
        /// It sent close_notify first.
        close_notify: bool,
    },
    /// This server closed it after answering an HTTP request (`--www`).
    AfterAnswer,
    /// This server closed it: the client sent nothing for this long.
    Idle(Duration),
    /// This server closed it: the connection lasted its whole limit.
    ConnectionLimit(Duration),
    /// A read failed (a fatal alert, a reset).
    Error(String),
}

impl Closed {
    /// How the reads after a successful handshake ended at `stop`.
    fn after(stop: &Stop, answered: bool, start: Instant, limits: Limits) -> Closed {
        match stop {
            _ if answered => Closed::AfterAnswer,
            Stop::CloseNotify => Closed::ByClient { close_notify: true },
            Stop::Eof => Closed::ByClient {
                close_notify: false,
            },
            Stop::TimedOut if start.elapsed() >= limits.connection => {
                Closed::ConnectionLimit(limits.connection)
            }
            Stop::TimedOut => Closed::Idle(limits.io),
            Stop::Failed(e) => Closed::Error(e.clone()),
        }
    }
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Closed::ByClient { close_notify: true } => {
                f.write_str("by the client, with close_notify")
            }
            Closed::ByClient {
                close_notify: false,
            } => f.write_str("by the client, without close_notify"),
            Closed::AfterAnswer => {
                f.write_str("by this server, after answering the request (--www)")
            }
            Closed::Idle(d) => write!(
                f,
                "by this server: the client sent nothing for {} (--timeout)",
                Secs(*d)
            ),
            Closed::ConnectionLimit(d) => write!(
                f,
                "by this server: the connection reached its {} limit (--connection-timeout)",
                Secs(*d)
            ),
            Closed::Error(e) => write!(f, "on an error: {e}"),
        }
    }
}

/// Why a connection was closed at accept: `open` are being served.
pub fn refusal(open: usize) -> String {
    let s = if open == 1 { "" } else { "s" };
    format!("{open} connection{s} already open (--max-connections)")
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn a_refusal_counts_its_connections_in_words() {
        assert_eq!(refusal(1), "1 connection already open (--max-connections)");
        assert_eq!(
            refusal(64),
            "64 connections already open (--max-connections)"
        );
    }
}
