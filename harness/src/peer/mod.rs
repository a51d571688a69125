//! Peers: the TLS implementations that play the client or the server side
//! of a case.
//!
//! Only the in-process OpenSSL peer exists today ([`inproc`]). External
//! processes (`openssl s_server`/`s_client`, `gnutls-serv`/`gnutls-cli`)
//! fit the same [`Peer`] trait: they get the case, a [`Listener`] or a
//! [`Dialer`] (a loopback TCP port), and report one [`SideOutcome`] per
//! connection; a case they can't express is refused by [`Peer::check`]
//! and becomes `unsupported` with their reason.

pub mod inproc;

use std::fmt;
use std::str::FromStr;

use openssl_handshake::HandshakeTrace;
use serde::{Deserialize, Serialize};

use crate::case::{Case, Role};
use crate::transport::{Dialer, Listener};

/// What the client writes after the handshake. Reading the answer also
/// makes the client process the server's post-handshake messages (TLS 1.3
/// tickets, and the alert of a server that rejected the client's
/// certificate after the client had finished).
pub const PING: &[u8] = b"tls-harness ping\n";
/// What the server answers.
pub const PONG: &[u8] = b"tls-harness pong\n";

/// The kinds of peer `--peers` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeerKind {
    /// OpenSSL linked into this process, traced by `openssl-handshake`.
    Inproc,
}

impl PeerKind {
    /// The name `--peers` takes.
    pub fn name(self) -> &'static str {
        match self {
            PeerKind::Inproc => "inproc",
        }
    }
}

impl fmt::Display for PeerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PeerKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "inproc" => Ok(PeerKind::Inproc),
            "openssl-cli" | "gnutls-cli" => Err(format!(
                "peer kind {s} is not implemented yet (external peers are issue 4); use --peers inproc"
            )),
            other => Err(format!("unknown peer kind {other:?}; use inproc")),
        }
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
        }
    }

    /// Whether the handshake and the exchange after it both worked.
    pub fn ok(&self) -> bool {
        self.handshake_ok && self.exchange_ok
    }
}

/// A TLS implementation that can play a side of a case.
pub trait Peer: Send + Sync {
    /// The kind of peer.
    fn kind(&self) -> PeerKind;

    /// A description with the implementation's version, for reports.
    fn describe(&self) -> String;

    /// `Err(reason)` when this peer can't play `role` in `case`; the case
    /// is then unsupported with that reason rather than forced.
    fn check(&self, role: Role, case: &Case) -> Result<(), String>;

    /// Plays the server: accepts `connections` connections in turn.
    fn serve(&self, case: &Case, listener: Listener, connections: usize) -> Vec<SideOutcome>;

    /// Plays the client: makes `connections` connections in turn, each
    /// after the previous one has finished.
    fn connect(&self, case: &Case, dialer: Dialer, connections: usize) -> Vec<SideOutcome>;
}
