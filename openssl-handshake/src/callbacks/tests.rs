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

/// Another library's info callback set on the context after tracing was
/// turned on takes the handshake's callbacks. With messages the tracer
/// takes over at the first one and says it joined late; without, it
/// never runs, and the connection reads as untraced rather than as a
/// handshake still in progress.
#[test]
fn an_info_callback_set_later_is_not_passed_off_as_a_trace() {
    use std::io::{Read, Write};
    use testkit::pki::{KeyType, Pki};

    unsafe extern "C" fn foreign(_: *const openssl_sys::SSL, _: c_int, _: c_int) {}
    let pki = Pki::generate().expect("test PKI");
    for messages in [false, true] {
        let mut b = SslContext::builder(SslMethod::tls()).expect("context");
        pki.server(KeyType::EcdsaP256)
            .install(&mut b)
            .expect("credential");
        b.trace_handshakes(TraceOptions::default().messages(messages))
            .expect("attach");
        // SAFETY: `foreign` has the signature ssl.h declares for the callback.
        unsafe { sys::SSL_CTX_set_info_callback(b.as_ptr(), Some(foreign)) };
        let server = b.build();
        let (mut client_io, mut server_io) = testkit::duplex::pair();
        for io in [&mut client_io, &mut server_io] {
            io.set_read_timeout(Some(Duration::from_secs(10)));
        }
        let accepting = std::thread::spawn(move || {
            let mut tls = Ssl::new(&server)
                .expect("ssl")
                .accept(server_io)
                .expect("accept");
            let trace = crate::trace(tls.ssl());
            tls.write_all(b"x").expect("write");
            trace
        });
        let client = SslContext::builder(SslMethod::tls())
            .expect("context")
            .build();
        let mut tls = Ssl::new(&client)
            .expect("ssl")
            .connect(client_io)
            .expect("connect");
        tls.read_exact(&mut [0]).expect("read");
        let trace = accepting.join().expect("server thread");
        match (messages, trace) {
            (false, trace) => assert!(trace.is_none(), "{trace:?}"),
            (true, Some(trace)) => assert!(trace.joined_late && trace.succeeded(), "{trace:?}"),
            (true, None) => panic!("no trace with messages"),
        }
    }
}
