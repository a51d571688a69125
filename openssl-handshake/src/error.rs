//! The crate's error type.

use openssl::error::ErrorStack;

/// Why tracing could not be attached.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The context (or the connection) already has an info callback that
    /// is not ours.
    #[error(
        "the SSL_CTX or SSL already has an info callback, and attaching tracing would replace \
         it; remove it, or do its work in TraceOptions::on_complete instead"
    )]
    InfoCallbackInUse,
    /// The context is for DTLS, whose record and handshake headers the
    /// trace would misread.
    #[error(
        "tracing covers TLS, not DTLS: its records and handshake messages have longer headers, \
         which the trace would misread; trace the TLS contexts only"
    )]
    Dtls,
    /// OpenSSL could not allocate an ex_data index.
    #[error("OpenSSL could not allocate an ex_data index for handshake traces")]
    ExDataIndex(#[source] ErrorStack),
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// The cause is reachable through `source()` and not repeated in the
    /// message, so a report that prints the chain prints it once.
    #[test]
    fn the_cause_is_a_source_and_not_in_the_message() {
        let stack = openssl::x509::X509::from_pem(b"not a certificate").unwrap_err();
        let cause = stack.to_string();
        assert!(!cause.is_empty(), "OpenSSL reported why the PEM is bad");
        let err = Error::ExDataIndex(stack);
        assert_eq!(err.source().map(ToString::to_string), Some(cause.clone()));
        assert!(!err.to_string().contains(&cause), "{err}");
    }
}
