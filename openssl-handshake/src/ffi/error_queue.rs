//! This thread's OpenSSL error queue: what a handshake's failure left
//! there for the application, read without taking it, and kept from
//! whatever the tracer itself queues.

use libc::{c_int, c_ulong};

use super::copied_str;
use crate::sys;

/// Runs `f` with this thread's OpenSSL error queue and `errno` set aside:
/// what the caller of SSL_connect/SSL_accept has yet to read is put back
/// as it was, and whatever `f` queued (getters that find nothing, decoding
/// a malformed certificate through the openssl crate, an application's
/// hook using OpenSSL) is dropped, so that the caller never reads it as its
/// own. `errno` matters to a caller told `SSL_ERROR_SYSCALL`, and a hook
/// that logs makes system calls. Both are put back if `f` panics too.
pub(crate) fn with_error_queue_aside<T>(f: impl FnOnce() -> T) -> T {
    // errno first: draining the queue must not be what it records.
    let errno = errno::errno();
    let _aside = Aside {
        pending: openssl::error::ErrorStack::get(),
        errno,
    };
    f()
}

/// What [`with_error_queue_aside`] restores when dropped.
struct Aside {
    pending: openssl::error::ErrorStack,
    errno: errno::Errno,
}

impl Drop for Aside {
    fn drop(&mut self) {
        drop(openssl::error::ErrorStack::get());
        self.pending.put();
        errno::set_errno(self.errno);
    }
}

/// The reason of the newest entry in OpenSSL's error queue, left in the
/// queue for the caller of `SSL_connect`/`SSL_accept` to see.
pub(crate) fn peek_error_reason() -> String {
    // SAFETY: peeking reads the thread's queue without changing it.
    let code = unsafe { openssl_sys::ERR_peek_last_error() };
    if code == 0 {
        return String::new();
    }
    reason_of(code)
}

/// The reason OpenSSL raises for a fatal alert it heard, which it raises
/// only after the info callback reports the alert: "tlsv1 alert unknown
/// ca", or "SSL alert number 254" for one it has no name for.
pub(crate) fn alert_heard_reason(description: u8) -> String {
    let code = openssl_sys::ERR_PACK(
        sys::ERR_LIB_SSL,
        0,
        sys::SSL_AD_REASON_OFFSET + c_int::from(description),
    );
    reason_of(code)
}

/// The reason text of error `code`, as OpenSSL's tools print it.
fn reason_of(code: c_ulong) -> String {
    // SAFETY: the reason string lives in OpenSSL's error-string table and
    // is copied at once. (An application that unloaded error strings or a
    // provider on another thread while handshakes run could free it; none
    // does that.)
    let text = unsafe { copied_str(openssl_sys::ERR_reason_error_string(code)) };
    if text.is_empty() {
        return unnamed_reason(code);
    }
    text
}

/// An error OpenSSL has no reason string for, as its own tools word it:
/// an alert received whose description it does not know, or the bare
/// reason number ("reason(1254)" in `ERR_error_string`).
fn unnamed_reason(code: c_ulong) -> String {
    let reason = openssl_sys::ERR_GET_REASON(code);
    let offset = sys::SSL_AD_REASON_OFFSET;
    if openssl_sys::ERR_GET_LIB(code) == sys::ERR_LIB_SSL
        && (offset..offset + 256).contains(&reason)
    {
        format!("SSL alert number {}", reason - offset)
    } else {
        format!("reason({reason})")
    }
}

#[cfg(test)]
mod tests {
    use openssl::error::ErrorStack;
    use openssl::x509::X509;

    use super::with_error_queue_aside;

    #[test]
    fn the_callers_errors_and_errno_survive_what_runs_aside() {
        // The caller's state: an error its failed call queued, and errno.
        let Err(callers) = X509::from_pem(b"not a certificate") else {
            panic!("junk is no certificate");
        };
        callers.put();
        errno::set_errno(errno::Errno(libc::ECONNRESET));
        let result = std::panic::catch_unwind(|| {
            with_error_queue_aside(|| {
                assert!(ErrorStack::get().errors().is_empty(), "set aside");
                // A hook's own failed call, its errno, then its panic.
                if let Err(own) = X509::from_der(b"junk") {
                    own.put();
                }
                errno::set_errno(errno::Errno(libc::ENOENT));
                panic!("the hook failed");
            })
        });
        assert!(result.is_err());
        assert_eq!(errno::errno().0, libc::ECONNRESET);
        let back = ErrorStack::get();
        assert_eq!(back.errors().len(), callers.errors().len(), "{back}");
        assert_eq!(back.to_string(), callers.to_string());
    }
}
