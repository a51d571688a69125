//! The fingerprint's probes: fixed ClientHellos, each sent on its own
//! connection, and the server's first answer to each, read until it is
//! complete (a ServerHello or an alert) so that no probe waits out its
//! time-out on a server that is waiting for the client's next flight.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use openssl_handshake::decode::{decode_handshake, Body};
use openssl_handshake::ProtocolVersion;
use serde::Serialize;

use super::super::hello::{ClientHello, CT_ALERT, CT_HANDSHAKE};
use super::super::suite::Rng;
use super::super::wire::{self, alert_name, level_name};

/// The probes, each named by what its ClientHello does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Probe {
    /// An ordinary TLS 1.3 ClientHello (it also offers TLS 1.2).
    Tls13Hello,
    /// A TLS 1.2-only ClientHello that also offers heartbeat (RFC 6520).
    Tls12Hello,
    /// A TLS 1.3 ClientHello with an empty key_share list, which a TLS 1.3
    /// server must answer with a HelloRetryRequest.
    HrrTrigger,
    /// A TLS 1.3 ClientHello without supported_groups.
    NoSupportedGroups,
    /// A TLS 1.3 ClientHello without signature_algorithms.
    NoSignatureAlgorithms,
    /// A TLS 1.3 ClientHello with an empty cipher suites list.
    EmptySuites,
    /// A TLS 1.3 ClientHello carrying renegotiation_info twice.
    DuplicateExtension,
}

impl Probe {
    /// Every probe, in the order sent.
    pub const ALL: [Probe; 7] = [
        Probe::Tls13Hello,
        Probe::Tls12Hello,
        Probe::HrrTrigger,
        Probe::NoSupportedGroups,
        Probe::NoSignatureAlgorithms,
        Probe::EmptySuites,
        Probe::DuplicateExtension,
    ];

    /// The probe's stable name.
    pub fn id(self) -> &'static str {
        match self {
            Probe::Tls13Hello => "tls13-hello",
            Probe::Tls12Hello => "tls12-hello",
            Probe::HrrTrigger => "hrr-trigger",
            Probe::NoSupportedGroups => "no-supported-groups",
            Probe::NoSignatureAlgorithms => "no-signature-algorithms",
            Probe::EmptySuites => "empty-suites",
            Probe::DuplicateExtension => "duplicate-extension",
        }
    }

    /// What the probe sends, in words.
    pub fn sends(self) -> &'static str {
        match self {
            Probe::Tls13Hello => "a TLS 1.3 ClientHello (x25519 key share; TLS 1.2 offered too)",
            Probe::Tls12Hello => "a TLS 1.2-only ClientHello that also offers heartbeat",
            Probe::HrrTrigger => "a TLS 1.3 ClientHello with an empty key_share list",
            Probe::NoSupportedGroups => "a TLS 1.3 ClientHello without supported_groups",
            Probe::NoSignatureAlgorithms => "a TLS 1.3 ClientHello without signature_algorithms",
            Probe::EmptySuites => "a TLS 1.3 ClientHello with an empty cipher suites list",
            Probe::DuplicateExtension => "a TLS 1.3 ClientHello carrying renegotiation_info twice",
        }
    }

    /// Whether what the probe tests exists only in TLS 1.3, so that a
    /// server which answers it with TLS 1.2 (by its configuration or
    /// because it has no TLS 1.3) says nothing about it.
    pub(super) fn tls13_only(self) -> bool {
        matches!(
            self,
            Probe::Tls13Hello
                | Probe::HrrTrigger
                | Probe::NoSupportedGroups
                | Probe::NoSignatureAlgorithms
        )
    }

    /// The probe's ClientHello record. `rng` fills the random, the
    /// session id and the x25519 key share, which no server's choice of
    /// answer depends on.
    pub(super) fn record(self, rng: &mut Rng) -> Vec<u8> {
        let tls13 = self != Probe::Tls12Hello;
        let mut hello = base_hello(tls13, rng);
        match self {
            Probe::Tls13Hello | Probe::Tls12Hello => {}
            Probe::HrrTrigger => set(&mut hello, EXT_KEY_SHARE, vec![0, 0]),
            Probe::NoSupportedGroups => hello.extensions.retain(|(t, _)| *t != EXT_GROUPS),
            Probe::NoSignatureAlgorithms => hello.extensions.retain(|(t, _)| *t != EXT_SIGALGS),
            Probe::EmptySuites => hello.suites.clear(),
            Probe::DuplicateExtension => {
                hello.extensions.push((EXT_RENEGOTIATION_INFO, vec![0]));
                hello.extensions.push((EXT_RENEGOTIATION_INFO, vec![0]));
            }
        }
        hello.record()
    }
}

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
    /// The server closed (or reset) the connection without either.
    Closed,
    /// Nothing complete came back within the time-out.
    NoAnswer,
    /// Bytes that are not a ServerHello or an alert.
    Unreadable {
        /// Why they could not be read.
        reason: String,
    },
    /// The probe could not connect.
    NoConnection {
        /// The error.
        reason: String,
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
            Answer::Unreadable { reason } => format!("unreadable answer: {reason}"),
            Answer::NoConnection { reason } => format!("could not connect: {reason}"),
        }
    }
}

