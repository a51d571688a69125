//! The tests' ports. A server started on a port that was free a moment
//! ago, which another process took before the server bound it, is started
//! again on a fresh one, whether it exits or logs the failure and runs on;
//! a port held closed refuses connections and can't be taken.

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;
use std::sync::Mutex;

use common::ports::{serve_on_free_port, serve_on_free_port_watching};

/// A Python server on `port` that says whether it could bind, and runs on
/// when it could not if `runs_on`; with `taken`, it fails as a bind to a
/// taken port fails, without trying.
fn python_server(port: u16, runs_on: bool, taken: bool) -> Command {
    let script = "import errno, socket, sys, time\n\
        s = socket.socket()\n\
        try:\n    \
            if sys.argv[3] == 'taken':\n        \
                raise OSError(errno.EADDRINUSE, 'Address already in use')\n    \
            s.bind(('127.0.0.1', int(sys.argv[1])))\n    \
            s.listen()\n\
        except OSError as e:\n    \
            print('bind failed:', e, flush=True)\n    \
            if sys.argv[2] == 'exit':\n        \
                sys.exit(1)\n\
        time.sleep(30)\n";
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script, &port.to_string()])
        .arg(if runs_on { "run on" } else { "exit" })
        .arg(if taken { "taken" } else { "free" });
    cmd
}

/// Runs `start` with a command that takes its first port itself, as
/// another test's server would; returns the port taken and the one the
/// server listens on.
fn first_port_taken(
    start: impl FnOnce(&dyn Fn(u16) -> Command) -> u16,
    runs_on: bool,
) -> (u16, u16) {
    // The first port, and the listener that holds it: none when another
    // process took it first, which takes it just as well.
    let taken: Mutex<Option<(u16, Option<TcpListener>)>> = Mutex::new(None);
    // A port another process took first may be free again by the time
    // the server binds it; the server is told it is taken all the same.
    let command = |port: u16| {
        let mut taken = taken.lock().expect("lock");
        let first = taken.is_none();
        if first {
            let held = match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
                Ok(l) => Some(l),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => None,
                Err(e) => panic!("take port {port}: {e}"),
            };
            let other = held.is_none();
            *taken = Some((port, held));
            return python_server(port, runs_on, other);
        }
        python_server(port, runs_on, false)
    };
    let port = start(&command);
    let (first, _held) = taken
        .lock()
        .expect("lock")
        .take()
        .expect("a port was taken");
    (first, port)
}

#[test]
fn a_server_that_exits_on_a_taken_port_is_started_on_another() {
    let (taken, port) = first_port_taken(
        |command| {
            let (_server, port) = serve_on_free_port(command);
            port
        },
        false,
    );
    assert_ne!(
        port, taken,
        "the server was reported on the port it failed to bind"
    );
}

#[test]
fn a_server_that_logs_a_failed_bind_is_started_on_another() {
    let (taken, port) = first_port_taken(
        |command| {
            let (_server, port) =
                serve_on_free_port_watching(command, |l| l.starts_with("bind failed"));
            port
        },
        true,
    );
    assert_ne!(
        port, taken,
        "the server was reported on the port it failed to bind"
    );
}

/// Linux's "address family not supported".
const EAFNOSUPPORT: i32 = 97;

/// A held closed port refuses connections and can't be bound by another
/// socket, however it binds.
#[test]
fn a_closed_port_refuses_and_cannot_be_taken() {
    use socket2::{Domain, Socket, Type};
    let closed = common::ports::ClosedPort::new();
    let addr: std::net::SocketAddr = closed.addr().parse().expect("address");
    let e = std::net::TcpStream::connect(addr).expect_err("nothing listens");
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
    for ip in ["127.0.0.1", "0.0.0.0", "::"] {
        let at = std::net::SocketAddr::new(ip.parse().expect("ip"), addr.port());
        let s = match Socket::new(Domain::for_address(at), Type::STREAM, None) {
            Ok(s) => s,
            // A host without IPv6 has no dual-stack socket that could take it.
            Err(e) if ip == "::" && e.raw_os_error() == Some(EAFNOSUPPORT) => continue,
            Err(e) => panic!("a socket for {at}: {e}"),
        };
        s.set_reuse_address(true).expect("SO_REUSEADDR");
        let e = s.bind(&at.into()).expect_err("the port is held");
        assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse, "{at}: {e}");
    }
    let e = TcpListener::bind(addr).expect_err("the port is held");
    assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse, "{e}");
}
