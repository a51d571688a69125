//! [`Facts`]: the parts of a trace every family of causes looks at,
//! gathered once.

use crate::decode::{
    Body, Certificate, CertificateRequest, ClientHello, HandshakeType, ServerHello,
};
use crate::event::{Alert, AlertLevel, Direction, EventKind, Message, Side};
use crate::negotiated::VerifyResult;
use crate::sys;
use crate::trace::{Failure, HandshakeTrace};
use crate::version::ProtocolVersion;

use super::{Fault, LocalConfig};

/// Alert descriptions (RFC 8446 section 6).
pub(crate) mod alert {
    pub const UNEXPECTED_MESSAGE: u8 = 10;
    pub const BAD_RECORD_MAC: u8 = 20;
    pub const RECORD_OVERFLOW: u8 = 22;
    pub const HANDSHAKE_FAILURE: u8 = 40;
    pub const BAD_CERTIFICATE: u8 = 42;
    pub const UNSUPPORTED_CERTIFICATE: u8 = 43;
    pub const CERTIFICATE_REVOKED: u8 = 44;
    pub const CERTIFICATE_EXPIRED: u8 = 45;
    pub const CERTIFICATE_UNKNOWN: u8 = 46;
    pub const ILLEGAL_PARAMETER: u8 = 47;
    pub const UNKNOWN_CA: u8 = 48;
    pub const ACCESS_DENIED: u8 = 49;
    pub const DECODE_ERROR: u8 = 50;
    pub const DECRYPT_ERROR: u8 = 51;
    pub const PROTOCOL_VERSION: u8 = 70;
    pub const INSUFFICIENT_SECURITY: u8 = 71;
    pub const INTERNAL_ERROR: u8 = 80;
    pub const INAPPROPRIATE_FALLBACK: u8 = 86;
    pub const NO_RENEGOTIATION: u8 = 100;
    pub const MISSING_EXTENSION: u8 = 109;
    pub const UNRECOGNIZED_NAME: u8 = 112;
    pub const BAD_CERTIFICATE_STATUS_RESPONSE: u8 = 113;
    pub const CERTIFICATE_REQUIRED: u8 = 116;
    pub const NO_APPLICATION_PROTOCOL: u8 = 120;

    /// The alerts a verifier sends about a certificate it rejects.
    pub const ABOUT_A_CERTIFICATE: [u8; 6] = [
        BAD_CERTIFICATE,
        UNSUPPORTED_CERTIFICATE,
        CERTIFICATE_REVOKED,
        CERTIFICATE_EXPIRED,
        CERTIFICATE_UNKNOWN,
        UNKNOWN_CA,
    ];
}

/// Whether a fatal alert follows the last handshake's end.
fn fatal_after_done(trace: &HandshakeTrace) -> bool {
    trace
        .events
        .iter()
        .rev()
        .take_while(|e| !matches!(e.kind, EventKind::HandshakeDone))
        .any(|e| matches!(&e.kind, EventKind::Alert(a) if a.level == AlertLevel::Fatal))
}

/// What a diagnosis reads from one trace.
pub(crate) struct Facts<'a> {
    /// The side the trace belongs to.
    pub side: Side,
    pub trace: &'a HandshakeTrace,
    pub failure: Option<&'a Failure>,
    /// The first alert this end sent that matters (fatal, or a refusal).
    pub sent: Option<&'a Alert>,
    /// The first such alert the peer sent.
    pub received: Option<&'a Alert>,
    /// The last ClientHello either way (a renegotiation sends another).
    pub client_hello: Option<&'a ClientHello>,
    pub server_hello: Option<&'a ServerHello>,
    /// The server's Certificate message (sent by a server, read by a client).
    pub server_certificate: Option<&'a Certificate>,
    /// The client's Certificate message.
    pub client_certificate: Option<&'a Certificate>,
    pub certificate_request: Option<&'a CertificateRequest>,
    pub local: Option<&'a LocalConfig>,
    pub verify: Option<&'a VerifyResult>,
    /// The handshake succeeded and the fatal alert came after it: the
    /// connection failed, not its handshake.
    pub after_handshake: bool,
}

