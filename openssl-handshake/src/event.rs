//! The plain data that the callbacks record: one [`Event`] per callback.
//!
//! Strings that OpenSSL hands out (state and alert names) are static in
//! libssl, so they are kept as `Cow::Borrowed` and recording an event does
//! not allocate for them.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::alert::{Alert, AlertLevel};
use crate::decode::{Body, DecodeError, ExtensionProblem, HandshakeType};
use crate::sys;

/// Which end of the connection a trace belongs to.
///
/// Unlike the other enums of the crate this one is exhaustive: a
/// connection has two ends, so a `match` on it needs no wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The end that called `SSL_connect`.
    Client,
    /// The end that called `SSL_accept`.
    Server,
}

impl Side {
    /// The prefix `openssl s_client`/`s_server -state` puts on state lines.
    pub fn state_prefix(self) -> &'static str {
        match self {
            Side::Client => "SSL_connect",
            Side::Server => "SSL_accept",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
        })
    }
}

/// Whether this end read or wrote something. Exhaustive, as [`Side`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Received from the peer.
    Read,
    /// Sent to the peer.
    Write,
}

impl Direction {
    /// `">>>"` for sent, `"<<<"` for received, as `openssl -msg` prints.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Read => "<<<",
            Direction::Write => ">>>",
        }
    }
}

/// One thing that happened during a handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// Time since the connection's first callback (monotonic clock), to
    /// the microsecond, so a renegotiation's events follow the first
    /// handshake's; in JSON `at_us`, an integer number of microseconds.
    /// Kept in 32 bits: on a connection older than 71.6 minutes, later
    /// events all read 4,294.967295 s.
    #[serde(rename = "at_us", with = "crate::micros")]
    pub at: Duration,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of [`Event`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// `SSL_CB_HANDSHAKE_START`.
    HandshakeStart,
    /// `SSL_CB_HANDSHAKE_DONE`.
    HandshakeDone,
    /// `SSL_CB_LOOP`: the state machine moved to a new state.
    State(StateChange),
    /// `SSL_CB_ALERT`: an alert was sent or received.
    Alert(Alert),
    /// `SSL_CB_EXIT`: `SSL_connect`/`SSL_accept` returned.
    Exit(Exit),
    /// A handshake message, ChangeCipherSpec or alert record, from the
    /// message callback.
    Message(Box<Message>),
    /// A record the peer sent that OpenSSL read the header of but never
    /// accepted the content of (it failed on it): the only trace of, say,
    /// an unexpected handshake message or bytes that are not TLS at all.
    /// In a trace read while the handshake is in progress, the last one
    /// may be a record whose rest has not arrived yet.
    UnacceptedRecord(RecordHeader),
    /// A record the peer sent whose content OpenSSL took without passing
    /// it to the message callback, seen by its header alone: a
    /// ChangeCipherSpec (OpenSSL 3.0 and 3.1 report none they read; later
    /// versions report TLS 1.3's middlebox-compatibility one but not TLS
    /// 1.2's), which `s_client -msg` shows only as a `RecordHeader` line
    /// and Wireshark as a record. Logged when what follows shows OpenSSL
    /// took it: the next record's header, a wait for it, or a failure
    /// after it for which OpenSSL gave no reason of its own.
    UnreportedRecord(RecordHeader),
}

/// The five-byte header of a TLS record. Exhaustive: the wire format fixes
/// its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordHeader {
    /// The content type byte (20 change_cipher_spec, 21 alert, 22
    /// handshake, 23 application data; anything else means the bytes were
    /// not TLS).
    pub content_type: u8,
    /// The record's version field.
    pub version: u16,
    /// The length of the record's content.
    pub length: u16,
}

impl RecordHeader {
    /// Parses the header the message callback reports (`SSL3_RT_HEADER`).
    pub(crate) fn parse(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [content_type, v0, v1, l0, l1, ..] => Some(RecordHeader {
                content_type: *content_type,
                version: u16::from_be_bytes([*v0, *v1]),
                length: u16::from_be_bytes([*l0, *l1]),
            }),
            _ => None,
        }
    }

    /// Whether the five bytes read as a TLS record header: a content type
    /// TLS defines (change_cipher_spec 20 to heartbeat 24) and a version
    /// of SSL 3.0 to TLS 1.3, whatever the length says.
    pub(crate) fn looks_like_tls(&self) -> bool {
        (20..=24).contains(&self.content_type) && (0x0300..=0x0304).contains(&self.version)
    }
}

