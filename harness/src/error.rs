//! The harness's error type.

use std::path::PathBuf;

/// Everything that can stop the harness before or outside a case. A case
/// that fails is a result, not an error.
///
/// Each message says what the harness was doing and leaves the cause to
/// `source()`; print it with [`testkit::error_chain::Chain`], which adds
/// each cause once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// An OpenSSL call failed: most often a setting it refused (a cipher,
    /// group or file this build or its input lacks), else making an `SSL`.
    #[error("OpenSSL refused a setting or a call (its reason follows)")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    /// The tracing core refused to attach.
    #[error("could not attach handshake tracing")]
    Trace(#[from] openssl_handshake::Error),
    /// The test PKI could not be built or written.
    #[error(transparent)]
    Pki(#[from] testkit::pki::PkiError),
    /// A file could not be read or written.
    #[error("{action} {path}")]
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
    #[error("{what}")]
    Io {
        /// What the harness was doing.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The target could not be reached: its name did not resolve (or not
    /// in time). Exit code 3, or 4 for a time-out.
    #[error("{what}")]
    Unreachable {
        /// What the harness was doing.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `serve --once` waited for a client that never came. Exit code 4.
    #[error("{what}")]
    NoClient {
        /// What the harness was doing.
        what: String,
        /// The cause, of kind `TimedOut`.
        #[source]
        source: std::io::Error,
    },
    /// A command-line value was not understood.
    #[error("{0}")]
    Usage(String),
    /// The matrix filters select no case.
    #[error(transparent)]
    Filter(#[from] crate::matrix::FilterError),
    /// A JSON report could not be read.
    #[error("{path}: not a tls-harness JSON report (pass files written by `tls-harness matrix --format json`)")]
    Report {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A whole run in which no case could run: every one it selected was
    /// unsupported or skipped, so a pass would say nothing.
    #[error("nothing ran: {unsupported} case(s) cannot run here and {skipped} were left out by the filters (the report says why each); select cases a pairing can play (`--list` shows them)")]
    NothingRan {
        /// Cases that could not run here.
        unsupported: usize,
        /// Cases left out by a filter.
        skipped: usize,
    },
    /// JSON reports that can't be merged.
    #[error("cannot merge reports: {0}")]
    Merge(String),
    /// A benchmark could not be run (a workload failed or did not resume).
    #[error("the benchmark could not run")]
    Bench(#[from] benches::BenchError),
    /// The hostile suite could not be set up.
    #[error("the hostile suite could not run")]
    Hostile(#[from] crate::hostile::HostileError),
    /// A peer named in `--peers` cannot run here (its tool is missing).
    #[error(
        "{peer}: {reason} (or pass --allow-unavailable-peers to report its cases as unsupported)"
    )]
    PeerUnavailable {
        /// The option that named it: `--peers KIND` or `--peer-cmd NAME`.
        peer: String,
        /// Why it cannot run, as the peer found it.
        reason: String,
    },
    /// A scan's target never answered a hello: nothing listens there, or
    /// it speaks no TLS, so there is nothing to judge.
    #[error("cannot scan {target}: {reason}")]
    ScanTarget {
        /// The target as given.
        target: String,
        /// What the probes saw.
        reason: String,
    },
    /// A `scan --policy` met every rule it could check, but some rest on
    /// probes the server never answered, or on a certificate it never
    /// sent: the policy is not verified.
    #[error("scan of {target} incomplete: policy rules {rules} not verified, {why}")]
    ScanIncomplete {
        /// The target as given.
        target: String,
        /// The rules not verified, comma-separated.
        rules: String,
        /// Why, and what to do.
        why: String,
    },
    /// A `scan --policy` could not be loaded.
    #[error(transparent)]
    Policy(#[from] crate::scan::policy::PolicyError),
    /// A saved session could not be offered for resumption.
    #[error(transparent)]
    Session(#[from] crate::ffi::SessionError),
    /// An SRP login could not be set up.
    #[error("SRP login could not be set up")]
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

    /// A file an option names (`--keylog`, `--pcap`) that could not be
    /// opened: a usage error naming the option, as for the files read.
    pub fn option_file(flag: &str, path: &std::path::Path, source: std::io::Error) -> Self {
        HarnessError::Usage(format!("{flag} {}: {source}", path.display()))
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
