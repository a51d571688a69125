//! [`HandshakeTrace`]: everything recorded for one connection.

use std::time::Duration;

use openssl::ssl::SslRef;
use serde::{Deserialize, Serialize};

use crate::decode::{Body, HandshakeType};
use crate::diagnosis::{Diagnosis, LocalConfig};
use crate::event::{
    Alert, Direction, Event, EventKind, ExitStatus, HandshakeState, Message, Side, StateChange,
};
use crate::negotiated::{Negotiated, VerifyResult};
use crate::sys;

/// The handshake of one connection, as recorded from inside OpenSSL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HandshakeTrace {
    /// [`HandshakeTrace::SCHEMA_VERSION`] of the layout this trace was written with.
    pub schema_version: u32,
    /// Client or server.
    pub side: Side,
    /// Every event, in the order OpenSSL reported it.
    pub events: Vec<Event>,
    /// Where the handshake stands.
    pub outcome: Outcome,
    /// What was agreed: once the handshake is done, or, for one that
    /// failed after the ServerHello, what had been agreed by then (version
    /// and suite at least).
    pub negotiated: Option<Negotiated>,
    /// From handshake start to done or failure, to the microsecond; in
    /// JSON `duration_us`, an integer number of microseconds.
    #[serde(rename = "duration_us", with = "crate::micros::option")]
    pub duration: Option<Duration>,
    /// Bytes written to the transport by the time the handshake ended;
    /// while it is in progress, so far.
    pub bytes_sent: u64,
    /// Bytes read from the transport by the time the handshake ended;
    /// while it is in progress, so far.
    pub bytes_received: u64,
    /// How many handshakes this connection started (renegotiation adds
    /// one), those this end refused included.
    pub handshakes: u32,
    /// How many of those were renegotiations this end refused (a
    /// no_renegotiation warning sent), which OpenSSL reports as started and
    /// done though none ran; absent from JSON when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub renegotiations_refused: u32,
    /// The message of a completion hook that panicked; the panic was
    /// caught so it could not unwind into OpenSSL.
    pub hook_panic: Option<String>,
    /// Events not recorded because the trace reached
    /// [`HandshakeTrace::MAX_EVENTS`]: a peer that keeps renegotiating or updating keys
    /// cannot grow a connection's trace without bound.
    #[serde(default)]
    pub events_dropped: u64,
    /// Tracing began mid-handshake: the connection was moved to a traced
    /// context by a servername callback, or `trace_handshake` started a
    /// new trace, so the events before (the ClientHello among them) are
    /// missing.
    #[serde(default)]
    pub joined_late: bool,
    /// This end's configuration, read when the handshake failed, for
    /// [`HandshakeTrace::diagnosis`].
    #[serde(default)]
    pub local: Option<LocalConfig>,
    /// OpenSSL's reason for the first fatal alert this end sent after its
    /// handshake succeeded, e.g. "unexpected eof while reading" for a peer
    /// that closed without close_notify (over a socket or fd BIO, OpenSSL
    /// answers an end of file it reads with a decode_error of its own; the
    /// `openssl` crate's `SslStream` BIO reports no end of file, so there
    /// the read fails with `SSL_ERROR_SYSCALL` and nothing is recorded);
    /// absent (in JSON too) when there was none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_alert_reason: Option<String>,
    /// What the application named this connection with
    /// [`SslRefExt::set_trace_tag`](crate::SslRefExt::set_trace_tag) (a
    /// peer address, a request id), so that a hook shared by every
    /// connection of a context can tell which one it hears of; absent (in
    /// JSON too) when none was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// Where a handshake stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Started and not yet finished (or waiting on non-blocking I/O).
    InProgress,
    /// `SSL_CB_HANDSHAKE_DONE` was reported.
    Succeeded,
    /// The handshake call failed.
    Failed(Box<Failure>),
}