/// A state change as the info callback reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StateChange {
    /// `SSL_get_state` at the time.
    pub state: HandshakeState,
    /// `SSL_state_string_long`, e.g. "SSLv3/TLS write client hello".
    pub long: Cow<'static, str>,
    /// `SSL_state_string`, e.g. "TWCH".
    pub short: Cow<'static, str>,
}

impl StateChange {
    /// Whether this state reads or writes a message; `None` for the
    /// special states such as "before SSL initialization".
    pub fn direction(&self) -> Option<Direction> {
        self.state.direction()
    }
}

/// `SSL_CB_EXIT`: the handshake call returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Exit {
    /// The value `SSL_connect`/`SSL_accept` returned.
    pub ret: i32,
    /// What the return means.
    pub status: ExitStatus,
    /// `SSL_get_state` where it returned: after a failure, the state it
    /// failed in.
    pub state: HandshakeState,
    /// `SSL_state_string_long` where it returned, as `-state` prints it
    /// ("error" once the handshake has failed).
    pub long: Cow<'static, str>,
}

/// How a handshake call returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExitStatus {
    /// It finished (`ret > 0`).
    Done,
    /// Non-blocking I/O would block; the call will be made again.
    WouldBlock,
    /// It failed (`ret == 0`: "failed in"; `ret < 0`: "error in").
    Failed,
}

/// A record that the message callback reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Sent or received.
    pub direction: Direction,
    /// The protocol version the callback reported (e.g. 0x0304).
    pub version: u16,
    /// The version field of the record header that carried it, when the
    /// header was seen (TLS 1.3 records say 0x0303).
    pub record_version: Option<u16>,
    /// The record content type: 20 ChangeCipherSpec, 21 alert, 22 handshake.
    pub content_type: u8,
    /// For handshake messages, the message type.
    pub handshake_type: Option<HandshakeType>,
    /// Length of the message as the callback reported it, header included.
    pub length: usize,
    /// The typed view, once decoded.
    pub body: Option<Body>,
    /// Why decoding failed, when it did: framing that leaves the message
    /// unreadable.
    pub decode_error: Option<DecodeError>,
    /// The extensions of a decoded message that break their format (a
    /// repeated type, a content that does not parse), each left out of
    /// `body`; absent in JSON when there are none. See
    /// [`crate::decode::HandshakeMessage::extension_problems`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension_problems: Vec<ExtensionProblem>,
    /// The message bytes, kept when [`crate::TraceOptions::raw_bytes`] is
    /// on.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex_bytes")]
    pub raw: Option<Vec<u8>>,
}

impl Message {
    /// Whether OpenSSL reported this as SSL 2.0 (version 2, content type
    /// 0): an SSLv2-format ClientHello.
    pub(crate) fn sslv2_format(&self) -> bool {
        self.content_type == 0 && i32::from(self.version) == sys::SSL2_VERSION
    }

    /// What the decoder found wrong with this message, in words, if
    /// anything: the [`DecodeError`] of a message that does not decode,
    /// or else each of its [`extension_problems`](Self::extension_problems),
    /// as in "ServerHello is malformed: extension 65281 appears more than
    /// once".
    pub fn decode_findings(&self) -> Option<String> {
        if let Some(error) = &self.decode_error {
            return Some(error.to_string());
        }
        if self.extension_problems.is_empty() {
            return None;
        }
        let problems: Vec<String> = self
            .extension_problems
            .iter()
            .map(ToString::to_string)
            .collect();
        Some(format!(
            "{} is malformed: {}",
            self.name(),
            problems.join("; ")
        ))
    }

    /// What the message is, in a diagnosis's words: its
    /// [`name`](Self::name), but a ServerHello that is a
    /// HelloRetryRequest (RFC 8446, section 4.1.3) is named so, where
    /// `-msg`, and the message log after it, call both ServerHello.
    pub fn exact_name(&self) -> String {
        match &self.body {
            Some(Body::ServerHello(h)) if h.hello_retry_request => "HelloRetryRequest".into(),
            _ => self.name(),
        }
    }

