//! What each case must see, and how that widens for a server that is not
//! the in-process OpenSSL.

use serde::Serialize;

use super::wire;

/// What a case must see, fixed before it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expected {
    /// A plaintext fatal alert with one of these descriptions, then a close.
    FatalAlert {
        /// The acceptable alert descriptions.
        any_of: Vec<u8>,
    },
    /// A close with no alert.
    Close,
    /// Either of the above: implementations legitimately differ here.
    FatalAlertOrClose {
        /// The acceptable alert descriptions.
        any_of: Vec<u8>,
    },
    /// A warning no_renegotiation(100), read by the client; the server
    /// keeps the session and does not end the connection itself (its trace
    /// shows the warning sent and no fatal alert of its own).
    RenegotiationRefused,
    /// What any correct server may do with a secure (RFC 5746)
    /// renegotiation request: refuse it with a warning no_renegotiation,
    /// carry it out (a second handshake completes), or end the connection
    /// with a fatal handshake_failure or no_renegotiation.
    RenegotiationHandled,
    /// Every connection ends within its time-out and the server keeps
    /// serving.
    ServerSurvives,
}

impl Expected {
    /// The expectation for a target that is not the in-process OpenSSL:
    /// judged by what any correct TLS implementation may do rather than
    /// by what OpenSSL 3.0 does. A fatal alert in answer to garbage is as
    /// correct as a silent close, and which decoding alert a server picks
    /// is its own choice; a secure renegotiation may be refused or carried
    /// out (RFC 5746).
    pub fn for_any_implementation(&self) -> Expected {
        let with_parse_alerts = |any_of: &[u8]| {
            let mut all = any_of.to_vec();
            for d in ANY_PARSE_ALERT {
                if !all.contains(d) {
                    all.push(*d);
                }
            }
            all
        };
        match self {
            Expected::FatalAlert { any_of } | Expected::FatalAlertOrClose { any_of } => {
                Expected::FatalAlertOrClose {
                    any_of: with_parse_alerts(any_of),
                }
            }
            Expected::Close => Expected::FatalAlertOrClose {
                any_of: with_parse_alerts(&[]),
            },
            Expected::RenegotiationRefused | Expected::RenegotiationHandled => {
                Expected::RenegotiationHandled
            }
            Expected::ServerSurvives => Expected::ServerSurvives,
        }
    }

    /// The expectation in words.
    pub fn describe(&self) -> String {
        let alerts = |any: &[u8]| {
            any.iter()
                .map(|d| wire::alert_name(*d))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match self {
            Expected::FatalAlert { any_of } => format!("fatal {}, then close", alerts(any_of)),
            Expected::Close => "close without an alert".into(),
            Expected::FatalAlertOrClose { any_of } => {
                format!(
                    "fatal {} then close, or a close without an alert",
                    alerts(any_of)
                )
            }
            Expected::RenegotiationRefused => {
                "warning no_renegotiation(100); the server does not end the connection itself"
                    .into()
            }
            Expected::RenegotiationHandled => {
                "warning no_renegotiation, a completed second handshake, or fatal \
                 handshake_failure/no_renegotiation"
                    .into()
            }
            Expected::ServerSurvives => {
                "every connect ends within its time-out; all closed; server keeps serving".into()
            }
        }
    }
}

/// Alert descriptions a record-level or decoding failure can produce.
pub(super) const ANY_PARSE_ALERT: &[u8] = &[10, 20, 22, 40, 47, 50, 70];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_implementation_may_alert_or_close_and_may_renegotiate() {
        let relaxed = Expected::Close.for_any_implementation();
        match &relaxed {
            Expected::FatalAlertOrClose { any_of } => {
                assert!(any_of.contains(&50) && any_of.contains(&10), "{any_of:?}")
            }
            other => panic!("{other:?}"),
        }
        match (Expected::FatalAlert { any_of: vec![70] }).for_any_implementation() {
            Expected::FatalAlertOrClose { any_of } => assert!(any_of.contains(&70)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Expected::RenegotiationRefused.for_any_implementation(),
            Expected::RenegotiationHandled
        );
        assert_eq!(
            Expected::ServerSurvives.for_any_implementation(),
            Expected::ServerSurvives
        );
    }
}
