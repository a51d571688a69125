//! What a log entry becomes when the trace is read: its public event,
//! with a message decoded in the context the ServerHello before it set.

use libc::c_int;

use super::{Entry, RawMessage};
use crate::alert::{alert_name_or_code, Alert, AlertLevel};
use crate::decode::{self, Body};
use crate::event::{Direction, EventKind, Exit, HandshakeState, Message, StateChange};
use crate::ffi;
use crate::sys;
use crate::version::ProtocolVersion;

/// The event of an entry; a message is decoded when `suite` is given (see
/// [`message`]) and keeps its bytes when `keep_raw` is set.
pub(super) fn event_kind(
    entry: Entry<'_>,
    suite: Option<&mut Option<u16>>,
    keep_raw: bool,
) -> EventKind {
    match entry {
        Entry::HandshakeStart => EventKind::HandshakeStart,
        Entry::HandshakeDone => EventKind::HandshakeDone,
        Entry::State(seen) => {
            let (long, short) = seen.texts();
            EventKind::State(StateChange {
                state: HandshakeState::from_running(seen.state),
                long,
                short,
            })
        }
        Entry::Alert { where_, ret } => EventKind::Alert(alert(where_, ret)),
        Entry::Exit { ret, status, state } => EventKind::Exit(Exit {
            ret,
            status,
            state: HandshakeState::from_running(state.state),
            long: state.texts().0,
        }),
        Entry::Unaccepted(header) => EventKind::UnacceptedRecord(header),
        Entry::Unreported(header) => EventKind::UnreportedRecord(header),
        Entry::Message(m) => EventKind::Message(Box::new(message(&m, suite, keep_raw))),
    }
}

/// The alert the info callback reported with `where_` and `ret`.
fn alert(where_: c_int, ret: c_int) -> Alert {
    let (level_text, text) = ffi::alert_strings(ret);
    let description = (ret & 0xff) as u8;
    Alert {
        direction: if where_ & sys::SSL_CB_READ != 0 {
            Direction::Read
        } else {
            Direction::Write
        },
        level: AlertLevel::from_u8((ret >> 8) as u8),
        description,
        name: alert_name_or_code(description),
        level_text,
        text,
    }
}

/// The public message; decoded when `suite` is given, which carries the
/// suite a ServerHello selected from one message to the next.
fn message(m: &RawMessage<'_>, suite: Option<&mut Option<u16>>, keep_raw: bool) -> Message {
    let mut message = Message {
        direction: m.direction,
        version: m.version,
        record_version: m.record_version,
        content_type: m.content_type,
        handshake_type: m.handshake_type(),
        length: m.bytes.len(),
        body: None,
        decode_error: None,
        extension_problems: Vec::new(),
        raw: keep_raw.then(|| m.bytes.to_vec()),
    };
    if let Some(suite) = suite {
        if m.sslv2_hello() {
            match decode::decode_sslv2_client_hello(m.bytes) {
                Ok(hello) => message.body = Some(Body::ClientHello(hello)),
                Err(e) => message.decode_error = Some(e),
            }
        }
        if i32::from(m.content_type) == sys::SSL3_RT_HANDSHAKE {
            // The callback's version is 0 before one is agreed.
            let version = (m.version != 0).then(|| ProtocolVersion::from(m.version));
            let context = decode::DecodeContext::new(version, *suite);
            match decode::decode_handshake_in(m.bytes, context) {
                Ok(msg) => {
                    message.body = Some(msg.body);
                    message.extension_problems = msg.extension_problems;
                }
                Err(e) => message.decode_error = Some(e),
            }
        }
        if i32::from(m.content_type) == sys::SSL3_RT_ALERT {
            message.body = decode::AlertRecord::from_bytes(m.bytes).map(Body::Alert);
        }
        if let Some(Body::ServerHello(hello)) = &message.body {
            *suite = Some(hello.cipher_suite.id);
        }
    }
    message
}