    /// A name for what this record holds: the handshake type, or the
    /// content type for other records.
    pub fn name(&self) -> String {
        match (i32::from(self.content_type), self.handshake_type) {
            (sys::SSL3_RT_HANDSHAKE, Some(t)) => t.to_string(),
            (_, Some(t)) if self.sslv2_format() => format!("{t} (SSLv2 format)"),
            (sys::SSL3_RT_CHANGE_CIPHER_SPEC, _) => "ChangeCipherSpec".into(),
            (sys::SSL3_RT_ALERT, _) => "Alert".into(),
            (other, _) => format!("ContentType({other})"),
        }
    }
}

/// `OSSL_HANDSHAKE_STATE`, as `SSL_get_state` returns it.
///
/// OpenSSL 3.2 renumbered the enum, so the raw value means nothing without
/// the numbering of the libssl that produced it; the state keeps both and
/// is compared, hashed and serialized by its `ssl.h` name.
#[derive(Clone, Copy)]
pub struct HandshakeState {
    value: u32,
    numbering: Numbering,
}

/// Which `OSSL_HANDSHAKE_STATE` numbering a raw value follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Numbering {
    /// OpenSSL 3.0 and 3.1.
    V30,
    /// OpenSSL 3.2 and later (compressed-certificate states added).
    V32,
}

impl Numbering {
    /// The numbering of the libssl running this process, from
    /// `OpenSSL_version_num()` rather than the headers built against.
    pub(crate) fn running() -> Self {
        Self::of_version(openssl::version::number())
    }

    pub(crate) fn of_version(version: i64) -> Self {
        if version >= 0x3020_0000 {
            Numbering::V32
        } else {
            Numbering::V30
        }
    }

    fn table(self) -> &'static [(&'static str, i64)] {
        match self {
            Numbering::V30 => sys::states_30::HANDSHAKE_STATES,
            Numbering::V32 => sys::states_32::HANDSHAKE_STATES,
        }
    }
}

impl HandshakeState {
    /// A value `SSL_get_state` returned in this process.
    pub(crate) fn from_running(value: u32) -> Self {
        Self::with_numbering(value, Numbering::running())
    }

    pub(crate) fn with_numbering(value: u32, numbering: Numbering) -> Self {
        HandshakeState { value, numbering }
    }

    /// The raw value `SSL_get_state` returned (meaningful only with the
    /// libssl version that returned it).
    pub fn raw(self) -> u32 {
        self.value
    }

    /// The enumerator's name in `ssl.h`, e.g. `TLS_ST_CW_CLNT_HELLO`.
    pub fn name(self) -> Option<&'static str> {
        // The tables list the enum in order from 0, so the value indexes it.
        self.numbering
            .table()
            .get(self.value as usize)
            .filter(|(_, v)| *v == i64::from(self.value))
            .map(|(name, _)| *name)
    }

    /// OpenSSL names states `_CR_`/`_SR_` (read) and `_CW_`/`_SW_` (write).
    pub fn direction(self) -> Option<Direction> {
        let name = self.name()?;
        if name.contains("_CR_") || name.contains("_SR_") {
            Some(Direction::Read)
        } else if name.contains("_CW_") || name.contains("_SW_") {
            Some(Direction::Write)
        } else {
            None
        }
    }

    /// The state named `name` in `ssl.h`, numbered as the libssl running
    /// this process numbers it (a name it lacks, as OpenSSL 3.2 numbers it).
    pub fn from_name(name: &str) -> Option<Self> {
        [Numbering::running(), Numbering::V32]
            .into_iter()
            .find_map(|numbering| {
                numbering
                    .table()
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| Self::with_numbering(*v as u32, numbering))
            })
    }

    /// What a state is known by when it has no name: its raw value and
    /// numbering.
    fn key(self) -> Result<&'static str, (u32, Numbering)> {
        self.name().ok_or((self.value, self.numbering))
    }
}

impl PartialEq for HandshakeState {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for HandshakeState {}

impl std::hash::Hash for HandshakeState {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl fmt::Debug for HandshakeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "HandshakeState({})", self.value),
        }
    }
}

/// By name in JSON; an unnamed value as "UNKNOWN(N)".
impl Serialize for HandshakeState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.name() {
            Some(name) => s.serialize_str(name),
            None => s.serialize_str(&format!("UNKNOWN({})", self.value)),
        }
    }
}