impl Outcome {
    /// The outcome's name as JSON's `status` spells it: "in_progress",
    /// "succeeded" or "failed".
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::InProgress => "in_progress",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed(_) => "failed",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::InProgress => f.write_str("in progress"),
            Outcome::Succeeded => f.write_str("succeeded"),
            Outcome::Failed(failure) => write!(f, "failed {}", failure.detail()),
        }
    }
}

/// Why a handshake failed, gathered at the moment it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Failure {
    /// The last state the handshake reached, by its `ssl.h` name; `None`
    /// when it failed before reaching any.
    pub state: Option<HandshakeState>,
    /// That state as `SSL_state_string_long` puts it, the words
    /// `openssl -state` prints; empty when there is no state. A TLS 1.3
    /// server that fails on the client's second flight (its Certificate or
    /// Finished) reads "TLSv1.3 early data": OpenSSL's name for the state
    /// in which a server waits for that flight, with or without 0-RTT.
    pub state_text: String,
    /// The last handshake message read or written before the failure,
    /// e.g. "read ClientHello", when messages were recorded.
    pub last_message: Option<String>,
    /// The alert this end sent, if any.
    pub alert_sent: Option<Alert>,
    /// The alert the peer sent, if any.
    pub alert_received: Option<Alert>,
    /// The certificate verification error, when verification failed.
    pub verify: Option<VerifyResult>,
    /// OpenSSL's reason string from its error queue, e.g. "no shared
    /// cipher", or what the trace tells when the queue held none ("the
    /// peer closed the connection (EOF) after ClientHello"). An
    /// application that stopped the handshake itself may put its own
    /// reason here (`tls-harness` does when its time limits fire).
    pub reason: String,
    /// This end gave up on the handshake ([`HandshakeTrace::gave_up`], or
    /// its `SSL` freed mid-handshake): OpenSSL never failed it, and the
    /// diagnosis is a time-out's. Absent from JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gave_up: bool,
}

impl HandshakeTrace {
    /// The version of the JSON layout of a trace, which
    /// `schema/trace.schema.json` in the crate describes. It changes
    /// whenever a field is renamed or removed, or its type changes.
    ///
    /// Version 2: durations are integers of microseconds (`at_us`,
    /// `duration_us`) and a message's `decode_error` is an object with a
    /// `kind`, no longer a string.
    ///
    /// Version 3: an exit's and a failure's `state` is the state's `ssl.h`
    /// name; the text `-state` prints is in `long` and `state_text`.
    ///
    /// Version 4: a KeyUpdate's body is decoded (`KeyUpdate`), no longer
    /// `Other`.
    ///
    /// Version 5: each of `local.ciphers` has its `min_version`.
    ///
    /// Version 6: certificates carry their key's security bits, key usage,
    /// extended key usage and validity in Unix seconds; `local.certificate` also its key size,
    /// signature algorithm and whether it may identify a TLS server or
    /// client.
    ///
    /// Version 7: a Certificate message carries its leaf's subjectAltNames
    /// (`leaf_subject_alt_names`, absent when none); `negotiated.verify`
    /// is null when the peer presented no certificate.
    ///
    /// Version 8: `negotiated.external_psk` (absent when false), and a
    /// TLS 1.3 handshake keyed by an external PSK is no longer `resumed`;
    /// a Certificate message carries its leaf's CNs (`leaf_common_names`);
    /// the server name, ALPN protocol and subjectAltNames are escaped.
    ///
    /// Version 9: a message whose extensions break their format (a
    /// repeated type, a content that does not parse) keeps its `body` and
    /// names each such extension in `extension_problems`; `decode_error`
    /// is left to framing that makes the rest unreadable.
    ///
    /// Version 10: an extension problem may be `misplaced` (a
    /// ClientHello's pre_shared_key before another extension), its
    /// content read; a ServerHello (a HelloRetryRequest) carries its
    /// cookie's length (`cookie_len`, absent when none) and a TLS 1.2
    /// one its acknowledgements of session_ticket and status_request
    /// (`session_ticket_ack`, `status_request_ack`, absent when false);
    /// both hellos carry max_fragment_length (absent when not sent).
    /// Version 11: an event may be an `unreported_record` (a
    /// ChangeCipherSpec OpenSSL read without reporting it).
    /// Version 12: a ClientHello carries its application_settings (ALPS)
    /// protocols and its encrypted_client_hello extension (both absent
    /// when not sent).
    pub const SCHEMA_VERSION: u32 = 12;

