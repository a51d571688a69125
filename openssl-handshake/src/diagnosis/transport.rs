//! Causes below TLS itself: a time-out, a peer that is not speaking TLS
//! (or is spoken to in plaintext), a peer that hung up and an
//! out-of-order message.

use crate::decode::HandshakeType;
use crate::event::{AlertLevel, Direction, RecordHeader, Side};

use super::facts::{alert, Facts};
use super::{record, Cause, Diagnosis, Fault};

/// Reasons OpenSSL gives when the bytes it read are no TLS record.
const NOT_TLS: [&str; 5] = [
    "wrong version number",
    "packet length too long",
    "unknown protocol",
    "record layer failure",
    "record length mismatch",
];

/// Whether OpenSSL read bytes that are no TLS record. It says "packet
/// length too long" as well for a well-formed header announcing more than
/// a record may hold: that is a TLS record refused for its length
/// (`record.rs`), not another protocol.
fn not_tls(f: &Facts<'_>) -> bool {
    let oversized = || {
        f.reason_has(&["packet length too long"])
            && record::last_unaccepted(f).is_some_and(|h| h.looks_like_tls())
    };
    f.reason_has(&NOT_TLS) && !oversized()
}

/// The causes that the transport shows before any TLS content matters.
pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    timed_out(f)
        .or_else(|| plaintext_to_tls(f))
        .or_else(|| tls_to_plaintext(f))
        .or_else(|| f.sent.and_then(|_| peer_closed(f)))
}

/// The causes to consider once nothing more specific fits.
pub(super) fn diagnose_late(f: &Facts<'_>) -> Option<Diagnosis> {
    unexpected_message(f).or_else(|| peer_closed(f))
}

fn timed_out(f: &Facts<'_>) -> Option<Diagnosis> {
    let failure = f.failure?;
    if !failure.abandoned() {
        return None;
    }
    let begun = record::begun(f.trace);
    let (silence, fix) = super::timeout::silence(f.trace);
    Some(
        Diagnosis::new(
            Cause::TimedOut,
            Fault::Unknown,
            format!(
                "the handshake was abandoned unfinished after \"{}\": {silence}, or the \
                 application gave up first",
                f.state()
            ),
            fix,
        )
        .with("how it ended", failure.reason.clone())
        .with("last state", f.state())
        .with_some("last message", f.last_message())
        .with_some("record begun", begun.map(record::describe)),
    )
}

/// A server that read plaintext where a ClientHello belongs.
fn plaintext_to_tls(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Server || f.read_any_handshake() {
        return None;
    }
    let http = f.reason_has(&["http request", "https proxy request"]);
    if !http && !not_tls(f) {
        return None;
    }
    // What it sent, as far as the record header the trace kept tells: a
    // line of text names its protocol (SSH's greeting, SMTP's EHLO).
    let first = record::last_unaccepted(f);
    let text = first.and_then(record::as_text);
    let what = match (&text, http) {
        (_, true) => "an HTTP request".to_owned(),
        (Some(t), _) if t.starts_with("SSH-") => format!("text ({t:?}), an SSH client's greeting,"),
        (Some(t), _) => format!("text ({t:?})"),
        (None, _) => "bytes that are not a TLS record".to_owned(),
    };
    Some(
        Diagnosis::new(
            Cause::PlaintextToTlsPort,
            Fault::Client,
            format!("the client sent {what} to this TLS port instead of a ClientHello"),
            if http {
                "Use https:// (TLS) for this port, or send plain HTTP to the server's plaintext port."
            } else {
                "Make the client speak TLS to this port, or point it at the port for its own protocol."
            },
        )
        .with_some("OpenSSL reason", f.reason_text())
        .with_some(
            "first bytes received",
            first.map(|h| record::hex_bytes(&record::header_bytes(h))),
        )
        .with("handshake messages read", 0)
        .with("bytes received in the handshake", f.trace.bytes_received),
    )
}

