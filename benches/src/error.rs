//! Why a bench run stopped.
#![forbid(unsafe_code)]

use thiserror::Error;

/// A workload or measurement that could not be completed. Each message
/// says what failed and leaves the cause to `source()`
/// ([`testkit::error_chain::Chain`] prints both).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BenchError {
    /// An OpenSSL call failed outside a connection.
    #[error("OpenSSL refused a setting or a call of the workload (its reason follows)")]
    Openssl(#[from] openssl::error::ErrorStack),
    /// A handshake, read or write failed.
    #[error("TLS failed during {during}")]
    Tls {
        /// What the workload was doing.
        during: &'static str,
        /// OpenSSL's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A handshake offered a session but the peers did a full handshake.
    #[error("{case}: round {round} did a full handshake instead of resuming")]
    NotResumed {
        /// The resumption case.
        case: &'static str,
        /// Which round, from zero.
        round: u64,
    },
    /// A session was offered on a connection of another context than the
    /// one that made it, which OpenSSL does not allow.
    #[error(
        "the session to resume belongs to another client context; this is a bug in the workload"
    )]
    SessionOfAnotherContext,
    /// The first connection of a resumption case yielded no session.
    #[error("{0}: the client received no session to resume")]
    NoSession(&'static str),
    /// `--filter` selected no row, so nothing would be measured.
    #[error("--filter {0:?} matches no row id (kind/config/case[/size][/side]; e.g. ^handshake/default or resumption/.*/tls12)")]
    NothingSelected(String),
    /// Neither side made progress, which in memory means a bug.
    #[error("in-memory {0} stalled: neither side made progress")]
    Stalled(&'static str),
    /// The test PKI could not be generated.
    #[error(transparent)]
    Pki(#[from] testkit::pki::PkiError),
    /// Tracing could not be attached.
    #[error("could not attach handshake tracing to the workload's contexts")]
    Trace(#[from] openssl_handshake::Error),
    /// A socket of the loopback variant failed.
    #[error("a socket of the loopback workload failed (its reason follows)")]
    Io(#[from] std::io::Error),
    /// The loopback server thread panicked.
    #[error("the loopback workload's server thread panicked (its message is above, on stderr)")]
    ServerThread,
    /// The thread dropping connections for a memory measurement panicked.
    #[error("the thread freeing a memory measurement's connections panicked")]
    DropThread,
}

impl BenchError {
    pub(crate) fn tls(
        during: &'static str,
        e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BenchError::Tls {
            during,
            source: e.into(),
        }
    }
}
