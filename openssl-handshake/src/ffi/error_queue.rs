//! This thread's OpenSSL error queue: what a handshake's failure left
//! there for the application, read without taking it, and kept from
//! whatever the tracer itself queues.

use std::ffi::{CStr, CString};
use std::ptr;

use libc::{c_char, c_int, c_ulong};

use super::copied_str;
use crate::sys;

/// Runs `f` with this thread's OpenSSL error queue and `errno` set aside:
/// what the caller of SSL_connect/SSL_accept has yet to read is put back
/// as it was, and whatever `f` queued (getters that find nothing, decoding
/// a malformed certificate through the openssl crate, an application's
/// hook using OpenSSL) is dropped, so that the caller never reads it as its
/// own. `errno` matters to a caller told `SSL_ERROR_SYSCALL`, and a hook
/// that logs makes system calls. Both are put back if `f` panics too.
///
/// The entries are copied as bytes, not through the `openssl` crate's
/// `ErrorStack`, which panics on data that is not UTF-8 (a C library's
/// file name, say) and would lose what it had taken. `ERR_set_mark` marks
/// do not survive being set aside: OpenSSL has no way to read them.
pub(crate) fn with_error_queue_aside<T>(f: impl FnOnce() -> T) -> T {
    // errno first: draining the queue must not be what it records.
    let errno = errno::errno();
    let _aside = Aside {
        pending: drain(),
        errno,
    };
    f()
}

/// What [`with_error_queue_aside`] restores when dropped.
struct Aside {
    pending: Vec<Entry>,
    errno: errno::Errno,
}

impl Drop for Aside {
    fn drop(&mut self) {
        // SAFETY: clearing the thread's own queue has no precondition.
        unsafe { openssl_sys::ERR_clear_error() };
        for entry in &self.pending {
            entry.put_back();
        }
        errno::set_errno(self.errno);
    }
}

/// One error-queue entry, copied out of OpenSSL's per-thread buffers.
struct Entry {
    code: c_ulong,
    file: Option<CString>,
    line: c_int,
    func: Option<CString>,
    data: Option<CString>,
}

/// Takes every entry off this thread's queue, oldest first.
fn drain() -> Vec<Entry> {
    let mut entries = Vec::new();
    loop {
        let (mut file, mut line, mut func, mut data, mut flags) =
            (ptr::null(), 0, ptr::null(), ptr::null(), 0);
        // SAFETY: every argument points to a local OpenSSL writes.
        let code = unsafe {
            openssl_sys::ERR_get_error_all(&mut file, &mut line, &mut func, &mut data, &mut flags)
        };
        if code == 0 {
            return entries;
        }
        let text = flags & openssl_sys::ERR_TXT_STRING != 0;
        // SAFETY: OpenSSL gives null or NUL-terminated strings that stay in
        // the thread's queue buffers until the queue is next written, which
        // is after these copies.
        let (file, func, data) = unsafe { (owned(file), owned(func), owned(data)) };
        entries.push(Entry {
            code,
            file,
            line,
            func,
            data: data.filter(|_| text),
        });
    }
}

/// A copy of a C string; none for null or empty, which OpenSSL gives for
/// an entry without a file or function and stores as null.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string.
unsafe fn owned(p: *const c_char) -> Option<CString> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per this function's contract.
    let s = unsafe { CStr::from_ptr(p) };
    (!s.is_empty()).then(|| s.to_owned())
}

impl Entry {
    /// Queues the entry again as it was raised: code, place and data.
    fn put_back(&self) {
        let as_ptr = |s: &Option<CString>| s.as_deref().map_or(ptr::null(), CStr::as_ptr);
        // A system error's reason is its errno, which openssl-sys's
        // ERR_GET_REASON does not give (it answers ERR_LIB_SYS), unlike
        // the C macro.
        let (lib, reason) = if self.code & openssl_sys::ERR_SYSTEM_FLAG != 0 {
            let errno = self.code & openssl_sys::ERR_SYSTEM_MASK;
            (
                openssl_sys::ERR_LIB_SYS,
                c_int::try_from(errno).unwrap_or(c_int::MAX),
            )
        } else {
            (
                openssl_sys::ERR_GET_LIB(self.code),
                openssl_sys::ERR_GET_REASON(self.code),
            )
        };
        // SAFETY: ERR_new starts an entry that ERR_set_debug and
        // ERR_set_error fill; OpenSSL copies the file and function names,
        // and a null format leaves the entry without data.
        unsafe {
            openssl_sys::ERR_new();
            openssl_sys::ERR_set_debug(as_ptr(&self.file), self.line, as_ptr(&self.func));
            openssl_sys::ERR_set_error(lib, reason, ptr::null());
        }
        let Some(data) = &self.data else {
            return;
        };
        let bytes = data.as_bytes_with_nul();
        // SAFETY: a fresh allocation of the string's size with its NUL, whose
        // ownership ERR_set_error_data takes (ERR_TXT_MALLOCED).
        unsafe {
            let copy = openssl_sys::CRYPTO_malloc(bytes.len(), c"error_queue.rs".as_ptr(), 0);
            if copy.is_null() {
                return;
            }
            ptr::copy_nonoverlapping(bytes.as_ptr(), copy.cast::<u8>(), bytes.len());
            openssl_sys::ERR_set_error_data(
                copy.cast::<c_char>(),
                openssl_sys::ERR_TXT_MALLOCED | openssl_sys::ERR_TXT_STRING,
            );
        }
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

    use crate::sys;
    use openssl::x509::X509;

    use super::{drain, with_error_queue_aside, Entry};

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

    /// An entry the `openssl` crate cannot read (its data is not UTF-8,
    /// as a C library's file name may be) is set aside and put back
    /// byte for byte, with a system error's code beside it.
    #[test]
    fn entries_that_are_not_utf8_survive_too() {
        let raw = [
            Entry {
                code: openssl_sys::ERR_PACK(sys::ERR_LIB_SSL, 0, 1254),
                file: Some(c"lib\xff.c".to_owned()),
                line: 7,
                func: Some(c"some_func".to_owned()),
                data: Some(c"calling fopen(/tmp/\xe9t\xe9, r)".to_owned()),
            },
            Entry {
                code: libc::c_ulong::from(libc::ECONNRESET.unsigned_abs())
                    | openssl_sys::ERR_SYSTEM_FLAG,
                file: None,
                line: 0,
                func: None,
                data: None,
            },
        ];
        for entry in &raw {
            entry.put_back();
        }
        let inside = with_error_queue_aside(|| {
            // SAFETY: peeking has no precondition.
            unsafe { openssl_sys::ERR_peek_last_error() }
        });
        assert_eq!(inside, 0, "the queue was not set aside");
        let back = drain();
        assert_eq!(back.len(), raw.len());
        for (got, want) in back.iter().zip(&raw) {
            assert_eq!(got.code, want.code);
            assert_eq!(
                (&got.file, got.line, &got.func),
                (&want.file, want.line, &want.func)
            );
            assert_eq!(got.data, want.data);
        }
    }
}