/// A client whose ClientHello was answered with something that is not TLS:
/// text is another protocol's greeting or answer; binary bytes say only
/// that no TLS server (or something else in between) answered.
fn tls_to_plaintext(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Client
        || f.read_any_handshake()
        || !f.saw(Direction::Write, HandshakeType::CLIENT_HELLO)
        || !not_tls(f)
    {
        return None;
    }
    let first = record::last_unaccepted(f);
    let d = match first.and_then(record::as_text) {
        Some(t) => {
            let ssh = t.starts_with("SSH-");
            Diagnosis::new(
                Cause::TlsToPlaintextPort,
                Fault::Client,
                format!(
                    "this client sent a TLS ClientHello and the server answered in text ({t:?}): \
                     the port speaks {}",
                    if ssh {
                        "SSH"
                    } else {
                        "plaintext (HTTP, SMTP before STARTTLS, ...)"
                    }
                ),
                if ssh {
                    "Connect to the server's TLS port; this one is SSH's."
                } else {
                    "Connect to the server's TLS port, or use the protocol's plaintext upgrade \
                     (STARTTLS) before starting TLS."
                },
            )
            .with("first bytes received", format!("{t:?}"))
        }
        None if first.is_some_and(|h| sslv2_server_hello(&record::header_bytes(h))) => {
            Diagnosis::new(
                Cause::NoSharedVersion,
                Fault::Server,
                "this client sent a TLS ClientHello and the server answered with an SSL 2.0 \
                 SERVER-HELLO: it speaks only SSL 2.0, which RFC 6176 prohibits and no current \
                 client speaks",
                "Upgrade the server to TLS 1.2 or 1.3 (SSL 2.0 is broken beyond repair, RFC \
                 6176); until then no TLS client can connect to it.",
            )
            .with_some(
                "first bytes received",
                first.map(|h| record::hex_bytes(&record::header_bytes(h))),
            )
        }
        None => Diagnosis::new(
            Cause::TlsToPlaintextPort,
            Fault::Unknown,
            format!(
                "this client sent a TLS ClientHello and the server answered with {} that are \
                 not TLS: no TLS server answered, or something between the ends did",
                if first.is_some() {
                    "binary bytes"
                } else {
                    "bytes"
                }
            ),
            "Check that the port runs a TLS server and that nothing in between (a proxy, a \
             load balancer in another mode) answers for it.",
        )
        .with_some(
            "first bytes received",
            first.map(|h| record::hex_bytes(&record::header_bytes(h))),
        ),
    };
    Some(
        d.with_some("OpenSSL reason", f.reason_text())
            .with("handshake messages read", 0)
            .with("bytes received in the handshake", f.trace.bytes_received),
    )
}

/// Whether a record's first five bytes open an SSL 2.0 SERVER-HELLO: a
/// two-byte record header (high bit set), message type 4, the session-id
/// hit flag, then certificate type 1, X.509 (draft-hickman-netscape-ssl-00).
fn sslv2_server_hello(b: &[u8; 5]) -> bool {
    b[0] & 0x80 != 0 && b[2] == 4 && b[3] <= 1 && b[4] == 1
}

fn unexpected_message(f: &Facts<'_>) -> Option<Diagnosis> {
    if !f.alert(alert::UNEXPECTED_MESSAGE) && !f.reason_has(&["unexpected message"]) {
        return None;
    }
    if let Some(d) = flood(f) {
        return Some(d);
    }
    if let Some(r) = record::last_unaccepted(f).filter(|_| !f.read_any_handshake()) {
        return Some(before_hello(f, r));
    }
    // The end that sent the alert received the message; the other sent it.
    let heard = f.received_alert(alert::UNEXPECTED_MESSAGE);
    if heard
        && f.side == Side::Client
        && !f.read_any_handshake()
        && f.saw(Direction::Write, HandshakeType::CLIENT_HELLO)
    {
        return Some(first_hello_refused(f));
    }
    let (sender, fault) = if heard {
        (f.me(), Fault::of(f.side))
    } else {
        (f.them(), f.peer_fault())
    };
    // OpenSSL refuses a message of a type it does not expect before its
    // message callback sees it (an encrypted one included): then the log
    // ends with what this end wrote.
    let unlogged = !heard
        && f.reason_has(&["unexpected message"])
        && f.trace
            .messages()
            .filter(|m| i32::from(m.content_type) != crate::sys::SSL3_RT_ALERT)
            .last()
            .is_none_or(|m| m.direction == Direction::Write);
    let (summary_tail, fix) = if unlogged {
        (
            "; OpenSSL refused it by its type before logging it",
            "Make sure both ends run a conforming TLS stack (no proxy rewriting the stream); \
             the message is not in the log, but a capture decrypted with the session's keys \
             shows it (tls-harness's `--pcap`, or a key log for Wireshark).",
        )
    } else {
        (
            "",
            "Make sure both ends run a conforming TLS stack (no proxy rewriting the stream); \
             the message log shows the message out of place.",
        )
    };
    Some(
        Diagnosis::new(
            Cause::UnexpectedMessage,
            fault,
            format!(
                "{sender} sent a message the other end did not expect at \"{}\"{summary_tail}",
                f.state()
            ),
            fix,
        )
        .with_raw(f),
    )
}

