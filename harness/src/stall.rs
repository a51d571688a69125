//! How a handshake stood when this end stopped waiting on its peer: a peer
//! that never spoke, one that sent part of a message, and one that went
//! quiet after a whole one are different faults, and the time-out's words
//! say which, for probe (a server) and serve (a client) alike.

use std::time::Duration;

use openssl_handshake::decode::Body;
use openssl_handshake::{Direction, HandshakeTrace, Message};

use crate::case::Role;
use crate::settings::Secs;

/// What `peer` had sent when it went quiet for `timeout` (`--timeout`):
/// nothing, `received` bytes too few for a message (which no trace event
/// shows), or its last message, with this end's answer to it when this end
/// had sent one (a second ClientHello after a HelloRetryRequest).
pub fn stalled(
    peer: Role,
    trace: Option<&HandshakeTrace>,
    timeout: Duration,
    received: u64,
) -> String {
    let limit = format!("{} (--timeout)", Secs(timeout));
    let messages: Vec<&Message> = trace.map(|t| t.messages().collect()).unwrap_or_default();
    let Some(at) = messages
        .iter()
        .rposition(|m| m.direction == Direction::Read)
    else {
        return match received {
            0 => format!("the {peer} sent nothing within {limit}"),
            n => format!(
                "the {peer} sent {n} byte{} but no whole message, then nothing within {limit}",
                if n == 1 { "" } else { "s" }
            ),
        };
    };
    let heard = messages[at];
    let answer = messages[at + 1..]
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Write && m.handshake_type.is_some());
    let me = match peer {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    match answer {
        Some(m) => format!(
            "the {peer} stopped answering for {limit} after its {} and this {me}'s {}{}",
            name(heard),
            if retry(heard) { "second " } else { "" },
            name(m)
        ),
        None => format!(
            "the {peer} stopped answering for {limit} after its {}",
            name(heard)
        ),
    }
}

/// Whether `m` is a HelloRetryRequest: a ServerHello by its type, told by
/// its random (RFC 8446, section 4.1.3).
fn retry(m: &Message) -> bool {
    matches!(&m.body, Some(Body::ServerHello(h)) if h.hello_retry_request)
}

fn name(m: &Message) -> String {
    match retry(m) {
        true => "HelloRetryRequest".to_owned(),
        false => m.name(),
    }
}
