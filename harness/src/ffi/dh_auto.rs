//! `SSL_CTX_set_dh_auto`, which the `openssl` crate does not wrap.

use openssl::error::ErrorStack;
use openssl::ssl::SslContextBuilder;

/// Has a server pick its DHE prime as `s_server` does without `-dhparam`
/// (`SSL_CTX_set_dh_auto(ctx, 1)`): one as strong as its certificate's
/// key and never below its security level, where fixed parameters would
/// be refused at the levels above theirs.
pub fn set_dh_auto(b: &mut SslContextBuilder) -> Result<(), ErrorStack> {
    // SAFETY: the builder owns a valid SSL_CTX for the whole mutable
    // borrow; the control (SSL_CTRL_SET_DH_AUTO) only sets a flag on it
    // and its pointer argument is the null that ssl.h's macro passes.
    let r = unsafe { openssl_sys::SSL_CTX_set_dh_auto(b.as_ptr(), 1) };
    if r == 1 {
        Ok(())
    } else {
        Err(ErrorStack::get())
    }
}
