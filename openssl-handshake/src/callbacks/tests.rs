//! Tests that need the crate's private `sys` or the trampolines.

use openssl::ssl::{SslContext, SslMethod};

use super::*;
use crate::{SslContextBuilderExt, SslRefExt};

/// Another library's info callback is refused, not silently replaced.
/// (A test inside the crate: setting a foreign callback needs `sys`.)
#[test]
fn a_foreign_info_callback_is_not_silently_replaced() {
    unsafe extern "C" fn foreign(_: *const openssl_sys::SSL, _: c_int, _: c_int) {}
    let mut b = SslContext::builder(SslMethod::tls()).expect("context");
    // SAFETY: `foreign` has the signature ssl.h declares for the callback.
    unsafe { sys::SSL_CTX_set_info_callback(b.as_ptr(), Some(foreign)) };
    let err = b.trace_handshakes(TraceOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InfoCallbackInUse));
    assert!(err.to_string().contains("already has an info callback"));

    // On one SSL: its context's callback, or its own.
    let mut ssl = openssl::ssl::Ssl::new(&b.build()).expect("ssl");
    let err = ssl.trace_handshake(TraceOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InfoCallbackInUse));
    let plain = SslContext::builder(SslMethod::tls())
        .expect("context")
        .build();
    let mut ssl = openssl::ssl::Ssl::new(&plain).expect("ssl");
    // SAFETY: `foreign` has the signature ssl.h declares for the callback.
    unsafe { sys::SSL_set_info_callback(ssl.as_ptr(), Some(foreign)) };
    let err = ssl.trace_handshake(TraceOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InfoCallbackInUse));
    let mut ssl = openssl::ssl::Ssl::new(&plain).expect("ssl");
    assert!(ssl.trace_handshake(TraceOptions::default()).is_ok());
    assert!(
        ssl.trace_handshake(TraceOptions::default()).is_ok(),
        "ours again"
    );
}

/// A DTLS context is refused, not traced into undecodable messages.
#[test]
fn dtls_is_refused() {
    for method in [
        SslMethod::dtls(),
        SslMethod::dtls_client(),
        SslMethod::dtls_server(),
    ] {
        let mut b = SslContext::builder(method).expect("context");
        let err = b.trace_handshakes(TraceOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Dtls), "{err}");
        let mut ssl = openssl::ssl::Ssl::new(&b.build()).expect("ssl");
        let err = ssl.trace_handshake(TraceOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Dtls), "{err}");
    }
}
