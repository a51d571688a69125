//! The compact log the trampolines append to on the handshake path.
//!
//! An entry is 32 bytes: state strings stay as OpenSSL's static pointers,
//! alerts as the two integers the callback passed, messages as their
//! bytes. Everything is turned into the public [`Event`]s, and messages
//! decoded, only when someone reads the trace.

use std::time::Duration;

use libc::c_int;

use crate::alert::{alert_name_or_code, Alert, AlertLevel};
use crate::decode::{self, Body, HandshakeType};
use crate::event::{
    Direction, Event, EventKind, Exit, ExitStatus, HandshakeState, Message, RecordHeader,
    StateChange,
};
use crate::ffi::{self, StaticText};
use crate::sys;

/// What one callback recorded.
#[derive(Clone, Copy)]
pub(crate) enum Entry {
    HandshakeStart,
    HandshakeDone,
    State {
        state: u32,
        long: StaticText,
        short: StaticText,
    },
    Alert {
        where_: c_int,
        ret: c_int,
    },
    Exit {
        ret: c_int,
        status: ExitStatus,
        state: StaticText,
    },
    /// Index into [`Log::messages`].
    Message(u32),
    Unaccepted(RecordHeader),
}

/// A record the message callback reported, with its bytes.
pub(crate) struct RawMessage {
    pub(crate) bytes: Box<[u8]>,
    pub(crate) version: u16,
    pub(crate) record_version: Option<u16>,
    pub(crate) content_type: u8,
    pub(crate) direction: Direction,
}

impl RawMessage {
    fn handshake_type(&self) -> Option<HandshakeType> {
        (i32::from(self.content_type) == sys::SSL3_RT_HANDSHAKE)
            .then(|| self.bytes.first().map(|t| HandshakeType(*t)))
            .flatten()
    }
}

/// Entries in order, each with its time in microseconds since the
/// recorder was made (a handshake past 71 minutes saturates).
pub(crate) struct Log {
    entries: Vec<(u32, Entry)>,
    messages: Vec<RawMessage>,
    limit: usize,
    /// Entries refused because the log was full.
    pub(crate) dropped: u64,
}

impl Log {
    /// A log that keeps at most `limit` entries.
    pub(crate) fn new(limit: usize) -> Self {
        Log {
            entries: Vec::with_capacity(ENTRIES_STEP),
            messages: Vec::new(),
            limit,
            dropped: 0,
        }
    }

    fn full(&mut self) -> bool {
        let full = self.entries.len() >= self.limit;
        self.dropped += u64::from(full);
        full
    }

    pub(crate) fn push(&mut self, at: Duration, entry: Entry) {
        if !self.full() {
            grow_by_steps(&mut self.entries, ENTRIES_STEP);
            self.entries.push((micros(at), entry));
        }
    }

    pub(crate) fn push_message(&mut self, at: Duration, message: RawMessage) {
        if !self.full() {
            let index = self.messages.len() as u32;
            grow_by_steps(&mut self.messages, MESSAGES_STEP);
            self.messages.push(message);
            grow_by_steps(&mut self.entries, ENTRIES_STEP);
            self.entries.push((micros(at), Entry::Message(index)));
        }
    }

    /// Whether the state machine entered any of the states named.
    pub(crate) fn reached(&self, names: &[&str]) -> bool {
        self.entries.iter().any(|(_, e)| match e {
            Entry::State { state, .. } => HandshakeState::from_running(*state)
                .name()
                .is_some_and(|n| names.contains(&n)),
            _ => false,
        })
    }

    /// The bytes of the first handshake message of type `t`.
    pub(crate) fn first_message(&self, t: HandshakeType) -> Option<&RawMessage> {
        self.messages.iter().find(|m| m.handshake_type() == Some(t))
    }

    /// The public events; messages decoded when `decode` is set, their
    /// bytes kept when `keep_raw` is.
    pub(crate) fn events(&self, decode: bool, keep_raw: bool) -> Vec<Event> {
        // The key exchange messages' layout follows from the suite that the
        // ServerHello before them selected.
        let mut suite = None;
        self.entries
            .iter()
            .filter_map(|&(at, entry)| {
                let kind = match entry {
                    Entry::Message(i) => {
                        let raw = self.messages.get(i as usize)?;
                        let m = message(raw, decode.then_some(&mut suite), keep_raw);
                        EventKind::Message(Box::new(m))
                    }
                    other => event_kind(other)?,
                };
                Some(Event {
                    at: Duration::from_micros(u64::from(at)),
                    kind,
                })
            })
            .collect()
    }
}

/// The event of an entry other than a message (`None` for a message,
/// which [`Log::events`] builds from its bytes).
fn event_kind(entry: Entry) -> Option<EventKind> {
    Some(match entry {
        Entry::HandshakeStart => EventKind::HandshakeStart,
        Entry::HandshakeDone => EventKind::HandshakeDone,
        Entry::State { state, long, short } => EventKind::State(StateChange {
            state: HandshakeState::from_running(state),
            long: long.text(),
            short: short.text(),
        }),
        Entry::Alert { where_, ret } => EventKind::Alert(alert(where_, ret)),
        Entry::Exit { ret, status, state } => EventKind::Exit(Exit {
            ret,
            status,
            state: state.text(),
        }),
        Entry::Unaccepted(header) => EventKind::UnacceptedRecord(header),
        Entry::Message(_) => return None,
    })
}

/// A full TLS 1.3 handshake records 31 to 33 entries per side, about 12
/// of them messages; a log grows in steps rather than doubling, since the
/// slack of a doubled vector would be most of what tracing costs in memory
/// per connection.
const ENTRIES_STEP: usize = 36;
const MESSAGES_STEP: usize = 12;

fn grow_by_steps<T>(v: &mut Vec<T>, step: usize) {
    if v.len() == v.capacity() {
        v.reserve_exact(step);
    }
}

fn micros(at: Duration) -> u32 {
    u32::try_from(at.as_micros()).unwrap_or(u32::MAX)
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
fn message(m: &RawMessage, suite: Option<&mut Option<u16>>, keep_raw: bool) -> Message {
    let mut message = Message {
        direction: m.direction,
        version: m.version,
        record_version: m.record_version,
        content_type: m.content_type,
        handshake_type: m.handshake_type(),
        length: m.bytes.len(),
        body: None,
        decode_error: None,
        raw: keep_raw.then(|| m.bytes.to_vec()),
    };
    if let Some(suite) = suite {
        if i32::from(m.content_type) == sys::SSL3_RT_HANDSHAKE {
            let context = decode::DecodeContext::new(m.version, *suite);
            match decode::decode_handshake_in(&m.bytes, context) {
                Ok(msg) => message.body = Some(msg.body),
                Err(e) => message.decode_error = Some(e),
            }
        }
        if let Some(Body::ServerHello(hello)) = &message.body {
            *suite = Some(hello.cipher_suite.id);
        }
    }
    message
}

/// Whether the first ClientHello offered a session ticket; `None` when
/// messages were not recorded.
pub(crate) fn ticket_offered(log: &Log) -> Option<bool> {
    let hello = log.first_message(HandshakeType::CLIENT_HELLO)?;
    match decode::decode_handshake(&hello.bytes, false).ok()?.body {
        Body::ClientHello(hello) => Some(hello.session_ticket.is_some_and(|n| n > 0)),
        _ => None,
    }
}
