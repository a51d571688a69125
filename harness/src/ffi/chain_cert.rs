//! `SSL_CTX_add1_chain_cert`, which the `openssl` crate does not wrap.

use std::os::raw::c_void;

use foreign_types::ForeignTypeRef;
use openssl::error::ErrorStack;
use openssl::ssl::SslContextBuilder;
use openssl::x509::X509Ref;

/// Adds `cert` to the chain of the certificate `b` was last given, as
/// `SSL_CTX_use_certificate_chain_file` adds the certificates after a
/// file's first: the security level checks it as it is added ("ca key
/// too small"), where `SSL_CTX_add_extra_chain_cert` leaves that to each
/// handshake.
pub fn add_chain_cert(b: &mut SslContextBuilder, cert: &X509Ref) -> Result<(), ErrorStack> {
    // SAFETY: the builder owns a valid SSL_CTX for the whole mutable
    // borrow and the certificate is live for the call; with larg 1 (the
    // add1 form of ssl.h's macro) OpenSSL takes a reference of its own,
    // so the chain outlives the borrowed certificate.
    let r = unsafe {
        openssl_sys::SSL_CTX_ctrl(
            b.as_ptr(),
            openssl_sys::SSL_CTRL_CHAIN_CERT,
            1,
            cert.as_ptr().cast::<c_void>(),
        )
    };
    if r == 1 {
        Ok(())
    } else {
        Err(ErrorStack::get())
    }
}
