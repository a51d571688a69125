//! A command's exit status, told apart by what went wrong, so that a
//! script or a monitoring check can page the right people: a refused
//! handshake (the service's configuration or certificate) is not an
//! unreachable or silent server (the network), and neither is a mistake
//! in the command itself.

use crate::error::HarnessError;
use crate::hostile::HostileError;
use crate::probe::ProbeFailure;
use crate::starttls::StartTlsError;

/// What a command ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything it tried worked: 0.
    Success,
    /// A TLS handshake or a case failed: refused with an alert, a
    /// certificate that did not verify, nothing in common: 1.
    Failed,
    /// The peer could not be reached: nothing listens, no route to it, or
    /// its name does not resolve: 3.
    Unreachable,
    /// The command was wrong, or the local configuration it named (a file
    /// that does not load, an address in use): 2.
    Usage,
    /// The peer did not answer in time (`--timeout`, `--handshake-timeout`,
    /// `--accept-timeout`): 4.
    TimedOut,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Unreachable => 3,
            Exit::TimedOut => 4,
        }
    }

    /// How a probe that failed so ends.
    pub fn of_probe(failure: &ProbeFailure) -> Self {
        match failure {
            ProbeFailure::Refused(_) | ProbeFailure::Unreachable(_) => Exit::Unreachable,
            ProbeFailure::TimedOut(_)
            | ProbeFailure::StartTls {
                error: StartTlsError::TimedOut { .. },
                ..
            } => Exit::TimedOut,
            ProbeFailure::Unusable(_) => Exit::Usage,
            _ => Exit::Failed,
        }
    }

    /// How an error that stopped a command ends it: a usage or local
    /// configuration error, unless it was the network's.
    pub fn of_error(error: &HarnessError) -> Self {
        match error {
            HarnessError::Unreachable { source, .. }
            | HarnessError::NoClient { source, .. }
            | HarnessError::Hostile(
                HostileError::Unreachable { source, .. } | HostileError::Address { source, .. },
            ) => {
                if source.kind() == std::io::ErrorKind::TimedOut {
                    Exit::TimedOut
                } else {
                    Exit::Unreachable
                }
            }
            // The server's failure under the probes' hellos, or its
            // stopping after one connection.
            HarnessError::Hostile(
                HostileError::StoppedByProbes { .. }
                | HostileError::ServedOnce { .. }
                | HostileError::StoppedServing { .. },
            ) => Exit::Failed,
            _ => Exit::Usage,
        }
    }
}

impl From<bool> for Exit {
    fn from(ok: bool) -> Self {
        if ok {
            Exit::Success
        } else {
            Exit::Failed
        }
    }
}

/// probe's `--help` epilogue: examples, then its exit codes.
pub const PROBE_HELP: &str = "Examples:
  tls-harness probe example.com:443              why does the handshake fail?
  tls-harness probe 10.0.0.5:443 --servername example.com --cafile root.pem
  tls-harness probe mail.example.com:25 --starttls smtp --format state
  tls-harness probe example.com:443 --format json --pcap handshake.pcapng

Exit status: 0 the handshake worked and nothing ended the connection badly after it; 1 it \
failed (refused with an alert, a certificate that did not verify, nothing in common), or it \
worked and then, while probe read on (--linger), a fatal alert (the server's, or this \
client's for bytes that are not TLS), a reset or a close without close_notify ended the \
connection; 2 a usage or local configuration error; 3 the peer could not be reached (nothing \
listens, no route, its name does not resolve); 4 it did not answer in time; 128+N stopped by \
signal N.";

/// Serve's codes, for `--help`.
pub const SERVE_CODES: &str = "Exit status: 0 every connection it served worked (with --once, \
the one; a connection refused at --max-connections is not served); 1 one failed; 2 a usage or local configuration error (an address in use, a key \
that does not load); 4 --once and no client came within --accept-timeout; 128+N stopped by \
signal N.";

/// matrix's `--help` epilogue.
pub const MATRIX_CODES: &str = "Exit status: 0 no case failed; 1 a case failed; 2 a usage \
error, a named peer that cannot run, or a run in which no case could run (its report is \
written); 128+N stopped by signal N (its report is written, the cases left skipped).";

/// scan's `--help` epilogue.
pub const SCAN_CODES: &str = "Exit status: 0 scanned (and the --policy passed); 1 a --policy \
rule failed; 2 a usage error, nothing to scan (nothing listens, no TLS there, no handshake \
gets past the server's answer) or a policy not verified; 3 the name does not resolve; 4 the \
resolver did not answer in time; 128+N stopped by signal N.";

/// hostile's `--help` epilogue.
pub const HOSTILE_CODES: &str = "Exit status: 0 every case passed; 1 a case failed, or the \
server stopped serving under the implementation probes; 2 a usage \
error, or a target that failed the good handshake before any case; 3 the target could not be \
reached (nothing listens, no route, its name does not resolve); 4 connecting to it timed out; \
128+N stopped by signal N.";
