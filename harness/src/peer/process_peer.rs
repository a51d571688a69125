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

/// The line of a program's standard error most likely to say why it
/// failed: the first that reads as an error (`openssl s_client` and
/// `gnutls-cli` print notes and warnings before it), else the last; never
/// a note of the harness's own. Cut at 200 characters.
pub fn reason_in(stderr: &str) -> Option<String> {
    error_line_in(stderr).or_else(|| own_lines(stderr).last().map(cut))
}

/// The first line of a program's standard error that reads as an error,
/// if one does (see [`reason_in`]).
pub fn error_line_in(stderr: &str) -> Option<String> {
    const ERROR_WORDS: [&str; 9] = [
        "error",
        "fatal",
        "fail",
        "unknown",
        "invalid",
        "refused",
        "denied",
        "not found",
        "usage",
    ];
    let lines: Vec<&str> = own_lines(stderr).collect();
    let with = |words: &[&str]| {
        lines.iter().copied().find(|l| {
            let l = l.to_ascii_lowercase();
            words.iter().any(|w| l.contains(w))
        })
    };
    // "error" first: s_server says CONNECTION FAILURE before OpenSSL's
    // error line, which names the reason.
    with(&["error"]).or_else(|| with(&ERROR_WORDS)).map(cut)
}

/// The lines of `stderr` with text, but for the harness's own notes.
fn own_lines(stderr: &str) -> impl DoubleEndedIterator<Item = &str> {
    stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("[tls-harness:"))
}

/// `line` cut at 200 characters, with an ellipsis where it was.
fn cut(line: &str) -> String {
    let mut cut: String = line.chars().take(200).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::{error_line_in, reason_in};

    #[test]
    fn the_reason_is_the_line_that_reads_as_an_error() {
        // openssl s_client's note before its error line.
        let s_client = "Can't use SSL_get_servername\ndepth=0 CN = localhost\n\
            40F7:error:0A000086:SSL routines:tls_post_process_server_certificate:\
            certificate verify failed:../ssl/statem/statem_clnt.c:1889:\n";
        assert!(reason_in(s_client).is_some_and(|r| r.contains("certificate verify failed")));
        // gnutls-cli's warning before its fatal error.
        let gnutls = "|<1>| There was a non-CA certificate in the trusted list: CN=x.\n\
            *** Fatal error: Error in the certificate.\n";
        assert_eq!(
            reason_in(gnutls).as_deref(),
            Some("*** Fatal error: Error in the certificate.")
        );
        assert_eq!(reason_in("starting\nbye\n").as_deref(), Some("bye"));
        // s_server's note of a failed connection before OpenSSL's error.
        let s_server = "CONNECTION FAILURE\n40A7:error:0A0000C1:SSL routines:\
            tls_post_process_client_hello:no shared cipher:../ssl/statem/statem_srvr.c:2220:\n";
        assert!(reason_in(s_server).is_some_and(|r| r.contains("no shared cipher")));
        assert_eq!(error_line_in("starting\nbye\n"), None);
        let note = "[tls-harness: output still open after the peer's process group was killed]\n";
        assert_eq!(reason_in(note), None);
        let long = format!("error: {}", "é".repeat(300));
        let cut = reason_in(&long).unwrap_or_default();
        assert_eq!(cut.chars().count(), 201, "{cut}");
        assert!(cut.ends_with('…'));
    }
}
