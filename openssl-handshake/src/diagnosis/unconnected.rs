//! Diagnoses of connections on which no TLS began, which only the caller
//! that connected can give, as there is no trace: refused, unreachable,
//! reset at once, timed out before a connection, or not switched to TLS
//! by STARTTLS.

use super::{Cause, Diagnosis, Fault};

impl Diagnosis {
    /// The diagnosis of a connection the server accepted and reset at
    /// once, before this client could begin TLS: `error` is what the
    /// connect returned. No TLS began, so there is no trace to diagnose,
    /// and only the caller that connected can say so; a failed connection
    /// still gets a diagnosis.
    pub fn reset_at_connect(error: &str) -> Diagnosis {
        Diagnosis::new(
            Cause::PeerClosed,
            Fault::Server,
            "the server accepted the TCP connection and reset it at once, before any TLS: it, \
             or a firewall or load balancer in front of it, refuses this client, or its accept \
             queue is full",
            "Look in the server's own log and access rules (a TCP wrapper, a firewall or load \
             balancer in front of it) for why it refuses this client's address, and at whether \
             it is overloaded.",
        )
        .with("how it ended", error)
        .with("bytes received", 0)
    }

    /// The diagnosis of a name the resolver did not answer for within the
    /// caller's time-out (`what` says so): no address was tried, so no
    /// peer was reached and no TLS began.
    pub fn resolve_timed_out(what: &str) -> Diagnosis {
        Diagnosis::new(
            Cause::TimedOut,
            Fault::Unknown,
            format!("no TLS began: the name was not resolved ({what})"),
            "Check the name resolver this host uses (/etc/resolv.conf, or the network's DNS \
             server): it did not answer in time, so no address was tried.",
        )
        .with("time-out", what)
    }

    /// The diagnosis of a TCP connection not made within the caller's
    /// time-out (`what` says where): nothing answered the connection
    /// attempt, so no peer was reached and no TLS began.
    pub fn connect_timed_out(what: &str) -> Diagnosis {
        Diagnosis::new(
            Cause::TimedOut,
            Fault::Unknown,
            format!("no TLS began: no TCP connection was made ({what})"),
            "Check that the address and port are right and reachable from here: nothing \
             answered the connection attempt, as when a firewall drops the packets or the host \
             is down.",
        )
        .with("time-out", what)
        .with("bytes received", 0)
    }

    /// The diagnosis of a connection refused: nothing listens on the
    /// address (`what` names it).
    pub fn connection_refused(what: &str) -> Diagnosis {
        Diagnosis::new(
            Cause::ConnectionRefused,
            Fault::Server,
            format!("no TLS began: the connection was refused ({what})"),
            "Check that the server is running and listens on that address and port (a \
             firewall rejecting the port looks the same).",
        )
        .with("how it ended", what)
    }

    /// The diagnosis of an address with no route to it, or a name that
    /// does not resolve (`what` says which).
    pub fn unreachable(what: &str) -> Diagnosis {
        Diagnosis::new(
            Cause::Unreachable,
            Fault::Unknown,
            format!("no TLS began: the server could not be reached ({what})"),
            "Check the name (it must resolve here) and the route to the address: a network or \
             host that is down, or a name missing from DNS.",
        )
        .with("how it ended", what)
    }

    /// The diagnosis of a server that did not switch to TLS when asked in
    /// `protocol` (STARTTLS); `what` is what it did instead.
    pub fn starttls_failed(protocol: &str, what: &str) -> Diagnosis {
        Diagnosis::new(
            Cause::StartTlsFailed,
            Fault::Server,
            format!(
                "no TLS began: the server did not switch to TLS when asked ({protocol}): {what}"
            ),
            "Enable STARTTLS on the server for this protocol (and a certificate for it), or, \
             for a port that speaks TLS from its first byte, connect without STARTTLS.",
        )
        .with("STARTTLS", protocol)
        .with("how it ended", what)
    }
}
