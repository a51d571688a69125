//! The message callback's trampoline: every record OpenSSL reads or
//! writes, its header first, then its content (but for application data,
//! and a ChangeCipherSpec it reads, which it does not report: see
//! `EventKind::UnreportedRecord`).
// The trampoline OpenSSL calls is FFI.
#![allow(unsafe_code)]

use std::panic::{self, AssertUnwindSafe};

use foreign_types::ForeignTypeRef;
use libc::{c_int, c_void, size_t};
use openssl::ssl::SslRef;
use openssl_sys::SSL;

use super::{outcome, recorder, Recorder};
use crate::event::{Direction, RecordHeader};
use crate::ffi;
use crate::log::RawMessage;
use crate::sys;

/// `void (*cb)(int write_p, int version, int content_type, const void *buf,
/// size_t len, SSL *ssl, void *arg)` for `SSL_CTX_set_msg_callback`.
pub(crate) unsafe extern "C" fn msg_callback(
    write_p: c_int,
    version: c_int,
    content_type: c_int,
    buf: *const c_void,
    len: size_t,
    ssl: *mut SSL,
    arg: *mut c_void,
) {
    // Application data is never recorded, and neither is any other pseudo
    // content type (OpenSSL can report key material through this callback
    // in some builds), but for an SSLv2-format ClientHello, which comes as
    // content type 0. A TLS 1.3 record read only says, by its inner
    // content type, that it decrypted.
    let wanted = matches!(
        content_type,
        sys::SSL3_RT_HEADER
            | sys::SSL3_RT_CHANGE_CIPHER_SPEC
            | sys::SSL3_RT_ALERT
            | sys::SSL3_RT_HANDSHAKE
    ) || (content_type == sys::SSL3_RT_INNER_CONTENT_TYPE && write_p == 0)
        || (content_type == 0 && version == sys::SSL2_VERSION);
    if !wanted || buf.is_null() {
        return;
    }
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        // Record headers (and TLS 1.3's inner content types) arrive for
        // every record of bulk transfer; outside a handshake they are
        // dropped before any lookup, but for a header read that is
        // not TLS at all, which OpenSSL is about to refuse (the only trace
        // of what broke the connection), and one read while the handshake
        // is paused for early data, whose EndOfEarlyData comes after it.
        let per_record = matches!(
            content_type,
            sys::SSL3_RT_HEADER | sys::SSL3_RT_INNER_CONTENT_TYPE
        );
        // SAFETY: OpenSSL passes the live SSL the record belongs to; the
        // reference ends here, before `recorder` may make a mutable one.
        if per_record && !ffi::in_init(unsafe { SslRef::from_ptr(ssl) }) {
            let header_read = content_type == sys::SSL3_RT_HEADER && write_p == 0;
            if let Some(recorder) = header_read.then(|| argument_recorder(arg, ssl)).flatten() {
                // SAFETY: as below: OpenSSL passes `len` readable bytes.
                let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
                if recorder.records.in_early_data()
                    || RecordHeader::parse(bytes).is_some_and(|h| !h.looks_like_tls())
                {
                    read_header(recorder, bytes);
                }
            }
            return;
        }
        let Some(recorder) = argument_recorder(arg, ssl).or_else(|| recorder(ssl)) else {
            return;
        };
        // SAFETY: OpenSSL guarantees `buf` holds `len` bytes for the
        // duration of the callback; it was checked to be non-null.
        let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
        let direction = if write_p != 0 {
            Direction::Write
        } else {
            Direction::Read
        };
        if content_type == sys::SSL3_RT_HEADER {
            match direction {
                Direction::Read => read_header(recorder, bytes),
                Direction::Write => recorder.records.header_written(bytes),
            }
            return;
        }
        if content_type == sys::SSL3_RT_INNER_CONTENT_TYPE {
            recorder.records.decrypted();
            return;
        }
        // SAFETY: as above; no other reference to the SSL is live now.
        let ssl_ref = unsafe { SslRef::from_ptr(ssl) };
        let message = RawMessage {
            bytes,
            version: version as u16,
            record_version: recorder.records.content(direction),
            content_type: content_type as u8,
            direction,
        };
        let at = recorder.at();
        let Some(mut state) = recorder.write() else {
            return;
        };
        if content_type == sys::SSL3_RT_ALERT && direction == Direction::Write {
            // It may answer a record it refused: that goes first.
            outcome::log_refused_record(recorder, &mut state, ssl_ref, at);
        }
        state.log.push_message(at, message);
    }));
}

/// The message callback's argument, if it is `ssl`'s recorder. It is
/// unless C code gave a copy `SSL_dup` made its own info callback, so that
/// the copy's first callback (a message's) still finds the original's
/// recorder there, which it must not write to: a copy is checked for by
/// the one address, not trusted.
#[inline]
fn argument_recorder<'a>(arg: *mut c_void, ssl: *mut SSL) -> Option<&'a Recorder> {
    if arg.is_null() {
        return None;
    }
    // SAFETY: a non-null argument is a recorder (see `set_msg_argument`),
    // alive while the SSL it was made for is, which is `ssl` or the
    // original of a copy that is still being set up; its owner is never
    // written after it is stored. (C code that frees an original before a
    // copy of it, given an info callback of its own, has begun leaves the
    // copy a dangling argument: `SSL_dup`'s copies share the original's
    // message callback argument, which this crate cannot see being made.)
    let recorder = unsafe { &*(arg as *const Recorder) };
    recorder.owned_by(ssl).then_some(recorder)
}

/// Keeps the header of a record read, logging the record before it if
/// OpenSSL took that one without reporting it.
#[inline]
fn read_header(recorder: &Recorder, bytes: &[u8]) {
    if let Some(taken) = recorder.records.header_read(bytes) {
        let at = recorder.at();
        if let Some(mut state) = recorder.write() {
            state.log.push_unreported(at, taken);
        }
    }
}
