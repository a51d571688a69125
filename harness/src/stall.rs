//! How a handshake stood when this end stopped waiting on its peer: a peer
//! that never spoke, one that sent part of a message, and one that went
//! quiet after a whole one are different faults, and the time-out's words
//! say which, for probe (a server) and serve (a client) alike.

use std::time::Duration;

use openssl_handshake::{Direction, EventKind, HandshakeTrace};

use crate::case::Role;
use crate::settings::Secs;

/// What `peer` had sent when it went quiet for `timeout` (`--timeout`):
/// nothing, `received` bytes too few for a message (which no trace event
/// shows), or what it was last heard sending ([`HandshakeTrace::last_heard`]:
/// a message, or TLS 1.2's ChangeCipherSpec without the Finished after it),
/// with this end's answer to it when this end had sent one (a second
/// ClientHello after a HelloRetryRequest).
pub fn stalled(
    peer: Role,
    trace: Option<&HandshakeTrace>,
    timeout: Duration,
    received: u64,
) -> String {
    let limit = format!("{} (--timeout)", Secs(timeout));
    let Some((trace, at)) = trace.and_then(|t| Some((t, t.last_heard()?))) else {
        return match received {
            0 => format!("the {peer} sent nothing within {limit}"),
            n => format!(
                "the {peer} sent {n} byte{} but no whole message, then nothing within {limit}",
                if n == 1 { "" } else { "s" }
            ),
        };
    };
    let heard = match &trace.events[at].kind {
        EventKind::Message(m) => m.exact_name(),
        _ => "ChangeCipherSpec".to_owned(),
    };
    // This end's answer: a second ClientHello after a HelloRetryRequest.
    let answer = trace.events[at + 1..]
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::Message(m)
                if m.direction == Direction::Write && m.handshake_type.is_some() =>
            {
                Some(m)
            }
            _ => None,
        });
    let me = match peer {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    match answer {
        Some(m) => format!(
            "the {peer} stopped answering for {limit} after its {heard} and this {me}'s {}{}",
            if heard == "HelloRetryRequest" {
                "second "
            } else {
                ""
            },
            m.exact_name()
        ),
        None => format!("the {peer} stopped answering for {limit} after its {heard}"),
    }
}
