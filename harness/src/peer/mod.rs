//! Peers: the TLS implementations that play the client or the server side
//! of a case.
//!
//! Three kinds: OpenSSL linked into this process ([`inproc`]), and two
//! external implementations run as processes on loopback: `openssl
//! s_server`/`s_client` ([`openssl_cli`]) and `gnutls-serv`/`gnutls-cli`
//! ([`gnutls`]). All fit the [`Peer`] trait: they get the case and a
//! loopback port, and report one [`SideOutcome`] per connection. Each
//! declares its implementation's [`Capabilities`] up front; a case a peer
//! can't play is `unsupported` with the side and the missing feature, and
//! is never forced.
//!
//! External peers have no trace. They report an [`ExternalView`] instead:
//! what their own output says was negotiated, the alert they saw, their
//! exit status and everything they printed.

pub mod botan;
pub mod capabilities;
pub mod command;
mod driver;
pub mod external;
pub mod gnutls;
pub mod inproc;
pub mod jsse;
pub mod openssl_cli;
pub mod own_port;
pub mod process;
pub mod process_peer;
pub mod rustls;
pub mod tlslite;

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use openssl_handshake::{HandshakeTrace, ProtocolVersion};
use serde::{Deserialize, Serialize};

use crate::case::{Case, Role};
use crate::transport::{Dialer, Listener};
pub use capabilities::Capabilities;

/// What the client writes after the handshake. Reading the answer also
/// makes the client process the server's post-handshake messages (TLS 1.3
/// tickets, and the alert of a server that rejected the client's
/// certificate after the client had finished).
pub const PING: &[u8] = b"tls-harness ping\n";
/// What the server answers.
pub const PONG: &[u8] = b"tls-harness pong\n";

/// The kinds of peer `--peers` can name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerKind {
    /// OpenSSL linked into this process, traced by `openssl-handshake`.
    #[default]
    Inproc,
    /// The `openssl s_server` and `openssl s_client` commands.
    OpensslCli,
    /// GnuTLS's `gnutls-serv` and `gnutls-cli` commands (Debian's gnutls-bin).
    GnutlsCli,
    /// The rustls crate (ring provider), in this process.
    Rustls,
    /// Botan's `botan tls_server` and `botan tls_client` (Debian's botan).
    Botan,
    /// tlslite-ng (PyPI), driven by a script of ours.
    Tlslite,
    /// Java's JSSE (the JDK's SunJSSE), driven by a program of ours.
    Jsse,
    /// A user's own server or client command (`--peer-cmd`).
    Command,
}

impl PeerKind {
    /// Every kind, in report order.
    pub const ALL: [PeerKind; 8] = [
        PeerKind::Inproc,
        PeerKind::OpensslCli,
        PeerKind::GnutlsCli,
        PeerKind::Rustls,
        PeerKind::Botan,
        PeerKind::Tlslite,
        PeerKind::Jsse,
        PeerKind::Command,
    ];

    /// The name `--peers` takes.
    pub fn name(self) -> &'static str {
        match self {
            PeerKind::Inproc => "inproc",
            PeerKind::OpensslCli => "openssl-cli",
            PeerKind::GnutlsCli => "gnutls-cli",
            PeerKind::Rustls => "rustls",
            PeerKind::Botan => "botan",
            PeerKind::Tlslite => "tlslite",
            PeerKind::Jsse => "jsse",
            PeerKind::Command => "command",
        }
    }

    /// Whether the peer is another implementation than the traced
    /// in-process OpenSSL (a process, or rustls).
    pub fn is_external(self) -> bool {
        self != PeerKind::Inproc
    }
}

