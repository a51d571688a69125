//! `SSL_dup`, which C code sharing the process may call (the `openssl`
//! crate does not wrap it), copies an `SSL` that has not begun its
//! handshake, ex_data and message callback argument included. The copy
//! must get none of the original's trace or tag: sharing them meant two
//! `SSL`s freeing one recorder, and the copy's messages written into the
//! original's.
//!
//! The `SSL`s here are made with `SSL_new`, as C code makes them:
//! `Ssl::new` keeps its context in ex_data with no dup function, so the
//! `openssl` crate's own data would be freed twice by a copy.
#![allow(unsafe_code)] // SSL_new and SSL_dup, as C code calls them

mod common;

use std::net::TcpStream;

use libc::c_int;

use common::diagnosis::*;
use common::*;
use foreign_types::ForeignType;
use openssl::ssl::{Ssl, SslContext, SslMethod};
use openssl_handshake::{trace, SslRefExt, TraceOptions};
use testkit::pki::KeyType;

extern "C" {
    // ssl.h: SSL *SSL_dup(SSL *ssl);
    fn SSL_dup(ssl: *mut openssl_sys::SSL) -> *mut openssl_sys::SSL;
    // ssl.h: void SSL_set_info_callback(SSL *ssl,
    //                                   void (*cb) (const SSL *ssl, int type, int val));
    fn SSL_set_info_callback(
        ssl: *mut openssl_sys::SSL,
        cb: Option<unsafe extern "C" fn(*const openssl_sys::SSL, c_int, c_int)>,
    );
}

/// Another library's info callback, which records nothing.
unsafe extern "C" fn foreign_info_callback(_: *const openssl_sys::SSL, _: c_int, _: c_int) {}

/// An `SSL` of `ctx` made as C code makes one.
fn new_ssl(ctx: &SslContext) -> Ssl {
    // SAFETY: `ctx` is live; SSL_new takes its own reference to it.
    let ssl = unsafe { openssl_sys::SSL_new(ctx.as_ptr()) };
    assert!(!ssl.is_null(), "SSL_new failed");
    // SAFETY: a new SSL nothing else owns.
    unsafe { Ssl::from_ptr(ssl) }
}

/// An `SSL` of an untraced context, traced on its own.
fn traced_on_its_own() -> Ssl {
    let untraced = SslContext::builder(SslMethod::tls_client())
        .unwrap()
        .build();
    let mut ssl = new_ssl(&untraced);
    ssl.trace_handshake(TraceOptions::default()).unwrap();
    ssl
}

/// A copy `SSL_dup` makes of `ssl`, checked to be a new `SSL`.
fn dup(ssl: &Ssl) -> Ssl {
    // SAFETY: `ssl` is live and has not begun a handshake, so SSL_dup
    // makes a new SSL (or returns null), which this test then owns.
    let copy = unsafe { SSL_dup(ssl.as_ptr()) };
    assert!(!copy.is_null(), "SSL_dup failed");
    assert_ne!(copy, ssl.as_ptr(), "SSL_dup made a copy, not a reference");
    // SAFETY: `copy` is a new SSL nothing else owns.
    unsafe { Ssl::from_ptr(copy) }
}

#[test]
fn a_copy_of_a_connection_traced_on_its_own_is_not_traced() {
    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let mut original = traced_on_its_own();
    original.set_trace_tag("original").unwrap();
    let copy = dup(&original);
    assert!(trace(&copy).is_none(), "the copy has the original's trace");

    // The copy has the tracer's callbacks (SSL_dup copies them) and the
    // original's message callback argument; its handshake must leave the
    // original's trace alone.
    let (addr, server_done) = traced_server(&server);
    let tcp = TcpStream::connect(addr).unwrap();
    let mut tls = copy.connect(tcp).expect("the copy's handshake");
    drop(tls.shutdown());
    assert!(trace(tls.ssl()).is_none(), "the copy is traced");
    drop(tls);
    assert!(server_done.join().unwrap().succeeded());

    // The copy is freed: the original's trace and tag are still there,
    // with nothing of the copy's handshake in them.
    let kept = trace(&original).expect("the original's trace");
    assert_eq!(kept.tag.as_deref(), Some("original"));
    assert!(
        kept.events.is_empty(),
        "the copy's handshake went into the original's trace: {} events",
        kept.events.len()
    );
}

#[test]
fn a_copy_of_a_connection_of_a_traced_context_gets_its_own_trace() {
    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let client = client_ctx(|_| {});
    let mut original = new_ssl(&client);
    original.set_trace_tag("original").unwrap();
    original.set_hostname("localhost").unwrap();
    let copy = dup(&original);

    let (addr, server_done) = traced_server(&server);
    let tcp = TcpStream::connect(addr).unwrap();
    let tls = copy.connect(tcp).expect("the copy's handshake");
    let copied = trace(tls.ssl()).expect("the copy's own trace");
    assert!(copied.succeeded(), "{copied:?}");
    assert_eq!(copied.tag, None, "the copy took the original's tag");
    assert!(!copied.events.is_empty());
    drop(tls);
    assert!(server_done.join().unwrap().succeeded());

    let kept = trace(&original).expect("the original is traced");
    assert_eq!(kept.tag.as_deref(), Some("original"));
    assert!(kept.events.is_empty(), "{} events", kept.events.len());
}

/// A copy whose first callback is a message callback, not the tracer's
/// info callback (C code gave the original an info callback of its own
/// after tracing it), starts with the original's recorder as its message
/// callback's argument: it must not write to it.
#[test]
fn a_copy_with_another_info_callback_leaves_the_originals_trace_alone() {
    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let original = traced_on_its_own();
    // SAFETY: `original` is live; the callback has ssl.h's signature.
    unsafe { SSL_set_info_callback(original.as_ptr(), Some(foreign_info_callback)) };
    let copy = dup(&original);

    let (addr, server_done) = traced_server(&server);
    let tcp = TcpStream::connect(addr).unwrap();
    let mut tls = copy.connect(tcp).expect("the copy's handshake");
    drop(tls.shutdown());
    drop(tls);
    assert!(server_done.join().unwrap().succeeded());

    let kept = trace(&original).expect("the original's trace");
    assert!(
        kept.events.is_empty(),
        "the copy's messages went into the original's trace: {} events",
        kept.events.len()
    );
}
