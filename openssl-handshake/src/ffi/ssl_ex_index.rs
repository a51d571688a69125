//! Per-`SSL` ex_data indexes for data that belongs to one connection.
//!
//! The `openssl` crate's `Ssl::new_ex_index` registers no dup function, so
//! `SSL_dup` (which C code in the same process may call) copies the data's
//! pointer and both `SSL`s would free one box. An index made here gives a
//! copy nothing; the copy makes its own at its first callback. Its free
//! function also keeps a panic in the data's drop from unwinding into
//! OpenSSL, which `free_data_box` in the `openssl` crate does not.

use std::panic::{self, AssertUnwindSafe};
use std::ptr;

use libc::{c_int, c_long, c_void};
use openssl::error::ErrorStack;
use openssl::ex_data::Index;
use openssl::ssl::Ssl;
use openssl_sys::CRYPTO_EX_DATA;

/// A new index for boxed `T`s, which the `openssl` crate's `set_ex_data`,
/// `ex_data` and `ex_data_mut` then store and read as they do for their
/// own indexes.
pub(crate) fn new<T: Send + Sync + 'static>() -> Result<Index<Ssl, T>, ErrorStack> {
    // SAFETY: both callbacks have the signatures OpenSSL 3.0's
    // CRYPTO_EX_dup and CRYPTO_EX_free take (as openssl-sys declares
    // them), and a null argp is allowed.
    let raw = unsafe {
        openssl_sys::CRYPTO_get_ex_new_index(
            openssl_sys::CRYPTO_EX_INDEX_SSL,
            0,
            ptr::null_mut(),
            None,
            Some(give_copy_none),
            Some(free_box::<T>),
        )
    };
    if raw < 0 {
        return Err(ErrorStack::get());
    }
    // SAFETY: the index is new, so nothing else stores at it, and its free
    // function frees what is there as the `Box<T>` that `set_ex_data`
    // stores.
    Ok(unsafe { Index::from_raw(raw) })
}

/// `SSL_dup`'s copy starts with nothing at the index.
unsafe extern "C" fn give_copy_none(
    _to: *mut CRYPTO_EX_DATA,
    _from: *const CRYPTO_EX_DATA,
    from_d: *mut *mut c_void,
    _idx: c_int,
    _argl: c_long,
    _argp: *mut c_void,
) -> c_int {
    if !from_d.is_null() {
        // SAFETY: OpenSSL passes the address of the pointer it is about
        // to store in the copy (CRYPTO_dup_ex_data); writing it is how a
        // dup function changes what the copy gets.
        unsafe { *from_d = ptr::null_mut() };
    }
    1
}

/// Frees one `Box<T>` when OpenSSL frees the `SSL` (or the data is
/// replaced through the `openssl` crate, which drops in place instead).
unsafe extern "C" fn free_box<T>(
    _parent: *mut c_void,
    data: *mut c_void,
    _ad: *mut CRYPTO_EX_DATA,
    _idx: c_int,
    _argl: c_long,
    _argp: *mut c_void,
) {
    if data.is_null() {
        return;
    }
    // SAFETY: a non-null pointer at this index is a `Box<T>` that
    // `set_ex_data` leaked; OpenSSL calls this once per `SSL`, and the
    // copy `SSL_dup` makes holds none of it (`give_copy_none`).
    let data = unsafe { Box::<T>::from_raw(data.cast::<T>()) };
    // A panicking drop (an application's `tracing` subscriber closing a
    // span) must not unwind into OpenSSL.
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(data)));
}