impl fmt::Display for PeerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--peers` value that names no peer kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown peer kind {0:?}; use inproc, openssl-cli, gnutls-cli, rustls, botan, tlslite, jsse or command (with --peer-cmd)")]
pub struct UnknownPeerKind(pub String);

impl FromStr for PeerKind {
    type Err = UnknownPeerKind;

    fn from_str(s: &str) -> Result<Self, UnknownPeerKind> {
        PeerKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownPeerKind(s.to_owned()))
    }
}

/// What one side saw on one connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideOutcome {
    /// The side.
    pub role: Role,
    /// The handshake trace, when the peer records one.
    pub trace: Option<HandshakeTrace>,
    /// The handshake call returned success.
    pub handshake_ok: bool,
    /// The ping/pong after the handshake went through.
    pub exchange_ok: bool,
    /// The certificate verify result this side ended with (`X509_V_*`).
    pub verify_code: Option<i32>,
    /// What went wrong, in words, when something did.
    pub error: Option<String>,
    /// The side gave up waiting for its peer.
    pub timed_out: bool,
    /// When it gave up, taken before it did anything its peer could see
    /// (a close_notify), for telling whether its peer had ended before.
    #[serde(skip)]
    pub gave_up: Option<std::time::Instant>,
    /// The side, by design, sent no data on this connection (`gnutls-cli
    /// --resume` closes its first connection right after the handshake),
    /// so the other side's missing ping is no failure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exchange_skipped: bool,
    /// What an external peer reported; `None` for the in-process peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalView>,
    /// The side never got as far as a connection: its configuration was
    /// refused, or its process did not start or listen. The case tested
    /// nothing, which CI reports as an error rather than a failure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub setup_failed: bool,
}

/// What an external peer's own output says about one connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExternalView {
    /// The peer's implementation and version, e.g. "gnutls-cli 3.7.9".
    pub implementation: String,
    /// The command line that ran.
    pub command: String,
    /// How the process ended.
    pub exit: String,
    /// The negotiated version; in JSON, OpenSSL's spelling ("TLSv1.3").
    pub version: Option<ProtocolVersion>,
    /// The negotiated suite: OpenSSL's name when the peer's own name maps
    /// onto one of the case's suites, else the peer's spelling.
    pub suite: Option<String>,
    /// The ALPN protocol the peer reports.
    pub alpn: Option<String>,
    /// The SNI name a server peer reports having seen.
    pub sni: Option<String>,
    /// Whether the peer reports the connection as resumed, when it says.
    pub resumed: Option<bool>,
    /// An alert the peer reports having sent.
    pub alert_sent: Option<u8>,
    /// An alert the peer reports having received.
    pub alert_received: Option<u8>,
    /// The certificate verification failure the peer reports, in its words.
    pub verify_error: Option<String>,
    /// The peer's error line, when it failed.
    pub error: Option<String>,
    /// Its standard output (on the first connection of each process).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    /// Its standard error (on the first connection of each process).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// The peer says nothing of its handshake (a user's own command): the
    /// side's `handshake_ok` and `exchange_ok` say only that its process
    /// did not fail, and the other side's trace judges the connection.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub handshake_unreported: bool,
    /// When the harness saw the process end by itself, at the latest (see
    /// [`process::Captured::ended`]); `None` when the harness killed it or
    /// no process ran.
    #[serde(skip)]
    pub ended: Option<std::time::Instant>,
}

impl ExternalView {
    /// One line: what the peer says happened.
    pub fn summary(&self) -> String {
        let mut parts = vec![self.implementation.clone()];
        match (&self.version, &self.suite) {
            (Some(v), Some(s)) => parts.push(format!("negotiated {v} {s}")),
            (Some(v), None) => parts.push(format!("negotiated {v}")),
            _ => {}
        }
        if let Some(a) = &self.alpn {
            parts.push(format!("alpn={a}"));
        }
        if self.resumed == Some(true) {
            parts.push("resumed".into());
        }
        if let Some(a) = self.alert_sent {
            parts.push(format!("sent alert {} ({a})", crate::case::alert::name(a)));
        }
        if let Some(a) = self.alert_received {
            parts.push(format!(
                "received alert {} ({a})",
                crate::case::alert::name(a)
            ));
        }
        if let Some(v) = &self.verify_error {
            parts.push(format!("verify error: {v}"));
        }
        if let Some(e) = &self.error {
            parts.push(format!("error: {e}"));
        }
        parts.push(self.exit.clone());
        parts.join("; ")
    }
}

impl SideOutcome {
    /// An outcome for a side that never got to handshake.
    pub fn broken(role: Role, error: String, timed_out: bool) -> Self {
        SideOutcome {
            role,
            trace: None,
            handshake_ok: false,
            exchange_ok: false,
            verify_code: None,
            error: Some(error),
            timed_out,
            gave_up: timed_out.then(std::time::Instant::now),
            exchange_skipped: false,
            external: None,
            setup_failed: false,
        }
    }

