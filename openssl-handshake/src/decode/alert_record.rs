//! An alert record's content (RFC 8446 section 6), as the message callback
//! passes it.

use serde::{Deserialize, Serialize};

/// The two bytes of an alert: its level and its description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AlertRecord {
    /// 1 warning, 2 fatal.
    pub level: u8,
    /// The alert description code.
    pub description: u8,
}

impl AlertRecord {
    /// The alert in `bytes`; `None` unless there are exactly two, which
    /// OpenSSL checks before it reports an alert record.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<AlertRecord> {
        match *bytes {
            [level, description] => Some(AlertRecord { level, description }),
            _ => None,
        }
    }

    /// The level as `openssl s_client -msg` names it: "warning", "fatal",
    /// or "???".
    pub fn level_name(&self) -> &'static str {
        match self.level {
            1 => "warning",
            2 => "fatal",
            _ => "???",
        }
    }
}

impl AlertRecord {
    /// The description as `openssl s_client -msg` names it: the names of
    /// its own table (`alert_types` in OpenSSL 3.0's apps/lib/s_cb.c, up
    /// to certificate_required, 116), "???" for any other, even one IANA
    /// names (no_application_protocol, 120).
    pub fn description_name(&self) -> &'static str {
        match self.description {
            0 => "close_notify",
            1 => "end_of_early_data",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            60 => "export_restriction",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            111 => "certificate_unobtainable",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            114 => "bad_certificate_hash_value",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            _ => "???",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_two_bytes_make_an_alert() {
        let fatal = AlertRecord::from_bytes(&[2, 40]).expect("two bytes");
        assert_eq!((fatal.level_name(), fatal.description), ("fatal", 40));
        assert_eq!(
            AlertRecord::from_bytes(&[1, 0]).map(|a| a.level_name()),
            Some("warning")
        );
        assert_eq!(
            AlertRecord::from_bytes(&[3, 0]).map(|a| a.level_name()),
            Some("???")
        );
        for bytes in [&[][..], &[2], &[2, 40, 0]] {
            assert_eq!(AlertRecord::from_bytes(bytes), None, "{bytes:?}");
        }
    }
}
