//! Certificate and CertificateRequest messages kept once per thread
//! rather than once per connection.
//!
//! A server sends the same Certificate message on every connection, and a
//! client that keeps reaching one server reads the same one each time.
//! Those bytes are most of what a traced connection holds (a 2 KB RSA
//! chain, against one to two KB for the rest of a TLS 1.3 handshake's log),
//! so a log refers to a shared copy instead. Each thread keeps the few
//! messages per direction it met last, so that no lock is taken on the
//! handshake path; one that matches none of them takes the place of the
//! one least recently met. They outlive the connections that brought them
//! (at most `2 * SLOTS * MAX` bytes a thread, freed when it exits). When
//! every peer sends its own chain (client certificates at a server, a
//! client reaching many servers), each connection still holds its peer's,
//! as it would without sharing. A TLS 1.3 message with a
//! certificate_request_context (post-handshake authentication) is never
//! shared: its random context makes it unique.

use std::cell::RefCell;
use std::sync::Arc;

use super::RawMessage;
use crate::decode::HandshakeType;
use crate::event::Direction;
use crate::sys;

/// Shorter messages are copied into the log: sharing them saves less than
/// the lookup costs.
const MIN: usize = 256;
/// Longer ones too, so that what peers send cannot make the shared
/// messages large: a thread holds at most `2 * SLOTS * MAX` bytes of them.
const MAX: usize = 16 * 1024;
/// Messages kept per direction: a server's chains for a few names or key
/// types, or a client's for a few servers.
const SLOTS: usize = 4;

/// The messages of one direction, the one met last first.
struct Recent {
    slots: [Option<Arc<[u8]>>; SLOTS],
}

impl Recent {
    const NONE: Option<Arc<[u8]>> = None;
    const EMPTY: Recent = Recent {
        slots: [Self::NONE; SLOTS],
    };

    fn share(&mut self, bytes: &[u8]) -> Arc<[u8]> {
        if let Some(i) = self.slots.iter().position(|s| s.as_deref() == Some(bytes)) {
            self.slots[..=i].rotate_right(1);
            if let Some(hit) = &self.slots[0] {
                return Arc::clone(hit);
            }
        }
        let copy: Arc<[u8]> = Arc::from(bytes);
        self.slots.rotate_right(1);
        self.slots[0] = Some(Arc::clone(&copy));
        copy
    }
}

thread_local! {
    /// Read, then written.
    static RECENT: RefCell<[Recent; 2]> = const { RefCell::new([Recent::EMPTY, Recent::EMPTY]) };
}

/// Whether `m` is a message worth sharing. Checked for every message on
/// the handshake path, so its length is looked at first: a resumption's
/// messages are all shorter than [`MIN`] but for the ClientHello.
#[inline]
pub(super) fn worth_sharing(m: &RawMessage<'_>) -> bool {
    (MIN..=MAX).contains(&m.bytes.len())
        && i32::from(m.content_type) == sys::SSL3_RT_HANDSHAKE
        && matches!(
            HandshakeType(m.bytes[0]),
            HandshakeType::CERTIFICATE | HandshakeType::CERTIFICATE_REQUEST
        )
        // In TLS 1.3 both start with the context's length (RFC 8446
        // sections 4.3.2 and 4.4.2), empty during the handshake.
        && !(m.version == TLS1_3 && m.bytes[4] != 0)
}

const TLS1_3: u16 = 0x0304;

