//! The four calls the safe `openssl` and `libc` APIs leave unsafe or
//! out, each wrapped once here so that every other module forbids
//! `unsafe`.
// The four unsafe calls of the crate, each with its SAFETY comment.
#![allow(unsafe_code)]

use std::time::Duration;

use openssl::ssl::{SslContext, SslContextBuilder, SslRef, SslSession};

use crate::error::BenchError;

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

/// A client session to resume, with the context that made it.
///
/// `SSL_set_session` requires the session to come from the context the
/// `SSL` was made from, which `openssl` cannot check and so marks unsafe;
/// the pair is taken from one connection, and [`SavedSession::offer`]
/// checks the `SSL` against it.
pub(crate) struct SavedSession {
    session: SslSession,
    context: SslContext,
}

impl SavedSession {
    /// The session `ssl` holds after its handshake, with its context.
    pub(crate) fn of(ssl: &SslRef) -> Option<Self> {
        Some(SavedSession {
            session: ssl.session()?.to_owned(),
            context: ssl.ssl_context().to_owned(),
        })
    }

    /// Offers the session for resumption on `ssl`'s handshake.
    pub(crate) fn offer(&self, ssl: &mut SslRef) -> Result<(), BenchError> {
        if !std::ptr::eq(ssl.ssl_context(), &*self.context) {
            return Err(BenchError::SessionOfAnotherContext);
        }
        // SAFETY: `ssl` was made from the context that made the session,
        // as just checked, which is what SSL_set_session(3) requires.
        Ok(unsafe { ssl.set_session(&self.session) }?)
    }
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

/// CPU time the calling thread has used so far (`CLOCK_THREAD_CPUTIME_ID`):
/// unlike wall time, it does not grow while the scheduler runs another
/// process. A system call, about a microsecond, so it is read around
/// whole slices of work, not around each OpenSSL call.
pub(crate) fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec that outlives the call;
    // clock_gettime only writes it. CLOCK_THREAD_CPUTIME_ID is supported
    // by every Linux since 2.6.12, so the call cannot fail with EINVAL;
    // were it to fail anyway, `ts` stays zero, which the checks below
    // turn into a zero duration rather than garbage.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(ts.tv_nsec).unwrap_or(0);
    Duration::new(secs, nanos)
}

#[cfg(test)]
mod tests {
    /// The thread CPU clock is this thread's: a new thread starts near
    /// zero however long this one has run, and neither clock goes back.
    #[test]
    fn the_cpu_clock_is_the_threads_own() {
        let mut x = 0u64;
        // Enough work that this thread has used more than a new one has
        // at its start, whatever the machine.
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let mine = super::thread_cpu_time();
        let theirs = std::thread::spawn(super::thread_cpu_time)
            .join()
            .expect("thread");
        assert!(theirs < mine, "{theirs:?} >= {mine:?}");
        assert!(super::thread_cpu_time() >= mine);
    }

    /// The constant openssl-sys lacks has ssl.h's value, and the check can
    /// tell a wrong one.
    #[test]
    fn the_constant_matches_ssl_h() {
        let include: Vec<std::path::PathBuf> = option_env!("BENCHES_OPENSSL_INCLUDE")
            .map(Into::into)
            .into_iter()
            .collect();
        let check = |value: libc::c_int| {
            testkit::c_check::compile(
                &format!(
                    "#include <openssl/ssl.h>\n\
                     _Static_assert(SSL_CTRL_CLEAR_MODE == {value}, \"SSL_CTRL_CLEAR_MODE\");\n"
                ),
                &include,
            )
        };
        if let Err(e) = check(super::SSL_CTRL_CLEAR_MODE) {
            panic!("SSL_CTRL_CLEAR_MODE differs from ssl.h:\n{e}");
        }
        assert!(check(super::SSL_CTRL_CLEAR_MODE + 1).is_err());
    }
}
