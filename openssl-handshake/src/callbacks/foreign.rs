//! Another library's info callback: refused where the tracer is
//! attached, and noticed where it took over later.
// The getters of the installed callbacks are FFI.
#![allow(unsafe_code)]

use foreign_types::ForeignTypeRef;
use openssl::ssl::SslRef;

use super::info_callback;
use crate::sys;

/// Whether `cb` is another library's info callback, not this crate's.
pub(super) fn foreign(cb: sys::InfoCallback) -> bool {
    cb as usize != info_callback as sys::InfoCallback as usize
}

/// Whether an info callback other than the tracer's is the one OpenSSL
/// calls for `ssl` (its own, else its context's), or none is.
pub(super) fn taken_over(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` and its context are live; the getters only read.
    let (own, context) = unsafe {
        (
            sys::SSL_get_info_callback(ssl.as_ptr()),
            sys::SSL_CTX_get_info_callback(ssl.ssl_context().as_ptr()),
        )
    };
    own.or(context).is_none_or(foreign)
}
