//! The headline of a case in which a side gave up waiting: the wait, or
//! the external peer whose end came first and caused it.

use openssl_handshake::HandshakeTrace;

use super::{named, without_implementation};
use crate::case::Role;
use crate::peer::SideOutcome;

/// A side that gave up waiting, and where. The side that timed out is
/// the one that waited, not the one that went quiet: the peer it waited
/// for is named as what did not come.
pub(super) fn time_out(t: &SideOutcome) -> String {
    // The case's own deadline: the harness gave up on this side, which
    // the error says itself.
    match t.error.as_deref() {
        Some(error) if abandoned(t) => error.to_owned(),
        _ => format!("time-out: {}", stopped_waiting(t)),
    }
}

/// Whether the case's deadline ended side `t` ([`crate::run::CASE_DEADLINE`]):
/// the harness stopped waiting for it, not it for its peer.
fn abandoned(t: &SideOutcome) -> bool {
    t.error
        .as_deref()
        .is_some_and(|e| e.contains(crate::run::CASE_DEADLINE))
}

/// "the server stopped waiting for the client ...: why", of side `t`.
fn stopped_waiting(t: &SideOutcome) -> String {
    // A TLS 1.3 client's last state after its handshake is reading a
    // ticket, which would say the wait was part of the handshake.
    let when = if t.handshake_ok {
        " after its handshake finished".to_owned()
    } else {
        t.trace
            .as_ref()
            .and_then(last_state)
            .map(|s| format!(" in \"{s}\""))
            .unwrap_or_default()
    };
    let error = t.error.as_deref().unwrap_or("no answer");
    let peer = match t.role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    format!(
        "the {} stopped waiting for the {peer}{when}: {error}",
        t.role
    )
}

/// Why a side gave up waiting, when one did.
pub(super) fn waited(client: &[SideOutcome], server: &[SideOutcome]) -> Option<String> {
    let t = client.iter().chain(server).find(|o| o.timed_out)?;
    let peer = if t.role == Role::Client {
        server
    } else {
        client
    };
    let ended = peer
        .iter()
        .enumerate()
        .find_map(|(i, p)| Some((i, p, ended_first(p, t)?)))
        .filter(|_| !abandoned(t));
    Some(match ended {
        Some((i, p, error)) => {
            let connection = (peer.len() > 1).then_some(i + 1);
            peer_ended(p, error, connection, t)
        }
        None => time_out(t),
    })
}

/// The error of `p`, an external peer whose process ended by itself, in
/// failure, before `waited` gave up on it, which had no handshake with it
/// (a client whose connection a process it left behind holds open; one
/// that never connected was not set up): what it ended with is what
/// went wrong, the wait only its consequence. `None` for one that ended
/// later (a client that connected after the server stopped accepting) or
/// that the harness killed: the wait comes first. One never set up is
/// said so further on.
fn ended_first<'a>(p: &'a SideOutcome, waited: &SideOutcome) -> Option<&'a str> {
    let ended = p.external.as_ref().and_then(|x| x.ended);
    let before = matches!((ended, waited.gave_up), (Some(e), Some(g)) if e < g);
    // A command's `handshake_ok` says only that it did not fail: the
    // waiting side's own handshake tells whether there was one.
    let no_handshake = !p.handshake_ok && !waited.handshake_ok;
    let failed = !p.timed_out && !p.setup_failed;
    p.error
        .as_deref()
        .filter(|_| before && no_handshake && failed)
}

/// The headline for `waited`'s time-out when its peer `p` had ended with
/// `error`, on its `connection` when it made several.
fn peer_ended(
    p: &SideOutcome,
    error: &str,
    connection: Option<usize>,
    waited: &SideOutcome,
) -> String {
    let on = connection.map_or(String::new(), |n| format!(" on connection {n}"));
    format!(
        "the {} ended without a handshake{on}: {}; so {}",
        named(&p.role.to_string(), p),
        without_implementation(p, error),
        stopped_waiting(waited)
    )
}

fn last_state(t: &HandshakeTrace) -> Option<String> {
    t.states().last().map(|s| s.long.to_string())
}
