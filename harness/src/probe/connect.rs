//! Connecting to a target whose name may resolve to several addresses.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::ProbeFailure;

/// How a walk over a name's addresses went ([`first_connecting`]).
pub(crate) struct Walk {
    /// The first address that took a connection, with its stream.
    pub connected: Option<(TcpStream, SocketAddr)>,
    /// Each address tried before it (every one, when none took one) and
    /// why it took none.
    pub failed: Vec<(SocketAddr, io::Error)>,
}

/// Tries `addrs` in the resolver's order, each for `timeout`, up to the
/// first that takes a TCP connection. probe and scan walk a name's
/// addresses so, each wording the failures its own way.
pub(crate) fn first_connecting(addrs: &[SocketAddr], timeout: Duration) -> Walk {
    let mut failed = Vec::new();
    for a in addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => {
                return Walk {
                    connected: Some((s, *a)),
                    failed,
                }
            }
            Err(e) => failed.push((*a, e)),
        }
    }
    Walk {
        connected: None,
        failed,
    }
}

/// Connects to the first of `addrs` (every address the name resolved to,
/// in the resolver's order) that takes a connection, each given `timeout`.
/// Returns the stream, its address, and why each address before it took
/// none: one dead address of several is what a probe of a name is often
/// run to find. When none takes one, the failure is the last address's,
/// naming the others' too.
pub(super) fn connect(
    addrs: &[SocketAddr],
    timeout: Duration,
) -> Result<(TcpStream, SocketAddr, Vec<String>), ProbeFailure> {
    let Walk { connected, failed } = first_connecting(addrs, timeout);
    let mut tried: Vec<ProbeFailure> = failed
        .iter()
        .map(|(a, e)| connect_failure(*a, e, timeout))
        .collect();
    if let Some((s, a)) = connected {
        let set = s
            .set_read_timeout(Some(timeout))
            .and_then(|_| s.set_write_timeout(Some(timeout)));
        return match set {
            Ok(()) => Ok((s, a, tried.iter().map(ToString::to_string).collect())),
            Err(e) => Err(ProbeFailure::Other(e.to_string())),
        };
    }
    let Some(mut last) = tried.pop() else {
        return Err(ProbeFailure::Refused("no address to connect to".into()));
    };
    if !tried.is_empty() {
        let others: Vec<String> = tried.iter().map(ToString::to_string).collect();
        let others = others.join("; ");
        last = last.map_message(|m| format!("{m} (every address failed; before it, {others})"));
    }
    Err(last)
}

/// What a failed connect to `a` means.
pub(crate) fn connect_failure(
    a: SocketAddr,
    e: &std::io::Error,
    timeout: Duration,
) -> ProbeFailure {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            ProbeFailure::TimedOut(format!("connecting to {a} took longer than {timeout:?}"))
        }
        std::io::ErrorKind::ConnectionRefused => {
            ProbeFailure::Refused(format!("nothing listens on {a}"))
        }
        std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
            ProbeFailure::Unreachable(format!("no route to {a}: {e}"))
        }
        // The connection was made, then reset before connect returned: on
        // a near link, a server that resets at once looks so.
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => {
            ProbeFailure::ResetAtConnect(format!(
                "{a} accepted the connection and reset it at once, before any TLS (a server \
                 or firewall refusing this client, or a full accept queue): {e}"
            ))
        }
        _ => ProbeFailure::Other(format!("connecting to {a}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use testkit::closed_port::ClosedPort;

    use super::*;

    #[test]
    fn the_walk_stops_at_the_first_address_that_connects() {
        let live = TcpListener::bind("127.0.0.1:0").expect("bind");
        let (closed, after) = (ClosedPort::new(), ClosedPort::new());
        let (dead, live_addr) = (closed.socket_addr(), live.local_addr().expect("addr"));
        let Walk { connected, failed } = first_connecting(
            &[dead, live_addr, after.socket_addr()],
            Duration::from_secs(5),
        );
        assert_eq!(connected.map(|(_, a)| a), Some(live_addr));
        let failed: Vec<_> = failed.iter().map(|(a, e)| (*a, e.kind())).collect();
        assert_eq!(failed, [(dead, io::ErrorKind::ConnectionRefused)]);
    }

    #[test]
    fn a_dead_address_before_a_live_one_is_named() {
        let live = TcpListener::bind("127.0.0.1:0").expect("bind");
        let closed = ClosedPort::new();
        let (dead, live_addr) = (closed.socket_addr(), live.local_addr().expect("addr"));
        let (_, reached, tried) =
            connect(&[dead, live_addr], Duration::from_secs(5)).expect("connects");
        assert_eq!(reached, live_addr);
        assert_eq!(
            tried,
            [format!("connection refused: nothing listens on {dead}")]
        );
    }

    #[test]
    fn when_every_address_fails_each_is_named() {
        let closed = [ClosedPort::new(), ClosedPort::new()];
        let [first, second] = closed.each_ref().map(ClosedPort::socket_addr);
        let failure = connect(&[first, second], Duration::from_secs(5)).expect_err("fails");
        assert!(matches!(failure, ProbeFailure::Refused(_)), "{failure:?}");
        let text = failure.to_string();
        assert!(
            text.starts_with(&format!("connection refused: nothing listens on {second}")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "before it, connection refused: nothing listens on {first}"
            )),
            "{text}"
        );
    }
}
