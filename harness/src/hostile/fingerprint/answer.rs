//! The server's first answer to a hello, read until it is complete (a
//! ServerHello, an alert, or an SSLv2 message) so that no probe waits out
//! its time-out on a server that is waiting for the client's next flight.

use std::io::Write;
use std::net::TcpStream;
use std::time::Instant;

use openssl_handshake::decode::{decode_handshake, Body};
use openssl_handshake::ProtocolVersion;
use serde::Serialize;

use super::super::hello::{CT_ALERT, CT_HANDSHAKE};
use super::super::wire::{self, alert_name, level_name};

/// How the server answered one probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// A ServerHello or a HelloRetryRequest.
    ServerHello {
        /// The negotiated version: supported_versions, else the legacy field.
        version: u16,
        /// The suite it chose.
        suite: u16,
        /// Whether it was a HelloRetryRequest.
        hello_retry_request: bool,
        /// Every extension type, in the order sent.
        extensions: Vec<u16>,
        /// Length of the session id.
        session_id_len: usize,
        /// The ec_point_formats extension's list, when sent.
        ec_point_formats: Option<Vec<u8>>,
    },
    /// A plaintext alert.
    Alert {
        /// 1 warning, 2 fatal.
        level: u8,
        /// The alert description.
        description: u8,
        /// The version field of the record that carried it.
        record_version: u16,
    },
    /// An SSLv2 SERVER-HELLO (SSL 2.0 draft, section "Server Only
    /// Protocol Messages"): the server speaks SSLv2.
    Sslv2ServerHello {
        /// Its server_version field.
        version: u16,
        /// Its cipher specs, 3 bytes each.
        cipher_specs: Vec<u32>,
    },
    /// An SSLv2 ERROR message.
    Sslv2Error {
        /// Its error code (1: no cipher).
        code: u16,
    },
    /// The server closed (or reset) the connection without either.
    Closed,
    /// Nothing complete came back within the time-out.
    NoAnswer,
    /// Bytes that are not a ServerHello or an alert.
    Unreadable {
        /// Why they could not be read.
        reason: String,
    },
    /// The probe could not connect, or (a scan with `--starttls`) its
    /// connection was not switched to TLS.
    NoConnection {
        /// Why, in full: "could not connect: ..." where no connection was
        /// made.
        reason: String,
    },
    /// The probe was not sent, as an earlier one could not connect.
    NotSent {
        /// The probe that could not connect.
        after: String,
    },
}

impl Answer {
    /// One line in words.
    pub fn describe(&self) -> String {
        match self {
            Answer::ServerHello {
                version,
                hello_retry_request,
                suite: _,
                extensions,
                session_id_len,
                ec_point_formats,
            } => {
                let what = if *hello_retry_request {
                    "HelloRetryRequest"
                } else {
                    "ServerHello"
                };
                let exts: Vec<String> = extensions.iter().map(|t| extension_name(*t)).collect();
                let mut s = format!(
                    "{what} {} with [{}]; {session_id_len}-byte session id",
                    ProtocolVersion::from(*version)
                        .spelled_out()
                        .map_or_else(|| format!("version {version:#06x}"), str::to_owned),
                    exts.join(", ")
                );
                if let Some(f) = ec_point_formats {
                    s.push_str(&format!("; ec_point_formats {f:?}"));
                }
                s
            }
            Answer::Alert {
                level,
                description,
                record_version,
            } => format!(
                "{} {} (record version {record_version:#06x})",
                level_name(*level),
                alert_name(*description)
            ),
            Answer::Closed => "closed without an alert".into(),
            Answer::NoAnswer => "no answer within the time-out".into(),
            Answer::Sslv2ServerHello {
                version,
                cipher_specs,
            } => format!(
                "SSLv2 SERVER-HELLO version {version:#06x} with {} cipher spec(s)",
                cipher_specs.len()
            ),
            Answer::Sslv2Error { code } => format!("SSLv2 ERROR {code:#06x}"),
            Answer::Unreadable { reason } => format!("unreadable answer: {reason}"),
            Answer::NoConnection { reason } => reason.clone(),
            Answer::NotSent { after } => {
                format!("not sent: the {after} probe could not connect")
            }
        }
    }
}

