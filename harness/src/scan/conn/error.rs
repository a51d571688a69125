//! Why a probe could not be made: its connection, or its `SSL` before
//! the handshake. The report carries each as the probe's error text.

use std::net::SocketAddr;
use std::time::Duration;

use openssl::error::ErrorStack;
use openssl_handshake::Diagnosis;
use testkit::error_chain::Chain;

use crate::ffi::SessionError;
use crate::probe::ProbeFailure;
use crate::starttls::StartTlsError;

/// Why a probe's connection to the target was not made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The target's name resolved to no address.
    #[error("no address for {0}")]
    NoAddress(String),
    /// No address accepted the connection; the last one's failure.
    #[error("connecting to {addr}")]
    Connect {
        /// The address tried last.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The connection's read or write time-out could not be set.
    #[error("setting the connection's time-outs")]
    Timeouts(#[source] std::io::Error),
    /// The switch to TLS failed.
    #[error("STARTTLS ({protocol})")]
    StartTls {
        /// The protocol's name.
        protocol: &'static str,
        /// The cause.
        #[source]
        source: StartTlsError,
    },
}

impl ConnectError {
    /// The reason a probe's record gives: "could not connect" but for a
    /// STARTTLS refusal, which came over a connection that was made.
    pub fn answer_reason(&self) -> String {
        match self {
            ConnectError::StartTls { .. } => Chain(self).to_string(),
            _ => format!("could not connect: {}", Chain(self)),
        }
    }

    /// The diagnosis a probe's connection gets, as probe's would (no TLS
    /// began, so no trace gives one); `timeout` is the connect's.
    pub fn diagnosis(&self, timeout: Duration) -> Option<Diagnosis> {
        match self {
            ConnectError::NoAddress(host) => {
                Some(Diagnosis::unreachable(&format!("no address for {host}")))
            }
            ConnectError::Connect { addr, source } => {
                match crate::probe::connect_failure(*addr, source, timeout) {
                    ProbeFailure::TimedOut(why) => Some(Diagnosis::connect_timed_out(&why)),
                    other => other.before_tls(),
                }
            }
            ConnectError::Timeouts(_) => None,
            // As probe's: a reset before the server's first byte.
            ConnectError::StartTls { source, .. } if source.reset_at_accept() => {
                Some(Diagnosis::reset_at_connect(&Chain(self).to_string()))
            }
            ConnectError::StartTls { protocol, source } => {
                Some(Diagnosis::starttls_failed(protocol, &source.to_string()))
            }
        }
    }
}

/// Why a probe's `SSL` could not be set up for its offer.
#[derive(Debug, thiserror::Error)]
pub enum ProbeSetupError {
    /// OpenSSL refused a setting of the context.
    #[error("{what}")]
    Setting {
        /// The setting ("min version", "CA file PATH").
        what: String,
        /// OpenSSL's reasons.
        #[source]
        source: ErrorStack,
    },
    /// An ALPN protocol name over 255 bytes.
    #[error("ALPN {0:?} too long")]
    AlpnTooLong(String),
    /// Tracing could not be attached to the context.
    #[error(transparent)]
    Trace(openssl_handshake::Error),
    /// OpenSSL refused a call on the `SSL` (its name, its host check).
    #[error(transparent)]
    OpenSsl(#[from] ErrorStack),
    /// The saved session could not be offered.
    #[error(transparent)]
    Session(#[from] SessionError),
}
