//! The hostile-peer suite: bytes chosen by a stranger, sent to a traced
//! TLS server, which must answer each with the right alert or a clean
//! close, keep serving good clients, and trace what happened.
//!
//! [`run`] sends every case to a [`Target`]: a server that is already
//! listening (such as `tls-harness serve`), or an in-process
//! [`TracedServer`] the suite starts for itself, whose server-side traces
//! it can then check too. Each case carries an [`Expected`] outcome,
//! derived from the RFCs and from what the OpenSSL source does (the reasons
//! are in [`CaseResult::why`]), never from running the case. After every
//! case a good client must complete a real handshake.
//!
//! Before any hostile input, [`fingerprint`] probes the target with a few
//! fixed ClientHellos and names its implementation when the answers are
//! distinctive, else reports it as unknown with the answers.
//!
//! Every network wait has a time-out, so a misbehaving server turns into a
//! failed case, never a hung suite.

mod exhaustion;
mod expected;
pub mod fingerprint;
pub mod hello;
mod judge;
mod malformed;
pub mod renegotiate;
mod report;
mod rng;
pub mod server;
mod suite;
pub mod trickle;
pub mod wire;

use std::net::SocketAddr;
use std::time::Duration;

pub use expected::Expected;
pub use report::{CaseResult, HostileReport, ReportFormat};
pub use server::{ConnectionRecord, InProcessOptions, TracedServer};
pub use suite::run;

/// The version of the JSON layout of [`HostileReport`].
pub const SCHEMA_VERSION: u32 = 4;

/// Where the suite sends its cases.
#[derive(Debug, Clone)]
pub enum Target {
    /// A server that is already listening, as HOST:PORT.
    Address(String),
    /// A traced server that the suite starts on 127.0.0.1 and stops at the
    /// end; its server-side traces are checked too.
    InProcess(InProcessOptions),
}

/// How hard and how long the suite pushes.
#[derive(Debug, Clone)]
pub struct HostileOptions {
    /// Limit for each connect, read and write, and for the good handshake
    /// after each case.
    pub timeout: Duration,
    /// How long an idle connection may stay open before the server must
    /// have dropped it (the slowloris case). `None`: the in-process
    /// server's time-out plus one second, or 12 s for an address (the
    /// default `tls-harness serve --timeout` is 10 s).
    pub idle_limit: Option<Duration>,
    /// Connections the flood opens.
    pub flood: usize,
    /// How many of them are opened at once.
    pub flood_batch: usize,
    /// Connect time-out for each flood connection. A full accept queue
    /// makes the kernel drop SYNs, so those connects wait this long.
    pub flood_connect_timeout: Duration,
    /// Seed for the random and garbage bytes, so a run can be repeated.
    pub seed: u64,
}

impl Default for HostileOptions {
    fn default() -> Self {
        HostileOptions {
            timeout: Duration::from_secs(5),
            idle_limit: None,
            flood: 1000,
            flood_batch: 100,
            flood_connect_timeout: Duration::from_millis(500),
            seed: 0x7115_4a7d_0b5e_55ed,
        }
    }
}

/// An error from another library, kept whole as a [`HostileError`]'s source.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Why the suite could not run at all. A case that fails is a result in
/// the report, not an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostileError {
    /// The in-process server could not be started.
    #[error("could not start the in-process traced server")]
    Server(#[source] Cause),
    /// No genuine ClientHello could be captured from the linked OpenSSL.
    #[error("could not capture a genuine ClientHello from the linked OpenSSL")]
    Capture(#[source] Cause),
    /// What the linked OpenSSL wrote is not one ClientHello in one record.
    #[error("the ClientHello captured from the linked OpenSSL {0}")]
    CapturedHello(&'static str),
    /// The target is not an address that resolves.
    #[error("target {target:?} does not resolve to an address; check the host name")]
    Address {
        /// What was given.
        target: String,
        /// Why it does not resolve.
        #[source]
        source: std::io::Error,
    },
    /// The target resolves, but to no address.
    #[error("target {target:?} resolves to no address (give HOST:PORT, e.g. 127.0.0.1:4433)")]
    NoAddress {
        /// What was given.
        target: String,
    },
    /// Nothing listens at the target, or there is no route to it.
    #[error("target {target} could not be reached; check that it is running and listening there")]
    Unreachable {
        /// The address.
        target: SocketAddr,
        /// The connect's error.
        #[source]
        source: std::io::Error,
    },
    /// The target stopped serving after the fingerprint's hellos (no
    /// suites, a repeated extension, ...), before any case: a failure of
    /// the server's, under odd but well-formed input.
    #[error(
        "target {target} stopped serving after the implementation probes (seven odd but \
         well-formed ClientHellos: no suites, no supported_groups, a repeated extension, ...) \
         ({reason}); it does not survive them, so no case was run"
    )]
    StoppedByProbes {
        /// The address.
        target: SocketAddr,
        /// What the good client met.
        reason: String,
    },
    /// The target stopped serving right after the good handshake that
    /// checked it: the first probe, an ordinary TLS 1.3 ClientHello, got
    /// no connection or no answer, and nothing connected after it. That
    /// is a server that serves one connection only, not one the probes
    /// stopped.
    #[error(
        "target {target} stopped serving right after the first good handshake, before any \
         probe was answered (the first probe, an ordinary TLS 1.3 ClientHello: {first}; the \
         good client after the probes: {reason}), like a server that serves one connection \
         only (openssl s_server -naccept 1); no case was run"
    )]
    ServedOnce {
        /// The address.
        target: SocketAddr,
        /// What the first probe met.
        first: String,
        /// What the good client met after the probes.
        reason: String,
    },
    /// The target answered the first probes, then took no connection: a
    /// crash on the last probe that connected, or, when that probe was
    /// answered, a server that serves so many connections only, which
    /// looks the same from here.
    #[error(
        "target {target} stopped taking connections during the implementation probes: it \
         took {connections} (the good handshake and {probes}), {last}, and the probe \
         {refused}; {reading}; no case was run (the good client after the probes: {reason})",
        probes = probes(.connections - 1),
        reading = fingerprint::stop_reading(*.connections, *.last_closed)
    )]
    StoppedServing {
        /// The address.
        target: SocketAddr,
        /// Connections taken, the good handshake's included.
        connections: usize,
        /// The last probe that connected, and how it ended.
        last: String,
        /// The first that did not, and what it met.
        refused: String,
        /// Whether that last probe was closed unanswered: a crash on it.
        last_closed: bool,
        /// What the good client met after the probes.
        reason: String,
    },
    /// The target did not complete a good handshake before any hostile
    /// input, so nothing it does afterwards would mean anything.
    #[error(
        "target {target} failed a good TLS handshake before any hostile input ({reason}); \
         check that it is running and serving TLS"
    )]
    TargetDown {
        /// The address.
        target: SocketAddr,
        /// What went wrong.
        reason: String,
    },
}

/// "1 probe", "2 probes".
fn probes(n: usize) -> String {
    format!("{n} probe{}", if n == 1 { "" } else { "s" })
}
