//! The compact log the trampolines append to on the handshake path.
//!
//! Entries are packed into one byte buffer: a tag, the time in
//! microseconds, the entry's fields, and for a message its bytes in place
//! (for a Certificate or CertificateRequest message of 256 B to 16 KiB,
//! the index of a copy a thread's connections share: see [`shared`]).
//! A state costs 11 bytes, since its texts are learnt per state number
//! (see `ffi::seen_state`). One buffer, rather than a vector of entries
//! and an allocation per message, is what keeps a traced connection to a
//! few KiB and the handshake path almost free of allocations; a
//! long-lived connection's log is bounded by entries and by bytes (see
//! [`MAX_BYTES`]). Events are built, and messages decoded, only when
//! someone reads the trace.

use std::sync::Arc;
use std::time::Duration;

use libc::c_int;

use crate::decode::HandshakeType;
use crate::event::{Direction, Event, ExitStatus, HandshakeState, RecordHeader};
use crate::ffi::{SeenState, StaticText};
use crate::sys;

mod events;
mod queries;
mod shared;

pub(crate) use queries::{
    client_hello_sni, dh_group, peer_certificates, selected_psk_is_external, ticket_offered,
};

/// What one callback recorded.
#[derive(Clone, Copy)]
pub(crate) enum Entry<'a> {
    HandshakeStart,
    HandshakeDone,
    State(SeenState),
    Alert {
        where_: c_int,
        ret: c_int,
    },
    Exit {
        ret: c_int,
        status: ExitStatus,
        state: SeenState,
    },
    Message(RawMessage<'a>),
    Unaccepted(RecordHeader),
    Unreported(RecordHeader),
}

/// A record the message callback reported, with its bytes.
#[derive(Clone, Copy)]
pub(crate) struct RawMessage<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) version: u16,
    pub(crate) record_version: Option<u16>,
    pub(crate) content_type: u8,
    pub(crate) direction: Direction,
}

impl RawMessage<'_> {
    /// The first byte of a handshake message, or of an SSLv2-format
    /// ClientHello, whose CLIENT-HELLO type is 1 as in TLS.
    fn handshake_type(&self) -> Option<HandshakeType> {
        (i32::from(self.content_type) == sys::SSL3_RT_HANDSHAKE || self.sslv2_hello())
            .then(|| self.bytes.first().map(|t| HandshakeType(*t)))
            .flatten()
    }

    /// The one SSL 2.0 message OpenSSL reads: a CLIENT-HELLO.
    fn sslv2_hello(&self) -> bool {
        self.content_type == 0
            && i32::from(self.version) == sys::SSL2_VERSION
            && self.bytes.first() == Some(&1)
    }
}

/// Entries in order, each with its time in microseconds since the
/// recorder was made (a handshake past 71 minutes saturates).
pub(crate) struct Log {
    bytes: Vec<u8>,
    /// Texts of states that were not learnt (an `SSL` in error), which
    /// entries refer to by index.
    own_texts: Vec<(StaticText, StaticText)>,
    /// Messages kept once per thread (see [`shared`]), which entries
    /// refer to by index.
    shared: Vec<Arc<[u8]>>,
    /// What of [`MAX_BYTES`] the entries may take: less the shared
    /// messages' bytes, which count towards the bound as kept ones do.
    byte_budget: usize,
    count: usize,
    limit: usize,
    /// Entries refused because the log was full.
    pub(crate) dropped: u64,
}

impl Log {
    /// A log that keeps at most `limit` entries.
    pub(crate) fn new(limit: usize) -> Self {
        Log {
            bytes: Vec::new(),
            own_texts: Vec::new(),
            shared: Vec::new(),
            byte_budget: MAX_BYTES,
            count: 0,
            limit,
            dropped: 0,
        }
    }

    // One push per kind of entry, each writing its fixed-size part in
    // one copy: the callbacks run these on every state and message.

    /// A state the handshake moved to.
    #[inline]
    pub(crate) fn push_state(&mut self, at: u64, seen: SeenState) {
        let mut e = head::<{ HEADER + STATE_FIELDS }>(tag::STATE, at);
        e[5..].copy_from_slice(&self.state_fields(seen));
        self.put(e, &[], seen.own);
    }

    /// The start or end of a handshake.
    #[inline]
    pub(crate) fn push_mark(&mut self, at: u64, done: bool) {
        let tag = if done { tag::DONE } else { tag::START };
        self.put(head::<HEADER>(tag, at), &[], None);
    }