impl<'a> Facts<'a> {
    /// `None` when there is nothing to diagnose.
    pub fn of(trace: &'a HandshakeTrace) -> Option<Facts<'a>> {
        let failure = trace.failure();
        let notable = |dir: Direction| {
            trace.alerts().find(|a| {
                a.direction == dir
                    && (a.level == AlertLevel::Fatal
                        || matches!(
                            a.description,
                            alert::NO_RENEGOTIATION | alert::UNRECOGNIZED_NAME
                        ))
            })
        };
        let sent = notable(Direction::Write).or(failure.and_then(|f| f.alert_sent.as_ref()));
        let received = notable(Direction::Read).or(failure.and_then(|f| f.alert_received.as_ref()));
        if failure.is_none() && sent.is_none() && received.is_none() {
            return None;
        }
        let side = trace.side;
        let from = |client: bool| {
            if (side == Side::Client) == client {
                Direction::Write
            } else {
                Direction::Read
            }
        };
        let bodies = || {
            trace
                .messages()
                .filter_map(|m: &'a Message| Some((m.direction, m.body.as_ref()?)))
        };
        let last_of = |want: Direction, pick: &dyn Fn(&'a Body) -> bool| {
            bodies()
                .filter(|(d, b)| *d == want && pick(b))
                .map(|(_, b)| b)
                .last()
        };
        let client_hello =
            last_of(from(true), &|b| matches!(b, Body::ClientHello(_))).and_then(|b| match b {
                Body::ClientHello(h) => Some(h),
                _ => None,
            });
        let server_hello = last_of(
            from(false),
            &|b| matches!(b, Body::ServerHello(h) if !h.hello_retry_request),
        )
        .and_then(|b| match b {
            Body::ServerHello(h) => Some(h),
            _ => None,
        });
        let certificate = |client: bool| {
            last_of(from(client), &|b| matches!(b, Body::Certificate(_))).and_then(|b| match b {
                Body::Certificate(c) => Some(c),
                _ => None,
            })
        };
        let certificate_request =
            last_of(from(false), &|b| matches!(b, Body::CertificateRequest(_))).and_then(
                |b| match b {
                    Body::CertificateRequest(r) => Some(r),
                    _ => None,
                },
            );
        Some(Facts {
            side,
            trace,
            failure,
            sent,
            received,
            client_hello,
            server_hello,
            server_certificate: certificate(false),
            client_certificate: certificate(true),
            certificate_request,
            local: trace.local.as_ref(),
            verify: failure.and_then(|f| f.verify.as_ref()),
            after_handshake: trace.succeeded() && fatal_after_done(trace),
        })
    }

    /// OpenSSL's reason, lower case; empty when there was none.
    pub fn reason(&self) -> String {
        self.reason_text()
            .map(str::to_ascii_lowercase)
            .unwrap_or_default()
    }

    /// OpenSSL's reason as recorded, when there was one: the failure's, or
    /// for a handshake that succeeded, that of the fatal alert this end
    /// sent after it.
    pub fn reason_text(&self) -> Option<&str> {
        match self.failure {
            Some(f) => Some(f.reason.as_str()),
            None => self.trace.late_alert_reason.as_deref(),
        }
        .filter(|r| !r.is_empty())
    }

    /// Whether OpenSSL's reason contains any of `words`.
    pub fn reason_has(&self, words: &[&str]) -> bool {
        let reason = self.reason();
        words.iter().any(|w| reason.contains(w))
    }

    /// Whether this end sent alert `description`.
    pub fn sent_alert(&self, description: u8) -> bool {
        self.has_alert(Direction::Write, self.sent, description)
    }

    /// Whether the peer sent alert `description`.
    pub fn received_alert(&self, description: u8) -> bool {
        self.has_alert(Direction::Read, self.received, description)
    }

    /// Whether alert `description` went in `direction`: as the one
    /// recorded for that direction, or anywhere in the trace.
    fn has_alert(&self, direction: Direction, recorded: Option<&Alert>, description: u8) -> bool {
        recorded.is_some_and(|a| a.description == description)
            || self
                .trace
                .alerts()
                .any(|a| a.direction == direction && a.description == description)
    }

    /// Whether either end sent alert `description`.
    pub fn alert(&self, description: u8) -> bool {
        self.sent_alert(description) || self.received_alert(description)
    }

    /// The alert that carried the failure, either way.
    pub fn any_alert(&self) -> Option<&'a Alert> {
        self.sent.or(self.received)
    }

    /// Whether a handshake message of type `t` went in direction `dir`.
    pub fn saw(&self, dir: Direction, t: HandshakeType) -> bool {
        self.trace
            .messages()
            .any(|m| m.direction == dir && m.handshake_type == Some(t))
    }

    /// Whether the peer sent any handshake message at all.
    pub fn read_any_handshake(&self) -> bool {
        self.trace
            .messages()
            .any(|m| m.direction == Direction::Read && m.handshake_type.is_some())
    }

    /// The last state reached.
    pub fn state(&self) -> String {
        match self.failure {
            Some(f) if !f.state_text.is_empty() => f.state_text.clone(),
            _ => HandshakeTrace::last_state_text(Some(self.trace)),
        }
    }

    /// "read ClientHello": the last handshake message, when recorded.
    pub fn last_message(&self) -> Option<String> {
        if let Some(m) = self.failure.and_then(|f| f.last_message.clone()) {
            return Some(m);
        }
        self.trace.last_message_text()
    }

    /// The fault of the other end.
    pub fn peer_fault(&self) -> Fault {
        Fault::of(self.peer())
    }

    /// The other end.
    pub fn peer(&self) -> Side {
        match self.side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    /// "this client" or "this server".
    pub fn me(&self) -> &'static str {
        match self.side {
            Side::Client => "this client",
            Side::Server => "this server",
        }
    }

    /// "the server" or "the client".
    pub fn them(&self) -> &'static str {
        match self.side {
            Side::Client => "the server",
            Side::Server => "the client",
        }
    }
}

