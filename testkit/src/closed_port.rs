//! A loopback port that stays closed while a test needs it.

use std::net::{Ipv4Addr, SocketAddr};

use socket2::{Domain, Socket, Type};

/// A loopback port nothing listens on while this lives: a socket bound
/// to it that does not listen. Linux refuses connections to it, and gives
/// the port to no other socket: without SO_REUSEADDR on this one, no bind
/// takes it (with SO_REUSEADDR or SO_REUSEPORT, on 127.0.0.1, 0.0.0.0 or
/// ::), and outgoing connections pick local ports no socket is bound to.
/// A port merely picked free could listen again (another test's server)
/// before the test connects.
pub struct ClosedPort {
    _held: Socket,
    port: u16,
}

impl ClosedPort {
    /// Binds a fresh loopback port and holds it.
    ///
    /// # Panics
    ///
    /// When no socket can be made or bound: a test cannot go on.
    pub fn new() -> ClosedPort {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a TCP socket");
        s.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
            .expect("bind a loopback port");
        let port = s
            .local_addr()
            .expect("its address")
            .as_socket()
            .expect("an IP address")
            .port();
        ClosedPort { _held: s, port }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The same, as a socket address.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }
}

impl Default for ClosedPort {
    fn default() -> Self {
        ClosedPort::new()
    }
}