/// Writes `record` to `s` and reads the first answer, until `deadline`.
pub(crate) fn exchange(s: &mut TcpStream, record: &[u8], deadline: Instant) -> Answer {
    // A server that rejects the hello early may close before it is all
    // written; whatever it sent first is still the answer.
    let _ = s.write_all(record).and_then(|_| s.flush());
    first_answer(s, deadline)
}

/// Writes `record` and reads the first answer; after a ServerHello below
/// TLS 1.3, the rest of its flight too, up to ServerHelloDone or
/// `deadline`: every handshake message of it whole, header included (the
/// ServerKeyExchange holds a DHE prime the ServerHello does not name).
pub(crate) fn exchange_flight(
    s: &mut TcpStream,
    record: &[u8],
    deadline: Instant,
) -> (Answer, Vec<Vec<u8>>) {
    let _ = s.write_all(record).and_then(|_| s.flush());
    let mut bytes = Vec::new();
    let answer = match read_until(s, &mut bytes, deadline, parse) {
        Ok(a) => a,
        Err(stop) => stop.answer(&bytes),
    };
    if !matches!(answer, Answer::ServerHello { version, .. } if version < 0x0304) {
        return (answer, Vec::new());
    }
    let flight = read_until(s, &mut bytes, deadline, |b| {
        let (messages, ended) = handshake_messages(b);
        (ended
            || messages
                .iter()
                .any(|m| m.first() == Some(&HT_SERVER_HELLO_DONE)))
        .then_some(messages)
    });
    (
        answer,
        flight.unwrap_or_else(|_| handshake_messages(&bytes).0),
    )
}

/// ServerHelloDone's handshake type.
const HT_SERVER_HELLO_DONE: u8 = 14;

/// The complete handshake messages at the start of `bytes`, and whether a
/// record of another type ended them.
fn handshake_messages(bytes: &[u8]) -> (Vec<Vec<u8>>, bool) {
    let mut stream = Vec::new();
    let mut ended = false;
    for (ty, _, body) in wire::records(bytes) {
        if ty != CT_HANDSHAKE {
            ended = true;
            break;
        }
        stream.extend_from_slice(body);
    }
    let mut messages = Vec::new();
    let mut rest = stream.as_slice();
    while let [_, a, b, c, ..] = rest {
        let len = 4 + (usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c));
        let Some(m) = rest.get(..len) else { break };
        messages.push(m.to_vec());
        rest = &rest[len..];
    }
    (messages, ended)
}

/// Why a read ended without what it waited for.
enum Stopped {
    Deadline,
    Closed,
}

impl Stopped {
    fn answer(self, bytes: &[u8]) -> Answer {
        match self {
            Stopped::Deadline if bytes.is_empty() => Answer::NoAnswer,
            Stopped::Deadline => incomplete(bytes),
            Stopped::Closed => closed(bytes),
        }
    }
}

/// [`wire::read_until`], a reset read as a close.
fn read_until<T>(
    s: &mut TcpStream,
    bytes: &mut Vec<u8>,
    deadline: Instant,
    done: impl Fn(&[u8]) -> Option<T>,
) -> Result<T, Stopped> {
    wire::read_until(s, bytes, deadline, done).map_err(|end| match end {
        wire::End::StillOpen => Stopped::Deadline,
        wire::End::Closed | wire::End::Reset => Stopped::Closed,
    })
}

/// The answer at the start of `bytes` already read, if complete.
pub(crate) fn answer_in(bytes: &[u8]) -> Option<Answer> {
    parse(bytes)
}

/// Reads until a complete first message, end of stream or `deadline`.
fn first_answer(s: &mut TcpStream, deadline: Instant) -> Answer {
    let mut bytes = Vec::new();
    match read_until(s, &mut bytes, deadline, parse) {
        Ok(a) => a,
        Err(stop) => stop.answer(&bytes),
    }
}

fn closed(bytes: &[u8]) -> Answer {
    if bytes.is_empty() {
        Answer::Closed
    } else {
        incomplete(bytes)
    }
}

fn incomplete(bytes: &[u8]) -> Answer {
    Answer::Unreadable {
        reason: format!(
            "{} byte(s) that do not complete a record, starting {}",
            bytes.len(),
            first_bytes(bytes)
        ),
    }
}

