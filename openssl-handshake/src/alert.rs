//! Alerts: what the info callback reports, and the IANA name of every
//! alert description.
//!
//! OpenSSL's `SSL_alert_desc_string_long` answers "unknown" for several
//! registered alerts (inappropriate_fallback and certificate_required among
//! them), and `s_client -state` prints its answer, so both are kept: the
//! OpenSSL text for the state log, the IANA name for everything else.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::event::Direction;
use crate::sys;

/// An alert as the info callback reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Alert {
    /// Sent or received.
    pub direction: Direction,
    /// Warning or fatal.
    pub level: AlertLevel,
    /// The alert description code (RFC 8446 section 6).
    pub description: u8,
    /// The IANA name of the description, e.g. "certificate_required", or
    /// "unassigned(N)" for a value the registry does not list.
    #[serde(default)]
    pub name: Cow<'static, str>,
    /// `SSL_alert_type_string_long`: "warning" or "fatal".
    pub level_text: Cow<'static, str>,
    /// `SSL_alert_desc_string_long`, e.g. "handshake failure"; what
    /// `s_client -state` prints, "unknown" where OpenSSL has no text.
    pub text: Cow<'static, str>,
}

impl Alert {
    /// The IANA name of an alert description, `None` when unassigned.
    pub fn name_of(description: u8) -> Option<&'static str> {
        IANA_ALERTS
            .binary_search_by_key(&description, |(code, _)| *code)
            .ok()
            .map(|i| IANA_ALERTS[i].1)
    }

    /// Whether this is the close_notify alert (an orderly shutdown).
    pub fn is_close_notify(&self) -> bool {
        self.description == 0
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The number follows anyway: "unassigned(254) (254)" would say it twice.
        let name = match Alert::name_of(self.description) {
            Some(_) => self.name.as_ref(),
            None => "unassigned",
        };
        write!(f, "{} alert {name} ({})", self.level_text, self.description)
    }
}

/// The level byte of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
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

/// The IANA "TLS Alerts" registry (TLS parameters, alert descriptions).
/// tls-parser's table lacks 52, 117 and 121 and uses other spellings.
const IANA_ALERTS: &[(u8, &str)] = &[
    (0, "close_notify"),
    (10, "unexpected_message"),
    (20, "bad_record_mac"),
    (21, "decryption_failed"),
    (22, "record_overflow"),
    (30, "decompression_failure"),
    (40, "handshake_failure"),
    (41, "no_certificate"),
    (42, "bad_certificate"),
    (43, "unsupported_certificate"),
    (44, "certificate_revoked"),
    (45, "certificate_expired"),
    (46, "certificate_unknown"),
    (47, "illegal_parameter"),
    (48, "unknown_ca"),
    (49, "access_denied"),
    (50, "decode_error"),
    (51, "decrypt_error"),
    (52, "too_many_cids_requested"),
    (60, "export_restriction"),
    (70, "protocol_version"),
    (71, "insufficient_security"),
    (80, "internal_error"),
    (86, "inappropriate_fallback"),
    (90, "user_canceled"),
    (100, "no_renegotiation"),
    (109, "missing_extension"),
    (110, "unsupported_extension"),
    (111, "certificate_unobtainable"),
    (112, "unrecognized_name"),
    (113, "bad_certificate_status_response"),
    (114, "bad_certificate_hash_value"),
    (115, "unknown_psk_identity"),
    (116, "certificate_required"),
    (117, "general_error"),
    (120, "no_application_protocol"),
    (121, "ech_required"),
];

/// [`Alert::name_of`], or "unassigned(N)".
pub(crate) fn alert_name_or_code(description: u8) -> Cow<'static, str> {
    match Alert::name_of(description) {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("unassigned({description})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_alert_levels_are_kept() {
        assert_eq!(AlertLevel::from_u8(1), AlertLevel::Warning);
        assert_eq!(AlertLevel::from_u8(2), AlertLevel::Fatal);
        assert_eq!(AlertLevel::from_u8(7), AlertLevel::Unknown(7));
    }

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(IANA_ALERTS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn openssl_unknowns_have_names() {
        assert_eq!(Alert::name_of(86), Some("inappropriate_fallback"));
        assert_eq!(Alert::name_of(116), Some("certificate_required"));
        assert_eq!(Alert::name_of(121), Some("ech_required"));
        assert_eq!(Alert::name_of(1), None);
        assert_eq!(alert_name_or_code(255), "unassigned(255)");
    }

    /// Where OpenSSL has a text for an alert, it is the IANA name with
    /// spaces: the two tables agree.
    #[test]
    fn iana_names_agree_with_openssl_where_it_has_text() {
        let mut compared = 0;
        for &(code, name) in IANA_ALERTS {
            let (_, text) = crate::ffi::alert_strings(i32::from(code));
            if text == "unknown" {
                continue;
            }
            let openssl = text.to_lowercase().replace(' ', "_");
            assert_eq!(openssl, name, "alert {code}: OpenSSL says {text:?}");
            compared += 1;
        }
        assert!(compared >= 25, "OpenSSL named only {compared} alerts");
    }
}
