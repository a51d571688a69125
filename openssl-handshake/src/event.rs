//! The plain data that the callbacks record: one [`Event`] per callback.
//!
//! Strings that OpenSSL hands out (state and alert names) are static in
//! libssl, so they are kept as `Cow::Borrowed` and recording an event does
//! not allocate for them.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::decode::{Body, HandshakeType};
use crate::sys;

/// Which end of the connection a trace belongs to.
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

/// Whether this end read or wrote something.
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
pub struct Event {
    /// Time since the handshake started (monotonic clock).
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
}

/// A state change as the info callback reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct Exit {
    /// The value `SSL_connect`/`SSL_accept` returned.
    pub ret: i32,
    /// What the return means.
    pub status: ExitStatus,
    /// `SSL_state_string_long` where it returned.
    pub state: Cow<'static, str>,
}

/// How a handshake call returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// It finished (`ret > 0`).
    Done,
    /// Non-blocking I/O would block; the call will be made again.
    WouldBlock,
    /// It failed (`ret == 0`: "failed in"; `ret < 0`: "error in").
    Failed,
}

/// An alert as the info callback reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Sent or received.
    pub direction: Direction,
    /// Warning or fatal.
    pub level: AlertLevel,
    /// The alert description code (RFC 8446 section 6).
    pub description: u8,
    /// `SSL_alert_type_string_long`: "warning" or "fatal".
    pub level_text: Cow<'static, str>,
    /// `SSL_alert_desc_string_long`, e.g. "handshake failure".
    pub text: Cow<'static, str>,
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} alert \"{}\" ({})",
            self.level_text, self.text, self.description
        )
    }
}

/// The level byte of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertLevel {
    /// Level 1.
    Warning,
    /// Level 2.
    Fatal,
    /// Any other value a peer sent.
    Unknown(u8),
}

impl AlertLevel {
    /// Maps the wire value.
    pub fn from_u8(level: u8) -> Self {
        match i32::from(level) {
            sys::SSL3_AL_WARNING => AlertLevel::Warning,
            sys::SSL3_AL_FATAL => AlertLevel::Fatal,
            _ => AlertLevel::Unknown(level),
        }
    }
}

/// A record that the message callback reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Why decoding failed, when it did.
    pub decode_error: Option<String>,
    /// The message bytes, kept when [`crate::TraceOptions::raw_bytes`] is
    /// on.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex_bytes")]
    pub raw: Option<Vec<u8>>,
}

impl Message {
    /// A name for what this record holds: the handshake type, or the
    /// content type for other records.
    pub fn name(&self) -> String {
        match (i32::from(self.content_type), self.handshake_type) {
            (sys::SSL3_RT_HANDSHAKE, Some(t)) => t.to_string(),
            (sys::SSL3_RT_CHANGE_CIPHER_SPEC, _) => "ChangeCipherSpec".into(),
            (sys::SSL3_RT_ALERT, _) => "Alert".into(),
            (other, _) => format!("ContentType({other})"),
        }
    }
}

/// `OSSL_HANDSHAKE_STATE`, as `SSL_get_state` returns it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HandshakeState(pub u32);

impl HandshakeState {
    /// The enumerator's name in `ssl.h`, e.g. `TLS_ST_CW_CLNT_HELLO`.
    pub fn name(self) -> Option<&'static str> {
        sys::HANDSHAKE_STATES
            .iter()
            .find(|(_, value)| *value == i64::from(self.0))
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
}

impl fmt::Debug for HandshakeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "HandshakeState({})", self.0),
        }
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
        let state = HandshakeState;
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
        assert_eq!(
            format!("{:?}", HandshakeState(9999)),
            "HandshakeState(9999)"
        );
    }

    #[test]
    fn unknown_alert_levels_are_kept() {
        assert_eq!(AlertLevel::from_u8(1), AlertLevel::Warning);
        assert_eq!(AlertLevel::from_u8(2), AlertLevel::Fatal);
        assert_eq!(AlertLevel::from_u8(7), AlertLevel::Unknown(7));
    }
}