/// A server that called this client's first ClientHello unexpected: a
/// server must expect one first (RFC 8446 section 4.1.1), so the hello
/// cannot have been out of place. A middlebox that changed or replaced it,
/// or a server that does not conform, is as likely as this client; like
/// a hello refused as malformed, only a capture tells.
fn first_hello_refused(f: &Facts<'_>) -> Diagnosis {
    Diagnosis::new(
        Cause::UnexpectedMessage,
        Fault::Unknown,
        "the server answered this client's ClientHello, the first message of the connection, \
         with unexpected_message: a server must always expect a ClientHello first, so either \
         something between the ends (a middlebox, a proxy) changed or replaced it, or the \
         server's TLS stack does not conform",
        "Capture the connection (tcpdump, or tls-harness's `--pcap`) and check the \
         ClientHello as the server received it: if it is a well-formed ClientHello, the \
         server's TLS stack (or a middlebox in front of it) is at fault; if not, find what \
         changed it on the way.",
    )
    .with_raw(f)
}

/// Records that say nothing, one after another, past the run OpenSSL
/// takes (`MAX_WARN_ALERT_COUNT`, `MAX_EMPTY_RECORDS` in its record
/// layer): it ends the handshake with unexpected_message rather than be
/// kept busy.
fn flood(f: &Facts<'_>) -> Option<Diagnosis> {
    let them = f.them();
    let (what, limit) = if f.reason_has(&["too many warn alerts"]) {
        let read = f
            .trace
            .alerts()
            .filter(|a| a.direction == Direction::Read && a.level == AlertLevel::Warning)
            .count();
        (
            format!("warning alerts one after another ({read} in the trace)"),
            "the 5th warning alert",
        )
    } else if f.reason_has(&["record too small"]) {
        (
            "empty records one after another".to_owned(),
            "the 33rd empty record",
        )
    } else {
        return None;
    };
    Some(
        Diagnosis::new(
            Cause::UnexpectedMessage,
            f.peer_fault(),
            format!(
                "{them} sent {what}, and OpenSSL ends a connection at {limit} in a row: a \
                 stack that repeats itself in a loop, or a peer keeping the handshake busy; {} \
                 ended it with unexpected_message",
                f.me()
            ),
            format!(
                "Fix {them}'s TLS stack, which should send no run of records that carry \
                 nothing, or keep such a peer out."
            ),
        )
        .with_raw(f),
    )
}

