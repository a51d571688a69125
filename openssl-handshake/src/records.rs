//! The last record header seen each way, kept outside the recorder's state.
//!
//! The message callback reports a header before every record, bulk
//! transfer's included, so these are read and written without taking the
//! state's guard, in relaxed atomics. Only the thread driving the `SSL`
//! runs its callbacks, so no ordering beyond that is needed.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use crate::event::{Direction, RecordHeader};

pub(crate) struct LastRecords {
    /// Per direction, a header packed by [`pack`]; 0 for none yet.
    headers: [AtomicU64; 2],
    /// Whether the content of the last record read reached the message
    /// callback; a failure with it unread means OpenSSL rejected it.
    read_accepted: AtomicBool,
    /// Whether the last record read decrypted (TLS 1.3 reports its inner
    /// content type before the checks that may still refuse it).
    read_decrypted: AtomicBool,
    /// The handshake is paused for TLS 1.3 early data, which OpenSSL
    /// reads (and writes) outside a handshake: its records' headers are
    /// kept, though no others outside one are, so that the
    /// EndOfEarlyData read after them carries its own record's version.
    early_data: AtomicBool,
}

/// A record read whose content OpenSSL never passed on.
pub(crate) struct Unaccepted {
    pub(crate) header: RecordHeader,
    /// It decrypted first: OpenSSL refused what was inside.
    pub(crate) decrypted: bool,
}

impl LastRecords {
    pub(crate) fn new() -> Self {
        LastRecords {
            headers: [AtomicU64::new(0), AtomicU64::new(0)],
            read_accepted: AtomicBool::new(true),
            read_decrypted: AtomicBool::new(false),
            early_data: AtomicBool::new(false),
        }
    }

    /// OpenSSL reported the handshake done to pause it for TLS 1.3 early
    /// data; the start it reports when the handshake goes on is no new one.
    pub(crate) fn begin_early_data(&self) {
        self.early_data.store(true, Relaxed);
    }

    /// The handshake goes on: whether it had been paused for early data.
    pub(crate) fn end_early_data(&self) -> bool {
        self.early_data.swap(false, Relaxed)
    }

    /// Whether the handshake is paused for early data.
    #[inline]
    pub(crate) fn in_early_data(&self) -> bool {
        self.early_data.load(Relaxed)
    }

    /// The header (`SSL3_RT_HEADER`) of a record written went by.
    pub(crate) fn header_written(&self, bytes: &[u8]) {
        let packed = RecordHeader::parse(bytes).map_or(0, pack);
        self.headers[Direction::Write as usize].store(packed, Relaxed);
    }

    /// The header of a record read went by. Returns the header of the
    /// record read before it if that was a ChangeCipherSpec whose content
    /// OpenSSL took without passing it on (as 3.0 and 3.1 do with every
    /// one they read, later versions with TLS 1.2's): reading on shows it
    /// was taken, as one it refused ends the handshake first.
    #[inline]
    pub(crate) fn header_read(&self, bytes: &[u8]) -> Option<RecordHeader> {
        let packed = RecordHeader::parse(bytes).map_or(0, pack);
        let slot = &self.headers[Direction::Read as usize];
        let before = slot.load(Relaxed);
        slot.store(packed, Relaxed);
        self.read_decrypted.store(false, Relaxed);
        // Relaxed loads and stores, not a swap: only the thread driving
        // the SSL gets here (see the module's doc).
        let taken_unreported = !self.read_accepted.load(Relaxed);
        self.read_accepted.store(false, Relaxed);
        unpack(before).filter(|h| taken_unreported && is_change_cipher_spec(*h))
    }

    /// A new handshake begins: what the last one read is settled, so that
    /// a ChangeCipherSpec it left unnamed (an `SSL` reused with
    /// `SSL_clear` after giving up at a wait) is not logged in this one.
    pub(crate) fn begin_handshake(&self) {
        self.read_accepted.store(true, Relaxed);
    }

    /// A record's content went by; returns the version its header carried.
    pub(crate) fn content(&self, direction: Direction) -> Option<u16> {
        if direction == Direction::Read {
            self.read_accepted.store(true, Relaxed);
        }
        unpack(self.headers[direction as usize].load(Relaxed)).map(|h| h.version)
    }

    /// The TLS 1.3 record being read decrypted (its inner content type
    /// went by).
    pub(crate) fn decrypted(&self) {
        self.read_decrypted.store(true, Relaxed);
    }

