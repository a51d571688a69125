//! What every peer played by an external program shares: its server binds
//! a port of its own, its client needs TCP, and a client process is driven
//! through one ping and pong before its output is read.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::external;
use super::process::ChildGuard;
use super::{Capabilities, Peer, PeerKind, ServerControl, SideOutcome, PING, PONG};
use crate::case::{Case, Role};
use crate::transport::{Dialer, Listener};

/// Where a client connects, and its per-operation time-out.
pub struct Tcp {
    /// The server's address.
    pub addr: SocketAddr,
    /// The run's per-operation time-out.
    pub timeout: Duration,
}

/// A peer whose sides are external processes on loopback; every such type
/// is a [`Peer`] through this trait.
pub trait ProcessPeer: Send + Sync {
    /// The kind of peer.
    const KIND: PeerKind;

    /// Why a client on anything but TCP can't run.
    const NEEDS_TCP: &'static str;

    /// A description with the implementation's version, for reports.
    fn description(&self) -> String;

    /// The declaration made when the peer was built.
    fn caps(&self) -> &Capabilities;

    /// The implementation's name and version, for the external view.
    fn implementation(&self) -> String;

    /// Plays the client against a server on TCP.
    fn run_client(&self, case: &Case, server: Tcp, connections: usize) -> Vec<SideOutcome>;

    /// Plays the server on a port of its own, as [`Peer::serve_own_port`].
    fn run_server(&self, case: &Case, connections: usize, ctl: ServerControl) -> Vec<SideOutcome>;
}

impl<T: ProcessPeer> Peer for T {
    fn kind(&self) -> PeerKind {
        T::KIND
    }

    fn describe(&self) -> String {
        self.description()
    }

    fn capabilities(&self) -> Capabilities {
        self.caps().clone()
    }

    fn serve(&self, case: &Case, _listener: Listener, connections: usize) -> Vec<SideOutcome> {
        // The runner calls serve_own_port for these peers; a direct call
        // still works, on a port of the server's own.
        self.run_server(
            case,
            connections,
            ServerControl::unattended(Duration::from_secs(5)),
        )
    }

    fn connect(&self, case: &Case, dialer: Dialer, connections: usize) -> Vec<SideOutcome> {
        let Dialer::Tcp(addr, timeout) = dialer else {
            return vec![external::not_run(
                Role::Client,
                &self.implementation(),
                T::NEEDS_TCP.into(),
            )];
        };
        self.run_client(case, Tcp { addr, timeout }, connections)
    }

    fn binds_own_port(&self) -> bool {
        true
    }

    fn serve_own_port(
        &self,
        case: &Case,
        connections: usize,
        ctl: ServerControl,
    ) -> Vec<SideOutcome> {
        self.run_server(case, connections, ctl)
    }
}

/// "tool (version)", or "tool (unavailable: why)".
pub fn describe_version(tool: &str, version: &Result<String, String>) -> String {
    match version {
        Ok(v) => format!("{tool} ({v})"),
        Err(e) => format!("{tool} (unavailable: {e})"),
    }
}

/// The harness's pong without its newline, as a client prints it.
pub fn pong_line() -> &'static [u8] {
    PONG.strip_suffix(b"\n").unwrap_or(PONG)
}

/// Drives a client process through the exchange: sends the ping, waits
/// for a line that `answered` takes for the pong, then closes stdin (which
/// makes the client close the connection) and waits for the exit. Says
/// whether the pong came.
pub fn ping_pong(g: &mut ChildGuard, deadline: Instant, answered: impl Fn(&str) -> bool) -> bool {
    let _ = g.write_stdin(PING);
    let pong = g
        .wait_for_line(deadline, "the server's answer", answered)
        .is_ok();
    g.close_stdin();
    g.wait_exit(deadline);
    pong
}
