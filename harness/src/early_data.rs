//! TLS 1.3 early data (0-RTT): what a client sent before its handshake
//! finished, and what the server made of it. `probe --early-data` sends it
//! on the resumed connection as `s_client -early_data` does, `serve
//! --early-data` takes it as `s_server -early_data` does, and both say
//! what became of it in `s_client`'s words (accepted, rejected, not sent).

use std::fmt;

use openssl_handshake::ProtocolVersion;

use crate::case::Role;
use serde::Serialize;

/// What OpenSSL says became of the early data (`SSL_get_early_data_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EarlyDataStatus {
    /// The client sent none.
    NotSent,
    /// The server discarded it: a full handshake, or a server that takes
    /// none on this connection (a ticket used before, a limit of 0).
    Rejected,
    /// The server took it.
    Accepted,
}

/// Early data on one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EarlyData {
    /// What became of it.
    pub status: EarlyDataStatus,
    /// Bytes sent as early data (by `probe`) or read as early data (by
    /// `serve`).
    pub bytes: u64,
    /// The end that counted the bytes.
    #[serde(skip)]
    pub counted_by: Role,
    /// The connection failed after the client read the server's verdict:
    /// "accepted" is then only what EncryptedExtensions said (a server
    /// past its recv_max_early_data aborts after saying it).
    #[serde(skip)]
    pub failed_after: bool,
}

impl EarlyData {
    /// The line a summary gives it.
    pub fn summary_line(&self) -> String {
        format!("early data: {self}\n")
    }
}

impl fmt::Display for EarlyData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.bytes;
        match (self.status, self.counted_by) {
            (EarlyDataStatus::NotSent, _) => f.write_str("not sent"),
            (EarlyDataStatus::Rejected, Role::Client) => write!(
                f,
                "rejected ({n} bytes sent early, discarded by the server)"
            ),
            (EarlyDataStatus::Rejected, Role::Server) => {
                f.write_str("rejected (the client's early data was skipped unread)")
            }
            (EarlyDataStatus::Accepted, Role::Client) if self.failed_after => write!(
                f,
                "accepted ({n} bytes) by the server's EncryptedExtensions, but the connection \
                 then failed"
            ),
            (EarlyDataStatus::Accepted, Role::Client) => write!(f, "accepted ({n} bytes)"),
            (EarlyDataStatus::Accepted, Role::Server) => write!(f, "accepted ({n} bytes read)"),
        }
    }
}

/// Why a client with early data to send sends none: its session, from
/// the first connection, allows none. `version` is what that connection
/// negotiated, `tickets` how many NewSessionTickets it read.
pub fn not_sent_because(version: Option<ProtocolVersion>, tickets: usize) -> String {
    match version {
        Some(v) if v != ProtocolVersion::Tls1_3 => {
            format!("the first connection negotiated {v}, which has no early data")
        }
        _ if tickets == 0 => "the first connection got no session ticket".to_owned(),
        _ => "the server's session ticket allows no early data (its NewSessionTicket has no \
              early_data extension: the server takes none)"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_reads_as_s_client_words_with_the_count() {
        let line = |status, counted_by| {
            EarlyData {
                status,
                bytes: 18,
                counted_by,
                failed_after: false,
            }
            .summary_line()
        };
        assert_eq!(
            line(EarlyDataStatus::NotSent, Role::Client),
            "early data: not sent\n"
        );
        assert_eq!(
            line(EarlyDataStatus::Accepted, Role::Client),
            "early data: accepted (18 bytes)\n"
        );
        assert!(line(EarlyDataStatus::Rejected, Role::Client).contains("18 bytes sent early"));
        assert!(line(EarlyDataStatus::Rejected, Role::Server).contains("skipped unread"));
        assert!(line(EarlyDataStatus::Accepted, Role::Server).contains("18 bytes read"));
    }

    #[test]
    fn a_session_without_early_data_says_why() {
        let tls13 = Some(ProtocolVersion::Tls1_3);
        let tls12 = not_sent_because(Some(ProtocolVersion::Tls1_2), 0);
        assert!(tls12.contains("negotiated TLSv1.2"), "{tls12}");
        assert!(not_sent_because(tls13, 0).contains("no session ticket"));
        assert!(not_sent_because(tls13, 2).contains("no early_data extension"));
    }
}
