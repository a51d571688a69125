//! A handshake that a time-out ended, the caller's or the application's:
//! what the peer had sent by then, and where to look next. A trace that
//! exists had a connection, and a client's written ClientHello went out
//! on it, so "is the peer reachable" is settled there; only without a
//! trace is it still the question.

use crate::decode::HandshakeType;
use crate::event::{Direction, EventKind, Side};
use crate::trace::HandshakeTrace;

use super::{record, Cause, Diagnosis, Fault};

impl Diagnosis {
    /// The diagnosis of a handshake that the caller's own time-out ended;
    /// `limit` names it ("handshake deadline of 10 s"). The trace cannot
    /// tell this from the peer closing, since OpenSSL sees the stream's
    /// time-out as the connection failing, so only the caller, who knows
    /// its limit fired, can say so.
    pub fn timed_out(trace: Option<&HandshakeTrace>, limit: &str) -> Diagnosis {
        let state = HandshakeTrace::last_state_text(trace);
        let last = trace.and_then(HandshakeTrace::last_message_text);
        let begun = trace.and_then(record::begun);
        let (waited, fix) = trace.map_or_else(
            || {
                (
                    "the peer sent no TLS record".to_owned(),
                    NO_TRACE_FIX.to_owned(),
                )
            },
            silence,
        );
        Diagnosis::new(
            Cause::TimedOut,
            Fault::Unknown,
            format!("this end gave up waiting after \"{state}\": {waited} ({limit})"),
            fix,
        )
        .with("time-out", limit)
        .with("last state", &state)
        .with_some("last message", last)
        .with_some("record begun", begun.map(record::describe))
    }
}

/// What to do when not even a trace says whether a connection was made.
const NO_TRACE_FIX: &str = "Check that the peer is reachable and speaks TLS on that port, and \
     that the time-out is longer than its handshake takes.";

/// What the peer of `t` had sent when the wait ended, and what to do
/// about it, from the side that waited.
pub(super) fn silence(t: &HandshakeTrace) -> (String, String) {
    let heard = t.last_heard().map(|i| &t.events[i].kind);
    let hello_sent = t.messages().any(|m| {
        m.direction == Direction::Write && m.handshake_type == Some(HandshakeType::CLIENT_HELLO)
    });
    let received = t.bytes_received;
    let what = match (record::begun(t), heard, t.side) {
        (Some(h), _, _) => record::stalled_in("the peer", h),
        (None, Some(heard), _) => format!(
            "the peer stopped answering after its {}",
            match heard {
                EventKind::Message(m) => m.exact_name(),
                _ => "ChangeCipherSpec".to_owned(),
            }
        ),
        (None, None, Side::Client) if received == 0 && hello_sent => {
            "the connection was made and this client sent its ClientHello, but the server sent \
             nothing back"
                .to_owned()
        }
        // Bytes too few for a record header are not counted: "no
        // record", not "nothing".
        (None, None, Side::Client) if received == 0 => "the peer sent no TLS record".to_owned(),
        (None, None, Side::Client) => {
            format!("the peer sent {received} bytes but no whole handshake message")
        }
        (None, None, Side::Server) if received == 0 => {
            "the client connected but sent no ClientHello".to_owned()
        }
        (None, None, Side::Server) => {
            format!("the client connected but sent {received} bytes, no complete ClientHello")
        }
    };
    (what, fix(t.side, heard.is_some(), received > 0, hello_sent))
}

/// Where to look for a peer that went quiet: the server's log for a
/// server, nothing of the server's own for a client (a server cannot make
/// a client speak).
fn fix(side: Side, heard_message: bool, heard_bytes: bool, hello_sent: bool) -> String {
    match (side, heard_message || heard_bytes) {
        (Side::Client, false) if hello_sent => {
            "The connection was made and the ClientHello sent: look in the server's own log for \
             this connection (a server stuck or overloaded, or one that expects something else \
             first, such as a STARTTLS exchange), then at what sits between; a capture \
             (tcpdump, or tls-harness's `--pcap`) shows whether the hello was acknowledged."
        }
        (Side::Client, false) => NO_TRACE_FIX,
        (Side::Client, true) => {
            "The server answered part of the handshake, then went quiet: look in its own log for \
             this connection, and check that the time-out is longer than its handshake takes \
             (a slow key, an OCSP or CRL fetch)."
        }
        (Side::Server, false) => {
            "Nothing for this server to change: a TCP health check or port scan holds \
             connections open so, as does a client that waits for the server to speak first (a \
             plaintext protocol); the client's own log says why it sent nothing."
        }
        // Part of a ClientHello: nothing of this server's was read yet.
        (Side::Server, true) if !heard_message => {
            "The client began its ClientHello and did not finish it: a slow or lossy path, or a \
             client holding the connection open by trickling bytes; raise this server's \
             time-out only if its clients are known to be that slow."
        }
        (Side::Server, true) => {
            "The client began its handshake and went quiet: its own log says why (a crash, a \
             prompt, a verify callback), or the path between lost its next flight; raise this \
             server's time-out only if its clients are known to be that slow."
        }
    }
    .to_owned()
}