/// Sends `probe` on a new connection and reads the first answer.
pub(super) fn send(addr: SocketAddr, timeout: Duration, probe: Probe, rng: &mut Rng) -> Answer {
    let record = probe.record(rng);
    let start = Instant::now();
    let mut s = match wire::connect(addr, timeout) {
        Ok(s) => s,
        Err(e) => {
            return Answer::NoConnection {
                reason: e.to_string(),
            }
        }
    };
    exchange(&mut s, &record, start + timeout)
}

/// Writes `record` to `s` and reads the first answer, until `deadline`.
pub(crate) fn exchange(s: &mut TcpStream, record: &[u8], deadline: Instant) -> Answer {
    // A server that rejects the hello early may close before it is all
    // written; whatever it sent first is still the answer.
    let _ = s.write_all(record).and_then(|_| s.flush());
    first_answer(s, deadline)
}

/// Reads until a complete first message, end of stream or `deadline`.
fn first_answer(s: &mut TcpStream, deadline: Instant) -> Answer {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(a) = parse(&bytes) {
            return a;
        }
        let now = Instant::now();
        if now >= deadline {
            return if bytes.is_empty() {
                Answer::NoAnswer
            } else {
                incomplete(&bytes)
            };
        }
        let slice = (deadline - now).clamp(Duration::from_millis(1), Duration::from_millis(200));
        if s.set_read_timeout(Some(slice)).is_err() {
            return Answer::Closed;
        }
        match s.read(&mut buf) {
            Ok(0) => return closed(&bytes),
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return closed(&bytes),
        }
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
            "{} byte(s) that do not complete a record, starting {:02x?}",
            bytes.len(),
            &bytes[..bytes.len().min(5)]
        ),
    }
}

