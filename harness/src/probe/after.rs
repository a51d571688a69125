//! What a probe sees after its handshake. A TLS 1.3 server sends its
//! session tickets, and its verdict on the client's certificate, only after
//! the client's Finished, so a client that stops at `SSL_connect` reports
//! success for a connection the server has already rejected. Like
//! `openssl s_client`, the probe keeps reading for a while, then sends
//! close_notify.

use std::time::{Duration, Instant};

use openssl_handshake::decode::{Body, HandshakeType};
use openssl_handshake::{Alert, AlertLevel, Direction, Event, EventKind, HandshakeTrace};
use serde::Serialize;

use super::ProbeFailure;
use crate::case::Role;
use crate::ffi::socket_tls::{SocketTls, Stop};

/// The close_notify alert description.
const CLOSE_NOTIFY: u8 = 0;

/// How reading after the handshake ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadEnd {
    /// Nothing was read: the linger time was zero.
    Skipped,
    /// The linger time passed with the connection still open.
    TimeUp,
    /// The server sent close_notify.
    CloseNotify,
    /// The server closed the TCP connection without close_notify.
    Eof,
    /// Reading failed: a fatal alert, a bad record or a network error.
    Error,
}

/// What happened on a connection between the end of its handshake and its
/// close, read from the trace and from the reads themselves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostHandshake {
    /// How reading ended.
    pub ended: ReadEnd,
    /// OpenSSL's error when reading failed.
    pub error: Option<String>,
    /// NewSessionTicket messages received.
    pub tickets: usize,
    /// Application data bytes the server sent (read and discarded).
    pub app_data_bytes: u64,
    /// Alerts the server sent after the handshake, in order.
    pub alerts_received: Vec<Alert>,
    /// Alerts the probe sent after the handshake, in order.
    pub alerts_sent: Vec<Alert>,
    /// The trace holds a close_notify from the server.
    pub close_notify_received: bool,
    /// The trace holds the probe's own close_notify.
    pub close_notify_sent: bool,
}

/// What [`read_after`] saw, before the trace is read.
pub(super) struct Reading {
    ended: ReadEnd,
    error: Option<String>,
    app_data_bytes: u64,
}

/// Reads from `s` for at most `linger`, as `s_client` does while it
/// waits for input: tickets and alerts are processed, application data is
/// counted and dropped. Stops early when the server closes or an error
/// ends the connection.
pub(super) fn read_after(s: &mut SocketTls, linger: Duration) -> Reading {
    let mut reading = Reading {
        ended: ReadEnd::Skipped,
        error: None,
        app_data_bytes: 0,
    };
    if linger.is_zero() {
        return reading;
    }
    let deadline = Instant::now() + linger;
    s.set_deadline(deadline);
    let mut buf = [0u8; 16 * 1024];
    reading.ended = loop {
        if Instant::now() >= deadline {
            break ReadEnd::TimeUp;
        }
        match s.read(&mut buf) {
            Ok(n) => reading.app_data_bytes += n as u64,
            Err(Stop::CloseNotify) => break ReadEnd::CloseNotify,
            // A time-out or the deadline: loop to check the time.
            Err(Stop::TimedOut) => {}
            Err(Stop::Eof) => break ReadEnd::Eof,
            Err(Stop::Failed(e)) => {
                reading.error = Some(e);
                break ReadEnd::Error;
            }
        }
    };
    reading
}

/// The events of `t` after its (first) handshake was done; none while it
/// is not.
pub(crate) fn after_handshake(t: &HandshakeTrace) -> &[Event] {
    let done = t
        .events
        .iter()
        .position(|e| matches!(e.kind, EventKind::HandshakeDone))
        .map_or(t.events.len(), |i| i + 1);
    &t.events[done..]
}

impl PostHandshake {
    /// Combines what the reads saw with what `trace` (taken after the
    /// close) recorded after the handshake was done.
    pub(super) fn new(reading: Reading, trace: Option<&HandshakeTrace>) -> Self {
        let after = trace.map_or(&[][..], after_handshake);
        let mut alerts_received = Vec::new();
        let mut alerts_sent = Vec::new();
        let mut tickets = 0;
        for e in after {
            match &e.kind {
                EventKind::Alert(a) if a.direction == Direction::Read => {
                    alerts_received.push(a.clone())
                }
                EventKind::Alert(a) => alerts_sent.push(a.clone()),
                EventKind::Message(m)
                    if m.direction == Direction::Read
                        && m.handshake_type == Some(HandshakeType::NEW_SESSION_TICKET) =>
                {
                    tickets += 1
                }
                _ => {}
            }
        }
        let has_close = |alerts: &[Alert]| alerts.iter().any(|a| a.description == CLOSE_NOTIFY);
        PostHandshake {
            ended: reading.ended,
            error: reading.error,
            tickets,
            app_data_bytes: reading.app_data_bytes,
            close_notify_received: has_close(&alerts_received),
            close_notify_sent: has_close(&alerts_sent),
            alerts_received,
            alerts_sent,
        }
    }

    /// Why the connection failed after a successful handshake: a fatal
    /// alert either way, or a read error (a reset).
    pub fn failure(&self) -> Option<ProbeFailure> {
        let fatal = |alerts: &[Alert]| {
            alerts
                .iter()
                .find(|a| a.level == AlertLevel::Fatal)
                .map(|a| a.description)
        };
        if let Some(description) = fatal(&self.alerts_received) {
            return Some(ProbeFailure::AlertAfterHandshake {
                from: Role::Server,
                description,
            });
        }
        if let Some(description) = fatal(&self.alerts_sent) {
            if self.ended == ReadEnd::Eof {
                return Some(ProbeFailure::ClosedAfterHandshake { description });
            }
            return Some(ProbeFailure::AlertAfterHandshake {
                from: Role::Client,
                description,
            });
        }
        match (&self.ended, &self.error) {
            (ReadEnd::Error, Some(e)) => Some(ProbeFailure::LostAfterHandshake(e.clone())),
            _ => None,
        }
    }
}

/// What a handshake left to resume when nothing was: no NewSessionTicket,
/// and below TLS 1.3 no session id in the ServerHello either. `None`
/// when it left a session (or the trace has no messages to tell by).
/// `unread`: nothing was read after the handshake (`--linger 0`), where
/// TLS 1.3 tickets come, so their absence says nothing of the server.
pub fn nothing_to_resume(trace: &HandshakeTrace, unread: bool) -> Option<&'static str> {
    let mut server_hello = None;
    for m in trace.messages().filter(|m| m.direction == Direction::Read) {
        match &m.body {
            Some(Body::NewSessionTicket(_)) => return None,
            Some(Body::ServerHello(sh)) if !sh.hello_retry_request => server_hello = Some(sh),
            _ => {}
        }
    }
    let sh = server_hello?;
    if sh.selected_version == Some(0x0304) && unread {
        Some(
            "no NewSessionTicket was read: TLS 1.3 tickets arrive after the handshake, \
             and --linger 0 stops reading as it ends",
        )
    } else if sh.selected_version == Some(0x0304) {
        Some("the server sent no NewSessionTicket")
    } else if sh.session_id.is_empty() {
        Some("the server sent an empty session id and no NewSessionTicket")
    } else {
        None
    }
}