/// The start of an answer that is no record: as text when it reads as
/// text (another protocol's greeting or reply), else the header's five
/// bytes in hex.
fn first_bytes(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(5)];
    if head
        .iter()
        .all(|b| b.is_ascii_graphic() || b" \t\r\n".contains(b))
    {
        let text = &bytes[..bytes.len().min(40)];
        return format!("{:?}", String::from_utf8_lossy(text));
    }
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
    hex.join(" ")
}

/// The answer in `bytes`, once complete: the first record, when an alert,
/// else the first handshake message, which may span records; or an SSLv2
/// message, whose 2-byte header has its top bit set (no TLS content type
/// has).
fn parse(bytes: &[u8]) -> Option<Answer> {
    if let [first, second, rest @ ..] = bytes {
        if first & 0x80 != 0 {
            let len = usize::from(first & 0x7f) << 8 | usize::from(*second);
            return rest.get(..len).map(sslv2);
        }
    }
    let mut message = Vec::new();
    for (ty, version, body) in wire::records(bytes) {
        match ty {
            CT_ALERT if message.is_empty() => {
                return Some(match body {
                    [level, description] => Answer::Alert {
                        level: *level,
                        description: *description,
                        record_version: version,
                    },
                    _ => Answer::Unreadable {
                        reason: format!("an alert record of {} bytes", body.len()),
                    },
                });
            }
            CT_HANDSHAKE => {
                message.extend_from_slice(body);
                if message.len() >= 4 {
                    let len = usize::from(message[1]) << 16
                        | usize::from(message[2]) << 8
                        | usize::from(message[3]);
                    if message.len() >= 4 + len {
                        message.truncate(4 + len);
                        return Some(server_hello(&message));
                    }
                }
            }
            other => {
                return Some(Answer::Unreadable {
                    reason: format!("a record of content type {other} before any ServerHello"),
                })
            }
        }
    }
    None
}

