//! Every error a chain's verification meets, not only the first: a verify
//! callback notes each one and lets verification go on, as `openssl
//! s_client`'s does, which prints a `verify error:num=N:text` line for
//! each. Without a callback OpenSSL stops at the first.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::os::raw::c_int;
use std::panic::{self, AssertUnwindSafe};

use foreign_types::ForeignTypeRef;
use openssl::error::ErrorStack;
use openssl::x509::{X509StoreContextRef, X509VerifyResult};
use openssl_sys::X509_STORE_CTX;
use serde::Serialize;

type VerifyCallback = unsafe extern "C" fn(c_int, *mut X509_STORE_CTX) -> c_int;

// The `openssl` crate sets no verify callback on a store context; as in
// x509_vfy.h (checked against the header by `the_declarations_match_ssl_h`).
extern "C" {
    fn X509_STORE_CTX_set_verify_cb(ctx: *mut X509_STORE_CTX, verify_cb: Option<VerifyCallback>);
}

/// One error met verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyError {
    /// The certificate's place in the chain (0 the leaf).
    pub depth: u32,
    /// The `X509_V_ERR_*` code.
    pub code: i32,
    /// OpenSSL's text for it, as `s_client` prints it.
    pub text: String,
}

thread_local! {
    /// The errors the callback noted during the `verify_cert` call running
    /// on this thread (the callback has no argument of its own, and runs
    /// only inside that call).
    static NOTED: RefCell<Vec<VerifyError>> = const { RefCell::new(Vec::new()) };
}

/// `int (*verify_cb)(int ok, X509_STORE_CTX *ctx)`: notes the error of a
/// check that failed and goes on.
unsafe extern "C" fn note_each(ok: c_int, ctx: *mut X509_STORE_CTX) -> c_int {
    if ok == 0 {
        // No panic may unwind into OpenSSL; a lost note is all it costs.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: OpenSSL passes the live store context it is
            // verifying with; it outlives this call.
            let ctx = unsafe { X509StoreContextRef::from_ptr(ctx) };
            let error: X509VerifyResult = ctx.error();
            let depth = ctx.error_depth();
            NOTED.with(|n| {
                n.borrow_mut().push(VerifyError {
                    depth,
                    code: error.as_raw(),
                    text: error.error_string().to_owned(),
                });
            });
        }));
    }
    1
}

/// Verifies the chain `ctx` was initialised with and returns each error
/// met, in the order OpenSSL met them (empty: it verifies). The context's
/// own result is then the last error's, not the first's; its callback is
/// unset again, so a later verification on it stops at an error.
pub fn verify_each(ctx: &mut X509StoreContextRef) -> Result<Vec<VerifyError>, ErrorStack> {
    NOTED.with(|n| n.borrow_mut().clear());
    // SAFETY: `ctx` is a live, initialised store context held exclusively
    // here; the callback matches x509_vfy.h's X509_STORE_CTX_verify_cb and
    // touches only this thread's notes.
    unsafe { X509_STORE_CTX_set_verify_cb(ctx.as_ptr(), Some(note_each)) };
    let verified = ctx.verify_cert();
    // SAFETY: as above; no callback is OpenSSL's default.
    unsafe { X509_STORE_CTX_set_verify_cb(ctx.as_ptr(), None) };
    let noted = NOTED.with(|n| n.take());
    verified.map(|_| noted)
}