/// The peer's first record was not a handshake record. An alert there
/// means it gave up before its hello: an OpenSSL client that finds no
/// usable suite sends internal_error instead of a ClientHello.
fn before_hello(f: &Facts<'_>, r: RecordHeader) -> Diagnosis {
    let hello = match f.side {
        Side::Server => "ClientHello",
        Side::Client => "ServerHello",
    };
    let them = f.them();
    let (summary, fix) = if r.content_type == 21 && r.length != 2 {
        (
            format!(
                "{them} sent an alert record of {} bytes where its {hello} belongs: an alert \
                 is 2 bytes (level, description), so it is malformed, and OpenSSL refused it",
                r.length
            ),
            format!(
                "Fix {them}'s TLS stack, or whatever between the ends rewrites the stream: no \
                 TLS stack sends an alert record of another length."
            ),
        )
    } else if r.content_type == 21 {
        let example = match f.side {
            Side::Server => {
                "an OpenSSL client with no suite for its highest version (say TLS 1.3 \
                 enabled with no TLS 1.3 suites: \"no ciphers available\") sends such an alert \
                 instead of its ClientHello"
            }
            Side::Client => {
                "a server without a usable certificate, key or suite for this client may \
                 answer so instead of its ServerHello"
            }
        };
        (
            format!(
                "{them} sent an alert where its {hello} belongs: it gave up before the handshake \
                 began, most likely on its own configuration"
            ),
            format!("Read {them}'s own error: {example}."),
        )
    } else {
        let what = if r.content_type == 22 {
            format!("a handshake record whose message is not the {hello} that must come first")
        } else {
            format!(
                "{} record where its {hello} belongs",
                record::content_type(r.content_type)
            )
        };
        (
            format!("{} sent {what}", f.them()),
            format!(
                "Make {} start with a {hello}: it is not speaking TLS as it should, or \
                 something between the ends rewrites the stream.",
                f.them()
            ),
        )
    };
    Diagnosis::new(Cause::UnexpectedMessage, f.peer_fault(), summary, fix)
        .with("record refused", record::describe(r))
        .with_raw(f)
}

/// A client that connected and went without a byte: nothing of TLS
/// happened, and nobody need be at fault.
fn closed_before_hello(f: &Facts<'_>, how: &str) -> Diagnosis {
    Diagnosis::new(
        Cause::ClosedBeforeHello,
        Fault::Unknown,
        format!(
            "the client connected and {how} without sending a byte: most often a TCP health \
             check (a load balancer's) or a port scan, not a TLS client"
        ),
        "Nothing to fix for a health check or a scan (leave this cause out of alerts); a \
         client that meant to speak TLS gave up before its ClientHello, and its own log says \
         why.",
    )
    .with(
        "how it ended",
        f.reason_text()
            .unwrap_or("no reason from OpenSSL (the connection just ended)"),
    )
    .with("bytes received in the handshake", 0)
}

/// The connection ended in the middle of a record: the peer (or something
/// in between) stopped sending mid-way, which no TLS stack does on
/// purpose.
fn cut_short(f: &Facts<'_>, how: &str, h: RecordHeader) -> Diagnosis {
    Diagnosis::new(
        Cause::PeerClosed,
        f.peer_fault(),
        format!(
            "{} {how} in the middle of {} record: its header promised {} bytes, and the \
             connection ended before they came",
            f.them(),
            record::content_type(h.content_type),
            h.length
        ),
        format!(
            "A record cut short points at {} crashing or at something in between cutting the \
             stream (a proxy, a load balancer, a path MTU problem): look in {}'s own log, then \
             at what sits between.",
            f.them(),
            f.them()
        ),
    )
    .with("record begun", record::describe(h))
    .with_some("how it ended", f.reason_text())
    .with("last state", f.state())
    .with_some("last message", f.last_message())
    .with("bytes received in the handshake", f.trace.bytes_received)
}

/// What a peer that hung up mid-handshake had sent of its first message,
/// when it sent bytes but no whole message: records whose content OpenSSL
/// took (a record cut short is [`cut_short`]), so a message cut short, or
/// one whose length field promised more than ever came.
fn partial_message(f: &Facts<'_>) -> String {
    if f.failure.is_none() || f.trace.bytes_received == 0 || f.read_any_handshake() {
        return String::new();
    }
    format!(
        ", having sent {} bytes that held no whole handshake message (the message was cut \
         short, or its length field promised more than came)",
        f.trace.bytes_received
    )
}

