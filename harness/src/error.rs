//! The harness's error type.

use std::path::PathBuf;

/// Everything that can stop the harness before or outside a case. A case
/// that fails is a result, not an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// OpenSSL refused a configuration.
    #[error("OpenSSL rejected the configuration: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    /// The tracing core refused to attach.
    #[error("could not attach handshake tracing: {0}")]
    Trace(String),
    /// The test PKI could not be built or written.
    #[error("test PKI: {0}")]
    Pki(String),
    /// A file could not be read or written.
    #[error("{action} {path}: {source}; check that the path exists and is writable")]
    File {
        /// What the harness was doing ("reading", "writing").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A network operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What the harness was doing.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A command-line value was not understood.
    #[error("{0}")]
    Usage(String),
    /// A JSON report could not be read.
    #[error("{path}: not a tls-harness JSON report ({source}); pass files written by `tls-harness matrix --format json`")]
    Report {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// JSON reports that can't be merged.
    #[error("cannot merge reports: {0}")]
    Merge(String),
    /// A benchmark could not be run (a workload failed or did not resume).
    #[error("benchmark failed: {0}")]
    Bench(#[from] benches::BenchError),
    /// The hostile suite could not be set up.
    #[error("hostile suite: {0}")]
    Hostile(#[from] crate::hostile::HostileError),
    /// A saved session could not be offered for resumption.
    #[error(transparent)]
    Session(#[from] crate::ffi::SessionError),
    /// An SRP login could not be set up.
    #[error("SRP: {0}")]
    Srp(#[from] crate::ffi::SrpError),
}

impl HarnessError {
    /// A file error while reading `path`.
    pub fn reading(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HarnessError::File {
            action: "reading",
            path: path.into(),
            source,
        }
    }

    /// A file error while writing `path`.
    pub fn writing(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HarnessError::File {
            action: "writing",
            path: path.into(),
            source,
        }
    }
}