    /// A `SSL_connect`/`SSL_accept` exit and the state it left in.
    #[inline]
    pub(crate) fn push_exit(&mut self, at: u64, ret: c_int, status: ExitStatus, seen: SeenState) {
        let mut e = head::<{ HEADER + EXIT_FIELDS }>(tag::EXIT, at);
        e[5..9].copy_from_slice(&ret.to_le_bytes());
        e[9] = status as u8;
        e[10..].copy_from_slice(&self.state_fields(seen));
        self.put(e, &[], seen.own);
    }

    /// An alert sent or received, as the info callback reports it.
    #[inline]
    pub(crate) fn push_alert(&mut self, at: u64, where_: c_int, ret: c_int) {
        let mut e = head::<{ HEADER + ALERT_FIELDS }>(tag::ALERT, at);
        e[5..9].copy_from_slice(&where_.to_le_bytes());
        e[9..].copy_from_slice(&ret.to_le_bytes());
        self.put_reserved(e);
    }

    /// A record read whose content OpenSSL never passed on.
    pub(crate) fn push_unaccepted(&mut self, at: u64, h: RecordHeader) {
        self.put_reserved(header_entry(tag::UNACCEPTED, at, h));
    }

    /// A record read whose content OpenSSL took without passing it on.
    #[cold]
    #[inline(never)]
    pub(crate) fn push_unreported(&mut self, at: u64, h: RecordHeader) {
        self.put(header_entry(tag::UNREPORTED, at, h), &[], None);
    }

    /// A record the message callback reported, with its bytes.
    #[inline]
    pub(crate) fn push_message(&mut self, at: u64, m: RawMessage<'_>) {
        if shared::worth_sharing(&m) {
            return self.push_shared(at, m);
        }
        let Ok(length) = u32::try_from(m.bytes.len()) else {
            self.dropped += 1;
            return;
        };
        self.put(message_entry(tag::MESSAGE, at, &m, length), m.bytes, None);
    }

    /// A message whose bytes are kept once per thread: the entry holds
    /// the index of its shared copy where a message's length would be.
    #[cold]
    #[inline(never)]
    fn push_shared(&mut self, at: u64, m: RawMessage<'_>) {
        let Ok(index) = u32::try_from(self.shared.len()) else {
            self.dropped += 1;
            return;
        };
        let e = message_entry(tag::SHARED_MESSAGE, at, &m, index);
        // Its bytes are not in `bytes`, but count all the same.
        if self.bytes.len() + e.len() + m.bytes.len() > self.byte_budget {
            self.dropped += 1;
            return;
        }
        if self.admit(e.len(), false) {
            self.byte_budget -= m.bytes.len();
            self.shared.push(shared::share(m.bytes, m.direction));
            self.bytes.extend_from_slice(&e);
        }
    }

    /// A state's number, then [`LEARNT`] or the index its own texts will
    /// have (see [`Log::put`]).
    #[inline]
    fn state_fields(&self, seen: SeenState) -> [u8; STATE_FIELDS] {
        // At most `limit` entries, far below u16::MAX.
        let texts = seen.own.map_or(LEARNT, |_| self.own_texts.len() as u16);
        let mut f = [0; STATE_FIELDS];
        f[..4].copy_from_slice(&seen.state.to_le_bytes());
        f[4..].copy_from_slice(&texts.to_le_bytes());
        f
    }

    /// Appends an entry: its fixed-size part, then `tail` (a message's
    /// bytes), keeping the state texts it refers to if it has its own.
    #[inline]
    fn put<const N: usize>(
        &mut self,
        e: [u8; N],
        tail: &[u8],
        own: Option<(StaticText, StaticText)>,
    ) {
        self.put_within(e, tail, own, false);
    }

    /// [`Log::put`], for an entry that says what ended a connection (an
    /// alert, a refused record): kept in the room reserved past the limits.
    #[inline]
    fn put_reserved<const N: usize>(&mut self, e: [u8; N]) {
        self.put_within(e, &[], None, true);
    }

    #[inline]
    fn put_within<const N: usize>(
        &mut self,
        e: [u8; N],
        tail: &[u8],
        own: Option<(StaticText, StaticText)>,
        reserved: bool,
    ) {
        if self.admit(N + tail.len(), reserved) {
            // Not `extend`: for `None` it still made an out-of-line call,
            // on every message.
            if let Some(own) = own {
                self.own_texts.push(own);
            }
            self.bytes.extend_from_slice(&e);
            self.bytes.extend_from_slice(tail);
        }
    }