    /// The most events one trace records, over the connection's life
    /// (renegotiations, TLS 1.3 tickets and key updates count too); later
    /// ones are only counted in [`HandshakeTrace::events_dropped`], except
    /// up to 32 alerts and refused records, so that a long-lived connection
    /// whose trace filled up still shows what ended it. Messages stop being
    /// kept at 256 KiB of log, whatever their number. A full handshake
    /// records about 40 events.
    pub const MAX_EVENTS: usize = 1024;
}

impl Failure {
    /// The reason a failure carries when the `SSL` was freed mid-handshake.
    pub const ABANDONED: &'static str = "the connection was dropped with its handshake \
         unfinished (a time-out, a closed connection, or the application gave up)";

    /// How the reason of a failure at the peer's end of file begins.
    pub(crate) const PEER_EOF: &'static str = "the peer closed the connection (EOF)";

    /// Whether this end gave up: the `SSL` was freed mid-handshake, or the
    /// application called [`HandshakeTrace::gave_up`]. OpenSSL never saw
    /// the failure.
    pub fn abandoned(&self) -> bool {
        // Traces written before `gave_up` was recorded say so by reason.
        self.gave_up || self.reason == Self::ABANDONED
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "handshake failed {}", self.detail())
    }
}

impl Failure {
    /// The failure without its "handshake failed" lead: `after "SSLv3/TLS
    /// read server hello" (read ServerHello): ...`, for a message that
    /// says the handshake failed already ("TLS handshake failed", a log
    /// event's text).
    pub fn detail(&self) -> impl std::fmt::Display + '_ {
        Detail(self)
    }
}

/// [`Failure::detail`].
struct Detail<'a>(&'a Failure);

impl std::fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let failure = self.0;
        write!(f, "after \"{}\"", failure.state_text)?;
        // OpenSSL's TLS 1.3 server stands in this state from its Finished
        // to the client's, early data or not: a log reader would suspect
        // 0-RTT. (A client stands in it too, having sent early data, with
        // its ClientHello the last message; without messages neither is
        // told.)
        let server_waiting = failure.state.and_then(|s| s.name()) == Some("TLS_ST_EARLY_DATA")
            && failure
                .last_message
                .as_deref()
                .is_some_and(|m| m != "wrote ClientHello");
        match &failure.last_message {
            // Having read some of that flight, it no longer waits for it.
            Some(m) if server_waiting && m.starts_with("read ") => {
                write!(f, " (the client's second flight; {m})")?
            }
            Some(m) if server_waiting => write!(f, " (waiting for the client's Finished; {m})")?,
            Some(m) => write!(f, " ({m})")?,
            None => {}
        }
        if !failure.reason.is_empty() {
            write!(f, ": {}", failure.reason)?;
        }
        if let Some(v) = &failure.verify {
            write!(f, "; certificate verify error {} ({})", v.code, v.text)?;
        }
        if let Some(a) = &failure.alert_sent {
            write!(f, "; sent {a}")?;
            // OpenSSL 3 alerts decode_error at an unexpected end of file,
            // which reads like a complaint about the peer's bytes.
            if a.description == crate::diagnosis::alert::DECODE_ERROR
                && failure.reason.starts_with(Failure::PEER_EOF)
            {
                write!(f, " (OpenSSL's answer to the end of file)")?;
            }
        }
        if let Some(a) = &failure.alert_received {
            write!(f, "; received {a}")?;
        }
        Ok(())
    }
}

impl HandshakeTrace {
    pub(crate) fn new(side: Side) -> Self {
        HandshakeTrace {
            schema_version: HandshakeTrace::SCHEMA_VERSION,
            side,
            events: Vec::new(),
            outcome: Outcome::InProgress,
            negotiated: None,
            duration: None,
            bytes_sent: 0,
            bytes_received: 0,
            handshakes: 0,
            renegotiations_refused: 0,
            hook_panic: None,
            events_dropped: 0,
            joined_late: false,
            local: None,
            late_alert_reason: None,
            tag: None,
        }
    }

