//! Which of the addresses a name resolves to the scan runs against: the
//! first that takes a connection, so that its seventy-odd probes do not
//! each wait out a dead address first, and so that the report can say
//! which server it describes (a name's addresses may be different
//! servers).

use std::net::SocketAddr;
use std::time::Duration;

/// The address chosen and why each one before it was passed over.
pub struct Chosen {
    /// The first address that took a connection; `None` when none did.
    pub address: Option<SocketAddr>,
    /// Each address tried before it (or every one, when none took a
    /// connection): "ADDR: why".
    pub passed_over: Vec<String>,
}

/// Tries `addrs` in the resolver's order, each for `timeout`, when there
/// is more than one; a single address is taken as it is, for the probes
/// to reach or not.
pub fn choose(addrs: &[SocketAddr], timeout: Duration) -> Chosen {
    if let [only] = addrs {
        return Chosen {
            address: Some(*only),
            passed_over: Vec::new(),
        };
    }
    // The stream is not kept: the probes make their own connections.
    let walk = crate::probe::first_connecting(addrs, timeout);
    Chosen {
        address: walk.connected.map(|(_, a)| a),
        passed_over: walk
            .failed
            .into_iter()
            .map(|(a, e)| match e.kind() {
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                    format!("{a}: no connection within {timeout:?}")
                }
                _ => format!("{a}: {e}"),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use testkit::closed_port::ClosedPort;

    use super::*;

    #[test]
    fn the_first_address_that_connects_is_chosen_and_the_dead_ones_named() {
        let closed = ClosedPort::new();
        let dead = closed.socket_addr();
        let live = TcpListener::bind("127.0.0.1:0").expect("bind");
        let live_addr = live.local_addr().expect("addr");
        let c = choose(&[dead, live_addr, dead], Duration::from_secs(5));
        assert_eq!(c.address, Some(live_addr));
        assert_eq!(c.passed_over.len(), 1, "{:?}", c.passed_over);
        assert!(
            c.passed_over[0].starts_with(&format!("{dead}: ")),
            "{:?}",
            c.passed_over
        );
        let none = choose(&[dead, dead], Duration::from_secs(5));
        assert_eq!((none.address, none.passed_over.len()), (None, 2));
    }
}
