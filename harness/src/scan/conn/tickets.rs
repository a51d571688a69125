//! What a probe reads after its handshake: TLS 1.3's NewSessionTickets, or
//! the verdict of a server that asked for a certificate, which come a
//! round trip after the client's Finished.

use std::time::{Duration, Instant};

use openssl_handshake::decode::HandshakeType;

use crate::ffi::socket_tls::{SocketTls, Stop};
use crate::scan::attempt::TicketWait;

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

/// At most this many tickets are read: a server may send them without end.
const MAX_TICKETS: usize = 8;

/// What to wait for after a handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct After {
    /// The server's verdict on the client's certificate (an alert or its
    /// first ticket) is due.
    pub verdict: bool,
    /// All of the server's tickets are wanted.
    pub tickets: bool,
}

/// Reads what `after` waits for, in short bounded peeks. The wait scales
/// with `handshake`, how long the handshake took, which bounds a round
/// trip: tickets and verdicts on a slow path come late. A verdict alone
/// ends at the first ticket; tickets are read until they stop coming (as
/// long again as the handshake took, at least 100 ms, after the last),
/// at most [`MAX_TICKETS`], and never past the first wait plus one such
/// pause, itself within `io`. Returns how the wait went, when it waited.
pub(super) fn await_after(
    s: &mut SocketTls,
    after: After,
    handshake: Duration,
    io: Duration,
) -> Option<TicketWait> {
    let wait = match (after.verdict, after.tickets) {
        (false, false) => return None,
        (true, _) => VERDICT_WAIT.max(handshake),
        (false, true) => TICKET_WAIT.max(handshake * 2),
    };
    let more = MORE_WAIT.max(handshake);
    let start = Instant::now();
    let ceiling = start + (wait + more).min(io);
    let mut until = start + wait.min(io);
    let mut seen = 0;
    let mut closed = false;
    while Instant::now() < until {
        s.set_deadline((Instant::now() + STEP).min(until));
        match s.peek(&mut [0u8; 1]) {
            Ok(_) | Err(Stop::TimedOut) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        let tickets = tickets_in(s);
        if tickets > seen {
            if !after.tickets || tickets >= MAX_TICKETS {
                break;
            }
            seen = tickets;
            until = (Instant::now() + more).min(ceiling);
        }
    }
    Some(TicketWait {
        took: start.elapsed(),
        closed,
    })
}

/// NewSessionTickets the trace holds.
fn tickets_in(s: &SocketTls) -> usize {
    openssl_handshake::trace(s.ssl()).map_or(0, |t| {
        t.messages()
            .filter(|m| m.handshake_type == Some(HandshakeType::NEW_SESSION_TICKET))
            .count()
    })
}