    /// Counts in an entry of `need` bytes and makes room for it; false
    /// (and counted as dropped) once the log is full: `limit` entries or
    /// [`MAX_BYTES`], or for a `reserved` entry [`RESERVED`] more entries.
    #[inline]
    fn admit(&mut self, need: usize, reserved: bool) -> bool {
        let full = if reserved {
            self.count >= self.limit + RESERVED
        } else {
            self.count >= self.limit || self.bytes.len() + need > self.byte_budget
        };
        if full {
            self.dropped += 1;
            return false;
        }
        self.count += 1;
        if self.bytes.capacity() - self.bytes.len() < need {
            self.grow(need);
        }
        true
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, need: usize) {
        let capacity = self.bytes.capacity();
        // A quarter more once past a handshake's size, so that a long-lived
        // connection's log is not copied again every few messages.
        let step = match capacity {
            0 => FIRST,
            c if c < GEOMETRIC => STEP,
            c => c / 4,
        };
        self.bytes.reserve_exact(need.max(step));
    }

    /// The entries in order, each with its time in microseconds.
    pub(crate) fn entries(&self) -> Entries<'_> {
        Entries {
            log: self,
            rest: &self.bytes,
        }
    }

    /// Whether the state machine entered any of the states named.
    pub(crate) fn reached(&self, names: &[&str]) -> bool {
        self.entries().any(|(_, e)| match e {
            Entry::State(seen) => HandshakeState::from_running(seen.state)
                .name()
                .is_some_and(|n| names.contains(&n)),
            _ => false,
        })
    }

    /// The first handshake message of type `t`.
    #[cfg(test)]
    pub(crate) fn first_message(&self, t: HandshakeType) -> Option<RawMessage<'_>> {
        self.entries().find_map(|(_, e)| match e {
            Entry::Message(m) if m.handshake_type() == Some(t) => Some(m),
            _ => None,
        })
    }

    /// The public events; messages decoded when `decode` is set, their
    /// bytes kept when `keep_raw` is.
    pub(crate) fn events(&self, decode: bool, keep_raw: bool) -> Vec<Event> {
        // The key exchange messages' layout follows from the suite that the
        // ServerHello before them selected.
        let mut suite = None;
        self.entries()
            .map(|(at, entry)| Event {
                at: Duration::from_micros(u64::from(at)),
                kind: events::event_kind(entry, decode.then_some(&mut suite), keep_raw),
            })
            .collect()
    }
}

/// A message's entry, without its bytes: its versions, flags, content
/// type, and `last` (its length, or its shared copy's index).
#[inline]
fn message_entry(tag: u8, at: u64, m: &RawMessage<'_>, last: u32) -> [u8; HEADER + MESSAGE_FIELDS] {
    let flags =
        u8::from(m.record_version.is_some()) | u8::from(m.direction == Direction::Write) << 1;
    let mut e = head::<{ HEADER + MESSAGE_FIELDS }>(tag, at);
    e[5..7].copy_from_slice(&m.version.to_le_bytes());
    e[7..9].copy_from_slice(&m.record_version.unwrap_or(NO_RECORD).to_le_bytes());
    e[9] = flags;
    e[10] = m.content_type;
    e[11..].copy_from_slice(&last.to_le_bytes());
    e
}

/// An entry of `N` bytes with its tag and time filled in.
#[inline]
fn head<const N: usize>(tag: u8, at: u64) -> [u8; N] {
    let mut e = [0; N];
    e[0] = tag;
    e[1..5].copy_from_slice(&saturated(at).to_le_bytes());
    e
}

/// A time as the log keeps it: microseconds, saturating at 71 minutes.
#[inline]
fn saturated(micros: u64) -> u32 {
    u32::try_from(micros).unwrap_or(u32::MAX)
}

/// An entry holding a record header.
fn header_entry(tag: u8, at: u64, h: RecordHeader) -> [u8; HEADER + RECORD_HEADER_FIELDS] {
    let mut e = head::<{ HEADER + RECORD_HEADER_FIELDS }>(tag, at);
    e[5] = h.content_type;
    e[6..8].copy_from_slice(&h.version.to_le_bytes());
    e[8..].copy_from_slice(&h.length.to_le_bytes());
    e
}

/// The tag that starts each entry.
mod tag {
    pub(super) const START: u8 = 0;
    pub(super) const DONE: u8 = 1;
    pub(super) const STATE: u8 = 2;
    pub(super) const ALERT: u8 = 3;
    pub(super) const EXIT: u8 = 4;
    pub(super) const MESSAGE: u8 = 5;
    pub(super) const UNACCEPTED: u8 = 6;
    pub(super) const SHARED_MESSAGE: u8 = 7;
    pub(super) const UNREPORTED: u8 = 8;
}