    /// A side that could not be set up (see [`SideOutcome::setup_failed`]).
    pub fn not_set_up(role: Role, error: String) -> Self {
        SideOutcome {
            setup_failed: true,
            ..SideOutcome::broken(role, error, false)
        }
    }

    /// Whether the handshake and the exchange after it both worked.
    pub fn ok(&self) -> bool {
        self.handshake_ok && (self.exchange_ok || self.exchange_skipped)
    }
}

/// Up to `connections` connections, made one after another by `one` (given
/// each one's index), stopping after the first for which `stop` holds: a
/// later connection would only repeat its failure.
pub(crate) fn one_after_another(
    connections: usize,
    stop: impl Fn(&SideOutcome) -> bool,
    mut one: impl FnMut(usize) -> SideOutcome,
) -> Vec<SideOutcome> {
    let mut out = Vec::with_capacity(connections);
    for i in 0..connections {
        let o = one(i);
        let last = stop(&o);
        out.push(o);
        if last {
            break;
        }
    }
    out
}

/// How a server that binds its own port hands it to the client, and
/// learns that the client is done.
pub struct ServerControl {
    /// Receives the address once the server accepts connections.
    pub ready: Sender<SocketAddr>,
    /// Gets the number of connections the client made, once it is done.
    pub client_done: Receiver<usize>,
    /// The per-operation time-out of the run; a server process gets a few
    /// of these in all.
    pub io_timeout: Duration,
}

impl ServerControl {
    /// How many connections the client says it made, waiting until
    /// `deadline` for it to say; all of them if it never does.
    pub fn connections_made(&self, deadline: Instant, connections: usize) -> usize {
        self.client_done
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or(connections)
    }

    /// Controls for a server whose address nobody waits for and that is
    /// not told when the client is done: a peer that binds its own port,
    /// called through [`Peer::serve`] directly.
    pub fn unattended(io_timeout: Duration) -> Self {
        let (ready, _) = std::sync::mpsc::channel();
        let (_, client_done) = std::sync::mpsc::channel();
        ServerControl {
            ready,
            client_done,
            io_timeout,
        }
    }
}

/// A TLS implementation that can play a side of a case.
pub trait Peer: Send + Sync {
    /// The kind of peer.
    fn kind(&self) -> PeerKind;

    /// A description with the implementation's version, for reports.
    fn describe(&self) -> String;

    /// What the peer's implementation supports, declared before any case
    /// runs; the oracle reads it to tell which cases the peer can play and
    /// how they end.
    fn capabilities(&self) -> Capabilities;

    /// Plays the server: accepts `connections` connections in turn.
    fn serve(&self, case: &Case, listener: Listener, connections: usize) -> Vec<SideOutcome>;

    /// Plays the client: makes `connections` connections in turn, each
    /// after the previous one has finished.
    fn connect(&self, case: &Case, dialer: Dialer, connections: usize) -> Vec<SideOutcome>;

    /// Whether the server side binds its own port (an external process)
    /// rather than accepting on a [`Listener`] the runner made; such a
    /// server is run through [`Peer::serve_own_port`].
    fn binds_own_port(&self) -> bool {
        false
    }

    /// Plays the server on a loopback port of its own: sends the address
    /// on `ctl.ready` once it accepts connections, and stops once
    /// `ctl.client_done` says how many connections the client made. The
    /// default binds 127.0.0.1:0 and calls [`Peer::serve`].
    fn serve_own_port(
        &self,
        case: &Case,
        connections: usize,
        ctl: ServerControl,
    ) -> Vec<SideOutcome> {
        let (listener, dialer) = match crate::transport::Transport::Tcp.pair(ctl.io_timeout) {
            Ok(p) => p,
            Err(e) => {
                return vec![SideOutcome::broken(
                    Role::Server,
                    format!("could not bind a loopback port: {e}"),
                    false,
                )]
            }
        };
        if let Dialer::Tcp(addr, _) = dialer {
            // The runner only stops listening once the case has timed out.
            let _ = ctl.ready.send(addr);
        }
        self.serve(case, listener, connections)
    }
}