    /// The last record read if OpenSSL has not (yet) passed on its content.
    pub(crate) fn unaccepted(&self) -> Option<RecordHeader> {
        if self.read_accepted.load(Relaxed) {
            return None;
        }
        unpack(self.headers[Direction::Read as usize].load(Relaxed))
    }

    /// The last record read if OpenSSL never passed on its content, once.
    pub(crate) fn take_unaccepted(&self) -> Option<Unaccepted> {
        if self.read_accepted.swap(true, Relaxed) {
            return None;
        }
        unpack(self.headers[Direction::Read as usize].load(Relaxed)).map(|header| Unaccepted {
            header,
            decrypted: self.read_decrypted.load(Relaxed),
        })
    }
}

/// A ChangeCipherSpec record: its one byte, or more when it is encrypted
/// (a TLS 1.2 renegotiation's, under the keys of the handshake before).
pub(crate) fn is_change_cipher_spec(h: RecordHeader) -> bool {
    i32::from(h.content_type) == crate::sys::SSL3_RT_CHANGE_CIPHER_SPEC
}

/// Whether `h`, the last record read, whose content never reached the
/// message callback, is a ChangeCipherSpec that OpenSSL read whole
/// (`mid_record`, the record layer still waiting for its body, is false)
/// and may have taken: it has if the handshake waits for the next record,
/// or fails with no reason of OpenSSL's own for it (the callers' checks).
pub(crate) fn whole_change_cipher_spec(h: RecordHeader, mid_record: bool) -> bool {
    is_change_cipher_spec(h) && !mid_record
}

const PRESENT: u64 = 1 << 40;

fn pack(h: RecordHeader) -> u64 {
    PRESENT | u64::from(h.content_type) | u64::from(h.version) << 8 | u64::from(h.length) << 24
}

fn unpack(v: u64) -> Option<RecordHeader> {
    (v & PRESENT != 0).then_some(RecordHeader {
        content_type: v as u8,
        version: (v >> 8) as u16,
        length: (v >> 24) as u16,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_record_whose_content_never_came_is_reported_once() {
        let records = LastRecords::new();
        assert!(records.take_unaccepted().is_none());
        records.header_read(&[22, 3, 3, 0xff, 0xfe]);
        let header = RecordHeader {
            content_type: 22,
            version: 0x0303,
            length: 0xfffe,
        };
        assert_eq!(records.take_unaccepted().map(|u| u.header), Some(header));
        assert!(records.take_unaccepted().is_none());
        records.header_read(&[21, 3, 1, 0, 2]);
        assert_eq!(records.content(Direction::Read), Some(0x0301));
        assert!(records.take_unaccepted().is_none());
        // A record that decrypted and was refused says so.
        records.header_read(&[23, 3, 3, 0, 20]);
        records.decrypted();
        assert!(records.take_unaccepted().is_some_and(|u| u.decrypted));
        assert_eq!(records.content(Direction::Write), None);
        records.header_written(&[23, 3, 3, 0, 1]);
        assert_eq!(records.content(Direction::Write), Some(0x0303));
        // A header too short to parse leaves no version.
        records.header_written(&[23, 3]);
        assert_eq!(records.content(Direction::Write), None);
    }

    #[test]
    fn a_change_cipher_spec_read_unreported_is_named_by_the_next_header() {
        let records = LastRecords::new();
        let ccs = [20, 3, 3, 0, 1];
        let finished = [22, 3, 3, 0, 40];
        assert_eq!(records.header_read(&ccs), None);
        let taken = records.header_read(&finished);
        assert_eq!(
            taken,
            Some(RecordHeader {
                content_type: 20,
                version: 0x0303,
                length: 1
            })
        );
        // One whose content OpenSSL reported is a message already.
        records.header_read(&ccs);
        records.content(Direction::Read);
        assert_eq!(records.header_read(&finished), None);
        // Nor is a record of another type, or one already logged as
        // refused.
        records.header_read(&[23, 3, 3, 0, 1]);
        assert_eq!(records.header_read(&finished), None);
        records.header_read(&ccs);
        assert!(records.take_unaccepted().is_some());
        assert_eq!(records.header_read(&finished), None);
        // A renegotiation's, encrypted, is one too.
        records.header_read(&[20, 3, 3, 0, 25]);
        assert!(records.header_read(&finished).is_some());
        // One this end wrote is a message already, and leaves the next
        // record read alone.
        let records = LastRecords::new();
        records.header_written(&ccs);
        assert_eq!(records.header_read(&finished), None);
        // A handshake begun after one left unnamed does not name it.
        records.header_read(&ccs);
        records.begin_handshake();
        assert_eq!(records.header_read(&finished), None);
    }
}
