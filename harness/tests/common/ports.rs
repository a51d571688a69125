//! Ports for the tests' servers: a server started on a port that was free
//! a moment ago, and a port that stays closed while a test needs it.
//! Tests run in parallel, each process picking ports of its own: a port
//! released after the pick may be taken by another before it is used.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;
use std::time::{Duration, Instant};

use harness::peer::own_port;

use super::{Proc, LIMIT};

/// A port that was free a moment ago, for tools that can't bind port 0
/// and report it. Another process may take it before the tool binds it:
/// [`serve_on_free_port`] allows for that, and a test that needs a port
/// nobody listens on holds a [`ClosedPort`].
fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    l.local_addr().expect("addr").port()
}

/// Starts the server `command` gives for a port on one that was free a
/// moment ago; returns it once a socket of its own listens there, and the
/// port. A listener another process put on the port meanwhile would pass
/// for it otherwise. A server that exits saying its address is in use (or
/// that its bind failed) is
/// started again on a fresh port; one that exits otherwise fails the test.
/// At most [`LIMIT`] in all. The server's process must hold the socket
/// itself (a child's doesn't count), on IPv4: gnutls-serv, which listens
/// on IPv6 alone when its IPv4 bind fails, starts with [`super::gnutls_serv`].
pub fn serve_on_free_port(command: impl Fn(u16) -> Command) -> (Proc, u16) {
    start(&command, None)
}

/// [`serve_on_free_port`] for a server that logs a failed bind on stdout
/// and runs on (Prosody): a line `gave_up` accepts has it started again.
/// The stdout lines read while waiting are not delivered again.
pub fn serve_on_free_port_watching(
    command: impl Fn(u16) -> Command,
    gave_up: impl Fn(&str) -> bool,
) -> (Proc, u16) {
    start(&command, Some(&gave_up))
}

fn start(command: &dyn Fn(u16) -> Command, gave_up: Option<&dyn Fn(&str) -> bool>) -> (Proc, u16) {
    let deadline = Instant::now() + LIMIT;
    let mut tries = Vec::new();
    loop {
        let port = free_port();
        let mut server = Proc::spawn(command(port));
        let mut seen = Vec::new();
        let failed = loop {
            let slice = (Instant::now() + Duration::from_millis(50)).min(deadline);
            if own_port::wait_listening(port, Some(server.pid()), slice) {
                return (server, port);
            }
            if let Some(status) = server.try_exit() {
                seen.extend(Proc::drain(&server.stdout));
                seen.extend(Proc::drain(&server.stderr));
                let said = seen.join("\n");
                // "Address already in use", or Botan's "server bind failed".
                assert!(
                    said.contains("in use") || said.contains("bind"),
                    "{} exited ({status}) without listening on {port}:\n{said}",
                    server.name
                );
                break said;
            }
            if let Some(gave_up) = gave_up {
                seen.extend(server.stdout.try_iter());
                if let Some(l) = seen.iter().find(|l| gave_up(l)) {
                    break l.clone();
                }
            }
            assert!(
                Instant::now() < deadline,
                "{} did not listen on {port} within {LIMIT:?} (earlier ports: {tries:?}); it said:\n{}",
                server.name,
                seen.join("\n")
            );
        };
        tries.push(format!("{port}: {failed}"));
        assert!(
            tries.len() < 4 && Instant::now() < deadline,
            "{} never listened on a port of its own: {tries:#?}",
            server.name
        );
    }
}

// Not every test binary that builds this module holds a closed port.
#[allow(unused_imports)]
pub use testkit::closed_port::ClosedPort;
