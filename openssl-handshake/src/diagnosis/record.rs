//! Records the record layer refused: one longer than TLS allows, and,
//! once the handshake was under way, a version field other than the
//! agreed one or a record that did not decrypt. Before any handshake
//! message those two mean the bytes are not TLS at all, which
//! `transport` names.

use crate::decode::KeyExchangeKind;
use crate::event::{Direction, EventKind, RecordHeader};
use crate::trace::HandshakeTrace;

use super::facts::{alert, alert_text, version_name, Facts};
use super::version::TLS1_3;
use super::{Cause, Diagnosis, Fault};

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    if let Some(d) = overflow(f) {
        return Some(d);
    }
    if !f.read_any_handshake() {
        return None;
    }
    wrong_version(f).or_else(|| bad_record_mac(f))
}

/// The most plaintext a record may carry (RFC 5246 section 6.2.1, RFC
/// 8446 section 5.1).
const MAX_PLAINTEXT: usize = 1 << 14;

/// A record longer than the limit (record_overflow): OpenSSL refuses it
/// from its header, before reading it.
fn overflow(f: &Facts<'_>) -> Option<Diagnosis> {
    let here = f.sent_alert(alert::RECORD_OVERFLOW)
        || f.reason_has(&[
            "data length too long",
            "encrypted length too long",
            "packet length too long",
        ]);
    let there = !here && f.received_alert(alert::RECORD_OVERFLOW);
    if !here && !there {
        return None;
    }
    let (sender, fault) = if here {
        (f.them(), f.peer_fault())
    } else {
        (f.me(), Fault::Unknown)
    };
    let record = last_unaccepted(f).filter(|_| here);
    let what = record.map_or("a record".to_owned(), |r| {
        format!(
            "{} record of {} bytes",
            content_type(r.content_type),
            r.length
        )
    });
    Some(
        Diagnosis::new(
            Cause::RecordRejected,
            fault,
            format!(
                "{sender} sent {what}, longer than its reader accepts (record_overflow): a \
                 record carries at most 2^14 ({MAX_PLAINTEXT}) bytes of plaintext, less when the ends \
                 agreed a record_size_limit or max_fragment_length, and only a little more \
                 when encrypted"
            ),
            format!(
                "Fix the record layer of {sender}'s TLS stack to split its data into records \
                 within the limit."
            ),
        )
        .with_record(f, record),
    )
}

/// OpenSSL compares each record's version field with the agreed version
/// (in TLS 1.3 with 0x0303 once records are protected) and refuses one
/// that differs without reading it.
fn wrong_version(f: &Facts<'_>) -> Option<Diagnosis> {
    if !f.reason_has(&["wrong version number"]) {
        return None;
    }
    let record = last_unaccepted(f);
    if let Some(h) = record.filter(|h| !h.looks_like_tls()) {
        return Some(not_tls_midway(f, h));
    }
    let agreed = f
        .server_hello
        .map(|s| s.selected_version.unwrap_or(s.legacy_version));
    let what = record.map_or("a record".to_owned(), |r| {
        format!(
            "{} record ({} bytes) with record version {}",
            content_type(r.content_type),
            r.length,
            version_name(r.version)
        )
    });
    let after = agreed.map_or(String::new(), |v| {
        format!(" after {} was agreed", version_name(v))
    });
    // TLS 1.3 keeps 0x0303 in the field (RFC 8446 section 5.1).
    let rule = if agreed.is_some_and(|v| v >= TLS1_3) {
        "every TLS 1.3 record after the ClientHello must say TLS 1.2 (0x0303) in its version \
         field (RFC 8446 section 5.1), and OpenSSL refuses one that does not"
    } else {
        "OpenSSL refuses a record whose version field is not the agreed one"
    };
    Some(
        Diagnosis::new(
            Cause::RecordRejected,
            f.peer_fault(),
            format!(
                "{} sent {what}{after}; {rule}, so {} never read it",
                f.them(),
                f.me()
            ),
            format!(
                "Fix {}'s record layer: once the version is agreed, every record it sends must \
                 carry it (0x0303 in TLS 1.2 and 1.3).",
                f.them()
            ),
        )
        .with_some("record refused", record.map(describe))
        .with_some("agreed version", agreed.map(version_name))
        .with_some("alert sent", f.sent.map(alert_text))
        .with_some("OpenSSL reason", f.reason_text())
        .with("last state", f.state()),
    )
}

/// Bytes that are no TLS record where the next record was due, once the
/// handshake had run: something wrote to the connection beneath TLS (an
/// application writing to the socket, two writers sharing it), or
/// something in between changed the stream.
fn not_tls_midway(f: &Facts<'_>, h: RecordHeader) -> Diagnosis {
    let shown = match as_text(h) {
        Some(t) => format!("text ({t:?})"),
        None => "bytes that are not a TLS record".to_owned(),
    };
    let when = if f.after_handshake {
        "after the handshake"
    } else {
        "during the handshake"
    };
    Diagnosis::new(
        Cause::RecordRejected,
        f.peer_fault(),
        format!(
            "{} sent {shown} {when}, where a TLS record was due: something wrote to the \
             connection beneath TLS, or changed the stream on the way",
            f.them()
        ),
        format!(
            "Make {}'s application write only through its TLS stream (not to the socket \
             beneath it), and check that nothing in between rewrites the connection.",
            f.them()
        ),
    )
    .with("record refused", describe(h))
    .with("first bytes", hex_bytes(&header_bytes(h)))
    .with_some("alert sent", f.sent.map(alert_text))
    .with_some("OpenSSL reason", f.reason_text())
}