/// Tag and time.
const HEADER: usize = 5;
/// A state's number and where its texts are.
const STATE_FIELDS: usize = 6;
/// An alert's `where` and `ret`.
const ALERT_FIELDS: usize = 8;
/// A record header's type, version and length.
const RECORD_HEADER_FIELDS: usize = 5;
/// An exit's return value and status, then its state.
const EXIT_FIELDS: usize = 5 + STATE_FIELDS;
/// A message's versions, flags, content type and length.
const MESSAGE_FIELDS: usize = 10;
/// A state's texts are the learnt ones for its number.
const LEARNT: u16 = u16::MAX;
const NO_RECORD: u16 = 0;
/// The first allocation: a resumed handshake's log fits in it.
const FIRST: usize = 1024;
/// Later, the log grows by at least this much at a time, which leaves slack
/// of at most this much after a full handshake (a TLS 1.3 handshake logs
/// one to two KB per side besides its shared Certificate message, most of
/// it the messages' bytes).
const STEP: usize = 512;
/// From this capacity on, the log grows geometrically.
const GEOMETRIC: usize = 8 * 1024;
/// The most bytes one connection's log holds: a peer that keeps sending
/// large messages (renegotiating with 14 KB ClientHellos, say) cannot
/// make it hold more for the life of the connection.
const MAX_BYTES: usize = 256 * 1024;
/// Entries kept past the limits for alerts and refused records, so that a
/// long-lived connection whose log filled up still records what ended it.
const RESERVED: usize = 32;

/// Reads the entries back in the order the pushes wrote them.
pub(crate) struct Entries<'a> {
    log: &'a Log,
    rest: &'a [u8],
}

impl<'a> Entries<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let head = self.rest.get(..N)?.try_into().ok()?;
        self.rest = &self.rest[N..];
        Some(head)
    }

    fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    fn record_header(&mut self) -> Option<RecordHeader> {
        let [content_type] = self.take()?;
        Some(RecordHeader {
            content_type,
            version: self.u16()?,
            length: self.u16()?,
        })
    }

    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_le_bytes)
    }

    fn seen_state(&mut self) -> Option<SeenState> {
        let state = self.u32()?;
        let own = match self.u16()? {
            LEARNT => None,
            i => Some(*self.log.own_texts.get(usize::from(i))?),
        };
        Some(SeenState { state, own })
    }

    fn next_entry(&mut self) -> Option<(u32, Entry<'a>)> {
        let [tag] = self.take()?;
        let at = self.u32()?;
        let entry = match tag {
            tag::START => Entry::HandshakeStart,
            tag::DONE => Entry::HandshakeDone,
            tag::STATE => Entry::State(self.seen_state()?),
            tag::ALERT => Entry::Alert {
                where_: self.i32()?,
                ret: self.i32()?,
            },
            tag::EXIT => {
                let ret = self.i32()?;
                let [status] = self.take()?;
                Entry::Exit {
                    ret,
                    status: exit_status(status)?,
                    state: self.seen_state()?,
                }
            }
            tag::MESSAGE | tag::SHARED_MESSAGE => {
                let version = self.u16()?;
                let record = self.u16()?;
                let [flags, content_type] = self.take()?;
                let last = self.u32()? as usize;
                let bytes = if tag == tag::MESSAGE {
                    let bytes = self.rest.get(..last)?;
                    self.rest = &self.rest[last..];
                    bytes
                } else {
                    self.log.shared.get(last)?
                };
                Entry::Message(RawMessage {
                    bytes,
                    version,
                    record_version: (flags & 1 != 0).then_some(record),
                    content_type,
                    direction: if flags & 2 != 0 {
                        Direction::Write
                    } else {
                        Direction::Read
                    },
                })
            }
            tag::UNACCEPTED => Entry::Unaccepted(self.record_header()?),
            tag::UNREPORTED => Entry::Unreported(self.record_header()?),
            _ => return None,
        };
        Some((at, entry))
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = (u32, Entry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.next_entry();
        if next.is_none() {
            // Only this module writes the buffer, so a short read means the
            // end; stop there rather than misread what follows.
            self.rest = &[];
        }
        next
    }
}

fn exit_status(byte: u8) -> Option<ExitStatus> {
    [ExitStatus::Done, ExitStatus::WouldBlock, ExitStatus::Failed]
        .into_iter()
        .find(|s| *s as u8 == byte)
}

#[cfg(test)]
mod tests;