    /// Whether the handshake finished successfully.
    pub fn succeeded(&self) -> bool {
        self.outcome == Outcome::Succeeded
    }

    /// How many handshakes this connection completed: those started, less
    /// the renegotiations this end refused and one that failed or is still
    /// under way.
    pub fn handshakes_completed(&self) -> u32 {
        let unfinished = u32::from(!self.succeeded());
        self.handshakes
            .saturating_sub(self.renegotiations_refused)
            .saturating_sub(unfinished)
    }

    /// Records that this end gave up on the handshake (one of its own
    /// time-limits fired) as a failure for `reason`. A trace still in
    /// progress, as a blocking socket's time-out leaves it (OpenSSL took
    /// the timed-out wait for one to retry), fails where it stood; one
    /// that failed, as a wait refused outright does (OpenSSL took it for
    /// an end of file), takes `reason` instead of OpenSSL's; one that
    /// succeeded is left alone. It changes this copy only: the completion
    /// hook, the `tracing` event and the metrics report what the recorder
    /// saw (an `SSL` freed unfinished, as a time-out).
    pub fn gave_up(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        match &mut self.outcome {
            Outcome::Succeeded => {}
            Outcome::Failed(f) => {
                f.reason = reason;
                f.gave_up = true;
            }
            Outcome::InProgress => {
                let mut failure = crate::callbacks::failure_of(self, None, reason);
                failure.gave_up = true;
                self.outcome = Outcome::Failed(Box::new(failure));
            }
        }
    }

    /// The failure, when the handshake failed.
    pub fn failure(&self) -> Option<&Failure> {
        match &self.outcome {
            Outcome::Failed(f) => Some(f.as_ref()),
            _ => None,
        }
    }

    /// Why the handshake failed, in plain words, with the evidence and a
    /// fix; `None` when it did not fail and no fatal alert, refused
    /// renegotiation or warning unrecognized_name was recorded (a
    /// diagnosis of a handshake that succeeded explains such an alert).
    pub fn diagnosis(&self) -> Option<Diagnosis> {
        crate::diagnosis::diagnose(self)
    }