/// The answer in `bytes`, once complete: the first record, when an alert,
/// else the first handshake message, which may span records.
fn parse(bytes: &[u8]) -> Option<Answer> {
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

fn server_hello(message: &[u8]) -> Answer {
    match decode_handshake(message, false) {
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

const EXT_SERVER_NAME: u16 = 0;
const EXT_GROUPS: u16 = 10;
const EXT_POINT_FORMATS: u16 = 11;
const EXT_SIGALGS: u16 = 13;
const EXT_HEARTBEAT: u16 = 15;
const EXT_ETM: u16 = 22;
const EXT_EMS: u16 = 23;
const EXT_SESSION_TICKET: u16 = 35;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_PSK_MODES: u16 = 45;
const EXT_KEY_SHARE: u16 = 51;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;

/// TLS 1.3 suites, then TLS 1.2 ECDHE, DHE and RSA suites, then the
/// renegotiation SCSV: a list every implementation here finds something in.
const SUITES_13: [u16; 3] = [0x1302, 0x1303, 0x1301];
const SUITES_12: [u16; 23] = [
    0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc02b, 0xc02f, 0x009f, 0x009e, 0xc024, 0xc028, 0xc023, 0xc027,
    0xc00a, 0xc014, 0xc009, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
];
const SIGALGS: [u16; 14] = [
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401,
    0x0501, 0x0601,
];
/// x25519, secp256r1, secp384r1.
const GROUPS: [u16; 3] = [0x001d, 0x0017, 0x0018];

/// The ClientHello every probe starts from.
fn base_hello(tls13: bool, rng: &mut Rng) -> ClientHello {
    let mut random = [0u8; 32];
    rng.fill(&mut random);
    let mut session_id = vec![0u8; 32];
    rng.fill(&mut session_id);
    let mut suites = Vec::new();
    if tls13 {
        suites.extend_from_slice(&SUITES_13);
    }
    suites.extend_from_slice(&SUITES_12);
    let name = b"localhost";
    let mut sni = vec![0];
    sni.extend_from_slice(&u16s(&[name.len() as u16]));
    sni.extend_from_slice(name);
    let mut extensions = vec![
        (EXT_SERVER_NAME, prefixed(&sni)),
        (EXT_POINT_FORMATS, vec![3, 0, 1, 2]),
        (EXT_GROUPS, prefixed(&u16s(&GROUPS))),
        (EXT_SESSION_TICKET, vec![]),
        (EXT_ETM, vec![]),
        (EXT_EMS, vec![]),
        (EXT_SIGALGS, prefixed(&u16s(&SIGALGS))),
    ];
    if tls13 {
        let mut share = vec![0u8; 32];
        rng.fill(&mut share);
        let mut entry = u16s(&[0x001d, 32]);
        entry.extend_from_slice(&share);
        extensions.push((EXT_SUPPORTED_VERSIONS, vec![4, 0x03, 0x04, 0x03, 0x03]));
        extensions.push((EXT_PSK_MODES, vec![1, 1]));
        extensions.push((EXT_KEY_SHARE, prefixed(&entry)));
    } else {
        // Mode 1: peer_allowed_to_send (RFC 6520 section 2).
        extensions.push((EXT_HEARTBEAT, vec![1]));
    }
    ClientHello {
        record_version: 0x0301,
        legacy_version: 0x0303,
        random,
        session_id,
        suites,
        compression: vec![0],
        extensions,
    }
}

fn set(hello: &mut ClientHello, ty: u16, data: Vec<u8>) {
    if let Some(e) = hello.extensions.iter_mut().find(|(t, _)| *t == ty) {
        e.1 = data;
    }
}

fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// `data` after its 2-byte length.
fn prefixed(data: &[u8]) -> Vec<u8> {
    let mut out = u16s(&[data.len() as u16]);
    out.extend_from_slice(data);
    out
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
    use super::*;

    #[test]
    fn every_probe_is_a_well_formed_client_hello_that_differs_where_it_says() {
        let mut rng = Rng(1);
        for p in Probe::ALL {
            let h = ClientHello::parse_record(&p.record(&mut rng)).expect("every probe parses");
            let has = |ty| h.extensions.iter().any(|(t, _)| *t == ty);
            match p {
                Probe::Tls12Hello => assert!(!has(EXT_SUPPORTED_VERSIONS) && has(EXT_HEARTBEAT)),
                Probe::NoSupportedGroups => assert!(!has(EXT_GROUPS) && has(EXT_KEY_SHARE)),
                Probe::NoSignatureAlgorithms => assert!(!has(EXT_SIGALGS)),
                Probe::EmptySuites => assert!(h.suites.is_empty()),
                Probe::DuplicateExtension => assert_eq!(
                    h.extensions
                        .iter()
                        .filter(|(t, _)| *t == EXT_RENEGOTIATION_INFO)
                        .count(),
                    2
                ),
                Probe::HrrTrigger => assert!(h.extensions.contains(&(EXT_KEY_SHARE, vec![0, 0]))),
                Probe::Tls13Hello => {
                    assert!(has(EXT_SUPPORTED_VERSIONS) && has(EXT_KEY_SHARE) && has(EXT_GROUPS))
                }
            }
        }
    }

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
}
