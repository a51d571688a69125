//! What one probe saw ([`Attempt`]) and what the JSON report keeps of it
//! ([`ProbeRecord`]).

use std::time::Duration;

use openssl::x509::X509;
use openssl_handshake::{Diagnosis, HandshakeTrace, Negotiated};
use serde::Serialize;

use super::facts::Hello;
use crate::ffi::SavedSession;

/// What one probe saw.
pub struct Attempt {
    /// The probe id, the key of its trace in the report.
    pub id: String,
    /// Whether the handshake finished.
    pub ok: bool,
    /// What the server's messages said, whether or not it finished.
    pub hello: Hello,
    /// What was negotiated, on success.
    pub negotiated: Option<Negotiated>,
    /// Why it failed, on failure.
    pub error: Option<String>,
    /// Why it failed, diagnosed from its trace: also set when the server
    /// sent a fatal alert after a handshake that finished.
    pub diagnosis: Option<Diagnosis>,
    /// The session to resume, on success.
    pub session: Option<SavedSession>,
    /// The server's chain, leaf first, as received.
    pub chain: Vec<X509>,
    /// The OCSP response the server stapled, read, when the probe asked
    /// for one and it came (the handshake may have failed after it).
    pub ocsp_staple: Option<crate::ocsp::Staple>,
    /// Why the server gave nothing to judge by: no connection, a STARTTLS
    /// refused, or a time-out before any ServerHello. Such a probe says neither yes nor
    /// no, and what rests on it is incomplete.
    pub unanswered: Option<String>,
    /// The connection ended before a byte came back: worth one retry (a
    /// middlebox may drop one of many); twice, a refusal without an alert.
    pub closed_silently: bool,
    /// The fatal alert a TLS 1.3 server sent after a handshake that
    /// finished (its verdict on the client's certificate): what was
    /// negotiated stands, but the connection was refused.
    pub rejected_after_handshake: Option<u8>,
    /// How the server answered a renegotiation this client asked for
    /// after the handshake ([`super::offer::Offer::renegotiate`]).
    pub renegotiation: Option<ClientRenegotiation>,
    /// How the probe's wait for TLS 1.3 tickets after its handshake went,
    /// when it waited ([`super::offer::Offer::wait_tickets`]): none coming
    /// by then says no more than that.
    pub ticket_wait: Option<TicketWait>,
}

/// How a wait for what comes after the handshake went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketWait {
    /// It ran its course: this long, the whole limit where nothing came.
    Waited(Duration),
    /// The connection ended it (close_notify, a close or an error) after
    /// this long.
    Closed(Duration),
    /// Application data came first, after this long.
    Data(Duration),
}

/// `d` in whole milliseconds, or "less than 1 ms".
fn millis(d: Duration) -> String {
    match d.as_millis() {
        0 => "less than 1 ms".to_owned(),
        ms => crate::settings::Secs(Duration::from_millis(ms as u64)).to_string(),
    }
}

/// The server's answer to a renegotiation the client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRenegotiation {
    /// A second handshake completed.
    Accepted,
    /// The server refused: its alert, or OpenSSL's reason.
    Refused(String),
    /// No answer in time.
    NoAnswer(String),
}

impl Attempt {
    /// A probe this end could not set up (its own configuration).
    pub fn failed(id: &str, error: String) -> Self {
        Attempt {
            id: id.to_owned(),
            ok: false,
            hello: Hello::default(),
            negotiated: None,
            unanswered: None,
            closed_silently: false,
            error: Some(error),
            diagnosis: None,
            session: None,
            chain: Vec::new(),
            ocsp_staple: None,
            rejected_after_handshake: None,
            renegotiation: None,
            ticket_wait: None,
        }
    }

    /// Whether the server took the connection: the handshake finished and
    /// no fatal alert followed it.
    pub fn accepted(&self) -> bool {
        self.ok && self.rejected_after_handshake.is_none()
    }

    /// Why the server did not take the connection, when it did not.
    pub fn refusal(&self) -> Option<String> {
        match self.rejected_after_handshake {
            Some(description) => Some(
                crate::probe::ProbeFailure::AlertAfterHandshake {
                    from: crate::case::Role::Server,
                    description,
                }
                .to_string(),
            ),
            None => self.error.clone(),
        }
    }

    /// That no NewSessionTicket came: within how long, when the probe
    /// waited for TLS 1.3's, which come after the handshake and may come
    /// later still.
    pub fn no_tickets(&self) -> String {
        match self.ticket_wait {
            None => "the server sent no NewSessionTicket".into(),
            Some(TicketWait::Waited(limit)) => format!(
                "no NewSessionTicket came within {} of the handshake (--timeout)",
                crate::settings::Secs(limit)
            ),
            Some(TicketWait::Closed(after)) => format!(
                "the server ended the connection {} after the handshake, sending no \
                 NewSessionTicket",
                millis(after)
            ),
            Some(TicketWait::Data(after)) => format!(
                "the server sent application data {} after the handshake, before any \
                 NewSessionTicket",
                millis(after)
            ),
        }
    }

    /// A probe whose connection could not be made or, with `--starttls`,
    /// switched to TLS.
    pub(super) fn unreached(id: &str, error: String) -> Self {
        Attempt {
            unanswered: Some(error.clone()),
            ..Attempt::failed(id, error)
        }
    }

    /// Whether the probe is worth making once more.
    pub(super) fn retry(&self) -> Option<String> {
        self.unanswered.clone().or_else(|| {
            self.closed_silently
                .then(|| self.error.clone().unwrap_or_default())
        })
    }
}

/// A probe as the JSON report keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeRecord {
    /// What the client offered, in short.
    pub offer: String,
    /// Why the handshake failed, when it did, or why the server refused
    /// the connection after it.
    pub error: Option<String>,
    /// The failure's diagnosis: cause, evidence, fix.
    pub diagnosis: Option<Diagnosis>,
    /// Milliseconds from connect to close.
    pub elapsed_ms: f64,
    /// The traced handshake; `None` when the TCP connection failed or the
    /// probe wrote its ClientHello itself ([`Prober::raw`](super::conn::Prober::raw)). Its messages
    /// keep their bytes only with `--raw-bytes`.
    pub trace: Option<HandshakeTrace>,
    /// Why the server gave nothing to judge by, even on a retry: no
    /// connection, a STARTTLS refused, or a time-out before any
    /// ServerHello.
    pub unanswered: Option<String>,
    /// Why the first attempt was repeated (no answer, or no byte back);
    /// the rest of this record is the retry's, but `elapsed_ms` counts both.
    pub retried_after: Option<String>,
}
