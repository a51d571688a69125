//! What a probe reads after its handshake: TLS 1.3's NewSessionTickets, or
//! the verdict of a server that asked for a certificate, which come a
//! round trip after the client's Finished.

use std::time::{Duration, Instant};

use openssl_handshake::decode::HandshakeType;

use crate::ffi::socket_tls::{SocketTls, Stop};
use crate::scan::attempt::TicketWait;

/// After the first ticket, the least time the rest of a burst is read
/// for: a server's own work between them.
const BURST: Duration = Duration::from_millis(300);
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

/// Reads what `after` waits for, in short bounded peeks. A verdict alone
/// is waited for as long as the handshake took, at least a second, and
/// ends at the first ticket. The first ticket is waited for as long as
/// any read (`io`): a server may be slow to write it, and none in a
/// shorter wait would prove nothing. After it, tickets are read until they
/// stop coming (as long again as the handshake took, at least 100 ms,
/// after the last), at most [`MAX_TICKETS`], and for no longer than twice
/// the handshake (at least [`BURST`]) plus one such pause: a server may
/// send them without end. Returns how the wait went, when it waited.
pub(super) fn await_after(
    s: &mut SocketTls,
    after: After,
    handshake: Duration,
    io: Duration,
) -> Option<TicketWait> {
    let wait = match (after.verdict, after.tickets) {
        (false, false) => return None,
        (true, false) => VERDICT_WAIT.max(handshake).min(io),
        (_, true) => io,
    };
    let more = MORE_WAIT.max(handshake);
    let start = Instant::now();
    let mut ceiling = start + io;
    let mut until = start + wait;
    let mut seen = 0;
    while Instant::now() < until {
        s.set_deadline((Instant::now() + STEP).min(until));
        match s.peek(&mut [0u8; 1]) {
            Err(Stop::TimedOut) => {}
            // Application data (a mail server's greeting): nothing after
            // it is read until it is, and a server writes its tickets
            // before it.
            Ok(_) if seen == 0 => return Some(TicketWait::Data(start.elapsed())),
            Ok(_) => break,
            Err(_) => return Some(TicketWait::Closed(start.elapsed())),
        }
        let tickets = tickets_in(s);
        if tickets > seen {
            if !after.tickets || tickets >= MAX_TICKETS {
                break;
            }
            if seen == 0 {
                ceiling = ceiling.min(Instant::now() + BURST.max(handshake * 2) + more);
            }
            seen = tickets;
            until = (Instant::now() + more).min(ceiling);
        }
    }
    Some(TicketWait::Waited(if seen == 0 {
        wait
    } else {
        start.elapsed()
    }))
}

/// NewSessionTickets the trace holds.
fn tickets_in(s: &SocketTls) -> usize {
    openssl_handshake::trace(s.ssl()).map_or(0, |t| {
        t.messages()
            .filter(|m| m.handshake_type == Some(HandshakeType::NEW_SESSION_TICKET))
            .count()
    })
}