impl<'de> Deserialize<'de> for HandshakeState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if let Some(state) = HandshakeState::from_name(&name) {
            return Ok(state);
        }
        name.strip_prefix("UNKNOWN(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|n| n.parse().ok())
            .map(|value| HandshakeState::with_numbering(value, Numbering::running()))
            .ok_or_else(|| serde::de::Error::custom(format!("unknown handshake state {name:?}")))
    }
}

/// Raw bytes as a hex string in JSON.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&crate::render::hex(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| crate::render::unhex(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_named_and_directed_as_ssl_h_names_them() {
        let state = |v: u32| HandshakeState::from_running(v);
        assert_eq!(
            state(sys::TLS_ST_CW_CLNT_HELLO).name(),
            Some("TLS_ST_CW_CLNT_HELLO")
        );
        assert_eq!(
            state(sys::TLS_ST_CW_CLNT_HELLO).direction(),
            Some(Direction::Write)
        );
        assert_eq!(
            state(sys::TLS_ST_SR_CLNT_HELLO).direction(),
            Some(Direction::Read)
        );
        assert_eq!(
            state(sys::TLS_ST_SW_SRVR_HELLO).direction(),
            Some(Direction::Write)
        );
        assert_eq!(
            state(sys::TLS_ST_CR_FINISHED).direction(),
            Some(Direction::Read)
        );
        assert_eq!(state(sys::TLS_ST_OK).direction(), None);
        assert_eq!(format!("{:?}", state(9999)), "HandshakeState(9999)");
    }

    /// The same raw value names different states under the two numberings;
    /// which one applies follows the running libssl, not the headers.
    #[test]
    fn numbering_follows_the_running_library() {
        let v30 = HandshakeState::with_numbering(5, Numbering::V30);
        let v32 = HandshakeState::with_numbering(5, Numbering::V32);
        assert_eq!(v30.name(), Some("TLS_ST_CR_CERT_STATUS"));
        assert_eq!(v32.name(), Some("TLS_ST_CR_COMP_CERT"));
        // TLS_ST_SR_CLNT_HELLO is 20 in 3.0 and 22 in 3.2: equal by name.
        assert_eq!(
            HandshakeState::with_numbering(20, Numbering::V30),
            HandshakeState::with_numbering(22, Numbering::V32)
        );
        assert_eq!(Numbering::of_version(0x3000_0130), Numbering::V30);
        assert_eq!(Numbering::of_version(0x3020_0000), Numbering::V32);
        assert_eq!(Numbering::of_version(0x3060_0030), Numbering::V32);
        let running = openssl::version::number();
        assert_eq!(
            Numbering::running(),
            Numbering::of_version(running),
            "running libssl {running:#x}"
        );
    }

    /// A state made from its name, or read back from JSON, has the raw
    /// value the running libssl gives it (3.0 and 3.2 number it apart).
    #[test]
    fn a_state_by_name_has_the_running_librarys_value() {
        for (name, value) in Numbering::running().table() {
            let state = HandshakeState::from_name(name).expect("named");
            assert_eq!(i64::from(state.raw()), *value, "{name}");
            let json = serde_json::to_string(&state).unwrap();
            let back: HandshakeState = serde_json::from_str(&json).unwrap();
            assert_eq!(i64::from(back.raw()), *value, "{name} from JSON");
        }
        // A 3.2 state 3.0 lacks still has a name and its 3.2 value.
        let comp = HandshakeState::from_name("TLS_ST_CR_COMP_CERT").expect("a 3.2 state");
        assert_eq!(comp.name(), Some("TLS_ST_CR_COMP_CERT"));
    }

    #[test]
    fn states_serialize_by_name_and_round_trip() {
        let state = HandshakeState::with_numbering(20, Numbering::V30);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(json, "\"TLS_ST_SR_CLNT_HELLO\"");
        let back: HandshakeState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
        let unknown = HandshakeState::with_numbering(999, Numbering::V30);
        let json = serde_json::to_string(&unknown).unwrap();
        assert_eq!(json, "\"UNKNOWN(999)\"");
        assert!(serde_json::from_str::<HandshakeState>("\"TLS_ST_NOPE\"").is_err());
    }
}
