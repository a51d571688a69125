//! What a probe reads after its handshake: TLS 1.3's NewSessionTickets, or
//! the verdict of a server that asked for a certificate, which come a
//! round trip after the client's Finished.

use std::time::{Duration, Instant};

use openssl_handshake::decode::HandshakeType;

use crate::ffi::socket_tls::{SocketTls, Stop};

/// The least a probe waits for tickets: a server's own work before it
/// writes them.
const TICKET_WAIT: Duration = Duration::from_millis(300);
/// How long a TLS 1.3 probe that was asked for a certificate waits for
/// the server's verdict.
const VERDICT_WAIT: Duration = Duration::from_secs(1);
/// One step of a wait.
const STEP: Duration = Duration::from_millis(20);
/// After the first ticket, the least time given to those that follow.
const MORE_WAIT: Duration = Duration::from_millis(100);

/// What to wait for after a handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum After {
    /// Nothing.
    Nothing,
    /// The server's tickets (all of them).
    Tickets,
    /// The server's verdict on the client's certificate (an alert or its
    /// tickets).
    Verdict,
}

/// Reads what `after` waits for, in short bounded peeks. The wait scales
/// with `handshake`, how long the handshake took, which bounds a round
/// trip: tickets on a slow path come late. Stops at an error, at a
/// verdict's first ticket, and once tickets have stopped coming (as long
/// again as the handshake took, at least 100 ms, after the last one).
pub(super) fn await_after(s: &mut SocketTls, after: After, handshake: Duration, io: Duration) {
    let wait = match after {
        After::Nothing => return,
        After::Tickets => TICKET_WAIT.max(handshake * 2),
        After::Verdict => VERDICT_WAIT.max(handshake * 2),
    };
    let mut until = Instant::now() + wait.min(io);
    let mut seen = 0;
    while Instant::now() < until {
        s.set_deadline((Instant::now() + STEP).min(until));
        match s.peek(&mut [0u8; 1]) {
            Ok(_) | Err(Stop::TimedOut) => {}
            Err(_) => break,
        }
        let tickets = tickets_in(s);
        if tickets > seen {
            if after == After::Verdict {
                break;
            }
            seen = tickets;
            until = Instant::now() + MORE_WAIT.max(handshake).min(io);
        }
    }
}

/// NewSessionTickets the trace holds.
fn tickets_in(s: &SocketTls) -> usize {
    openssl_handshake::trace(s.ssl()).map_or(0, |t| {
        t.messages()
            .filter(|m| m.handshake_type == Some(HandshakeType::NEW_SESSION_TICKET))
            .count()
    })
}