/// An alert for evidence, as a failure's reason prints it ("fatal alert
/// certificate_required (116)"): by its IANA name, which the TLS 1.3
/// alerts OpenSSL 3.0 calls "unknown" have too.
pub(crate) fn alert_text(a: &Alert) -> String {
    a.to_string()
}

/// The alert's description in words: OpenSSL's, or the IANA name where
/// OpenSSL has none.
pub(crate) fn alert_name(a: &Alert) -> String {
    match Alert::name_of(a.description) {
        Some(iana) if a.text == "unknown" => iana.replace('_', " "),
        _ => a.text.to_string(),
    }
}

/// "TLS 1.2" for 0x0303, "TLS 1.3 draft 18 (0x7f12)" for a pre-RFC 8446
/// draft, "SSL 2.0" for what an SSLv2-format hello may offer; the hex
/// value for what has no name.
pub(crate) fn version_name(v: u16) -> String {
    if i32::from(v) == sys::SSL2_VERSION {
        return "SSL 2.0".to_owned();
    }
    if is_tls13_draft(v) {
        return format!("TLS 1.3 draft {} (0x{v:04x})", v & 0xff);
    }
    let v = ProtocolVersion::from(v);
    v.spelled_out().map_or_else(|| v.to_string(), str::to_owned)
}

/// The versions TLS 1.3's drafts used before RFC 8446: 0x7f00 plus the
/// draft's number.
pub(crate) fn is_tls13_draft(v: u16) -> bool {
    v >> 8 == 0x7f
}

pub(crate) use crate::decode::is_grease;

/// Names, or hex ids, without GREASE.
pub(crate) fn named<'a>(items: impl Iterator<Item = (u16, &'a Option<String>)>) -> Vec<String> {
    items
        .filter(|(id, _)| !is_grease(*id))
        .map(|(id, n)| n.clone().unwrap_or_else(|| format!("0x{id:04x}")))
        .collect()
}

/// The first `max` items joined by ", ", with "and N more" after them.
pub(crate) fn list(items: &[String], max: usize) -> String {
    if items.is_empty() {
        return "none".to_owned();
    }
    let mut out = items
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        out.push_str(&format!(" and {} more", items.len() - max));
    }
    out
}