/// The peer hung up without an alert, during the handshake or after it.
fn peer_closed(f: &Facts<'_>) -> Option<Diagnosis> {
    // Over a socket BIO, OpenSSL answers an end of file with a
    // decode_error of its own, which the peer that hung up never reads:
    // still a hang-up, not a malformed message.
    let eof_alert = f.sent.is_some_and(|a| a.description == alert::DECODE_ERROR)
        && f.reason_has(&["unexpected eof", "(eof)"]);
    if f.failure.is_none() && !eof_alert {
        return None;
    }
    if f.received.is_some() || (f.sent.is_some() && !eof_alert) || f.verify.is_some() {
        return None;
    }
    let closed = [
        "unexpected eof",
        "connection reset",
        "the peer closed the connection",
    ];
    if !(f.reason_text().is_none() || f.reason_has(&closed)) {
        return None;
    }
    let how = if f.reason_has(&["connection reset"]) {
        "reset the connection (TCP RST)"
    } else {
        "closed the connection"
    };
    if f.side == Side::Server && f.trace.bytes_received == 0 && f.failure.is_some() {
        return Some(closed_before_hello(f, how));
    }
    if let Some(h) = record::begun(f.trace).filter(|_| f.failure.is_some()) {
        return Some(cut_short(f, how, h));
    }
    if f.failure.is_some() && certificate_request_unanswered(f) {
        return Some(closed_at_certificate_request(f, how));
    }
    let d = Diagnosis::new(
        Cause::PeerClosed,
        f.peer_fault(),
        format!(
            "{} {how} without an alert, after {}{}",
            f.them(),
            f.last_message()
                .map(|m| format!("{} {m}", f.me()))
                .unwrap_or_else(|| format!("\"{}\"", f.state())),
            partial_message(f)
        ),
        if f.failure.is_none() {
            // After a handshake that succeeded: most often an
            // application that closes its socket without SSL_shutdown.
            format!(
                "Have {} send close_notify (SSL_shutdown) before it closes; where a \
                 truncated stream cannot harm the protocol, this end may accept it \
                 (SSL_OP_IGNORE_UNEXPECTED_EOF).",
                f.them()
            )
        } else {
            // A server turning away connections past its limit closes
            // them unread, which the client sees as a reset.
            let limit = if f.side == Side::Client && f.trace.bytes_received == 0 {
                "a connection limit it had reached, "
            } else {
                ""
            };
            format!(
                "Look in {}'s own log for why it hung up ({limit}a crash, a filter, or a TLS \
                 stack that closes instead of alerting); a reset often comes from a firewall \
                 or load balancer in between.",
                f.them()
            )
        },
    );
    Some(hang_up_evidence(d, f))
}

/// What a hang-up's diagnosis rests on: how it ended, and where.
fn hang_up_evidence(d: Diagnosis, f: &Facts<'_>) -> Diagnosis {
    d.with(
        "how it ended",
        f.reason_text()
            .unwrap_or("no reason from OpenSSL (the connection just ended)"),
    )
    .with("last state", f.state())
    .with_some("last message", f.last_message())
    .with("bytes received in the handshake", f.trace.bytes_received)
}

/// Whether this server's last CertificateRequest (a renegotiation's, say)
/// heard nothing of the client's after it.
fn certificate_request_unanswered(f: &Facts<'_>) -> bool {
    // Asked since the client's last handshake message, if any.
    f.side == Side::Server
        && f.trace
            .messages()
            .filter(|m| m.handshake_type.is_some())
            .fold(false, |asked, m| match m.direction {
                Direction::Read => false,
                Direction::Write => {
                    asked || m.handshake_type == Some(HandshakeType::CERTIFICATE_REQUEST)
                }
            })
}

/// The client hung up where this server asked for its certificate.
/// Chromium does so to choose one, and connects again with its choice
/// (an empty Certificate without one); OpenSSL's and GnuTLS's clients
/// answer on the same connection. A client may also hang up here over
/// this server's own certificate, which it read in the same flight.
fn closed_at_certificate_request(f: &Facts<'_>, how: &str) -> Diagnosis {
    let d = Diagnosis::new(
        Cause::PeerClosed,
        Fault::Unknown,
        format!(
            "{} {how} without an alert after this server asked for its certificate \
             (CertificateRequest), sending none",
            f.them()
        ),
        "Look at the client's next connection: a Chromium-based browser closes this one to \
         choose a certificate and connects again with its choice (without one, an empty \
         Certificate). A client that does not come back may have had no certificate to offer, \
         or refused this server's certificate without an alert: its own log says which."
            .to_owned(),
    );
    hang_up_evidence(d, f)
}
