//! The crate's error type.

use openssl::error::ErrorStack;

/// Why tracing could not be attached.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The context already has an info callback that is not ours.
    #[error(
        "the SSL_CTX already has an info callback, and attaching tracing would replace it; \
         remove it, or do its work in TraceOptions::on_complete instead"
    )]
    InfoCallbackInUse,
    /// OpenSSL could not allocate an ex_data index.
    #[error("OpenSSL could not allocate an ex_data index for handshake traces: {0}")]
    ExDataIndex(ErrorStack),
}