/// An SSLv2 message without its header: SERVER-HELLO (4) is msg type,
/// session-id hit, certificate type, server version, then the lengths of
/// the certificate, the cipher specs and the connection id, then those.
fn sslv2(message: &[u8]) -> Answer {
    let u16_at = |i: usize| {
        message
            .get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    match message.first() {
        Some(4) => {
            let (Some(version), Some(cert), Some(specs)) = (u16_at(3), u16_at(5), u16_at(7)) else {
                return Answer::Unreadable {
                    reason: "a short SSLv2 SERVER-HELLO".into(),
                };
            };
            let start = 11 + usize::from(cert);
            match message.get(start..start + usize::from(specs)) {
                Some(list) => Answer::Sslv2ServerHello {
                    version,
                    cipher_specs: list
                        .chunks_exact(3)
                        .map(|c| u32::from_be_bytes([0, c[0], c[1], c[2]]))
                        .collect(),
                },
                None => Answer::Unreadable {
                    reason: "an SSLv2 SERVER-HELLO shorter than its lengths".into(),
                },
            }
        }
        Some(0) => match u16_at(1) {
            Some(code) => Answer::Sslv2Error { code },
            None => Answer::Unreadable {
                reason: "a short SSLv2 ERROR".into(),
            },
        },
        other => Answer::Unreadable {
            reason: format!("an SSLv2 message of type {other:?} first"),
        },
    }
}

fn server_hello(message: &[u8]) -> Answer {
    match decode_handshake(message, false) {
        // A bad extension reads as a ServerHello a client refuses (as
        // OpenSSL's does a repeated type it knows): no answer to compare.
        Ok(m) if !m.extension_problems.is_empty() => Answer::Unreadable {
            reason: format!(
                "a ServerHello with a malformed extension: {}",
                m.extension_problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        },
        Ok(m) => match m.body {
            Body::ServerHello(sh) => Answer::ServerHello {
                version: sh.selected_version.unwrap_or(sh.legacy_version),
                suite: sh.cipher_suite.id,
                hello_retry_request: sh.hello_retry_request,
                extensions: sh.extensions,
                session_id_len: sh.session_id.len() / 2,
                ec_point_formats: sh.common.ec_point_formats,
            },
            _ => Answer::Unreadable {
                reason: format!("a {} message first", m.handshake_type),
            },
        },
        Err(e) => Answer::Unreadable {
            reason: format!("a ServerHello that does not decode: {e}"),
        },
    }
}

/// The RFC name of an extension type, or its number.
pub(crate) fn extension_name(ty: u16) -> String {
    let name = match ty {
        0 => "server_name",
        1 => "max_fragment_length",
        5 => "status_request",
        10 => "supported_groups",
        11 => "ec_point_formats",
        13 => "signature_algorithms",
        15 => "heartbeat",
        16 => "application_layer_protocol_negotiation",
        18 => "signed_certificate_timestamp",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        51 => "key_share",
        0xff01 => "renegotiation_info",
        other => return format!("extension({other:#06x})"),
    };
    name.into()
}

#[cfg(test)]
mod tests {
    use super::super::super::rng::Rng;
    use super::*;
    use crate::hostile::hello::{CT_ALERT, CT_HANDSHAKE};

    #[test]
    fn any_bytes_read_back_give_an_answer_or_none_never_a_panic() {
        let mut rng = Rng(3);
        for n in 0..5000 {
            let mut bytes = vec![0u8; n % 300];
            rng.fill(&mut bytes);
            // Half of them look like the start of a handshake or alert record.
            if n % 2 == 0 && bytes.len() >= 5 {
                bytes[0] = if n % 4 == 0 { CT_HANDSHAKE } else { CT_ALERT };
                bytes[3] = 0;
                bytes[4] %= 64;
                if bytes.len() > 5 && n % 4 == 0 {
                    bytes[5] = 2;
                }
            }
            let _ = parse(&bytes);
        }
    }

    #[test]
    fn answers_are_read_from_complete_records_only() {
        // An alert record.
        assert_eq!(
            parse(&[21, 3, 1, 0, 2, 2, 50]),
            Some(Answer::Alert {
                level: 2,
                description: 50,
                record_version: 0x0301
            })
        );
        // Half a record: not yet.
        assert_eq!(parse(&[22, 3, 3, 0, 40, 2, 0]), None);
        // A handshake message that is not a ServerHello.
        assert!(matches!(
            parse(&[22, 3, 3, 0, 4, 14, 0, 0, 0]),
            Some(Answer::Unreadable { .. })
        ));
        // Application data first.
        assert!(matches!(
            parse(&[23, 3, 3, 0, 1, 0]),
            Some(Answer::Unreadable { .. })
        ));
    }

    /// Text where a record was due reads as text; anything else as the
    /// header's bytes in hex, never as decimals that look like hex.
    #[test]
    fn bytes_that_are_no_record_are_shown_as_they_read() {
        let said = |bytes: &[u8]| match incomplete(bytes) {
            Answer::Unreadable { reason } => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            said(b"250 injected\r\n"),
            "14 byte(s) that do not complete a record, starting \"250 injected\\r\\n\""
        );
        assert_eq!(
            said(&[0x16, 0x03, 0x03, 0x40]),
            "4 byte(s) that do not complete a record, starting 16 03 03 40"
        );
    }

    #[test]
    fn a_flight_is_split_into_whole_messages_across_records() {
        // ServerHelloDone (4 bytes) and a 6-byte message of type 12, cut
        // across two handshake records, then half of a third message.
        let stream = [12, 0, 0, 2, 0xaa, 0xbb, 14, 0, 0, 0, 11, 0, 0, 9, 1];
        let mut bytes = vec![22, 3, 3, 0, 3];
        bytes.extend_from_slice(&stream[..3]);
        bytes.extend_from_slice(&[22, 3, 3, 0, 12]);
        bytes.extend_from_slice(&stream[3..]);
        let (messages, ended) = handshake_messages(&bytes);
        assert_eq!(messages, [vec![12, 0, 0, 2, 0xaa, 0xbb], vec![14, 0, 0, 0]]);
        assert!(!ended);
        // An alert record ends the flight.
        bytes.extend_from_slice(&[21, 3, 3, 0, 2, 2, 40]);
        assert!(handshake_messages(&bytes).1);
    }
}