/// The five bytes OpenSSL read as a record header.
pub(super) fn header_bytes(h: RecordHeader) -> [u8; 5] {
    let [v1, v2] = h.version.to_be_bytes();
    let [l1, l2] = h.length.to_be_bytes();
    [h.content_type, v1, v2, l1, l2]
}

/// Those bytes as text, when they are printable: another protocol's.
pub(super) fn as_text(h: RecordHeader) -> Option<String> {
    let b = header_bytes(h);
    b.iter()
        .all(|c| c.is_ascii_graphic() || b" \r\n\t".contains(c))
        .then(|| String::from_utf8_lossy(&b).into_owned())
}

/// Bytes in hex, spaced: "16 03 01".
pub(super) fn hex_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|c| format!("{c:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A record that failed decryption: the two ends hold different keys, or
/// the bytes changed on the way.
fn bad_record_mac(f: &Facts<'_>) -> Option<Diagnosis> {
    // A received alert's reason reads "sslv3 alert bad record mac" too,
    // so the alert decides which end failed to decrypt.
    let there = f.received_alert(alert::BAD_RECORD_MAC);
    // After the handshake there is no failure, so no reason: the alert
    // this end sent tells.
    let here = !there
        && (f.reason_has(&["bad record mac", "decryption failed"])
            || f.sent_alert(alert::BAD_RECORD_MAC));
    if !here && !there {
        return None;
    }
    let (sender, reader, fault) = if here {
        (f.them(), f.me(), f.peer_fault())
    } else {
        (f.me(), f.them(), Fault::Unknown)
    };
    // What the keys come from names the likeliest reason they differ.
    let suite = f.server_hello.map(|s| &s.cipher_suite);
    let named = |part: &str| {
        suite
            .and_then(|s| s.name.as_deref())
            .is_some_and(|n| n.contains(part))
    };
    let capture = "Capture the connection (tcpdump, or tls-harness's `--pcap`) and check \
                   that nothing between the ends rewrites it; if nothing does, the sender's TLS \
                   stack computes its keys wrongly.";
    let (keys, fix) = if named("_SRP_") {
        (
            "a wrong SRP password",
            "Check the client's SRP user name and password against the server's verifier.",
        )
    } else if named("_PSK_") {
        (
            "different pre-shared keys",
            "Give both ends the same pre-shared key for the identity the client sends.",
        )
    } else if suite.and_then(|s| KeyExchangeKind::of_suite(s.id)) == Some(KeyExchangeKind::Rsa) {
        (
            "a bad premaster secret in the RSA ClientKeyExchange: a broken client, or a \
             Bleichenbacher-style probe",
            capture,
        )
    } else {
        ("a broken TLS stack", capture)
    };
    Some(
        Diagnosis::new(
            Cause::RecordRejected,
            fault,
            format!(
                "{reader} could not decrypt {sender}'s record (bad_record_mac) after {}: the two \
                 ends derived different keys ({keys}), or the bytes were changed in transit",
                f.last_message()
                    .map(|m| format!("{} {m}", f.me()))
                    .unwrap_or_else(|| format!("\"{}\"", f.state()))
            ),
            fix,
        )
        .with_record(f, last_unaccepted(f)),
    )
}

impl Diagnosis {
    /// The refused record, when there is one, then the alerts each way,
    /// OpenSSL's reason and the last state.
    fn with_record(self, f: &Facts<'_>, record: Option<RecordHeader>) -> Diagnosis {
        self.with_some("record refused", record.map(describe))
            .with_some("alert sent", f.sent.map(alert_text))
            .with_some("alert received", f.received.map(alert_text))
            .with_some("OpenSSL reason", f.reason_text())
            .with("last state", f.state())
    }
}

/// The last record this end read the header of but refused.
pub(super) fn last_unaccepted(f: &Facts<'_>) -> Option<RecordHeader> {
    f.trace.events.iter().rev().find_map(|e| match e.kind {
        EventKind::UnacceptedRecord(h) => Some(h),
        _ => None,
    })
}

/// A record whose header was the last thing read, after every message
/// read: the peer began it and never sent the rest, when the handshake
/// then stalled or the connection ended. (What this end wrote after it,
/// such as the alert OpenSSL answers an end of file with, does not count.)
pub(super) fn begun(trace: &HandshakeTrace) -> Option<RecordHeader> {
    trace
        .events
        .iter()
        .rev()
        .take_while(|e| !matches!(&e.kind, EventKind::Message(m) if m.direction == Direction::Read))
        .find_map(|e| match e.kind {
            EventKind::UnacceptedRecord(h) => Some(h),
            _ => None,
        })
}

/// "the server sent the header of a handshake record of 127 bytes, then
/// stalled before the rest".
pub(super) fn stalled_in(who: &str, h: RecordHeader) -> String {
    // TLS 1.3 encrypts the handshake under the outer type application_data.
    let kind = match h.content_type {
        23 => "an encrypted (application_data)".to_owned(),
        t => content_type(t),
    };
    format!(
        "{who} sent the header of {kind} record of {} bytes, then not the rest in time \
         (it stalled, or trickled too slowly)",
        h.length
    )
}

pub(super) fn content_type(t: u8) -> String {
    match t {
        20 => "a change_cipher_spec".to_owned(),
        21 => "an alert".to_owned(),
        22 => "a handshake".to_owned(),
        23 => "an application_data".to_owned(),
        other => format!("a type-{other}"),
    }
}

pub(super) fn describe(r: RecordHeader) -> String {
    format!(
        "content type {}, version 0x{:04x}, length {}",
        r.content_type, r.version, r.length
    )
}
