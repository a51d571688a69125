//! Renderers of a [`HandshakeTrace`](crate::HandshakeTrace): the
//! `-state` log, a `-msg`-style message log, JSON and a ladder diagram.

mod json;
mod ladder;
mod messages;
mod state;

use crate::version::ProtocolVersion;

pub use json::json;
pub use ladder::ladder;
pub use messages::message_log;
pub use state::state_log;

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            // Writing to a String cannot fail.
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The bytes of a hex string, or why it is not one.
pub fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("hex string has odd length {}", text.len()));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("invalid hex at offset {i}"))
        })
        .collect()
}

/// "TLS 1.2" for 0x0303, as `openssl -msg` names versions.
pub fn version_name(version: u16) -> String {
    match ProtocolVersion::from(version).spelled_out() {
        Some(name) => name.to_owned(),
        None if crate::decode::is_grease(version) => format!("GREASE (0x{version:04x})"),
        // The drafts of RFC 8446 (draft-ietf-tls-tls13-N), which clients
        // of 2017 and 2018 offered in supported_versions.
        None if version >> 8 == 0x7f => {
            format!("TLS 1.3 draft {} (0x{version:04x})", version & 0xff)
        }
        None => format!("version 0x{version:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As tshark names them ("TLS 1.3 (draft 28)"), with the code.
    #[test]
    fn tls13_drafts_are_named() {
        assert_eq!(version_name(0x7f1c), "TLS 1.3 draft 28 (0x7f1c)");
        assert_eq!(version_name(0x7f12), "TLS 1.3 draft 18 (0x7f12)");
        assert_eq!(version_name(0x0305), "version 0x0305");
    }

    #[test]
    fn hex_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&bytes)), Ok(bytes));
        assert!(unhex("abc").is_err());
        assert!(unhex("zz").is_err());
    }
}
