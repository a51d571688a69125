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
        None => format!("version 0x{version:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&bytes)), Ok(bytes));
        assert!(unhex("abc").is_err());
        assert!(unhex("zz").is_err());
    }
}
