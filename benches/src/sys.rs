//! The three calls the safe `openssl` and `libc` APIs leave unsafe or
//! out, each wrapped once here so that every other module forbids
//! `unsafe`.
// The three unsafe calls of the crate, each with its SAFETY comment.
#![allow(unsafe_code)]

use openssl::error::ErrorStack;
use openssl::ssl::{SslContextBuilder, SslRef, SslSession};

/// `SSL_CTRL_CLEAR_MODE` from ssl.h; openssl-sys has no constant for it.
const SSL_CTRL_CLEAR_MODE: libc::c_int = 78;

/// Clears `SSL_MODE_RELEASE_BUFFERS`, which `SslConnector` and
/// `SslAcceptor` set, so that an idle connection keeps its record buffers
/// instead of freeing them after each record and allocating them again.
pub(crate) fn keep_record_buffers(b: &mut SslContextBuilder) {
    // SAFETY: the builder owns a live SSL_CTX; SSL_CTRL_CLEAR_MODE only
    // clears bits of its mode and takes no pointer argument.
    unsafe {
        openssl_sys::SSL_CTX_ctrl(
            b.as_ptr(),
            SSL_CTRL_CLEAR_MODE,
            openssl_sys::SSL_MODE_RELEASE_BUFFERS,
            std::ptr::null_mut(),
        );
    }
}

/// A client session to resume, tied to the client context it came from.
///
/// `SSL_set_session` requires the session to come from the same context
/// as the `SSL`, which `openssl` cannot check and so marks unsafe; keeping
/// the session only inside the workload that made it with its context
/// upholds that.
pub(crate) fn offer_session(ssl: &mut SslRef, session: &SslSession) -> Result<(), ErrorStack> {
    // SAFETY: callers pass a session obtained from a connection of the
    // same client context `ssl` was made from (see HandshakeWorkload).
    unsafe { ssl.set_session(session) }
}

/// Bytes currently allocated through malloc, in all arenas: ordinary
/// chunks plus mmap'd ones. OpenSSL allocates through malloc too, so
/// this sees its allocations.
pub(crate) fn heap_in_use() -> usize {
    // SAFETY: mallinfo2 takes no arguments and only reads the allocator's
    // statistics; it is glibc's documented replacement for mallinfo.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks + info.hblkhd
}