    /// Every state change, in order.
    pub fn states(&self) -> impl Iterator<Item = &StateChange> {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::State(s) => Some(s),
            _ => None,
        })
    }

    /// The long text of the last state reached; with none, OpenSSL's for
    /// TLS_ST_BEFORE, where a handshake that fails in its setup (no
    /// version it may use) stays, and where one with no trace at all is.
    pub(crate) fn last_state_text(trace: Option<&HandshakeTrace>) -> String {
        trace.and_then(|t| t.states().last()).map_or_else(
            || "before SSL initialization".to_owned(),
            |s| s.long.to_string(),
        )
    }

    /// Every alert sent or received, in order.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::Alert(a) => Some(a),
            _ => None,
        })
    }

    /// Every recorded message (needs [`crate::TraceOptions::messages`]).
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::Message(m) => Some(m.as_ref()),
            _ => None,
        })
    }

    /// The first alert this end sent.
    pub fn alert_sent(&self) -> Option<&Alert> {
        self.alerts().find(|a| a.direction == Direction::Write)
    }

    /// The last handshake message read or written.
    pub fn last_handshake_message(&self) -> Option<&Message> {
        self.messages()
            .filter(|m| m.handshake_type.is_some())
            .last()
    }

    /// Where in [`events`](Self::events) the peer was last heard: its last
    /// message read, or a ChangeCipherSpec after it that OpenSSL took
    /// without reporting ([`EventKind::UnreportedRecord`]), which in TLS
    /// 1.2 says its Finished never came. TLS 1.3's middlebox-compatibility
    /// ChangeCipherSpec (RFC 8446, appendix D.4) is no step of the
    /// handshake, reported or not, and is passed over for the message
    /// before it. What a time-out's words name.
    pub fn last_heard(&self) -> Option<usize> {
        // A ServerHello names the version chosen. The version OpenSSL
        // reports with a message is the one chosen only from the
        // handshake messages after the hellos: with the hellos, and with an
        // alert read before the ServerHello, it is the highest offered.
        let hellos = [HandshakeType::CLIENT_HELLO, HandshakeType::SERVER_HELLO];
        let tls13 = self.messages().any(|m| match (&m.body, m.handshake_type) {
            (Some(Body::ServerHello(h)), _) => h.selected_version == Some(0x0304),
            (_, Some(t)) => !hellos.contains(&t) && m.version == 0x0304,
            (_, None) => false,
        });
        self.events.iter().rposition(|e| match &e.kind {
            EventKind::Message(m) if m.direction == Direction::Read => {
                !(tls13 && i32::from(m.content_type) == sys::SSL3_RT_CHANGE_CIPHER_SPEC)
            }
            EventKind::UnreportedRecord(_) => !tls13,
            _ => false,
        })
    }

    /// "read ClientHello": the last handshake message and its direction.
    pub(crate) fn last_message_text(&self) -> Option<String> {
        let m = self.last_handshake_message()?;
        let dir = match m.direction {
            Direction::Read => "read",
            Direction::Write => "wrote",
        };
        Some(format!("{dir} {}", m.name()))
    }

    /// The first alert the peer sent.
    pub fn alert_received(&self) -> Option<&Alert> {
        self.alerts().find(|a| a.direction == Direction::Read)
    }

    /// How many exits were would-block returns (non-blocking I/O); 0 for
    /// blocking I/O.
    pub fn would_block_count(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::Exit(x) if x.status == ExitStatus::WouldBlock))
            .count()
    }

    /// The state log: exactly the lines `openssl s_client -state` (client)
    /// or `openssl s_server -state` (server) prints for this handshake.
    ///
    /// Over a socket, as those tools run. Over the `openssl` crate's stream
    /// BIO (`SslStream`, tokio-openssl), which never reports end of file, a
    /// peer that hangs up mid-handshake ends the log `error in <state>`
    /// where s_client's ends with OpenSSL's decode_error alert and `error
    /// in error`: the log records what OpenSSL did on this connection.
    pub fn state_log(&self) -> String {
        crate::render::state_log(self)
    }

    /// A message log in the spirit of `openssl s_client -msg`, with the
    /// decoded fields of each message.
    pub fn message_log(&self) -> String {
        crate::render::message_log(self)
    }

    /// The trace as JSON, with [`HandshakeTrace::SCHEMA_VERSION`], in the layout that the
    /// JSON Schema `schema/trace.schema.json` (draft 2020-12) describes;
    /// serde reads it back into an equal trace.
    pub fn to_json(&self) -> String {
        crate::render::json(self)
    }

    /// Reads a trace [`HandshakeTrace::to_json`] wrote (a saved failure, a
    /// hook's input in a test).
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// A two-column ladder diagram of the messages and alerts.
    pub fn ladder(&self) -> String {
        crate::render::ladder(self)
    }
}

/// A snapshot of the trace recorded so far for `ssl`, or `None` when
/// tracing is not attached to it. A connection of a traced context whose
/// handshake has not begun has an empty trace, in progress.
///
/// It can be called at any time, also while the handshake is in flight
/// (from the application's own OpenSSL callbacks, such as a verify
/// callback); the snapshot is a copy, so nothing of the connection stays
/// borrowed. Called from within the tracer's own work on the same
/// connection, which only code holding the `SSL` by a raw pointer can
/// do (a telemetry subscriber, say), it gives `None`.
///
/// The trace lives with the `SSL`: one reused for another connection
/// with `SSL_clear` keeps it, so the next connection's trace begins with
/// the last one's events and counts its handshake as a second.
pub fn trace(ssl: &SslRef) -> Option<HandshakeTrace> {
    crate::callbacks::snapshot(ssl)
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests;