/// A shared copy of `bytes`: one this thread made earlier, or a new one
/// that later connections will find. A thread being torn down gets a
/// copy of its own.
pub(super) fn share(bytes: &[u8], direction: Direction) -> Arc<[u8]> {
    let side = match direction {
        Direction::Read => 0,
        Direction::Write => 1,
    };
    RECENT
        .try_with(|recent| Some(recent.try_borrow_mut().ok()?[side].share(bytes)))
        .ok()
        .flatten()
        .unwrap_or_else(|| Arc::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.3 Certificate message of `len` bytes, its context empty,
    /// filled with `fill`.
    fn certificate(len: usize, fill: u8) -> Vec<u8> {
        let mut m = vec![fill; len];
        m[0] = HandshakeType::CERTIFICATE.0;
        m[4] = 0;
        m
    }

    fn raw(bytes: &[u8], content_type: i32) -> RawMessage<'_> {
        RawMessage {
            bytes,
            version: TLS1_3,
            record_version: None,
            content_type: content_type as u8,
            direction: Direction::Read,
        }
    }

    /// Only handshake Certificate and CertificateRequest messages within
    /// the size bounds are shared.
    #[test]
    fn what_is_shared() {
        let cert = certificate(MIN, 7);
        assert!(worth_sharing(&raw(&cert, sys::SSL3_RT_HANDSHAKE)));
        let mut request = cert.clone();
        request[0] = HandshakeType::CERTIFICATE_REQUEST.0;
        assert!(worth_sharing(&raw(&request, sys::SSL3_RT_HANDSHAKE)));
        let mut hello = cert.clone();
        hello[0] = HandshakeType::CLIENT_HELLO.0;
        assert!(!worth_sharing(&raw(&hello, sys::SSL3_RT_HANDSHAKE)));
        assert!(!worth_sharing(&raw(&cert, sys::SSL3_RT_ALERT)));
        assert!(!worth_sharing(&raw(
            &certificate(MIN - 1, 7),
            sys::SSL3_RT_HANDSHAKE
        )));
        assert!(!worth_sharing(&raw(
            &certificate(MAX + 1, 7),
            sys::SSL3_RT_HANDSHAKE
        )));
        // Post-handshake authentication's context makes a message unique;
        // before TLS 1.3 that byte is a length of the message's own.
        let mut with_context = cert.clone();
        with_context[4] = 32;
        assert!(!worth_sharing(&raw(&with_context, sys::SSL3_RT_HANDSHAKE)));
        let tls12 = RawMessage {
            version: 0x0303,
            ..raw(&with_context, sys::SSL3_RT_HANDSHAKE)
        };
        assert!(worth_sharing(&tls12));
    }

    /// The same bytes in one direction give the same copy; other bytes, or
    /// the other direction, another; a message displaced by newer ones is
    /// copied afresh but keeps its bytes; another thread makes its own.
    #[test]
    fn identical_messages_share_one_copy() {
        let a = certificate(MIN + 11, 1);
        let first = share(&a, Direction::Read);
        let again = share(&a, Direction::Read);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(*first, *a);
        let other = share(&certificate(MIN + 11, 2), Direction::Read);
        assert!(!Arc::ptr_eq(&first, &other));
        assert!(!Arc::ptr_eq(&first, &share(&a, Direction::Write)));
        for fill in 0..SLOTS as u8 {
            share(&certificate(MIN + 12, fill + 3), Direction::Read);
        }
        let later = share(&a, Direction::Read);
        assert!(!Arc::ptr_eq(&first, &later));
        assert_eq!(*later, *a);
        let elsewhere = std::thread::spawn(move || share(&a, Direction::Read))
            .join()
            .expect("thread");
        assert!(!Arc::ptr_eq(&later, &elsewhere));
    }

    /// Meeting a message again keeps it: the one least recently met goes.
    #[test]
    fn a_message_met_again_stays() {
        let hot = certificate(MIN + 21, 1);
        let kept = share(&hot, Direction::Write);
        let others: Vec<Vec<u8>> = (0..SLOTS as u8)
            .map(|f| certificate(MIN + 22, f + 2))
            .collect();
        for (i, other) in others.iter().enumerate() {
            if i + 1 == SLOTS {
                // The hot one met again before the last newcomer.
                assert!(Arc::ptr_eq(&kept, &share(&hot, Direction::Write)));
            }
            share(other, Direction::Write);
        }
        assert!(Arc::ptr_eq(&kept, &share(&hot, Direction::Write)));
    }
}
